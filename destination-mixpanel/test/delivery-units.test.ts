import { retryDelayMs } from '../src/delivery/backoff';
import { parseRetryAfter } from '../src/delivery/import-client';
import { Batch } from '../src/delivery/batch';
import { resolveSettings } from '../src/config';
import { ConnectorError } from '../../connector-kit/errors';

describe('back-off', () => {
  const policy = (r: number) => ({ baseMs: 2000, maxMs: 60_000, random: () => r });
  test('2 s doubling to 60 s, plus 1–5 s of jitter at the defaults', () => {
    expect(retryDelayMs(1, policy(0))).toBe(3000);
    expect(retryDelayMs(1, policy(1))).toBe(7000);
    expect(retryDelayMs(2, policy(0))).toBe(5000);
    expect(retryDelayMs(10, policy(0))).toBe(61_000);
  });
  test('Retry-After wins (seconds or HTTP date)', () => {
    expect(retryDelayMs(1, policy(0.5), 12_000)).toBe(12_000);
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThan(8000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('Batch', () => {
  test('counts NDJSON bytes and maps records back to their state interval', () => {
    const b = new Batch(1);
    b.add(Buffer.from('{"a":1}'), 0, 1);
    b.add(Buffer.from('{"b":2}'), 0, 1);
    b.add(Buffer.from('{"c":3}'), 2, 1);
    expect(b.bytes).toBe(7 * 3 + 2);
    expect(b.bytesWith(5)).toBe(23 + 6);
    expect([0, 1, 2].map((i) => b.tagOf(i))).toEqual([0, 0, 2]);
    expect([...b.countsByTag()]).toEqual([[0, 2], [2, 1]]);
  });
});

describe('config', () => {
  const base = { credentials: { auth_type: 'api_secret', api_secret: 's' }, project_token: 't' };
  test('auth methods map to HTTP Basic as Mixpanel documents', () => {
    expect(resolveSettings(base).auth).toEqual({ method: 'api_secret', username: 's', password: '' });
    expect(resolveSettings({ ...base, credentials: { auth_type: 'project_token' } }).auth).toEqual({ method: 'project_token', username: 't', password: '' });
    expect(resolveSettings({ ...base, credentials: { auth_type: 'service_account', username: 'u', secret: 'p', project_id: '9' } }).auth)
      .toEqual({ method: 'service_account', username: 'u', password: 'p', projectId: '9' });
  });
  test('regions and api_host', () => {
    expect(resolveSettings(base).host).toBe('https://api.mixpanel.com');
    expect(resolveSettings({ ...base, region: 'EU' }).host).toBe('https://api-eu.mixpanel.com');
    expect(resolveSettings({ ...base, region: 'IN' }).host).toBe('https://api-in.mixpanel.com');
    expect(resolveSettings({ ...base, api_host: 'http://127.0.0.1:18080/' }).host).toBe('http://127.0.0.1:18080');
  });
  test('project_token auth without a token is a config error naming the field', () => {
    expect(() => resolveSettings({ credentials: { auth_type: 'project_token' } })).toThrow(ConnectorError);
    expect(() => resolveSettings({ credentials: { auth_type: 'project_token' } })).toThrow(/project_token/);
  });
  test('delivery defaults are Mixpanel-safe', () => {
    expect(resolveSettings(base).delivery).toMatchObject({ batchSize: 2000, concurrency: 10, retryBaseMs: 2000, retryMaxMs: 60_000, gzipLevel: 1 });
    expect(resolveSettings(base).delivery.maxBatchBytes).toBeLessThanOrEqual(10 * 1024 * 1024);
  });
});

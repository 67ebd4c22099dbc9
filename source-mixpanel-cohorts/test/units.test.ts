/** The small parts on their own: settings (regions, hosts, auth), the token bucket, back-off delays, the seen-set, log wording. */
import { retryDelayMs, parseRetryAfter } from '../src/backoff';
import { normalizeCohortsConfig, settingsFrom } from '../src/config';
import { formatCount, formatDuration, queriesFor } from '../src/progress';
import { SeenSet } from '../src/seen-set';
import { TokenBucket } from '../src/token-bucket';
import { FakeClock } from './support/harness';

const SA = { auth_type: 'service_account', username: 'u', secret: 's', project_id: '42' };

describe('settings', () => {
  it('maps regions to Mixpanel\'s Query API hosts; api_host replaces them (trailing slash dropped)', () => {
    expect(['US', 'EU', 'IN'].map((region) => settingsFrom({ credentials: SA, region }).baseUrl)).toEqual(['https://mixpanel.com', 'https://eu.mixpanel.com', 'https://in.mixpanel.com']);
    expect(settingsFrom({ credentials: SA, region: 'EU', api_host: 'http://127.0.0.1:9/' })).toMatchObject({ baseUrl: 'http://127.0.0.1:9', hostOverridden: true });
  });

  it('auth: service account user:secret, API secret as user with an empty password; project_id with both', () => {
    expect(settingsFrom({ credentials: SA }).auth).toEqual({ method: 'service_account', username: 'u', password: 's', projectId: '42' });
    expect(settingsFrom({ credentials: { auth_type: 'api_secret', api_secret: 'x', project_id: '7' } }).auth).toEqual({ method: 'api_secret', username: 'x', password: '', projectId: '7' });
    expect(() => settingsFrom({ credentials: { auth_type: 'api_secret', api_secret: 'x' } })).toThrow(/credentials\.project_id is required/);
  });

  it('defaults: 50 queries/hour, 2 concurrent (at most 5), $braze_external_id; back-off 30 s to 300 s', () => {
    expect(settingsFrom({ credentials: SA, max_concurrent_queries: 9 })).toMatchObject({ queriesPerHour: 50, maxConcurrentQueries: 5, userIdProperty: '$braze_external_id', retryBaseMs: 30_000, retryMaxMs: 300_000 });
  });

  it('cohort ids given as JSON integers become digit strings before validation', () => {
    expect(normalizeCohortsConfig({ cohorts: [12, 'Churn risk', 1.5] })).toEqual({ cohorts: ['12', 'Churn risk', 1.5] });
  });
});

describe('token bucket', () => {
  it('a burst of a tenth of the hourly rate (1 to 5), then one token every 3600/rate seconds', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(50, clock);
    expect(bucket.capacity).toBe(5);
    const start = clock.now();
    for (let i = 0; i < 5; i++) expect(await bucket.take()).toBe(0);
    expect(bucket.waitMs()).toBe(72_000);
    await bucket.take();
    await bucket.take();
    expect(clock.now() - start).toBe(144_000);
    expect(new TokenBucket(6, clock).capacity).toBe(1);
    expect(new TokenBucket(1e9, clock).durationMs(1000)).toBeLessThan(10);
  });
});

describe('back-off', () => {
  it('30 s doubling to 300 s with ±20 % jitter; Retry-After honoured even when short, plus up to 10 %', () => {
    const policy = (r: number) => ({ baseMs: 30_000, maxMs: 300_000, random: () => r });
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a, undefined, policy(0.5)))).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000]);
    expect(retryDelayMs(1, undefined, policy(0))).toBe(24_000);
    expect(retryDelayMs(5, undefined, policy(1))).toBe(360_000);
    expect(retryDelayMs(3, 2_000, policy(1))).toBe(2_200);
    expect(retryDelayMs(3, 2_000, policy(0))).toBe(2_000);
  });

  it('Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('7', 0)).toBe(7000);
    expect(parseRetryAfter(new Date(60_000).toUTCString(), 0)).toBe(60_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });
});

describe('seen-set', () => {
  it('adds each id once across growth, and tells repeats', () => {
    const seen = new SeenSet();
    for (let i = 0; i < 50_000; i++) expect(seen.add(`id-${i}`)).toBe(true);
    for (let i = 0; i < 50_000; i += 7) expect(seen.add(`id-${i}`)).toBe(false);
    expect(seen.add('')).toBe(true);
    expect(seen.size).toBe(50_001);
  });
});

describe('log wording', () => {
  it('counts with spaces between thousands, durations a person reads', () => {
    expect([formatCount(12000), formatCount(1_000_000), formatCount(999)]).toEqual(['12 000', '1 000 000', '999']);
    expect([formatDuration(58_000), formatDuration(72_000), formatDuration(600_000), formatDuration(3_720_000), formatDuration(7_200_000)]).toEqual(['58 s', '72 s', '10 min', '1 h 2 min', '2 h']);
    expect([queriesFor(0, 1000), queriesFor(999, 1000), queriesFor(1000, 1000), queriesFor(48_000, 1000)]).toEqual([1, 1, 2, 49]);
  });
});

/**
 * The Braze delivery layer against the real local Braze server over loopback: attribute and partner writers,
 * retries (429 with reset, 5xx, resets, timeouts, budget), rejections (400, fatal message, minor errors),
 * stops (401/403), concurrency, request sizes and merging, the probe behind `check`, and that no secret or user
 * id reaches a log line or an error message.
 */
import type { Logger } from '../../../connector-kit/logger';
import { ConnectorError } from '../../../connector-kit/errors';
import { DEFAULT_API_KEY, DEFAULT_PARTNER, LocalBraze, startLocalBraze } from '../../../local-services/braze/server';
import { BrazeDeliveryOptions, ChangeOutcome, CohortRef, createMembershipWriter, MembershipChange, probeBraze } from './index';

const ATTR = 'mixpanel_cohorts';

function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

function optionsFor(server: LocalBraze, extra: Partial<BrazeDeliveryOptions> = {}): BrazeDeliveryOptions {
  return {
    restEndpoint: server.url, apiKey: DEFAULT_API_KEY, mode: 'attribute', attributeName: ATTR,
    concurrency: 4, maxRetrySeconds: 10, retryBaseMs: 5, retryMaxMs: 50, requestTimeoutSeconds: 5, ...extra,
  };
}

const cohort = (cohortId: number, value: string): CohortRef => ({ cohortId, value, createdAt: '2026-01-01T00:00:00Z' });
const change = (c: CohortRef, userId: string, op: 'add' | 'remove' = 'add', value = c.value): MembershipChange => ({ cohort: c, userId, op, value });
const users = (n: number, prefix = 'user-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Runs changes through a writer; returns outcomes, log lines and the error that stopped it (if any). */
async function run(options: BrazeDeliveryOptions, cohorts: CohortRef[], changes: MembershipChange[]) {
  const outcomes: ChangeOutcome[] = [];
  const log = collectingLogger();
  const writer = createMembershipWriter(options, (o) => outcomes.push(o), log);
  let error: unknown;
  try {
    for (const c of cohorts) await writer.beginCohort(c);
    for (const ch of changes) await writer.enqueue(ch);
    await writer.close();
  } catch (err) {
    error = err;
    await writer.close().catch(() => undefined);
  }
  return { outcomes, log: log.lines, error };
}

const tracked = (server: LocalBraze) => server.requests().filter((r) => r.path === '/users/track');
const objectsOf = (server: LocalBraze) => tracked(server).filter((r) => r.status === 201).map((r) => (r.body as { attributes: Array<Record<string, unknown>> }).attributes);

describe('attribute mode writer', () => {
  let server: LocalBraze;
  beforeEach(async () => {
    server = await startLocalBraze({ users: users(300), apiKeys: [{ key: DEFAULT_API_KEY, permissions: ['users.track'] }, { key: 'no-perm', permissions: ['users.export.ids'] }] });
  });
  afterEach(() => server.close());

  test('adds and removes reach Braze in requests of at most 75 objects, each update-only, with our User-Agent; nobody is created', async () => {
    const openers = cohort(1, 'Email openers');
    server.seedUsers(['user-0', 'user-1'], { [ATTR]: ['Email openers', 'Other'] });
    const changes = [...users(200, 'user-').slice(2).map((u) => change(openers, u)), change(openers, 'user-0', 'remove'), change(openers, 'ghost-1')];
    const { outcomes, error } = await run(optionsFor(server), [openers], changes);
    expect(error).toBeUndefined();
    expect(outcomes).toHaveLength(changes.length);
    expect(outcomes.every((o) => o.status === 'written')).toBe(true);
    expect(new Set(outcomes.map((o) => o.change))).toEqual(new Set(changes));
    const sizes = objectsOf(server).map((a) => a.length).sort((a, b) => b - a);
    expect(sizes).toEqual([75, 75, 50]);
    expect(objectsOf(server).flat().every((o) => o._update_existing_only === true)).toBe(true);
    expect(tracked(server)[0].headers['user-agent']).toMatch(/^braze-currents-mixpanel\/\d+\.\d+\.\d+/);
    expect(server.users.array('user-0', ATTR)).toEqual(['Other']);
    expect(server.users.array('user-1', ATTR)).toEqual(['Email openers', 'Other']);
    expect(server.users.holdersOf(ATTR, 'Email openers').sort()).toEqual(['user-1', ...users(200).slice(2)].sort());
    expect(server.users.createdByRequests()).toEqual([]);
    expect(server.stats().attributeObjectsIgnored).toBe(1);
  });

  test('changes of one user in one buffer become one object (a rename: remove old and add new together); a duplicate is sent once', async () => {
    const renamed = cohort(1, 'New name');
    const other = cohort(2, 'Buyers');
    server.seedUsers(['user-5'], { [ATTR]: ['Old name'] });
    const changes = [change(renamed, 'user-5', 'remove', 'Old name'), change(renamed, 'user-5'), change(other, 'user-5'), change(other, 'user-5')];
    const { outcomes } = await run(optionsFor(server), [renamed, other], changes);
    expect(outcomes.filter((o) => o.status === 'written')).toHaveLength(4);
    expect(objectsOf(server)).toEqual([[{ external_id: 'user-5', [ATTR]: { add: ['New name', 'Buyers'], remove: ['Old name'] }, _update_existing_only: true }]]);
    expect(server.users.array('user-5', ATTR)).toEqual(['New name', 'Buyers']);
  });

  test('an add and a remove of the same value for one user are sent in order, in separate requests', async () => {
    const c = cohort(1, 'C');
    const { outcomes } = await run(optionsFor(server), [c], [change(c, 'user-1'), change(c, 'user-1', 'remove'), change(c, 'user-2')]);
    expect(outcomes).toHaveLength(3);
    expect(objectsOf(server).map((a) => a.length)).toEqual([1, 2]);
    expect(server.users.array('user-1', ATTR)).toEqual([]);
    expect(server.users.array('user-2', ATTR)).toEqual(['C']);
  });

  test('several requests are in flight at once, never more than `concurrency`', async () => {
    const c = cohort(1, 'C');
    server.injectFaults([{ type: 'delay', ms: 150, times: 8 }]);
    const started = Date.now();
    const { outcomes } = await run(optionsFor(server, { concurrency: 3 }), [c], users(75 * 8).map((u) => change(c, `user-${Number(u.slice(5)) % 300}`, 'add', `v${u}`)));
    expect(outcomes.every((o) => o.status === 'written')).toBe(true);
    const spans = tracked(server).map((r) => [r.receivedAt, r.answeredAt!]);
    const overlap = Math.max(...spans.map(([s]) => spans.filter(([a, b]) => a <= s && s < b).length));
    expect(overlap).toBe(3);
    expect(Date.now() - started).toBeLessThan(8 * 150);
  });

  test('429: waits until X-RateLimit-Reset before retrying, then writes', async () => {
    const c = cohort(1, 'C');
    const reset = Math.ceil(Date.now() / 1000) + 1;
    server.injectFaults([{ type: 'status', status: 429, headers: { 'X-RateLimit-Reset': String(reset), 'X-RateLimit-Remaining': '0' } }]);
    const { outcomes } = await run(optionsFor(server), [c], [change(c, 'user-1')]);
    expect(outcomes).toEqual([expect.objectContaining({ status: 'written' })]);
    const [first, second] = tracked(server);
    expect(first.status).toBe(429);
    expect(second.receivedAt).toBeGreaterThanOrEqual(reset * 1000);
  });

  test('429 whose X-RateLimit-Reset is a small number is read as seconds from now', async () => {
    const c = cohort(1, 'C');
    server.injectFaults([{ type: 'status', status: 429, headers: { 'X-RateLimit-Reset': '1' } }]);
    const { outcomes } = await run(optionsFor(server), [c], [change(c, 'user-1')]);
    expect(outcomes).toEqual([expect.objectContaining({ status: 'written' })]);
    const [first, second] = tracked(server);
    expect(second.receivedAt - first.answeredAt!).toBeGreaterThanOrEqual(900);
  });

  test('a real request budget: every change arrives, requests wait for the window instead of failing', async () => {
    server.setRateLimit(2, 1000);
    const c = cohort(1, 'C');
    const { outcomes, error } = await run(optionsFor(server, { concurrency: 2 }), [c], users(75 * 5).map((_, i) => change(c, `user-${i % 300}`, 'add', `v${i}`)));
    expect(error).toBeUndefined();
    expect(outcomes.filter((o) => o.status === 'written')).toHaveLength(375);
    expect(tracked(server).filter((r) => r.status === 201)).toHaveLength(5);
  });

  test('5xx, connection resets and slow answers are retried with back-off; every change is written once Braze answers', async () => {
    const c = cohort(1, 'C');
    server.injectFaults([{ type: 'status', status: 503, times: 2 }, { type: 'reset' }, { type: 'status', status: 500 }, { type: 'delay', ms: 800 }]);
    const { outcomes, log } = await run(optionsFor(server, { concurrency: 1, requestTimeoutSeconds: 0.3 }), [c], [change(c, 'user-1'), change(c, 'user-2')]);
    expect(outcomes.map((o) => o.status)).toEqual(['written', 'written']);
    expect(server.users.array('user-1', ATTR)).toEqual(['C']);
    expect(log.filter((l) => l.includes('retry'))).toHaveLength(5);
    expect(log.join('\n')).toMatch(/HTTP 503/);
    expect(log.join('\n')).toMatch(/reset/);
    expect(log.join('\n')).toMatch(/no answer .* within/);
  });

  test('when retries last longer than max_retry_seconds the writer stops with a transient_error', async () => {
    const c = cohort(1, 'C');
    server.injectFaults([{ type: 'status', status: 502, times: 1000 }]);
    const { outcomes, error } = await run(optionsFor(server, { maxRetrySeconds: 0.3 }), [c], [change(c, 'user-1')]);
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).failureType).toBe('transient_error');
    expect((error as Error).message).toMatch(/within the retry budget of 0.3 s \(\d+ attempts; last: HTTP 502\)/);
    expect(outcomes).toEqual([]);
  });

  test('400 and a fatal message reject that request with Braze\'s reason; the sync goes on', async () => {
    const c = cohort(1, 'C');
    server.injectFaults([{ type: 'status', status: 400, body: { message: 'Bad Request', errors: ['something about the body'] } }, { type: 'fatal', message: 'Something broke' }]);
    const { outcomes, error } = await run(optionsFor(server, { concurrency: 1 }), [c], users(150).map((u) => change(c, u)).concat(change(c, 'user-200')));
    expect(error).toBeUndefined();
    const rejected = outcomes.filter((o) => o.status === 'rejected') as Array<{ reason: string }>;
    expect(rejected).toHaveLength(150);
    expect(rejected.slice(0, 75).every((o) => /HTTP 400 Bad Request: something about the body/.test(o.reason))).toBe(true);
    expect(rejected.slice(75).every((o) => /Something broke/.test(o.reason))).toBe(true);
    expect(outcomes.filter((o) => o.status === 'written').map((o) => o.change.userId)).toEqual(['user-200']);
    expect(server.users.array('user-200', ATTR)).toEqual(['C']);
    expect(server.users.array('user-0', ATTR)).toEqual([]);
  });

  test('minor errors reject the objects at their index; the rest is written', async () => {
    const c = cohort(1, 'C');
    server.injectFaults([{ type: 'minor', indexes: [1], message: 'value too long' }]);
    const { outcomes } = await run(optionsFor(server), [c], [change(c, 'user-0'), change(c, 'user-1'), change(c, 'user-1', 'add', 'D'), change(c, 'user-2')]);
    const byUser = (u: string) => outcomes.filter((o) => o.change.userId === u).map((o) => o.status);
    expect(byUser('user-0')).toEqual(['written']);
    expect(byUser('user-1')).toEqual(['rejected', 'rejected']);
    expect(byUser('user-2')).toEqual(['written']);
    expect((outcomes.find((o) => o.status === 'rejected') as { reason: string }).reason).toMatch(/value too long/);
    expect(server.users.array('user-1', ATTR)).toEqual([]);
  });

  test('a real minor error from the server (value over 255 characters) is tied to its object', async () => {
    const c = cohort(1, 'x'.repeat(256));
    const ok = cohort(2, 'ok');
    const { outcomes } = await run(optionsFor(server), [c, ok], [change(c, 'user-1'), change(ok, 'user-2')]);
    expect(outcomes.find((o) => o.change.userId === 'user-1')).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/255/) });
    expect(outcomes.find((o) => o.change.userId === 'user-2')).toMatchObject({ status: 'written' });
  });

  test('401 stops with a config_error about the key or instance; no outcome after it', async () => {
    const c = cohort(1, 'C');
    const { outcomes, error } = await run(optionsFor(server, { apiKey: 'wrong-key' }), [c], users(100).map((u) => change(c, u)));
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).failureType).toBe('config_error');
    expect((error as Error).message).toMatch(/key is wrong.*another Braze instance/);
    expect(outcomes).toEqual([]);
  });

  test('403 Access Denied stops with a config_error naming the users.track permission', async () => {
    const c = cohort(1, 'C');
    const { outcomes, error } = await run(optionsFor(server, { apiKey: 'no-perm' }), [c], [change(c, 'user-1')]);
    expect((error as ConnectorError).failureType).toBe('config_error');
    expect((error as Error).message).toMatch(/lacks the users\.track permission/);
    expect(outcomes).toEqual([]);
  });

  test('after a stop, enqueue throws the same error and nothing more is sent', async () => {
    const c = cohort(1, 'C');
    const writer = createMembershipWriter(optionsFor(server, { apiKey: 'wrong-key', concurrency: 1 }), () => undefined, collectingLogger());
    for (const u of users(75)) await writer.enqueue(change(c, u));
    await expect(writer.flush()).rejects.toThrow(/REST API key/);
    const sent = server.requests().length;
    await expect(writer.enqueue(change(c, 'user-99'))).rejects.toBeInstanceOf(ConnectorError);
    await expect(writer.close()).rejects.toBeInstanceOf(ConnectorError);
    expect(server.requests().length).toBe(sent);
  });
});

describe('partner mode writer', () => {
  let server: LocalBraze;
  beforeEach(async () => { server = await startLocalBraze({ users: users(3000) }); });
  afterEach(() => server.close());
  const partnerOptions = (s: LocalBraze, extra: Partial<BrazeDeliveryOptions['partner']> = {}) =>
    optionsFor(s, { mode: 'partner', partner: { partnerApiKey: DEFAULT_PARTNER.partnerApiKey, clientSecret: DEFAULT_PARTNER.clientSecret, partnerName: 'mixpanel', ...extra } });

  test('creates the cohort, then sends at most 1 000 ids per request with should_remove; renames on a later sync', async () => {
    const c = cohort(7, 'Openers');
    const first = await run(partnerOptions(server), [c], users(2500).map((u) => change(c, u)));
    expect(first.outcomes.filter((o) => o.status === 'written')).toHaveLength(2500);
    const memberRequests = server.requests().filter((r) => r.path.endsWith('/cohorts/users'));
    const idCounts = memberRequests.map((r) => (r.body as { cohort_changes: Array<{ user_ids: string[] }> }).cohort_changes.reduce((n, x) => n + x.user_ids.length, 0));
    expect(idCounts.sort((a, b) => b - a)).toEqual([1000, 1000, 500]);
    expect(server.cohorts.members('mixpanel', '7')).toHaveLength(2500);
    const renamed = cohort(7, 'Email openers');
    const second = await run(partnerOptions(server), [renamed], [change(renamed, 'user-0', 'remove'), change(renamed, 'user-2600')]);
    expect(second.outcomes.map((o) => o.status)).toEqual(['written', 'written']);
    expect(server.cohorts.cohortInfo('mixpanel', '7')?.name).toBe('Email openers');
    expect(server.cohorts.members('mixpanel', '7')).toHaveLength(2500);
    expect(server.cohorts.members('mixpanel', '7')).not.toContain('user-0');
    const last = server.requests().at(-1)!.body as { cohort_changes: unknown[] };
    expect(last.cohort_changes).toEqual([{ user_ids: ['user-2600'], should_remove: false }, { user_ids: ['user-0'], should_remove: true }]);
  });

  test('bad partner credentials stop with a config_error', async () => {
    const { error, outcomes } = await run(partnerOptions(server, { clientSecret: 'wrong' }), [cohort(1, 'C')], [change(cohort(1, 'C'), 'user-1')]);
    expect((error as ConnectorError).failureType).toBe('config_error');
    expect((error as Error).message).toMatch(/client_secret/);
    expect(outcomes).toEqual([]);
  });

  test('a cohort Braze refuses to create has its changes rejected; other cohorts go on; 5xx is retried', async () => {
    server.injectFaults([{ type: 'status', status: 400, body: { message: "'name' must be a non-empty string" } }, { type: 'status', status: 503 }]);
    const bad = cohort(1, 'Bad');
    const good = cohort(2, 'Good');
    const { outcomes, error } = await run(partnerOptions(server), [bad, good], [change(bad, 'user-1'), change(good, 'user-1')]);
    expect(error).toBeUndefined();
    expect(outcomes.find((o) => o.change.cohort === bad)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/non-empty string/) });
    expect(outcomes.find((o) => o.change.cohort === good)).toMatchObject({ status: 'written' });
    expect(server.cohorts.members('mixpanel', '2')).toEqual(['user-1']);
  });
});

describe('probe (check)', () => {
  let server: LocalBraze;
  beforeEach(async () => {
    server = await startLocalBraze({ users: ['user-1'], apiKeys: [{ key: DEFAULT_API_KEY, permissions: ['users.track'] }, { key: 'no-perm', permissions: ['campaigns.list'] }] });
  });
  afterEach(() => server.close());

  test('a good key passes and nothing is written or created', async () => {
    const result = await probeBraze(optionsFor(server));
    expect(result).toMatchObject({ ok: true });
    expect(server.stats()).toMatchObject({ dataPoints: 0, usersCreated: 0, attributeObjectsApplied: 0 });
    expect(server.users.externalIds()).toEqual(['user-1']);
  });

  test('diagnoses a bad key, a key without users.track, a wrong endpoint and an unreachable one', async () => {
    expect(await probeBraze(optionsFor(server, { apiKey: 'bad' }))).toMatchObject({ ok: false, problem: 'bad_key' });
    expect(await probeBraze(optionsFor(server, { apiKey: 'no-perm' }))).toMatchObject({ ok: false, problem: 'missing_permission' });
    expect(await probeBraze(optionsFor(server, { restEndpoint: server.url + '/api' }))).toMatchObject({ ok: false, problem: 'wrong_endpoint' });
    expect(await probeBraze(optionsFor(server, { restEndpoint: 'ftp://x' }))).toMatchObject({ ok: false, problem: 'wrong_endpoint' });
    const closed = await startLocalBraze();
    const url = closed.url;
    await closed.close();
    expect(await probeBraze(optionsFor(server, { restEndpoint: url }))).toMatchObject({ ok: false, problem: 'unreachable' });
  });

  test('partner mode also proves the partner credentials without changing any cohort', async () => {
    const partner = { partnerApiKey: DEFAULT_PARTNER.partnerApiKey, clientSecret: DEFAULT_PARTNER.clientSecret, partnerName: 'mixpanel' };
    expect(await probeBraze(optionsFor(server, { mode: 'partner', partner }))).toMatchObject({ ok: true });
    expect(await probeBraze(optionsFor(server, { mode: 'partner', partner: { ...partner, partnerApiKey: 'bad' } }))).toMatchObject({ ok: false, problem: 'partner_credentials' });
    expect(server.cohorts.list()).toEqual([]);
  });
});

describe('no secret or user id in any log line or error message', () => {
  const API_KEY = 'canary-api-key-4242';
  const PARTNER_KEY = 'canary-partner-key-4242';
  const SECRET = 'canary-client-secret-4242';
  const USER = 'canary-user-id-4242';
  const canaries = [API_KEY, PARTNER_KEY, SECRET, USER];

  test('through retries, rejections, minor errors and stops, in both modes and in the probe', async () => {
    const server = await startLocalBraze({
      users: [USER, 'u2'], apiKeys: [{ key: API_KEY, permissions: ['users.track'] }],
      partners: [{ partnerName: 'mixpanel', partnerApiKey: PARTNER_KEY, clientSecret: SECRET }],
    });
    try {
      const texts: string[] = [];
      const c = cohort(1, 'C');
      const base = optionsFor(server, { apiKey: API_KEY, concurrency: 1, requestTimeoutSeconds: 0.3 });
      server.injectFaults([{ type: 'status', status: 503 }, { type: 'reset' }, { type: 'delay', ms: 600 }, { type: 'status', status: 400 }, { type: 'minor', indexes: [0] }, { type: 'fatal' }]);
      for (let i = 0; i < 4; i++) {
        const r = await run(base, [c], [change(c, USER, 'add', `v${i}`)]);
        texts.push(...r.log, ...r.outcomes.map((o) => (o.status === 'rejected' ? o.reason : '')), String(r.error ?? ''));
      }
      const partner = { partnerApiKey: PARTNER_KEY, clientSecret: SECRET, partnerName: 'mixpanel' };
      server.injectFaults([{ type: 'status', status: 500 }, { type: 'status', status: 400 }]);
      for (const extra of [{ mode: 'partner' as const, partner }, { mode: 'partner' as const, partner: { ...partner, clientSecret: SECRET + 'x' } }, { apiKey: API_KEY + 'x' }]) {
        const r = await run({ ...base, ...extra }, [c], [change(c, USER)]);
        texts.push(...r.log, ...r.outcomes.map((o) => (o.status === 'rejected' ? o.reason : '')), String(r.error ?? ''), (r.error as Error | undefined)?.stack ?? '');
      }
      server.injectFaults([{ type: 'status', status: 502, times: 100 }]);
      const budget = await run({ ...base, maxRetrySeconds: 0.2 }, [c], [change(c, USER)]);
      texts.push(...budget.log, String(budget.error));
      for (const extra of [{}, { apiKey: 'wrong' }, { mode: 'partner' as const, partner: { ...partner, partnerApiKey: 'x' } }]) {
        texts.push(JSON.stringify(await probeBraze({ ...base, ...extra })));
      }
      const all = texts.join('\n');
      expect(all).toMatch(/HTTP 503/); // the scenario really produced log lines
      expect(all).toMatch(/config_error|REST API key|partner/);
      for (const canary of canaries) expect(all).not.toContain(canary);
    } finally {
      await server.close();
    }
  });
});

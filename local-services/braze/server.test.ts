/**
 * The local Braze server over real HTTP: auth and permissions, body shape, the 75-object limit, identifiers,
 * `_update_existing_only`, array add/remove semantics, the partner cohort endpoints, rate-limit headers and 429,
 * scripted faults and inspection.
 */
import { DEFAULT_API_KEY, DEFAULT_PARTNER, LocalBraze, startLocalBraze } from './server';

interface Reply { status: number; body: any; headers: Headers }

async function post(server: LocalBraze, path: string, body: unknown, key: string | null = DEFAULT_API_KEY, contentType = 'application/json'): Promise<Reply> {
  const headers: Record<string, string> = { 'Content-Type': contentType };
  if (key !== null) headers.Authorization = `Bearer ${key}`;
  const res = await fetch(server.url + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* keep the text */ }
  return { status: res.status, body: parsed, headers: res.headers };
}

const track = (server: LocalBraze, attributes: unknown[], key?: string | null) => post(server, '/users/track', { attributes }, key);
const add = (id: string, ...values: string[]) => ({ external_id: id, cohorts: { add: values }, _update_existing_only: true });

describe('local Braze /users/track', () => {
  let server: LocalBraze;
  beforeEach(async () => {
    server = await startLocalBraze({
      users: ['u1', 'u2', 'u3'],
      attributes: { u3: { cohorts: ['old'] } },
      apiKeys: [{ key: DEFAULT_API_KEY, permissions: ['users.track'] }, { key: 'export-only-key', permissions: ['users.export.ids'] }],
      arrayMaxLength: 25,
    });
  });
  afterEach(() => server.close());

  test('a bad or missing key is 401, a key without users.track is 403 "Access Denied"; nothing is applied', async () => {
    expect((await track(server, [add('u1', 'A')], 'wrong-key')).status).toBe(401);
    expect((await track(server, [add('u1', 'A')], null)).status).toBe(401);
    const denied = await track(server, [add('u1', 'A')], 'export-only-key');
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe('Access Denied');
    expect(server.users.array('u1', 'cohorts')).toEqual([]);
  });

  test('success answers 201 with attributes_processed and applies add/remove to existing users', async () => {
    const reply = await track(server, [add('u1', 'A', 'B'), { external_id: 'u3', cohorts: { add: ['new'], remove: ['old'] }, _update_existing_only: true }]);
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ message: 'success', attributes_processed: 2 });
    expect(server.users.array('u1', 'cohorts')).toEqual(['A', 'B']);
    expect(server.users.array('u3', 'cohorts')).toEqual(['new']);
    expect(server.stats()).toMatchObject({ attributeObjectsApplied: 2, dataPoints: 2, usersCreated: 0 });
  });

  test('arrays keep unique values, an add of a present value moves it to the end, the oldest are dropped beyond the limit', async () => {
    await track(server, [add('u1', 'A', 'B', 'C')]);
    await track(server, [add('u1', 'A')]);
    expect(server.users.array('u1', 'cohorts')).toEqual(['B', 'C', 'A']);
    const many = Array.from({ length: 30 }, (_, i) => `v${i}`);
    await track(server, [add('u2', ...many)]);
    expect(server.users.array('u2', 'cohorts')).toEqual(many.slice(5));
  });

  test('_update_existing_only: true ignores unknown users; false or absent creates them (and the store says so)', async () => {
    await track(server, [add('ghost', 'A')]);
    expect(server.users.get('ghost')).toBeUndefined();
    expect(server.users.createdByRequests()).toEqual([]);
    expect(server.stats().attributeObjectsIgnored).toBe(1);
    await track(server, [{ external_id: 'new1', cohorts: { add: ['A'] } }, { external_id: 'new2', cohorts: { add: ['A'] }, _update_existing_only: false }]);
    expect(server.users.createdByRequests().sort()).toEqual(['new1', 'new2']);
    expect(server.stats().usersCreated).toBe(2);
  });

  test('more than 75 objects is a fatal 400 "Max Input Length Exceeded" and nothing is applied', async () => {
    const objects = Array.from({ length: 76 }, () => add('u1', 'A'));
    const reply = await track(server, objects);
    expect(reply.status).toBe(400);
    expect(reply.body.message).toBe('Max Input Length Exceeded');
    expect(server.users.array('u1', 'cohorts')).toEqual([]);
    expect((await track(server, objects.slice(0, 75))).status).toBe(201);
  });

  test('identifier rules and value limits are minor errors with the object index; the rest is applied', async () => {
    const long = 'x'.repeat(256);
    const reply = await track(server, [
      add('u1', 'A'),
      { cohorts: { add: ['A'] } },
      { external_id: 'u2', braze_id: 'b', cohorts: { add: ['A'] } },
      add('u2', long),
      { external_id: 'u2', _update_existing_only: 'yes' },
      add('u3', 'x'.repeat(255)),
    ]);
    expect(reply.status).toBe(201);
    expect(reply.body.message).toBe('success');
    expect(reply.body.attributes_processed).toBe(2);
    expect(reply.body.errors.map((e: { index: number }) => e.index)).toEqual([1, 2, 3, 4]);
    expect(reply.body.errors[2].type).toMatch(/255/);
    expect(reply.body.errors.every((e: { input_array: string }) => e.input_array === 'attributes')).toBe(true);
    expect(server.users.array('u1', 'cohorts')).toEqual(['A']);
    expect(server.users.array('u2', 'cohorts')).toEqual([]);
  });

  test('a malformed body is a fatal 400', async () => {
    expect((await post(server, '/users/track', '{not json')).status).toBe(400);
    expect((await post(server, '/users/track', { attributes: {} })).status).toBe(400);
    expect((await post(server, '/users/track', {})).status).toBe(400);
    expect((await post(server, '/users/track', { attributes: [add('u1', 'A')] }, DEFAULT_API_KEY, 'text/plain')).status).toBe(400);
    const missing = await post(server, '/users/nope', {});
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-ratelimit-limit')).toBe('3000');
  });

  test('every reply carries X-RateLimit-*; over the budget the answer is 429 until the window resets (controlled clock)', async () => {
    let now = Date.UTC(2026, 0, 1, 0, 0, 0);
    server.setRateLimit(2, 3000, () => now);
    const first = await track(server, [add('u1', 'A')]);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset')).toBe(String(Date.UTC(2026, 0, 1, 0, 0, 3) / 1000));
    expect((await track(server, [add('u1', 'B')])).status).toBe(201);
    const limited = await track(server, [add('u1', 'C')]);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(server.users.array('u1', 'cohorts')).toEqual(['A', 'B']);
    now += 3000;
    expect((await track(server, [add('u1', 'C')])).status).toBe(201);
    expect(server.stats().rateLimited).toBe(1);
  });

  test('faults on demand: status, fatal message, minor errors, delay, reset — each for the next requests only', async () => {
    server.injectFaults([{ type: 'status', status: 503, times: 2 }, { type: 'fatal', message: 'Something broke' }, { type: 'minor', indexes: [0] }]);
    expect((await track(server, [add('u1', 'A')])).status).toBe(503);
    expect((await track(server, [add('u1', 'A')])).status).toBe(503);
    const fatal = await track(server, [add('u1', 'A')]);
    expect(fatal.body.message).toBe('Something broke');
    expect(server.users.array('u1', 'cohorts')).toEqual([]);
    const minor = await track(server, [add('u1', 'A'), add('u2', 'A')]);
    expect(minor.body.errors).toEqual([expect.objectContaining({ index: 0, input_array: 'attributes' })]);
    expect(server.users.array('u1', 'cohorts')).toEqual([]);
    expect(server.users.array('u2', 'cohorts')).toEqual(['A']);
    server.injectFaults([{ type: 'delay', ms: 300 }, { type: 'reset' }]);
    const started = Date.now();
    expect((await track(server, [add('u1', 'A')])).status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await expect(track(server, [add('u1', 'B')])).rejects.toThrow();
    expect(server.users.array('u1', 'cohorts')).toEqual(['A']);
    expect(server.pendingFaults()).toBe(0);
    expect((await track(server, [add('u1', 'B')])).status).toBe(201);
  });

  test('the request log keeps bodies and headers but never the Authorization header', async () => {
    await track(server, [add('u1', 'A')]);
    const [record] = server.requests();
    expect(record.headers.authorization).toBeUndefined();
    expect(JSON.stringify(record)).not.toContain(DEFAULT_API_KEY);
    expect(record.body).toEqual({ attributes: [add('u1', 'A')] });
    expect(record.status).toBe(201);
  });

  test('per-attribute array limits; count-only mode checks and counts writes but keeps no user', async () => {
    const limited = await startLocalBraze({ users: ['u1'], arrayMaxLengthByAttribute: { small: 25 } });
    try {
      const values = Array.from({ length: 40 }, (_, i) => `v${i}`);
      await track(limited, [{ external_id: 'u1', small: { add: values }, big: { add: values } }]);
      expect(limited.users.array('u1', 'small')).toEqual(values.slice(15));
      expect(limited.users.array('u1', 'big')).toEqual(values);
    } finally {
      await limited.close();
    }
    const counting = await startLocalBraze({ countOnly: true, recordBodies: false });
    try {
      const reply = await track(counting, [add('anyone', 'A'), add('x'.repeat(3), 'y'.repeat(256))]);
      expect(reply.body.attributes_processed).toBe(1);
      expect(reply.body.errors).toHaveLength(1);
      expect(counting.stats()).toMatchObject({ attributeObjectsApplied: 1, dataPoints: 1, usersCreated: 0 });
      expect(counting.users.externalIds()).toEqual([]);
      expect(counting.requests()[0].body).toBeUndefined();
    } finally {
      await counting.close();
    }
  });

  test('array max length is checked to lie in 25–500', async () => {
    await expect(startLocalBraze({ arrayMaxLength: 10 })).rejects.toThrow(/25 to 500/);
  });
});

describe('local Braze partner cohort endpoints', () => {
  let server: LocalBraze;
  const auth = { partner_api_key: DEFAULT_PARTNER.partnerApiKey, client_secret: DEFAULT_PARTNER.clientSecret };
  const base = `/partners/${DEFAULT_PARTNER.partnerName}`;
  beforeEach(async () => { server = await startLocalBraze({ users: ['u1', 'u2', 'u3'] }); });
  afterEach(() => server.close());

  test('create, rename and change members of existing users only', async () => {
    const created = await post(server, `${base}/cohorts`, { ...auth, cohort_id: '7', name: 'Openers', created_at: '2026-01-01T00:00:00Z' }, null);
    expect(created.status).toBe(201);
    expect(created.headers.get('x-ratelimit-limit')).toBeTruthy();
    const changed = await post(server, `${base}/cohorts/users`, {
      ...auth, cohort_id: '7', cohort_changes: [{ user_ids: ['u1', 'u2', 'ghost'] }, { user_ids: ['u2'], should_remove: true }],
    }, null);
    expect(changed.status).toBe(201);
    expect(server.cohorts.members('mixpanel', '7')).toEqual(['u1']);
    expect(server.users.get('ghost')).toBeUndefined();
    await post(server, `${base}/cohorts`, { ...auth, cohort_id: '7', name: 'Email openers', created_at: '2026-01-01T00:00:00Z' }, null);
    expect(server.cohorts.cohortInfo('mixpanel', '7')).toMatchObject({ name: 'Email openers', names: ['Openers', 'Email openers'] });
    expect(server.stats()).toMatchObject({ cohortIdsApplied: 3, cohortIdsIgnored: 1 });
    expect(JSON.stringify(server.requests())).not.toContain(DEFAULT_PARTNER.clientSecret);
  });

  test('401 for a bad partner key or client secret; 400 for a bad body, unknown cohort or more than 1 000 ids', async () => {
    const cohort = { cohort_id: 1, name: 'c', created_at: '2026-01-01T00:00:00Z' };
    expect((await post(server, `${base}/cohorts`, { ...auth, partner_api_key: 'bad', ...cohort }, null)).body.message).toBe('Invalid partner key');
    expect((await post(server, `${base}/cohorts`, { ...auth, client_secret: 'bad', ...cohort }, null)).status).toBe(401);
    expect((await post(server, `/partners/other/cohorts`, { ...auth, ...cohort }, null)).status).toBe(401);
    expect((await post(server, `${base}/cohorts`, { ...auth, ...cohort, name: '' }, null)).status).toBe(400);
    expect((await post(server, `${base}/cohorts`, { ...auth, ...cohort, created_at: 'yesterday' }, null)).status).toBe(400);
    expect((await post(server, `${base}/cohorts/users`, { ...auth, cohort_id: 1, cohort_changes: [] }, null)).status).toBe(400);
    expect((await post(server, `${base}/cohorts`, { ...auth, ...cohort }, null)).status).toBe(201);
    const ids = Array.from({ length: 1001 }, (_, i) => `id${i}`);
    expect((await post(server, `${base}/cohorts/users`, { ...auth, cohort_id: 1, cohort_changes: [{ user_ids: ids }] }, null)).status).toBe(400);
    expect((await post(server, `${base}/cohorts/users`, { ...auth, cohort_id: 1, cohort_changes: [{ user_ids: ids.slice(1) }] }, null)).status).toBe(201);
    expect((await post(server, `${base}/cohorts/users`, { ...auth, cohort_id: 1, cohort_changes: [{ user_ids: 'u1' }] }, null)).status).toBe(400);
  });
});

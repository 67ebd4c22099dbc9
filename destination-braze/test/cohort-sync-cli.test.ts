/**
 * destination-braze end to end: the CLI, fed transcripts of source-mixpanel-cohorts output, against the local
 * Braze-compatible server over loopback. What Braze holds after each sync is read back from the server.
 */
import fs from 'fs';
import path from 'path';
import type { LocalBraze } from '../../local-services/braze/server';
import { transcript, userIds } from './support/cohort-transcripts';
import { ATTRIBUTE, CANARY_API_KEY, CANARY_CLIENT_SECRET, CANARY_PARTNER_KEY, assertNoLeak, configFor, membership, runWrite, startBraze, tempDir } from './support/braze-cli';

const USERS = userIds('canary-user-', 12);
const [a, b, c, d, e, f] = USERS;

describe('destination-braze CLI against the local Braze server', () => {
  let braze: LocalBraze;
  beforeAll(async () => {
    braze = await startBraze(USERS);
  });
  afterAll(async () => {
    await braze?.close();
  });
  beforeEach(() => {
    braze.users.clear();
    braze.seedUsers(USERS);
    braze.resetLog();
  });

  // Requests that write something (the credentials probe at the start of every write sends an object without attributes).
  const tracks = () => braze.requests().filter((r) => r.path === '/users/track' && JSON.stringify(r.body).includes(ATTRIBUTE));
  const written = () => tracks().flatMap((r) => ((r.body as { attributes?: Array<Record<string, any>> })?.attributes ?? []));

  test('first sync, changes (join, leave, rename, new and deleted cohort), then an identical sync that writes nothing', async () => {
    const store = tempDir('store');
    const config = configFor(braze, store);
    const first = await runWrite(config, transcript([
      { id: 1, name: 'Email openers', members: [a, b, null, c] },
      { id: 2, name: 'Buyers', members: [b, d] },
      { id: 3, name: 'Churn risk', members: [e] },
    ]));
    expect(first.code).toBe(0);
    expect(membership(braze)).toEqual({ [a]: ['Email openers'], [b]: ['Buyers', 'Email openers'], [c]: ['Email openers'], [d]: ['Buyers'], [e]: ['Churn risk'] });
    expect(first.summary!.total).toMatchObject({ members: 7, added: 6, unchanged: 0, skipped: 1, rejected: 0, removed: 0 });
    for (const o of written()) expect(o._update_existing_only).toBe(true);
    // Every input STATE comes back, in order, unchanged but for destinationStats.
    const input = transcript([{ id: 1, name: 'Email openers', members: [a, b, null, c] }, { id: 2, name: 'Buyers', members: [b, d] }, { id: 3, name: 'Churn risk', members: [e] }])
      .filter((m: any) => m.type === 'STATE') as any[];
    expect(first.states.map((s) => s.state.stream)).toEqual(input.map((s) => s.state.stream));
    expect(first.states.reduce((n, s) => n + s.state.destinationStats.recordCount, 0)).toBe(3 + 7 + 3);

    braze.resetLog();
    const second = await runWrite(config, transcript([
      { id: 1, name: 'Email openers', members: [b, c, f] }, // a left, f joined
      { id: 2, name: 'Big buyers', members: [b, d] }, // renamed
      { id: 3, name: 'Churn risk', members: [], reason: 'deleted' }, // gone from Mixpanel
      { id: 4, name: 'New cohort', members: [a] },
    ], { round: 'r2' }));
    expect(second.code).toBe(0);
    expect(membership(braze)).toEqual({ [a]: ['New cohort'], [b]: ['Big buyers', 'Email openers'], [c]: ['Email openers'], [d]: ['Big buyers'], [f]: ['Email openers'] });
    const rows = Object.fromEntries(second.summary!.cohorts.map((r: any) => [r.cohortId, r]));
    expect(rows[1]).toMatchObject({ members: 3, added: 1, removed: 1, unchanged: 2 });
    expect(rows[2]).toMatchObject({ members: 2, added: 2, removed: 2, unchanged: 0 });
    expect(rows[3]).toMatchObject({ members: 0, removed: 1 });
    expect(rows[4]).toMatchObject({ members: 1, added: 1 });
    // Only deltas: one add or remove per (user, value), nobody else written.
    const ops = written().flatMap((o) => [...(o[ATTRIBUTE].add ?? []).map((v: string) => `${o.external_id}+${v}`), ...(o[ATTRIBUTE].remove ?? []).map((v: string) => `${o.external_id}-${v}`)]);
    expect(ops.sort()).toEqual([`${a}+New cohort`, `${a}-Email openers`, `${b}+Big buyers`, `${b}-Buyers`, `${d}+Big buyers`, `${d}-Buyers`, `${e}-Churn risk`, `${f}+Email openers`].sort());

    braze.resetLog();
    const third = await runWrite(config, transcript([
      { id: 1, name: 'Email openers', members: [b, c, f] },
      { id: 2, name: 'Big buyers', members: [b, d] },
      { id: 4, name: 'New cohort', members: [a] },
    ], { round: 'r3' }));
    expect(third.code).toBe(0);
    expect(tracks()).toHaveLength(0);
    expect(third.summary!.total).toMatchObject({ members: 6, added: 0, removed: 0, unchanged: 6 });
    for (const run of [first, second, third]) assertNoLeak(run, [CANARY_API_KEY, ...USERS]);
  });

  test('partner mode: the same diffs through the partner cohort endpoints', async () => {
    const store = tempDir('store');
    const config = configFor(braze, store, { mode: 'partner', partner_api_key: CANARY_PARTNER_KEY, client_secret: CANARY_CLIENT_SECRET });
    const first = await runWrite(config, transcript([{ id: 7, name: 'Openers', members: [a, b, c] }]));
    expect(first.code).toBe(0);
    expect(braze.cohorts.members('mixpanel', 7).sort()).toEqual([a, b, c]);
    const second = await runWrite(config, transcript([{ id: 7, name: 'Openers renamed', members: [b, c, d] }], { round: 'r2' }));
    expect(second.code).toBe(0);
    expect(braze.cohorts.members('mixpanel', 7).sort()).toEqual([b, c, d]);
    expect(braze.cohorts.cohortInfo('mixpanel', 7)?.name).toBe('Openers renamed');
    // A rename moves nobody in partner mode (membership is keyed by cohort id): one add, one removal.
    expect(second.summary!.total).toMatchObject({ added: 1, removed: 1, unchanged: 2 });
    for (const run of [first, second]) assertNoLeak(run, [CANARY_API_KEY, CANARY_PARTNER_KEY, CANARY_CLIENT_SECRET, ...USERS]);
  });

  test('a 401 is a config_error: no state echoed, exit non-zero, nothing recorded', async () => {
    const store = tempDir('store');
    const run = await runWrite(configFor(braze, store, { api_key: 'canary-wrong-key-33aa01' }), transcript([{ id: 1, name: 'A', members: [a, b] }]));
    expect(run.code).not.toBe(0);
    expect(run.states).toHaveLength(0); // the credentials are probed before anything is read
    const error = run.messages.find((m) => m.type === 'TRACE' && m.trace.type === 'ERROR');
    expect(error?.trace.error.failure_type).toBe('config_error');
    expect(fs.existsSync(path.join(store, 'cohorts', '1', 'snapshot.ids'))).toBe(false);
    assertNoLeak(run, ['canary-wrong-key-33aa01', ...USERS]);
  });

  test('a 401 in the middle of a sync (a revoked key): config_error, and no STATE after the failed write', async () => {
    const store = tempDir('store');
    // The probe passes; the first write is refused.
    braze.injectFaults([{ type: 'delay', ms: 0 }, { type: 'status', status: 401, body: { message: 'Invalid API key: canary-revoked' } }]);
    const lines = transcript([{ id: 1, name: 'A', members: [a, b] }, { id: 2, name: 'B', members: [c] }], { pageSize: 1 });
    const run = await runWrite(configFor(braze, store), lines);
    expect(run.code).not.toBe(0);
    expect(run.messages.find((m) => m.type === 'TRACE' && m.trace.type === 'ERROR')?.trace.error.failure_type).toBe('config_error');
    // Only the cohort list's STATE (no write before it) may come back.
    expect(run.states.map((s) => s.state.stream.stream_descriptor.name)).toEqual(run.states.length ? ['cohorts'] : []);
    assertNoLeak(run, [CANARY_API_KEY, ...USERS]);
  });

  test('429, 5xx, resets and partial (minor) errors: retried or rejected with a reason, counts add up', async () => {
    const store = tempDir('store');
    braze.injectFaults([
      { type: 'status', status: 429, headers: { 'X-RateLimit-Reset': String(Math.ceil(Date.now() / 1000)) } },
      { type: 'status', status: 503 },
      { type: 'reset' },
      { type: 'minor', indexes: [0], message: 'canary minor problem' },
    ]);
    const run = await runWrite(configFor(braze, store), transcript([{ id: 1, name: 'A', members: [a, b, c] }], { pageSize: 10 }));
    expect(run.code).toBe(0);
    const t = run.summary!.total;
    expect(t.members).toBe(t.added + t.unchanged + t.skipped + t.rejected);
    expect(t.rejected).toBe(1);
    expect(Object.keys(run.summary!.brazeRejections).join(' ')).toMatch(/minor problem/);
    expect(Object.keys(membership(braze))).toHaveLength(2);
    expect(run.states.at(-1)!.state.destinationStats).toBeDefined();
    // The rejected member is left out of the snapshot, so the next sync tries the add again.
    braze.resetLog();
    const again = await runWrite(configFor(braze, store), transcript([{ id: 1, name: 'A', members: [a, b, c] }], { round: 'r2' }));
    expect(again.summary!.total).toMatchObject({ added: 1, unchanged: 2 });
    expect(Object.keys(membership(braze))).toHaveLength(3);
  });

  test('bad input: other streams, no cohort_id, a count mismatch, a long name, LOG/TRACE lines; nothing lost', async () => {
    const store = tempDir('store');
    const long = 'L'.repeat(300);
    await runWrite(configFor(braze, store), transcript([{ id: 1, name: 'A', members: [a, b] }]));
    const lines = transcript([
      { id: 1, name: 'A', members: [b], memberCount: 5 }, // disagrees: no removal of a
      { id: 2, name: long, members: [c] },
    ], { round: 'r2', extra: [
      { type: 'RECORD', record: { stream: 'users', data: { id: 1 }, emitted_at: 1 } },
      { type: 'RECORD', record: { stream: 'cohort_members', data: { distinct_id: 'x', user_id: d, snapshot_id: 's' }, emitted_at: 1 } },
      { type: 'LOG', log: { level: 'INFO', message: 'from the source' } },
      { type: 'TRACE', trace: { type: 'STREAM_STATUS', emitted_at: 1, stream_status: { stream_descriptor: { name: 'cohorts' }, status: 'COMPLETE' } } },
      { type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: 'cohorts' }, stream_state: { end: true } } } },
    ] });
    const run = await runWrite(configFor(braze, store), lines);
    expect(run.code).toBe(0);
    expect(membership(braze)[a]).toEqual(['A']); // not removed
    expect(membership(braze)[c]).toEqual(['L'.repeat(255)]);
    expect(run.summary!.rejectedRecords).toEqual({ not_a_cohort_stream: 1, missing_cohort_id: 1 });
    expect(run.summary!.warnings).toMatchObject({ member_count_mismatch: 1, cohort_name_cut_to_255_characters: 1 });
    expect(run.states.at(-1)!.state.destinationStats).toEqual({ recordCount: 2, rejectedRecordCount: 2 });
    const logs = run.messages.filter((m) => m.type === 'LOG').map((m) => m.log.message).join('\n');
    expect(logs).toMatch(/says 5 members but 1 member records arrived; no removals/);
    expect(logs).toMatch(/not_a_cohort_stream/);
    assertNoLeak(run, USERS);
  });

  test('array limit: users in more cohorts than the workspace keeps are counted and warned about (no ids logged)', async () => {
    const store = tempDir('store');
    const run = await runWrite(configFor(braze, store, { array_limit: 2 }), transcript([
      { id: 1, name: 'A', members: [a, b] },
      { id: 2, name: 'B', members: [a, b] },
      { id: 3, name: 'C', members: [a] },
    ]));
    expect(run.code).toBe(0);
    expect(run.summary!.warnings).toEqual({ users_in_more_cohorts_than_array_limit: 1 });
    const logs = run.messages.filter((m) => m.type === 'LOG').map((m) => m.log.message).join('\n');
    expect(logs).toMatch(/1 users are in more than 2 of the 3 cohorts/);
    assertNoLeak(run, USERS);
    // Within the limit: no warning.
    const within = await runWrite(configFor(braze, tempDir('store'), { array_limit: 3 }), transcript([{ id: 1, name: 'A', members: [a] }, { id: 2, name: 'B', members: [a] }]));
    expect(within.summary!.warnings).toEqual({});
  });

  test('a corrupt store refuses removals and says how to rebuild', async () => {
    const store = tempDir('store');
    await runWrite(configFor(braze, store), transcript([{ id: 1, name: 'A', members: [a, b] }]));
    fs.writeFileSync(path.join(store, 'cohorts', '1', 'snapshot.ids'), 'not gzip');
    const run = await runWrite(configFor(braze, store), transcript([{ id: 1, name: 'A', members: [b, c] }], { round: 'r2' }));
    expect(run.code).toBe(0);
    expect(membership(braze)).toEqual({ [a]: ['A'], [b]: ['A'], [c]: ['A'] });
    const logs = run.messages.filter((m) => m.type === 'LOG').map((m) => m.log.message).join('\n');
    expect(logs).toMatch(/Removals for this cohort are refused\. To rebuild it, delete cohorts\/1\//);
  });

  test('Singer target: bare state lines after the writes, logs on stderr', async () => {
    const store = tempDir('store');
    const singer = [
      { type: 'SCHEMA', stream: 'cohort_members', schema: { type: 'object' }, key_properties: ['cohort_id', 'distinct_id'] },
      ...transcript([{ id: 5, name: 'S', members: [a, b] }]).map((m: any) => m.type === 'RECORD'
        ? { type: 'RECORD', stream: m.record.stream, record: m.record.data }
        : { type: 'STATE', value: { bookmarks: { [m.state.stream.stream_descriptor.name]: m.state.stream.stream_state } } }),
    ];
    const run = await runWrite(configFor(braze, store), singer, 'target-braze');
    expect(run.code).toBe(0);
    const out = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(3);
    expect(out[0]).toEqual({ bookmarks: { cohorts: { round: 'r1' } } });
    expect(membership(braze)).toEqual({ [a]: ['S'], [b]: ['S'] });
    expect(run.stderr).toMatch(/members 2 = added 2/);
    assertNoLeak(run, [CANARY_API_KEY, ...USERS]);
  });
});

/**
 * The query budget, back-off and every bad answer Mixpanel can give, in process with a fake clock (waits of
 * minutes and hours pass instantly, and the server's budget runs on the same clock).
 */
import type { MixpanelServer } from '../../local-services/mixpanel/server';
import { FakeClock, configFor, profiles, readInProcess, startServer, stateMap } from './support/harness';

let server: MixpanelServer;
afterEach(async () => server?.close());

const PAGE = 10;
const seedOne = (n: number, id = 7, name = 'Churn risk') => {
  server.query.setProfiles(profiles(n));
  server.query.defineCohort({ id, name, members: profiles(n).map((p) => p.distinct_id) });
};
const engage = () => server.query.requests().filter((r) => r.endpoint === 'engage');

describe('query budget', () => {
  it('paces to queries_per_hour with a token bucket, and logs progress with the wait for the next page', async () => {
    const clock = new FakeClock();
    server = await startServer({ pageSize: PAGE, now: clock.now });
    seedOne(95);
    const start = clock.now();
    const { out, error } = await readInProcess(configFor(server, { queries_per_hour: 50 }), { clock });
    expect(error).toBeUndefined();
    // 11 queries (list + 10 pages); a burst of 5, then one every 72 s.
    expect(server.query.queriesCounted()).toBe(11);
    expect(clock.now() - start).toBeGreaterThanOrEqual(6 * 72_000 - 1000);
    expect(clock.now() - start).toBeLessThan(8 * 72_000);
    expect(out.logs('INFO').some((l) => /^cohort 'Churn risk' \d+ of 95 members, next page in \d+ s \(query budget\)$/.test(l))).toBe(true);
    expect(out.records('cohort_members')).toHaveLength(95);
  });

  it('a big cohort announces hours at the start', async () => {
    const clock = new FakeClock();
    server = await startServer({ now: clock.now });
    server.query.defineSyntheticCohort({ id: 9, name: 'Everyone', size: 48_000, profileAt: (i) => ({ distinct_id: `u${i}`, properties: {} }) });
    const { out } = await readInProcess(configFor(server, { queries_per_hour: 50, cohorts: ['Everyone'] }), { clock, catalog: undefined });
    // 49 queries; the list took one of the 5 burst tokens, so 45 wait 72 s each.
    expect(out.logs('INFO')).toContain("cohort 'Everyone' (id 9): about 48 000 members; about 49 queries, which at 50 queries/hour take about 54 min.");
    expect(out.records('cohort_snapshots')[0].member_count).toBe(48_000);
  }, 30_000);

  it('a cohort of a million members says it takes hours', async () => {
    const clock = new FakeClock();
    server = await startServer({ now: clock.now });
    server.query.defineSyntheticCohort({ id: 10, name: 'Huge', size: 1_000_000, profileAt: (i) => ({ distinct_id: `u${i}`, properties: {} }) });
    server.query.injectFaults([{ type: 'query_error', endpoint: 'engage' }]); // stop after the announcement
    // 1 001 queries, 4 burst tokens left after the list: 997 × 72 s.
    const { out } = await readInProcess(configFor(server, { queries_per_hour: 50 }), { clock });
    expect(out.logs('INFO')).toContain("cohort 'Huge' (id 10): about 1 000 000 members; about 1 001 queries, which at 50 queries/hour take about 19 h 56 min. A big cohort: progress is logged and every page is checkpointed, so an interrupted sync resumes.");
  });

  it('Mixpanel\'s budget met mid-cohort (429, shared with others): the run waits and continues to a complete snapshot', async () => {
    const clock = new FakeClock();
    server = await startServer({ pageSize: PAGE, now: clock.now, queriesPerHour: 6 });
    seedOne(95);
    const { out, error } = await readInProcess(configFor(server), { clock });
    expect(error).toBeUndefined();
    expect(out.records('cohort_members')).toHaveLength(95);
    expect(out.records('cohort_snapshots')[0].member_count).toBe(95);
    const waits = out.logs('WARN').filter((l) => l.includes('429'));
    expect(waits.length).toBeGreaterThan(0);
    expect(waits[0]).toMatch(/^cohort 'Churn risk' page \d+: Mixpanel answered 429 \(Query rate limit exceeded for project_id 1: .*\) \(query budget of the project used up; it is shared with everything else that queries it\); retrying in \d+ s \(attempt 2\)\.$/);
    // 11 queries at 6 per hour need at least one hour of (fake) waiting.
    expect(clock.now() - Date.UTC(2026, 11, 6, 2, 0, 0)).toBeGreaterThanOrEqual(3_600_000);
    // Back-off without Retry-After: 30 s doubling, capped at 300 s, ±20 % jitter.
    const backoffs = clock.sleeps.filter((ms) => ms >= 20_000);
    expect(Math.max(...backoffs)).toBeLessThanOrEqual(360_000);
    expect(backoffs[0]).toBeGreaterThanOrEqual(24_000);
    expect(backoffs[0]).toBeLessThanOrEqual(36_000);
  });

  it('honours Retry-After even below 30 s, and never has more than max_concurrent_queries in flight', async () => {
    const clock = new FakeClock();
    server = await startServer({ pageSize: PAGE, now: clock.now });
    seedOne(95);
    server.query.injectFaults([{ type: 'status', status: 429, retryAfter: 3, endpoint: 'engage', page: 4 }]);
    const { out, error } = await readInProcess(configFor(server, { max_concurrent_queries: 2 }), { clock });
    expect(error).toBeUndefined();
    expect(clock.sleeps.filter((ms) => ms >= 3000 && ms <= 3300)).toHaveLength(1);
    expect(clock.sleeps.some((ms) => ms >= 20_000)).toBe(false);
    expect(server.query.peakConcurrent).toBeLessThanOrEqual(2);
    expect(ids(out)).toHaveLength(95);
  });

  it('5xx: backs off 30 s, 60 s, … and continues; the page is re-asked with the same session', async () => {
    const clock = new FakeClock();
    server = await startServer({ pageSize: PAGE, now: clock.now });
    seedOne(35);
    server.query.injectFaults([{ type: 'status', status: 503, endpoint: 'engage', page: 2, times: 3 }]);
    const { out, error } = await readInProcess(configFor(server, { max_concurrent_queries: 1 }), { clock });
    expect(error).toBeUndefined();
    const big = clock.sleeps.filter((ms) => ms >= 20_000);
    expect(big).toHaveLength(3);
    [30_000, 60_000, 120_000].forEach((base, i) => { expect(big[i]).toBeGreaterThanOrEqual(base * 0.8); expect(big[i]).toBeLessThanOrEqual(base * 1.2); });
    const page2 = engage().filter((r) => r.form.page === '2');
    expect(page2).toHaveLength(4);
    expect(new Set(page2.map((r) => r.form.session_id)).size).toBe(1);
    expect(ids(out)).toHaveLength(35);
    expect(out.logs('WARN')[0]).toMatch(/^cohort 'Churn risk' page 2: Mixpanel answered 503; retrying in \d+ s \(attempt 2\)\.$/);
  });

  it('gives up after max_retry_seconds with a transient error; the last state resumes', async () => {
    const clock = new FakeClock();
    server = await startServer({ pageSize: PAGE, now: clock.now });
    seedOne(35);
    server.query.injectFaults([{ type: 'status', status: 500, endpoint: 'engage', page: 2, times: 50 }]);
    const { out, error } = await readInProcess(configFor(server, { max_concurrent_queries: 1, max_retry_seconds: 600 }), { clock });
    expect((error as any).failureType).toBe('transient_error');
    expect(error!.message).toMatch(/^Mixpanel kept failing for cohort 'Churn risk' page 2 \(Mixpanel answered 500\) for \d+ min over \d+ attempts; the sync stops here and the next sync resumes from the last state\.$/);
    expect(out.records('cohort_snapshots')).toEqual([]);
    const state = out.lastState();
    expect((state!.current as any).next_page).toBe(2);
  });
});

const ids = (out: { records(s: string): Array<Record<string, unknown>> }) => out.records('cohort_members').map((r) => r.distinct_id);

describe('bad answers and refusals', () => {
  const cases: Array<[string, Parameters<MixpanelServer['query']['injectFaults']>[0][number], RegExp]> = [
    ['an HTML error page', { type: 'html', status: 502, endpoint: 'engage', page: 1 }, /Mixpanel answered 502 with an HTML error page/],
    ['a truncated body', { type: 'truncated', endpoint: 'engage', page: 1 }, /Mixpanel's answer is not complete JSON \(\d+ bytes; truncated or malformed\)/],
    ['a dropped connection', { type: 'reset', endpoint: 'engage', page: 1 }, /connection failed \(ECONNRESET\)/],
    ['200 with "status": "error"', { type: 'status_error', endpoint: 'engage', page: 1 }, /Mixpanel answered 200 with "status": "error" \(Internal error while running the query, please retry\)/],
  ];
  it.each(cases)('%s: retried, nothing lost, said clearly', async (_name, fault, message) => {
    const clock = new FakeClock();
    server = await startServer({ pageSize: PAGE, now: clock.now });
    seedOne(25);
    server.query.injectFaults([fault]);
    const { out, error } = await readInProcess(configFor(server, { max_concurrent_queries: 1 }), { clock });
    expect(error).toBeUndefined();
    expect(out.logs('WARN').some((l) => message.test(l))).toBe(true);
    expect(ids(out)).toEqual(profiles(25).map((p) => p.distinct_id));
    expect(out.records('cohort_snapshots')[0].member_count).toBe(25);
  });

  it('a 400 about the query: that cohort gets no snapshot, the others go on, the run fails naming it', async () => {
    server = await startServer({ pageSize: PAGE });
    seedOne(25);
    server.query.defineCohort({ id: 8, name: 'Fine', members: ['user-1'] });
    server.query.injectFaults([{ type: 'query_error', message: 'Invalid cohort definition: unsupported filter', endpoint: 'engage', page: 0 }]);
    const { out, error } = await readInProcess(configFor(server));
    expect(error!.message).toBe("1 cohort(s) could not be read this round: cohort 'Churn risk' (id 7): Invalid cohort definition: unsupported filter. The other cohorts' snapshots are complete; the next sync tries again.");
    expect(out.records('cohort_snapshots').map((s) => s.cohort_id)).toEqual([8]);
    expect(out.lastState()).toMatchObject({ failed: [7], finished: [8], round_complete: true });
    expect(out.emitted.filter((e) => e.kind === 'status' && e.status === 'COMPLETE').map((e: any) => e.stream)).toEqual(['cohorts']);
  });

  it('a cohort deleted between listing and paging: an empty snapshot (reason deleted), said clearly, the others go on', async () => {
    server = await startServer({ pageSize: PAGE });
    seedOne(25);
    server.query.defineCohort({ id: 8, name: 'Fine', members: ['user-1'] });
    server.query.injectFaults([{ type: 'delete_cohort', cohortId: 7, endpoint: 'engage', page: 1 }]);
    const { out, error } = await readInProcess(configFor(server));
    expect(error).toBeUndefined();
    expect(out.logs('WARN')).toContain("cohort 'Churn risk' (id 7) was deleted in Mixpanel while its members were being read (page 1): it gets an empty snapshot (reason deleted) instead.");
    const snaps = out.records('cohort_snapshots');
    expect(snaps.map((s) => [s.cohort_id, s.member_count, s.reason])).toEqual([[7, 0, 'deleted'], [8, 1, null]]);
    expect(snaps[0].snapshot_id).not.toBe(out.records('cohort_members')[0].snapshot_id);
  });

  it('session expiry mid-cohort: the cohort restarts cleanly with a new snapshot_id, logged', async () => {
    server = await startServer({ pageSize: PAGE });
    seedOne(35);
    server.query.injectFaults([{ type: 'expire_sessions', endpoint: 'engage', page: 2 }]);
    const { out, error } = await readInProcess(configFor(server, { max_concurrent_queries: 1 }));
    expect(error).toBeUndefined();
    const warn = out.logs('WARN').find((l) => l.includes('no longer accepts the paging session'))!;
    expect(warn).toMatch(/^cohort 'Churn risk' \(id 7\): Mixpanel no longer accepts the paging session at page 2 \("session_id .* is invalid or has expired: repeat the query without session_id and page"\); restarting the cohort from its first page with a new snapshot_id [0-9a-f-]{36} \(the 20 members read under snapshot [0-9a-f-]{36} get no snapshot record\)\.$/);
    const snap = out.records('cohort_snapshots')[0];
    const newSnapshotMembers = out.records('cohort_members').filter((m) => m.snapshot_id === snap.snapshot_id);
    expect(newSnapshotMembers.map((m) => m.distinct_id)).toEqual(profiles(35).map((p) => p.distinct_id));
    expect(snap.member_count).toBe(35);
    expect(warn).toContain(snap.snapshot_id as string);
  });

  it('resuming with a session Mixpanel has forgotten restarts that cohort with a new snapshot_id', async () => {
    server = await startServer({ pageSize: PAGE });
    seedOne(35);
    const first = await readInProcess(configFor(server));
    const mid = first.out.states('cohort_members').find((s) => (s.current as any)?.next_page === 2)!;
    server.query.expireSessions();
    const resumed = await readInProcess(configFor(server), { state: stateMap(mid) });
    expect(resumed.error).toBeUndefined();
    const snap = resumed.out.records('cohort_snapshots')[0];
    expect(snap.snapshot_id).not.toBe((mid.current as any).snapshot_id);
    expect(snap.member_count).toBe(35);
    expect(resumed.out.logs('WARN').some((l) => l.includes('restarting the cohort from its first page with a new snapshot_id'))).toBe(true);
  });
});

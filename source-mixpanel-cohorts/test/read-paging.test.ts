/**
 * read, in process, against the local Mixpanel server over loopback, with a fake clock: paging, snapshots,
 * members without a user id, duplicates, empty cohorts, rounds and resume, the budget and back-off.
 */
import fs from 'fs';
import path from 'path';
import { parseStateInput } from '../../connector-kit/state';
import { applySeed, type MixpanelServer } from '../../local-services/mixpanel/server';
import { FakeClock, configFor, fullCatalog, profiles, readInProcess, startServer, stateMap } from './support/harness';

let server: MixpanelServer;
afterEach(async () => server?.close());

const PAGE = 10;
const ids = (records: Array<Record<string, unknown>>) => records.map((r) => r.distinct_id as string);

describe('paging and snapshots', () => {
  it('pages through many pages with session_id and page, one record per member, a snapshot after the last page', async () => {
    server = await startServer({ pageSize: PAGE });
    server.query.setProfiles(profiles(95));
    server.query.defineCohort({ id: 7, name: 'Churn risk', members: profiles(95).map((p) => p.distinct_id) });
    const { out, error } = await readInProcess(configFor(server));
    expect(error).toBeUndefined();
    const members = out.records('cohort_members');
    expect(ids(members)).toEqual(profiles(95).map((p) => p.distinct_id));
    expect(new Set(members.map((m) => m.snapshot_id)).size).toBe(1);
    expect(members[3]).toEqual({ cohort_id: 7, cohort_name: 'Churn risk', distinct_id: 'user-3', user_id: 'braze-user-3', properties: {}, snapshot_id: members[0].snapshot_id });
    const engage = server.query.requests().filter((r) => r.endpoint === 'engage');
    expect(engage.map((r) => r.form.page ?? '0')).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(engage[0].form.session_id).toBeUndefined();
    const session = JSON.parse(server.query.requests().find((r) => r.endpoint === 'engage')!.body!).session_id;
    expect(engage.slice(1).every((r) => r.form.session_id === session)).toBe(true);
    expect(engage[0].form).toMatchObject({ filter_by_cohort: '{"id":7}', include_all_users: 'false', output_properties: '["$braze_external_id"]' });
    const snapshots = out.records('cohort_snapshots');
    expect(snapshots).toEqual([expect.objectContaining({ cohort_id: 7, cohort_name: 'Churn risk', snapshot_id: members[0].snapshot_id, member_count: 95, reason: null, members_without_user_id: 0, duplicates_skipped: 0 })]);
    // A STATE after every page but the last, whose checkpoint comes with the snapshot.
    const pageStates = out.states('cohort_members').filter((s) => (s.current as any)?.cohort_id === 7);
    expect(pageStates.map((s) => (s.current as any).next_page)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(out.lastState()).toMatchObject({ finished: [7], round_complete: true, current: null });
  });

  it('a cohort that fills whole pages costs one more, empty, page; total is not used as the end', async () => {
    server = await startServer({ pageSize: PAGE });
    server.query.setProfiles(profiles(30));
    server.query.defineCohort({ id: 1, name: 'Thirty', members: profiles(30).map((p) => p.distinct_id) });
    const { out } = await readInProcess(configFor(server));
    expect(server.query.requests().filter((r) => r.endpoint === 'engage')).toHaveLength(4);
    expect(out.records('cohort_snapshots')[0].member_count).toBe(30);
  });

  it('an empty cohort is still a complete snapshot with 0 members', async () => {
    server = await startServer();
    server.query.defineCohort({ id: 3, name: 'Nobody', members: [] });
    const { out, error } = await readInProcess(configFor(server));
    expect(error).toBeUndefined();
    expect(out.records('cohort_members')).toEqual([]);
    expect(out.records('cohort_snapshots')).toEqual([expect.objectContaining({ cohort_id: 3, member_count: 0, reason: null })]);
  });

  it('members without the user id property are emitted with user_id null and counted', async () => {
    server = await startServer();
    server.query.setProfiles([{ distinct_id: 'a', properties: { $braze_external_id: 'A' } }, { distinct_id: 'b', properties: { $email: 'b@x' } }, { distinct_id: 'c', properties: { $braze_external_id: 42 } }, { distinct_id: 'd', properties: { $braze_external_id: '' } }]);
    server.query.defineCohort({ id: 1, name: 'Mixed', members: ['a', 'b', 'c', 'd'] });
    const { out } = await readInProcess(configFor(server, { output_properties: ['$email'] }));
    expect(out.records('cohort_members').map((m) => [m.distinct_id, m.user_id, m.properties])).toEqual([['a', 'A', {}], ['b', null, { $email: 'b@x' }], ['c', '42', {}], ['d', null, {}]]);
    expect(out.records('cohort_snapshots')[0]).toMatchObject({ member_count: 4, members_without_user_id: 2 });
    expect(out.logs('INFO').some((l) => l.includes("cohort 'Mixed' (id 1): snapshot complete, 4 members, 2 without $braze_external_id (user_id null)"))).toBe(true);
  });

  it('$distinct_id as the user id property: include_all_users=true, members without a profile included', async () => {
    server = await startServer();
    server.query.setProfiles([{ distinct_id: 'a', properties: {} }]);
    server.query.defineCohort({ id: 1, name: 'All', members: ['a', 'no-profile'] });
    const { out } = await readInProcess(configFor(server, { user_id_property: '$distinct_id' }));
    expect(out.records('cohort_members').map((m) => [m.distinct_id, m.user_id])).toEqual([['a', 'a'], ['no-profile', 'no-profile']]);
    expect(server.query.requests().find((r) => r.endpoint === 'engage')!.form).toMatchObject({ include_all_users: 'true', output_properties: '[]' });
  });

  it('duplicate distinct ids across pages are emitted once and counted', async () => {
    server = await startServer({ pageSize: 3 });
    server.query.setProfiles(profiles(5));
    server.query.defineCohort({ id: 1, name: 'Dupes', members: ['user-0', 'user-1', 'user-2', 'user-1', 'user-3', 'user-0', 'user-4'] });
    const { out } = await readInProcess(configFor(server));
    expect(ids(out.records('cohort_members'))).toEqual(['user-0', 'user-1', 'user-2', 'user-3', 'user-4']);
    expect(out.records('cohort_snapshots')[0]).toMatchObject({ member_count: 5, duplicates_skipped: 2 });
  });

  it('selects cohorts by id and name mixed (ids as JSON integers too); unset = every visible cohort', async () => {
    server = await startServer();
    server.query.defineCohort({ id: 1, name: 'Visible', members: [] });
    server.query.defineCohort({ id: 2, name: 'Hidden', is_visible: 0, members: [] });
    server.query.defineCohort({ id: 3, name: 'Third', members: [] });
    const all = await readInProcess(configFor(server));
    expect(all.out.records('cohort_snapshots').map((s) => s.cohort_id)).toEqual([1, 3]);
    expect(all.out.records('cohorts').map((c) => [c.id, c.is_visible])).toEqual([[1, 1], [2, 0], [3, 1]]);
    const mixed = await readInProcess(configFor(server, { cohorts: [2, 'Third'] }));
    expect(mixed.error).toBeUndefined();
    expect(mixed.out.records('cohort_snapshots').map((s) => s.cohort_id)).toEqual([2, 3]);
  });

  it('a configured cohort that does not exist stops the read with the closest names, before any paging', async () => {
    server = await startServer();
    server.query.defineCohort({ id: 1, name: 'Churn risk', members: [] });
    server.query.defineCohort({ id: 2, name: 'Churned', members: [] });
    const { out, error } = await readInProcess(configFor(server, { cohorts: ['Chrun risk'] }));
    expect(error?.message).toBe('cohorts: no cohort is named "Chrun risk"; closest names: "Churn risk", "Churned".');
    expect((error as any).failureType).toBe('config_error');
    expect(server.query.requests().filter((r) => r.endpoint === 'engage')).toHaveLength(0);
    expect(out.records('cohort_snapshots')).toEqual([]);
  });
});

describe('rounds and resume', () => {
  const seed = () => {
    server.query.setProfiles(profiles(50));
    server.query.defineCohort({ id: 1, name: 'First', members: profiles(25).map((p) => p.distinct_id) });
    server.query.defineCohort({ id: 2, name: 'Second', members: profiles(50).map((p) => p.distinct_id).slice(25) });
  };

  it('a state taken mid-cohort continues at the next page with the same session and snapshot; member_count covers the whole snapshot', async () => {
    server = await startServer({ pageSize: PAGE });
    seed();
    const first = await readInProcess(configFor(server));
    const all = first.out.emitted;
    // The state after page 2 of cohort 2 (a mid-round, mid-cohort checkpoint).
    const cut = all.findIndex((e) => e.kind === 'state' && (e.state.current as any)?.cohort_id === 2 && (e.state.current as any).next_page === 2);
    const state = (all[cut] as any).state;
    const before = all.slice(0, cut).filter((e) => e.kind === 'record' && e.stream === 'cohort_members').map((e: any) => e.data.distinct_id);
    const requestsBefore = server.query.requests().length;
    const resumed = await readInProcess(configFor(server), { state: stateMap(state) });
    expect(resumed.error).toBeUndefined();
    const engage = server.query.requests().slice(requestsBefore).filter((r) => r.endpoint === 'engage');
    expect(engage.map((r) => [r.form.page, r.form.session_id])).toEqual([['2', state.current.session_id]]);
    const after = ids(resumed.out.records('cohort_members'));
    expect([...before, ...after]).toEqual(profiles(50).map((p) => p.distinct_id));
    expect(resumed.out.records('cohort_members').every((m) => m.snapshot_id === state.current.snapshot_id)).toBe(true);
    expect(resumed.out.records('cohort_snapshots')).toEqual([expect.objectContaining({ cohort_id: 2, snapshot_id: state.current.snapshot_id, member_count: 25 })]);
  });

  it('a state from a finished round starts a new round: new snapshot_id for every cohort', async () => {
    server = await startServer({ pageSize: PAGE });
    seed();
    const first = await readInProcess(configFor(server));
    const second = await readInProcess(configFor(server), { state: stateMap(first.out.lastState()) });
    const a = first.out.records('cohort_snapshots').map((s) => s.snapshot_id);
    const b = second.out.records('cohort_snapshots').map((s) => s.snapshot_id);
    expect(b).toHaveLength(2);
    expect(b.filter((id) => a.includes(id))).toEqual([]);
    expect(second.out.lastState()!.round_id).not.toBe(first.out.lastState()!.round_id);
    expect(second.out.lastState()!.previous_round_cohorts).toEqual([{ id: 1, name: 'First' }, { id: 2, name: 'Second' }]);
  });

  it('cohorts of the previous round that are deleted or deselected get an empty snapshot with the reason', async () => {
    server = await startServer({ pageSize: PAGE });
    seed();
    server.query.defineCohort({ id: 3, name: 'Third', members: [] });
    const first = await readInProcess(configFor(server));
    server.query.deleteCohort(2);
    const second = await readInProcess(configFor(server, { cohorts: ['First'] }), { state: stateMap(first.out.lastState()) });
    expect(second.error).toBeUndefined();
    const snaps = second.out.records('cohort_snapshots').map((s) => [s.cohort_id, s.cohort_name, s.member_count, s.reason]);
    expect(snaps).toEqual([[2, 'Second', 0, 'deleted'], [3, 'Third', 0, 'deselected'], [1, 'First', 25, null]]);
  });

  it('the acceptance fixture sample_state.json (mid-round, cohort 101 finished) reads only cohort 102', async () => {
    server = await startServer();
    applySeed(server.query, JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'integration_tests', 'seed.json'), 'utf8')));
    const sample = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'integration_tests', 'sample_state.json'), 'utf8'));
    const { out, error } = await readInProcess(configFor(server, { cohorts: ['Churn risk', 'Power users'] }), { state: parseStateInput(sample) });
    expect(error).toBeUndefined();
    expect(out.records('cohort_snapshots').map((s) => [s.cohort_id, s.member_count])).toEqual([[102, 2]]);
    expect(out.lastState()).toMatchObject({ round_id: sample[0].stream.stream_state.round_id, finished: [101, 102], round_complete: true });
  });

  it('a state this source did not write is refused with a clear message', async () => {
    server = await startServer();
    const { error } = await readInProcess(configFor(server), { state: stateMap({ cursor: 'x' }) });
    expect(error?.message).toMatch(/not one this source wrote/);
  });
});

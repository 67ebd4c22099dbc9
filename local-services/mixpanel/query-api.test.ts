/**
 * The local Query API on the one local Mixpanel server: auth, regions, paging with sessions, the per-project
 * budget on a test clock, faults, and answers that conform to query.openapi.yaml. /import keeps working beside it.
 */
import axios from 'axios';
import { queryOpenApiPath, responseProblems } from './query-openapi';
import { startMixpanelServer, syntheticProfile, type MixpanelServer } from './server';

let server: MixpanelServer;
afterEach(async () => server?.close());

const SA = { username: 'local-service-account', password: 'local-service-secret' };
const post = (path: string, form: Record<string, string> = {}, auth: { username: string; password: string } = SA, query = 'project_id=1') =>
  axios.post(`${server.url}/api/query/${path}?${query}`, new URLSearchParams(form).toString(), {
    auth, validateStatus: () => true, responseType: 'text', transformResponse: [(d) => d], headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
const json = (r: { data: string }) => JSON.parse(r.data);

describe('local Mixpanel Query API', () => {
  it('serves /import and /api/query/* from one server', async () => {
    server = await startMixpanelServer();
    server.query.defineCohort({ id: 1, name: 'A', members: [] });
    const list = await post('cohorts/list');
    expect(list.status).toBe(200);
    const imported = await axios.post(`${server.url}/import?strict=1&project_id=1`, [{ event: 'e', properties: { time: Date.now(), distinct_id: 'd', $insert_id: 'i1' } }], { auth: SA, validateStatus: () => true });
    expect(imported.status).toBe(200);
    expect(server.import.events()).toHaveLength(1);
  });

  it('authenticates service accounts (project_id required) and project secrets; refuses others as Mixpanel does', async () => {
    server = await startMixpanelServer({ query: { projects: [{ id: '1', apiSecret: 's1' }, { id: '2', apiSecret: 's2' }, { id: '3', region: 'EU' }] } });
    expect((await post('cohorts/list')).status).toBe(200);
    expect((await post('cohorts/list', {}, { username: 's1', password: '' })).status).toBe(200);
    expect((await post('cohorts/list', {}, { username: 's1', password: '' }, '')).status).toBe(200);
    expect(json(await post('cohorts/list', {}, { username: 's1', password: '' }, 'project_id=2'))).toEqual({ error: 'project_id 2 does not match the project of this API secret', status: 'error' });
    expect((await post('cohorts/list', {}, { username: 'nope', password: '' })).status).toBe(401);
    expect((await post('cohorts/list', {}, SA, '')).status).toBe(400);
    expect((await post('cohorts/list', {}, SA, 'project_id=2')).status).toBe(403);
  });

  it('impersonates one region: a project of another region is refused with the host to use', async () => {
    server = await startMixpanelServer({ query: { region: 'EU', projects: [{ id: '1', region: 'US' }], serviceAccounts: [{ username: 'u', secret: 's', projects: ['1'] }] } });
    const r = await post('cohorts/list', {}, { username: 'u', password: 's' });
    expect([r.status, json(r).error]).toEqual([400, 'Project 1 has data residency in US; send its API requests to mixpanel.com instead of eu.mixpanel.com']);
    server.query.region = 'US';
    expect((await post('cohorts/list', {}, { username: 'u', password: 's' })).status).toBe(200);
  });

  it('pages with session_id: page 0 opens a session, later pages need it, past the end is empty, expiry on demand', async () => {
    server = await startMixpanelServer({ query: { pageSize: 2 } });
    server.query.setProfiles([{ distinct_id: 'a', properties: { x: 1, y: 2 } }, { distinct_id: 'b', properties: { x: 3 } }, { distinct_id: 'c' }]);
    server.query.defineCohort({ id: 5, name: 'C', members: ['a', 'b', 'c', 'no-profile'] });
    const cohort = { filter_by_cohort: '{"id":5}', include_all_users: 'false', output_properties: '["x"]' };
    const first = json(await post('engage', cohort));
    expect(first).toMatchObject({ page: 0, page_size: 2, status: 'ok', total: 2, results: [{ $distinct_id: 'a', $properties: { x: 1 } }, { $distinct_id: 'b', $properties: { x: 3 } }] });
    const second = json(await post('engage', { ...cohort, session_id: first.session_id, page: '1' }));
    expect(second.results).toEqual([{ $distinct_id: 'c', $properties: {} }]);
    expect(json(await post('engage', { ...cohort, session_id: first.session_id, page: '7' })).results).toEqual([]);
    expect((await post('engage', { ...cohort, page: '1' })).status).toBe(400);
    const all = json(await post('engage', { filter_by_cohort: '{"id":5}' }));
    expect(all.results.map((r: any) => r.$distinct_id)).toEqual(['a', 'b']);
    server.query.expireSessions();
    const expired = await post('engage', { ...cohort, session_id: first.session_id, page: '1' });
    expect([expired.status, json(expired).error]).toEqual([400, `session_id ${first.session_id} is invalid or has expired: repeat the query without session_id and page`]);
    expect(json(await post('engage', { filter_by_cohort: '{"id":99}' })).error).toBe('cohort 99 not found in project 1');
  });

  it('a per-project budget on the test clock: 429 beyond the hourly limit (refused queries do not count), free again an hour later', async () => {
    let now = 0;
    server = await startMixpanelServer({ query: { queriesPerHour: 3, now: () => now, budgetRetryAfter: true } });
    for (let i = 0; i < 3; i++) expect((await post('cohorts/list')).status).toBe(200);
    const refused = await post('cohorts/list');
    expect(refused.status).toBe(429);
    expect(json(refused).error).toBe('Query rate limit exceeded for project_id 1: 0/5 queries running concurrently and 3/3 queries running in the last hour');
    expect(refused.headers['retry-after']).toBe('3600');
    now += 3_600_001;
    expect((await post('cohorts/list')).status).toBe(200);
    expect(server.query.queriesCounted()).toBe(1);
  });

  it('at most maxConcurrent queries in flight per project', async () => {
    server = await startMixpanelServer({ query: { maxConcurrent: 2 } });
    server.query.injectFaults([{ type: 'delay', ms: 300, times: 2 }]);
    const statuses = await Promise.all([post('cohorts/list'), post('cohorts/list'), new Promise((r) => setTimeout(r, 100)).then(() => post('cohorts/list'))]);
    expect(statuses.map((s) => s.status).sort()).toEqual([200, 200, 429]);
  });

  it('faults on demand: status with Retry-After, HTML page, truncated body, 200 with status error, 400 about the query', async () => {
    server = await startMixpanelServer();
    server.query.defineCohort({ id: 1, name: 'A', members: [] });
    server.query.injectFaults([
      { type: 'status', status: 429, retryAfter: 7 }, { type: 'html' }, { type: 'truncated', endpoint: 'cohorts/list' },
      { type: 'status_error' }, { type: 'query_error', message: 'bad where' },
    ]);
    const a = await post('cohorts/list');
    expect([a.status, a.headers['retry-after']]).toEqual([429, '7']);
    const b = await post('cohorts/list');
    expect([b.status, b.headers['content-type']]).toEqual([502, 'text/html']);
    const truncated = (await post('cohorts/list')).data;
    expect(() => JSON.parse(truncated)).toThrow();
    expect(json(await post('cohorts/list')).status).toBe('error');
    expect(json(await post('cohorts/list'))).toEqual({ error: 'bad where', status: 'error' });
    expect((await post('cohorts/list')).status).toBe(200);
  });

  (queryOpenApiPath() ? it : it.skip)('its answers conform to query.openapi.yaml (cohorts/list, engage on explicit and synthetic cohorts)', async () => {
    server = await startMixpanelServer();
    server.query.setProfiles([{ distinct_id: 'a', properties: { $email: 'a@x' } }]);
    server.query.defineCohort({ id: 1, name: 'A', description: 'd', is_visible: 0, members: ['a', 42] });
    server.query.defineSyntheticCohort({ id: 2, name: 'S', size: 1500, profileAt: syntheticProfile });
    expect(responseProblems('cohorts/list', (await post('cohorts/list')).data)).toEqual([]);
    for (const form of [{ filter_by_cohort: '{"id":1}' }, { filter_by_cohort: '{"id":2}', output_properties: '["$braze_external_id"]' }] as Array<Record<string, string>>) {
      expect(responseProblems('engage', (await post('engage', form)).data)).toEqual([]);
    }
    // The checker is not blind: a wrongly typed answer is caught.
    expect(responseProblems('cohorts/list', '[{"id":"1","name":2}]').length).toBeGreaterThan(0);
    expect(responseProblems('engage', '{"page":"0","results":{}}').length).toBeGreaterThan(0);
  });
});

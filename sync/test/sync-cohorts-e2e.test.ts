/**
 * The sync runner on the loop back: `bin/sync` with a Mixpanel cohorts → Braze config, against the local
 * Mixpanel-compatible server (Query API) and the local Braze-compatible server, over loopback. A first sync adds
 * every member's cohort to `mixpanel_cohorts`, a second identical one writes nothing, changes (a join, a leave, a
 * rename, a deleted cohort) write exactly those changes, and no user is ever created. The state file works as for
 * Currents: a finished round starts a new one next time.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { startLocalBraze, type LocalBraze } from '../../local-services/braze/server';
import { startMixpanelServer, type MixpanelServer } from '../../local-services/mixpanel/server';
import { runCli } from '../../test-support/run-cli';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sync-cohorts-'));
const BRAZE_KEY = 'braze-rest-key-Zx81QvT';
const SA_SECRET = 'mp-sa-secret-Lm20PkW';
let mixpanel: MixpanelServer;
let braze: LocalBraze;

const members = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `user-${from + i}`);

beforeAll(async () => {
  mixpanel = await startMixpanelServer({ query: { queriesPerHour: 100_000, serviceAccounts: [{ username: 'sa.1.mp', secret: SA_SECRET, projects: ['1'] }] } });
  // Profiles carry the Braze external id; user-4 has none (skipped), user-0..9 exist in Braze, user-10 does not.
  mixpanel.query.setProfiles(Array.from({ length: 11 }, (_, i) => ({ distinct_id: `user-${i}`, properties: i === 4 ? {} : { $braze_external_id: `ext-${i}` } })));
  mixpanel.query.defineCohort({ id: 1, name: 'Opened an email', is_visible: 1, members: members(0, 6) });
  mixpanel.query.defineCohort({ id: 2, name: 'Bought twice', is_visible: 1, members: ['user-7', 'user-8', 'user-10'] });
  braze = await startLocalBraze({ apiKeys: [{ key: BRAZE_KEY, permissions: ['users.track'] }], users: Array.from({ length: 10 }, (_, i) => `ext-${i}`) });
});
afterAll(async () => {
  await mixpanel.close();
  await braze.close();
  fs.rmSync(work, { recursive: true, force: true });
});

function writeConfig(): string {
  const file = path.join(work, 'cohorts.json');
  fs.writeFileSync(file, JSON.stringify({
    source: {
      connector: 'source-mixpanel-cohorts',
      credentials: { auth_type: 'service_account', username: 'sa.1.mp', secret: SA_SECRET, project_id: '1' },
      api_host: mixpanel.url,
      queries_per_hour: 100_000,
    },
    destination: { connector: 'destination-braze', rest_endpoint: braze.url, api_key: BRAZE_KEY, membership_store: { type: 'local', path: path.join(work, 'store') } },
    state_file: 'cohort-state.json',
  }));
  return file;
}

async function sync(): Promise<{ stdout: string; stderr: string }> {
  const result = await runCli('sync', ['--config', writeConfig()], { timeoutMs: 60_000 });
  expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
  for (const secret of [BRAZE_KEY, SA_SECRET]) expect(result.stdout + result.stderr).not.toContain(secret);
  // Member and Braze ids are personal data: never in the runner's output.
  expect(result.stdout + result.stderr).not.toMatch(/\b(user|ext)-\d+\b/);
  return result;
}

const cohortsOf = (id: string) => braze.users.array(id, 'mixpanel_cohorts');

describe('sync runner: Mixpanel cohorts → Braze', () => {
  it('first sync: every member with a Braze id gets the cohort, nobody is created, the table adds up', async () => {
    const { stdout } = await sync();
    expect(braze.users.holdersOf('mixpanel_cohorts', 'Opened an email').sort()).toEqual(['ext-0', 'ext-1', 'ext-2', 'ext-3', 'ext-5']);
    expect(braze.users.holdersOf('mixpanel_cohorts', 'Bought twice').sort()).toEqual(['ext-7', 'ext-8']);
    expect(braze.stats().usersCreated).toBe(0); // ext-10 does not exist in Braze and was not created
    expect(stdout).toMatch(/Opened an email/);
    expect(stdout).toMatch(/Bought twice/);
    expect(fs.existsSync(path.join(work, 'cohort-state.json'))).toBe(true);
  });

  it('a second identical sync writes nothing (only the credentials probe, which carries no attribute)', async () => {
    braze.resetLog();
    const dataPointsBefore = braze.stats().dataPoints;
    await sync();
    const objects = braze.requests().flatMap((r) => (r.body as { attributes?: Array<Record<string, unknown>> })?.attributes ?? []);
    expect(objects.filter((o) => 'mixpanel_cohorts' in o)).toEqual([]);
    expect(braze.stats().dataPoints).toBe(dataPointsBefore);
  });

  it('joins, leaves, a rename and a deleted cohort write exactly those changes', async () => {
    mixpanel.query.defineCohort({ id: 1, name: 'Opened an email (30 days)', is_visible: 1, members: ['user-0', 'user-1', 'user-9'] });
    mixpanel.query.deleteCohort(2);
    braze.resetLog();
    await sync();
    expect(braze.users.holdersOf('mixpanel_cohorts', 'Opened an email')).toEqual([]);
    expect(braze.users.holdersOf('mixpanel_cohorts', 'Opened an email (30 days)').sort()).toEqual(['ext-0', 'ext-1', 'ext-9']);
    expect(braze.users.holdersOf('mixpanel_cohorts', 'Bought twice')).toEqual([]);
    for (const id of ['ext-2', 'ext-3', 'ext-5', 'ext-7', 'ext-8']) expect(cohortsOf(id)).toEqual([]);
    expect(cohortsOf('ext-6')).toEqual([]); // never a member: never written
    const written = new Set(braze.requests().flatMap((r) => ((r.body as { attributes?: Array<{ external_id: string }> })?.attributes ?? []).map((a) => a.external_id)));
    expect(written.has('ext-6')).toBe(false);
    expect(written.has('ext-4')).toBe(false);
  });
});

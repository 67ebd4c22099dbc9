/**
 * The sync runner end to end: a generated Currents export on disk → bin/sync → our Mixpanel-compatible
 * receiver on loopback. Checks the accounting, the state file, re-runs, a kill mid-run, bad credentials.
 */
import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { startMixpanelReceiver, DEFAULT_CREDENTIALS, type MixpanelReceiver } from '../../local-services/mixpanel/import-api';
import { REPO_ROOT, runCli, runNodeScript } from '../../test-support/run-cli';
import { generateSampleExport } from '../../tools/sample-export';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sync-e2e-'));
const exportDir = path.join(work, 'export');
const NOW = Math.floor(Date.now() / 3_600_000) * 3_600_000;
let receiver: MixpanelReceiver;

beforeAll(async () => {
  await generateSampleExport({
    out: exportDir, totalEvents: 6000, eventsPerFile: 300, seed: 'sync-e2e', now: NOW, hours: 4,
    types: ['users.messages.email.Open', 'users.behaviors.CustomEvent', 'users.behaviors.Purchase', 'users.messages.email.Retry'],
    invalidPropertiesFraction: 0.02,
  });
  receiver = await startMixpanelReceiver({});
});
afterAll(() => receiver.close());

function writeConfig(dir: string, destination: Record<string, unknown> = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'sync.json');
  fs.writeFileSync(file, JSON.stringify({
    source: { storage: { type: 'local', path: exportDir }, prefix: 'currents' },
    destination: {
      credentials: { auth_type: 'api_secret', api_secret: DEFAULT_CREDENTIALS.apiSecrets[0] },
      project_token: DEFAULT_CREDENTIALS.projectTokens[0],
      api_host: receiver.url,
      retry_base_ms: 20,
      ...destination,
    },
  }));
  return file;
}

function totals(stdout: string) {
  const m = /Received (\d+) = sent (\d+) \+ rejected (\d+) \+ skipped (\d+)/.exec(stdout);
  if (!m) throw new Error(`no totals line in:\n${stdout}`);
  const [received, sent, rejected, skipped] = m.slice(1).map(Number);
  return { received, sent, rejected, skipped };
}

const DATA_STREAMS = ['users_behaviors_customevent', 'users_behaviors_purchase', 'users_messages_email_open', 'users_messages_email_retry'];
type SavedState = { stream: { stream_descriptor: { name: string }; stream_state: { files?: Record<string, string> } } };
function readState(file: string): Map<string, { files?: Record<string, string> }> {
  if (!fs.existsSync(file)) return new Map();
  const states = JSON.parse(fs.readFileSync(file, 'utf8')) as SavedState[];
  return new Map(states.map((s) => [s.stream.stream_descriptor.name, s.stream.stream_state]));
}
/** Files of the export's data streams that the state file says were delivered. */
const filesSaved = (file: string) => DATA_STREAMS.reduce((n, s) => n + Object.keys(readState(file).get(s)?.files ?? {}).length, 0);

const uniqueIds = () => new Set(receiver.uniqueEvents().map((e) => `${e.event}|${e.properties.$insert_id}`));

describe('sync runner', () => {
  it('syncs the whole export once; the counts add up; a second run sends nothing', async () => {
    receiver.reset();
    const dir = path.join(work, 'full');
    const config = writeConfig(dir);
    const first = await runCli('sync', ['--config', config]);
    expect(first.stderr).not.toMatch(/ERROR/);
    expect(first.code).toBe(0);
    const t = totals(first.stdout);
    expect(t.received).toBe(6000);
    expect(t.received).toBe(t.sent + t.rejected + t.skipped);
    expect(t.sent).toBeGreaterThan(4000);
    expect(t.skipped).toBeGreaterThan(0); // anonymous users and users.messages.email.Retry (not exported by Braze)
    expect(first.stdout).toMatch(/^Email Open\s+\d+/m);
    expect(first.stdout).toMatch(/^\[Braze Custom Event\] /m);
    expect(first.stdout).toContain('type_not_exported_by_braze');
    expect(receiver.stats().eventsImported).toBe(t.sent);
    // One saved state per stream of the catalog; the four streams with files record what was read.
    const saved = readState(path.join(dir, '.sync-state.json'));
    expect(saved.size).toBe(100);
    for (const stream of DATA_STREAMS) expect(Object.keys(saved.get(stream)?.files ?? {}).length).toBeGreaterThan(0);
    const before = receiver.stats().eventsImported;
    const second = await runCli('sync', ['--config', config]);
    expect(second.code).toBe(0);
    expect(totals(second.stdout)).toEqual({ received: 0, sent: 0, rejected: 0, skipped: 0 });
    expect(receiver.stats().eventsImported).toBe(before);
  });

  it('a run killed mid-way resumes and ends with exactly the events of an uninterrupted run', async () => {
    receiver.reset();
    await runCli('sync', ['--config', writeConfig(path.join(work, 'reference'))]);
    const reference = uniqueIds();
    receiver.reset();
    // Slow answers keep the run going long enough to kill it after some progress was saved.
    receiver.injectFaults([{ type: 'delay', ms: 400, times: 1000 }]);
    const dir = path.join(work, 'killed');
    const config = writeConfig(dir, { concurrency: 2, batch_size: 200 });
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'sync'), '--config', config], { stdio: 'ignore' });
    const stateFile = path.join(dir, '.sync-state.json');
    const deadline = Date.now() + 30_000;
    // Kill once some data files were acknowledged (streams without files are saved at once).
    while (filesSaved(stateFile) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(filesSaved(stateFile)).toBeGreaterThan(0);
    const killedRun = uniqueIds();
    expect(killedRun.size).toBeLessThan(reference.size);
    receiver.reset(); // also drops the remaining delay faults
    const resumed = await runCli('sync', ['--config', config]);
    expect(resumed.code).toBe(0);
    expect(totals(resumed.stdout).received).toBeLessThan(6000); // it resumed from the saved state, not from scratch
    // Nothing lost: what the killed run delivered plus what the resumed run delivered is the whole export.
    expect(new Set([...killedRun, ...uniqueIds()])).toEqual(reference);
  });

  it('wrong credentials fail with a clear message, exit 1 and no secret in the output', async () => {
    const config = writeConfig(path.join(work, 'badcreds'), { credentials: { auth_type: 'api_secret', api_secret: 'wrong-secret-value-123' } });
    const r = await runCli('sync', ['--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Sync failed \(config_error\): .*credentials/);
    expect(r.stdout + r.stderr).not.toContain('wrong-secret-value-123');
  });

  it('an invalid config names the field to fix', async () => {
    const dir = path.join(work, 'typo');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'sync.json');
    fs.writeFileSync(file, JSON.stringify({ source: { storage: { type: 'local', path: exportDir }, prefx: 'currents' }, destination: { credentials: { auth_type: 'api_secret' } } }));
    const r = await runCli('sync', ['--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('config.source.prefx is not a known setting (did you mean "prefix"?)');
    expect(r.stderr).toContain('config.destination.credentials.api_secret is required');
  });
});

describe('npm start demo', () => {
  it('runs both directions: the export into the local Mixpanel server, then cohorts on those events into the local Braze server', async () => {
    const demoDir = path.join(work, 'demo');
    const r = await runNodeScript('dist/sync/src/demo.js', [], { env: { DEMO_DIR: demoDir }, timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    const t = totals(r.stdout);
    expect(t.received).toBe(20_000);
    expect(t.sent).toBeGreaterThan(10_000);
    expect(r.stdout).toContain(`Received events: ${path.join(demoDir, 'received-events.ndjson')}`);
    // Each direction's log lines, told apart by the cohort sync's state file.
    const logLines = r.stderr.split('\n').filter((l) => / (INFO|WARN|ERROR) /.test(l));
    const loopStarts = logLines.findIndex((l) => l.includes('cohort-state.json'));
    expect(loopStarts).toBeGreaterThan(0);
    // What a new user sees above the summary table fits on one screen (no per-stream lines, no record samples).
    const aboveTable = r.stdout.slice(0, r.stdout.indexOf('Mixpanel event')).split('\n').length + loopStarts;
    expect(aboveTable).toBeLessThanOrEqual(20);
    const stored = fs.readFileSync(path.join(demoDir, 'received-events.ndjson'), 'utf8').trim().split('\n');
    expect(stored.length).toBe(t.sent);
    expect(JSON.parse(stored[0])).toMatchObject({ event: expect.any(String), properties: { token: DEFAULT_CREDENTIALS.projectTokens[0], distinct_id: expect.any(String) } });

    // The loop back: every member of every cohort got it in mixpanel_cohorts, and the counts match the events.
    const opened = new Set(stored.map((l) => JSON.parse(l)).filter((e) => e.event === 'Email Open').map((e) => e.properties.distinct_id));
    const users = fs.readFileSync(path.join(demoDir, 'braze-users.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const inCohort = users.filter((u) => u.mixpanel_cohorts.includes('Opened an email')).map((u) => u.external_id);
    expect(new Set(inCohort)).toEqual(opened);
    expect(r.stdout).toMatch(/^total\s+(\d+)\s+\1\s+0\s+0\s+0\s+0$/m); // a first sync: every member added
    expect(r.stdout).toContain('0 users were created');
    expect(logLines.length - loopStarts).toBeLessThanOrEqual(20);
  });
});

/**
 * No personal data in logs (DESIGN §7): a Currents export whose every string value is a unique canary (fake
 * emails, phone numbers, names, IPs, property values; see tools/sample-export/canaries.ts) runs through every
 * failure path the suites know — invalid properties JSON, junk distinct ids, times in 2034 and 1965, 400
 * partial failures whose failed_records quote the value, 503 retries, 401, corrupt and non-Avro files,
 * unreadable input lines, generic records with bad values, killed runs — through the Airbyte CLIs piped, the
 * Singer tap | target, and the sync runner, all at debug level. No canary may appear in stderr, in a LOG or
 * TRACE message, in the destination's stdout or in the sync runner's summary. Whole records may only reach the
 * rejected-records files, which the test checks do hold canaries (so the detector is known to work).
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawn } from 'child_process';
import { DEFAULT_CREDENTIALS, startMixpanelReceiver, type Fault, type MixpanelReceiver } from '../local-services/mixpanel/import-api';
import { startPipe } from '../test-support/pipe-clis';
import { REPO_ROOT, runCli, type CliResult } from '../test-support/run-cli';
import { CANARY_PATTERN, defaultCataloguePath, generateSampleExport } from '../tools/sample-export';

const available = fs.existsSync(defaultCataloguePath());
if (!available) console.warn('privacy canary suite skipped: the Currents catalogue (../shared/reference) is absent');
const describeIf = available ? describe : describe.skip;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'privacy-canary-'));
const exportDir = path.join(work, 'export');
const NOW = Math.floor(Date.now() / 3_600_000) * 3_600_000;
const TYPES = ['users.messages.email.Open', 'users.behaviors.CustomEvent', 'users.behaviors.Purchase', 'users.messages.sms.Delivery', 'users.behaviors.app.SessionStart', 'users.messages.email.Retry'];
const DEBUG = { LOG_LEVEL: 'debug' };
let receiver: MixpanelReceiver;
let catalogFile: string;

/** The offending lines of one output: every line that holds a canary. */
function canaryLines(text: string): string[] {
  return text.split('\n').filter((line) => CANARY_PATTERN.test(line));
}

/** A source's stdout carries the records themselves; only its LOG and TRACE messages are logs. */
function logAndTraceLines(stdout: string): string {
  return stdout.split('\n').filter((l) => /^\{"type":"(LOG|TRACE)"/.test(l)).join('\n');
}

/** Every canary found, labelled by where it was (empty = no leak). */
const leaks: string[] = [];
function expectNoCanary(label: string, text: string): void {
  for (const line of canaryLines(text)) leaks.push(`${label}: ${line.slice(0, 300)}`);
}

const write = (name: string, value: unknown) => {
  const file = path.join(work, name);
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
};
const sourceConfig = (dir = exportDir, extra: Record<string, unknown> = {}) => ({ storage: { type: 'local', path: dir }, prefix: 'currents', ...extra });
const destinationConfig = (extra: Record<string, unknown> = {}) => ({
  credentials: { auth_type: 'api_secret', api_secret: DEFAULT_CREDENTIALS.apiSecrets[0] },
  project_token: DEFAULT_CREDENTIALS.projectTokens[0],
  api_host: receiver.url,
  retry_base_ms: 5,
  batch_size: 100,
  ...extra,
});

/** 400s quoting the failed event's distinct id (object and plain-string entries), a 503 retried. */
function echoingFaults(): Fault[] {
  return [
    { type: 'partial', indexes: [0, 3], field: 'properties.distinct_id', message: "'properties.distinct_id' is invalid", echoValue: true },
    { type: 'status', status: 503 },
    { type: 'partial', indexes: [1], field: 'properties.$email', message: 'rejected', echoValue: true, plainStrings: true },
    { type: 'partial', indexes: [2], field: 'properties.first_name', message: 'bad value', echoValue: true, idKey: 'none' },
  ];
}

beforeAll(async () => {
  if (!available) return;
  await generateSampleExport({
    out: exportDir, totalEvents: 1500, eventsPerFile: 200, seed: 'canary', now: NOW, hours: 3, types: TYPES,
    invalidPropertiesFraction: 0.05, junkIdFraction: 0.03, outOfRangeTimeFraction: 0.03, canaryValues: true,
  });
  receiver = await startMixpanelReceiver({});
  const discovered = await runCli('source-braze-currents', ['discover', '--config', write('source.json', sourceConfig())]);
  const catalog = JSON.parse(discovered.stdout.split('\n').find((l) => l.includes('"CATALOG"'))!).catalog;
  catalogFile = write('catalog.json', { streams: catalog.streams.map((stream: unknown) => ({ stream, sync_mode: 'incremental', destination_sync_mode: 'append' })) });
}, 60_000);
afterAll(async () => {
  await receiver?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describeIf('no personal data in logs (canary values)', () => {
  let transcript = '';

  it('the Airbyte source | destination pipe, with 400 echoes and retries', async () => {
    const rejectedFile = path.join(work, 'airbyte-rejected.ndjson');
    receiver.reset();
    receiver.injectFaults(echoingFaults());
    const run = startPipe(
      ['source-braze-currents', 'read', '--config', write('source.json', sourceConfig()), '--catalog', catalogFile],
      ['destination-mixpanel', 'write', '--config', write('destination.json', destinationConfig({ rejected_records_file: rejectedFile })), '--catalog', catalogFile],
      DEBUG,
    );
    const { first, second } = await run.done;
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(second.stdout).toContain('rejected_by_mixpanel');
    // Whole rejected records reach the file the option names, and only there.
    expect(CANARY_PATTERN.test(fs.readFileSync(rejectedFile, 'utf8'))).toBe(true);
    transcript = first.stdout;
    expect(canaryLines(transcript).length).toBeGreaterThan(100); // the records do carry canaries
    expect(second.stdout).toMatch(/rejected_by_mixpanel|time_out_of_range|invalid_distinct_id/);
    expectNoCanary('airbyte source stderr', first.stderr);
    expectNoCanary('airbyte source LOG/TRACE', logAndTraceLines(first.stdout));
    expectNoCanary('airbyte destination stderr', second.stderr);
    expectNoCanary('airbyte destination stdout', second.stdout);
  });

  it('the Singer tap | target, with 400 echoes and retries', async () => {
    receiver.reset();
    receiver.injectFaults(echoingFaults());
    const run = startPipe(
      ['tap-braze-currents', '--config', write('source.json', sourceConfig())],
      ['target-mixpanel', '--config', write('destination.json', destinationConfig())],
      DEBUG,
    );
    const { first, second } = await run.done;
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(second.stderr).toMatch(/rejected/);
    expectNoCanary('singer tap stderr', first.stderr);
    expectNoCanary('singer target stderr', second.stderr);
    expectNoCanary('singer target stdout', second.stdout);
  });

  it('the sync runner: summary and logs clean, whole rejected records only in rejected_file', async () => {
    receiver.reset();
    receiver.injectFaults(echoingFaults());
    const config = write('sync.json', { source: sourceConfig(), destination: destinationConfig(), state_file: 'sync-state.json', rejected_file: 'sync-rejected.ndjson' });
    const r = await runCli('sync', ['--config', config], { env: DEBUG });
    expect(r.code).toBe(0);
    expectNoCanary('sync stdout', r.stdout);
    expectNoCanary('sync stderr', r.stderr);
    expect(CANARY_PATTERN.test(fs.readFileSync(path.join(work, 'sync-rejected.ndjson'), 'utf8'))).toBe(true);

    const denied = await runCli('sync', ['--config', write('sync-401.json', {
      source: sourceConfig(), destination: destinationConfig({ credentials: { auth_type: 'api_secret', api_secret: 'wrong-secret-value' } }), state_file: 'sync-401-state.json',
    })], { env: DEBUG });
    expect(denied.code).toBe(1);
    expectNoCanary('sync 401', denied.stdout + denied.stderr);
  });

  it('a destination with an unreadable line, generic records with bad values, and a 401', async () => {
    const record = (stream: string, data: Record<string, unknown>) => JSON.stringify({ type: 'RECORD', record: { stream, data, emitted_at: 1 } });
    const lines = transcript.split('\n').filter((l) => l.startsWith('{"type":"RECORD"'));
    const input = [
      lines[0].slice(0, Math.floor(lines[0].length / 2)), // cut mid-record: unreadable, full of canaries
      record('crm_events', { event: 'Signup', distinct_id: 'cnry.generic1@canary.example', time: 'cnry-when', $insert_id: 'x' }), // an unparseable time string: rejected as invalid_time
      record('crm_events', { event: 'Signup', distinct_id: { email: 'cnry.generic2@canary.example' }, time: 1_700_000_000_000, id: 'evt-1' }), // ids may be named in logs,
      record('crm_events', { event: 'Signup', distinct_id: 'cnry.generic3@canary.example', time: 1_700_000_000_000, $insert_id: 'cnry/not-an-id' }),
      ...lines.slice(1, 50),
      '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"crm_events"},"stream_state":{"at":1}}}}',
    ].join('\n') + '\n';
    receiver.reset();
    const ok = await runCli('destination-mixpanel', ['write', '--config', write('destination.json', destinationConfig()), '--catalog', catalogFile], { input, env: DEBUG });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/unreadable_input_line/);
    expectNoCanary('destination (bad lines) stdout', ok.stdout);
    expectNoCanary('destination (bad lines) stderr', ok.stderr);
    const singer = await runCli('target-mixpanel', ['--config', write('destination.json', destinationConfig())], { input, env: DEBUG });
    expectNoCanary('target (bad lines) stdout', singer.stdout);
    expectNoCanary('target (bad lines) stderr', singer.stderr);

    const wrong = write('wrong.json', destinationConfig({ credentials: { auth_type: 'api_secret', api_secret: 'wrong-secret-value' } }));
    const denied = await runCli('destination-mixpanel', ['write', '--config', wrong, '--catalog', catalogFile], { input, env: DEBUG });
    expect(denied.code).not.toBe(0);
    expectNoCanary('destination 401 stdout', denied.stdout);
    expectNoCanary('destination 401 stderr', denied.stderr);
  });

  it('corrupt and non-Avro files, stopping and skipping', async () => {
    const broken = path.join(work, 'broken-export');
    fs.cpSync(exportDir, broken, { recursive: true });
    const files = listFiles(broken).filter((f) => f.endsWith('.avro'));
    const victim = files[Math.floor(files.length / 2)];
    const bytes = fs.readFileSync(victim);
    fs.writeFileSync(victim, bytes.subarray(0, Math.floor(bytes.length * 0.6))); // cut mid-record
    fs.writeFileSync(path.join(path.dirname(files[0]), 'notes.avro'), 'name,email\nCnry Person,cnry.csv@canary.example\n');
    for (const skip of [false, true]) {
      const r = await runCli('source-braze-currents', ['read', '--config', write('broken.json', sourceConfig(broken, { skip_corrupt_files: skip })), '--catalog', catalogFile], { env: DEBUG });
      expect(r.code).toBe(skip ? 0 : 1);
      expectNoCanary(`corrupt read (skip=${skip}) stderr`, r.stderr);
      expectNoCanary(`corrupt read (skip=${skip}) LOG/TRACE`, logAndTraceLines(r.stdout));
    }
    const config = write('broken-sync.json', { source: sourceConfig(broken), destination: destinationConfig(), state_file: 'broken-state.json', rejected_file: 'broken-rejected.ndjson' });
    receiver.reset();
    const r = await runCli('sync', ['--config', config], { env: DEBUG });
    expect(r.code).toBe(1);
    expectNoCanary('corrupt sync stdout', r.stdout);
    expectNoCanary('corrupt sync stderr', r.stderr);
  });

  it('killed runs: the sync runner and the destination of a pipe', async () => {
    receiver.reset();
    receiver.injectFaults([{ type: 'delay', ms: 150, times: 1000 }]);
    const config = write('killed-sync.json', { source: sourceConfig(), destination: destinationConfig(), state_file: 'killed-state.json', rejected_file: 'killed-rejected.ndjson' });
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'sync'), '--config', config], { env: { ...process.env, ...DEBUG } });
    const killedSync = collectUntilKilled(child, () => receiver.stats().requests >= 3);
    expectNoCanary('killed sync', await killedSync);

    receiver.reset();
    receiver.injectFaults([{ type: 'delay', ms: 150, times: 1000 }]);
    const run = startPipe(
      ['source-braze-currents', 'read', '--config', write('source.json', sourceConfig()), '--catalog', catalogFile],
      ['destination-mixpanel', 'write', '--config', write('destination.json', destinationConfig()), '--catalog', catalogFile],
      DEBUG,
    );
    await waitFor(() => receiver.stats().requests >= 3);
    run.second.kill('SIGKILL');
    const { first, second } = await run.done;
    expectNoCanary('killed pipe: source stderr', first.stderr);
    expectNoCanary('killed pipe: source LOG/TRACE', logAndTraceLines(first.stdout));
    expectNoCanary('killed pipe: destination', second.stdout + second.stderr);
    receiver.reset();
  });

  it('found no canary anywhere', () => {
    expect(leaks).toEqual([]);
  });
});

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the run to make progress');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Everything the child printed, once `ready()` held and it was killed. */
async function collectUntilKilled(child: ReturnType<typeof spawn>, ready: () => boolean): Promise<string> {
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => chunks.push(d));
  child.stderr!.on('data', (d: Buffer) => chunks.push(d));
  const exited = new Promise<CliResult['code']>((r) => child.on('close', r));
  await waitFor(ready);
  child.kill('SIGKILL');
  await exited;
  return Buffer.concat(chunks).toString('utf8');
}

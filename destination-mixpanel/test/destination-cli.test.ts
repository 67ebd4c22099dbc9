/**
 * End-to-end: bin/destination-mixpanel and bin/target-mixpanel (compiled dist/) against the local
 * Mixpanel-compatible receiver on loopback, fed with replayable transcripts. Every Airbyte stdout line is
 * validated against the protocol YAML; no run may print a secret.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { runCli, writeTempJson, type CliResult } from '../../test-support/run-cli';
import { parseAirbyteOutput } from '../../test-support/protocol-validator';
import { startMixpanelReceiver, type MixpanelReceiver } from '../../local-services/mixpanel/import-api';

const TRANSCRIPTS = path.join(__dirname, 'transcripts');
const SECRETS = { apiSecret: 'apisecret-7Qx9Lw2Zr', saSecret: 'sasecret-Vb3Nd8Kp1', token: 'projtoken-Hc5Tg6Ym4' };
const SA = { username: 'etl-robot.1234.mp-service-account', secret: SECRETS.saSecret, projectId: '4242' };
const SA_CREDENTIALS = { auth_type: 'service_account', username: SA.username, secret: SA.secret, project_id: SA.projectId };

let receiver: MixpanelReceiver;
let dir: string;
const catalogFile = () => writeTempJson('catalog.json', { streams: [] }, dir);

beforeAll(async () => {
  receiver = await startMixpanelReceiver({ credentials: { apiSecrets: [SECRETS.apiSecret], serviceAccounts: [SA], projectTokens: [SECRETS.token] } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dest-mixpanel-'));
});
afterAll(async () => {
  await receiver.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => receiver.reset());

function config(extra: Record<string, unknown> = {}): string {
  return writeTempJson(`config-${Math.random().toString(36).slice(2)}.json`, {
    credentials: { auth_type: 'api_secret', api_secret: SECRETS.apiSecret },
    project_token: SECRETS.token,
    api_host: receiver.url,
    retry_base_ms: 5,
    ...extra,
  }, dir);
}

async function write(cfg: string, input: string | { file: string }): Promise<CliResult & { messages: Array<Record<string, any>> }> {
  const result = await runCli('destination-mixpanel', ['write', '--config', cfg, '--catalog', catalogFile()], { input, timeoutMs: 90_000 });
  assertNoSecrets(result);
  return { ...result, messages: parseAirbyteOutput(result.stdout) };
}

function assertNoSecrets(result: CliResult): void {
  for (const secret of Object.values(SECRETS)) {
    expect(result.stdout).not.toContain(secret);
    expect(result.stderr).not.toContain(secret);
  }
}

const states = (messages: Array<Record<string, any>>) => messages.filter((m) => m.type === 'STATE').map((m) => m.state);
const accounting = (messages: Array<Record<string, any>>) => {
  const trace = messages.find((m) => m.type === 'TRACE' && m.trace.type === 'ANALYTICS' && m.trace.analytics.type === 'mixpanel_destination_accounting');
  return trace ? JSON.parse(trace.trace.analytics.value) : undefined;
};
const errors = (messages: Array<Record<string, any>>) => messages.filter((m) => m.type === 'TRACE' && m.trace.type === 'ERROR').map((m) => m.trace.error);

function inputStates(transcript: string): Array<Record<string, unknown>> {
  return transcript.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((m) => m.type === 'STATE').map((m) => m.state);
}
const withoutStats = (s: Record<string, unknown>) => {
  const { destinationStats: _d, ...rest } = s;
  return rest;
};

/** A custom-event Currents record; `i` makes id and time unique. */
function customEvent(i: number, stream = 'users_behaviors_customevent'): string {
  const data = {
    id: `3c0ffee0-0000-4000-8000-${String(i).padStart(12, '0')}`,
    user_id: `65a1b2c3d4e5f6a7b8c9${String(i % 10000).padStart(4, '0')}`,
    external_user_id: `user-${i % 97}`,
    time: Math.floor(Date.now() / 1000) - 86_400 + (i % 3600),
    app_id: 'a1b2c3d4-0000-4000-8000-00000000000a',
    name: 'Level Up',
    properties: JSON.stringify({ level: i % 50, mode: i % 2 ? 'hard' : 'easy' }),
    platform: 'ios',
    device_model: 'iPhone 15',
    os_version: 'iOS 17.4',
    _event_type: 'users.behaviors.CustomEvent',
    _source_key: `currents/dataexport.prod-01.S3.integration.x/event_type=users.behaviors.CustomEvent/date=2026-01-01-00/1/z/f+0+${Math.floor(i / 500)}.avro`,
  };
  return JSON.stringify({ type: 'RECORD', record: { stream, data, emitted_at: 1767225600000 } });
}

function streamState(n: number, stream = 'users_behaviors_customevent'): string {
  return JSON.stringify({ type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state: { checkpoint: n } } } });
}

/** `count` records with a STATE after every `stateEvery` records (and one at the end). */
function bigTranscript(count: number, stateEvery: number): string {
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; i < count; i++) {
    lines.push(customEvent(i));
    if ((i + 1) % stateEvery === 0) lines.push(streamState(++n));
  }
  if (count % stateEvery !== 0) lines.push(streamState(++n));
  return lines.join('\n') + '\n';
}

describe('destination-mixpanel write (Airbyte)', () => {
  test('small transcript: imports, skips, rejects, echoes every state in order with per-state stats', async () => {
    const file = path.join(TRANSCRIPTS, 'currents-small.jsonl');
    const { code, messages } = await write(config(), { file });
    expect(code).toBe(0);
    const out = states(messages);
    const expected = inputStates(fs.readFileSync(file, 'utf8'));
    expect(out.map(withoutStats)).toEqual(expected);
    expect(out.map((s) => s.destinationStats)).toEqual([
      { recordCount: 0, rejectedRecordCount: 0 }, // nothing before it: echoed at once
      { recordCount: 3, rejectedRecordCount: 0 },
      { recordCount: 5, rejectedRecordCount: 2 }, // 1 skipped (no external_user_id), 2 rejected (junk id, 2034 time)
      { recordCount: 0, rejectedRecordCount: 0 },
    ]);
    const acc = accounting(messages);
    expect(acc).toMatchObject({ received: 8, imported: 5, rejected: 2, skipped: 1, complete: true });
    expect(acc.rejectedByReason.invalid_distinct_id.count).toBe(1);
    expect(acc.rejectedByReason.time_out_of_range.count).toBe(1);
    expect(acc.skippedByReason.no_external_user_id.count).toBe(1);
    expect(acc.byEvent['Email Open']).toEqual({ imported: 3, rejected: 0, skipped: 0 });
    expect(acc.byEvent['[Braze Custom Event] Level Up']).toEqual({ imported: 1, rejected: 2, skipped: 0 });
    expect(acc.byEvent.users_behaviors_customevent).toEqual({ imported: 0, rejected: 0, skipped: 1 });
    expect(receiver.uniqueEvents()).toHaveLength(5);
    // Sent with the right auth, gzip and strict mode; the token travels inside events only.
    const req = receiver.requests()[0];
    expect(req.authKind).toBe('api_secret');
    expect(req.query.strict).toBe('1');
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(receiver.uniqueEvents().every((e) => e.properties.token === SECRETS.token)).toBe(true);
  });

  test('replaying the same transcript creates no new unique events ($insert_id dedupe)', async () => {
    const file = path.join(TRANSCRIPTS, 'currents-small.jsonl');
    expect((await write(config(), { file })).code).toBe(0);
    const first = receiver.uniqueEvents().length;
    expect((await write(config(), { file })).code).toBe(0);
    expect(receiver.events()).toHaveLength(2 * first);
    expect(receiver.uniqueEvents()).toHaveLength(first);
  });

  test('service-account auth sends project_id; project-token auth works', async () => {
    const file = path.join(TRANSCRIPTS, 'currents-small.jsonl');
    const sa = await write(config({ credentials: SA_CREDENTIALS }), { file });
    expect(sa.code).toBe(0);
    expect(receiver.requests().every((r) => r.authKind === 'service_account' && r.query.project_id === '4242')).toBe(true);
    receiver.reset();
    const tok = await write(config({ credentials: { auth_type: 'project_token' } }), { file });
    expect(tok.code).toBe(0);
    expect(receiver.requests().every((r) => r.authKind === 'project_token')).toBe(true);
    expect(receiver.uniqueEvents()).toHaveLength(5);
  });

  test('under concurrency with injected faults every state comes back in order and the accounting holds', async () => {
    const transcript = bigTranscript(6000, 137);
    receiver.injectFaults([
      { type: 'status', status: 429, retryAfter: 1 },
      { type: 'status', status: 429 },
      { type: 'status', status: 500 },
      { type: 'reset' },
      { type: 'partial', indexes: [0, 3], idKey: 'insert_id' },
      { type: 'status', status: 502 },
      { type: 'status', status: 413 },
      { type: 'partial', indexes: [5], idKey: '$insert_id' },
      { type: 'delay', ms: 1500 }, // longer than the 1 s timeout: retried, and the late copy is stored too
      { type: 'status', status: 503 },
      { type: 'partial', indexes: [1, 2], idKey: 'none' },
    ]);
    const { code, messages, stdout } = await write(config({ batch_size: 97, concurrency: 6, request_timeout_seconds: 1 }), transcript);
    expect(code).toBe(0);
    expect(receiver.requests().filter((r) => r.fault).map((r) => r.fault)).toEqual(['status', 'status', 'status', 'reset', 'partial', 'status', 'status', 'partial', 'delay', 'status', 'partial']);
    const out = states(messages);
    expect(out.map(withoutStats)).toEqual(inputStates(transcript));
    expect(out.reduce((n, s) => n + s.destinationStats.recordCount, 0)).toBe(6000);
    const rejected = out.reduce((n, s) => n + s.destinationStats.rejectedRecordCount, 0);
    expect(rejected).toBe(5);
    const acc = accounting(messages);
    expect(acc).toMatchObject({ received: 6000, imported: 5995, rejected: 5, skipped: 0 });
    expect(acc.rejectedByReason.rejected_by_mixpanel.count).toBe(5);
    expect(acc.rejectedByReason.rejected_by_mixpanel.samples[0].detail).toContain('injected failure');
    expect(receiver.uniqueEvents()).toHaveLength(5995);
    // The 413 was answered by splitting: two requests of about half a batch each.
    expect(receiver.requests().some((r) => r.status === 200 && r.eventCount !== undefined && r.eventCount < 97 && r.eventCount >= 48)).toBe(true);
    expect(stdout).toContain('retry');
  });

  test('a plain-string 400 for the whole batch rejects every record of it with the message', async () => {
    receiver.injectFaults([{ type: 'partial', indexes: 'all', plainStrings: true, message: 'identity events are not allowed when project is using simplified identity management' }]);
    // One request at a time, so the fault (which hits the first request to arrive) hits the first batch: with two
    // in flight the second one sometimes arrived first.
    const { code, messages } = await write(config({ batch_size: 3, concurrency: 1 }), { file: path.join(TRANSCRIPTS, 'currents-small.jsonl') });
    expect(code).toBe(0);
    const acc = accounting(messages);
    expect(acc).toMatchObject({ received: 8, imported: 2, rejected: 5, skipped: 1 });
    expect(acc.rejectedByReason.rejected_by_mixpanel.samples[0].detail).toContain('simplified identity');
    expect(states(messages)[1].destinationStats).toEqual({ recordCount: 3, rejectedRecordCount: 3 });
  });

  test('401: config_error, non-zero exit, no state echoed after the failure, accounting says what was not confirmed', async () => {
    const transcript = bigTranscript(500, 100);
    const { code, messages } = await write(config({ credentials: { auth_type: 'api_secret', api_secret: 'wrong-secret-value' } }), transcript);
    expect(code).not.toBe(0);
    expect(states(messages)).toHaveLength(0);
    const [error] = errors(messages);
    expect(error.failure_type).toBe('config_error');
    expect(error.message).toMatch(/Mixpanel rejected the credentials \(HTTP 401: Invalid credentials\): check/);
    expect(accounting(messages)).toMatchObject({ complete: false, imported: 0 });
  });

  test('outage beyond the retry budget: transient_error, non-zero exit, no state past the last acknowledged record', async () => {
    receiver.injectFaults([{ type: 'delay', ms: 0 }, { type: 'status', status: 503, times: 10_000 }]);
    const transcript = bigTranscript(300, 100);
    const { code, messages } = await write(config({ batch_size: 100, concurrency: 1, max_retry_seconds: 1 }), transcript);
    expect(code).not.toBe(0);
    const out = states(messages);
    expect(out).toHaveLength(1);
    expect(out[0].stream.stream_state).toEqual({ checkpoint: 1 });
    expect(out[0].destinationStats).toEqual({ recordCount: 100, rejectedRecordCount: 0 });
    const [error] = errors(messages);
    expect(error.failure_type).toBe('transient_error');
    expect(error.message).toMatch(/retry budget of 1 s/);
    expect(receiver.uniqueEvents()).toHaveLength(100);
  });

  test('a slow source still gets its states back: a half-full batch is flushed after flush_interval_seconds', async () => {
    // stdin stays open after the first record+state; the state must come back before input ends.
    const { spawn } = await import('child_process');
    const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'destination-mixpanel'), 'write', '--config', config({ flush_interval_seconds: 1 }), '--catalog', catalogFile()]);
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    try {
      child.stdin.write(customEvent(1) + '\n' + streamState(1) + '\n');
      // The half-full batch is sent although input continues…
      await receiver.waitForImported(1, 10_000);
      // …and the state comes back on stdout while the source is still quiet.
      const started = Date.now();
      while (!stdout.includes('"checkpoint":1') && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50));
      expect(stdout).toContain('"checkpoint":1');
      child.stdin.end();
      const code = await new Promise((r) => child.on('close', r));
      expect(code).toBe(0);
    } finally {
      child.kill();
    }
    parseAirbyteOutput(stdout);
  });
});

describe('destination-mixpanel at Mixpanel\'s rate limit', () => {
  test('a receiver admitting 6000 events/s: throttled batches are paced and resent, every event arrives once, every state is echoed', async () => {
    const limited = await startMixpanelReceiver({ rateLimit: 6000, credentials: { apiSecrets: [SECRETS.apiSecret], projectTokens: [SECRETS.token] } });
    try {
      const transcript = bigTranscript(24_000, 1000);
      const cfg = config({ api_host: limited.url, batch_size: 500, retry_base_ms: 200 });
      const { code, messages, stderr } = await write(cfg, transcript);
      expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
      const throttled = limited.requests().filter((r) => r.throttled).length;
      expect(throttled).toBeGreaterThan(0); // the limit was really met
      expect(new Set(limited.uniqueEvents().map((e) => e.properties.$insert_id)).size).toBe(24_000);
      expect(states(messages).map(withoutStats)).toEqual(inputStates(transcript));
      expect(accounting(messages)).toMatchObject({ received: 24_000, imported: 24_000, rejected: 0, skipped: 0, complete: true });
    } finally {
      await limited.close();
    }
  });
});

describe('target-mixpanel (Singer)', () => {
  test('stdout holds only the bare state values, in order, after their records', async () => {
    const file = path.join(TRANSCRIPTS, 'currents-small.singer');
    const result = await runCli('target-mixpanel', ['--config', config()], { input: { file }, timeoutMs: 60_000 });
    assertNoSecrets(result);
    expect(result.code).toBe(0);
    const expected = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((m) => m.type === 'STATE').map((m) => m.value);
    const lines = result.stdout.split('\n').filter(Boolean);
    expect(lines.map((l) => JSON.parse(l))).toEqual(expected);
    expect(receiver.uniqueEvents()).toHaveLength(5);
    expect(result.stderr).toContain('received 8 = imported 5 + rejected 2 + skipped 1');
  });

  test('--input FILE and a failing run: no state line, error on stderr, non-zero exit', async () => {
    const file = path.join(TRANSCRIPTS, 'currents-small.singer');
    const ok = await runCli('target-mixpanel', ['--config', config(), '--input', file]);
    expect(ok.code).toBe(0);
    receiver.injectFaults([{ type: 'status', status: 401 }]);
    const bad = await runCli('target-mixpanel', ['--config', config(), '--input', file]);
    assertNoSecrets(bad);
    expect(bad.code).not.toBe(0);
    // Only the state that had no record before it may have been written.
    expect(bad.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))).toEqual([{ bookmarks: { position: 1 } }]);
    expect(bad.stderr).toMatch(/Mixpanel rejected the credentials/);
  });
});

describe('destination-mixpanel check', () => {
  const check = async (cfg: string) => {
    const result = await runCli('destination-mixpanel', ['check', '--config', cfg]);
    assertNoSecrets(result);
    const messages = parseAirbyteOutput(result.stdout);
    return { code: result.code, status: messages.find((m) => m.type === 'CONNECTION_STATUS')?.connectionStatus };
  };

  test('valid credentials succeed without storing anything', async () => {
    expect((await check(config())).status.status).toBe('SUCCEEDED');
    expect((await check(config({ credentials: SA_CREDENTIALS }))).status.status).toBe('SUCCEEDED');
    expect(receiver.events()).toHaveLength(0);
    expect(receiver.requests().length).toBe(2);
  });

  test('wrong credentials and an unreachable host fail with what to fix', async () => {
    const bad = await check(config({ credentials: { auth_type: 'api_secret', api_secret: 'not-the-secret' } }));
    expect(bad.status.status).toBe('FAILED');
    expect(bad.status.message).toMatch(/rejected the credentials.*API secret/);
    const wrongProject = await check(config({ credentials: { ...SA_CREDENTIALS, project_id: '1' } }));
    expect(wrongProject.status.message).toMatch(/project_id/);
    const closed = await check(config({ api_host: 'http://127.0.0.1:9' }));
    expect(closed.status.status).toBe('FAILED');
    expect(closed.status.message).toContain('127.0.0.1:9');
  });
});

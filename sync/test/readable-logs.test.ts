/**
 * Logs a person can read (DESIGN §7): at the default level the sync runner prints one line per phase, not one
 * per stream (an export has ~100 streams) or per file; `log_level: debug` in the config or LOG_LEVEL=debug
 * adds the per-stream and per-file detail.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { DEFAULT_CREDENTIALS, startMixpanelReceiver, type MixpanelReceiver } from '../../local-services/mixpanel/import-api';
import { runCli } from '../../test-support/run-cli';
import { defaultCataloguePath, generateSampleExport } from '../../tools/sample-export';

const available = fs.existsSync(defaultCataloguePath());
if (!available) console.warn('readable-logs suite skipped: the Currents catalogue (../shared/reference) is absent');
const describeIf = available ? describe : describe.skip;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'readable-logs-'));
let receiver: MixpanelReceiver;

beforeAll(async () => {
  if (!available) return;
  await generateSampleExport({ out: path.join(work, 'export'), totalEvents: 600, eventsPerFile: 50, seed: 'logs', hours: 2, types: ['users.messages.email.Open', 'users.behaviors.CustomEvent'] });
  receiver = await startMixpanelReceiver({});
});
afterAll(async () => {
  await receiver?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

function config(name: string, extra: Record<string, unknown> = {}): string {
  const file = path.join(work, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({
    source: { storage: { type: 'local', path: path.join(work, 'export') }, prefix: 'currents' },
    destination: { credentials: { auth_type: 'api_secret', api_secret: DEFAULT_CREDENTIALS.apiSecrets[0] }, project_token: DEFAULT_CREDENTIALS.projectTokens[0], api_host: receiver.url },
    state_file: `${name}-state.json`,
    ...extra,
  }));
  return file;
}

const logLines = (stderr: string) => stderr.split('\n').filter((l) => / (DEBUG|INFO|WARN|ERROR) /.test(l));

describeIf('sync runner logs', () => {
  it('at the default level: one line per phase, none per stream or file', async () => {
    const r = await runCli('sync', ['--config', config('info')], { env: { LOG_LEVEL: '' } });
    expect(r.code).toBe(0);
    const lines = logLines(r.stderr);
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines.join('\n')).toMatch(/Reading 100 stream\(s\) from local folder/);
    expect(lines.join('\n')).toMatch(/Read \d+ new file\(s\) in 2 of 100 stream\(s\) for hours \S+\.\.\S+\./);
    expect(lines.join('\n')).toMatch(/Sending to 127\.0\.0\.1:\d+ \(api_secret auth\)/);
    expect(r.stderr).not.toMatch(/Stream "/);
  });

  it('log_level debug (config) or LOG_LEVEL=debug adds per-stream and per-file detail', async () => {
    const fromConfig = await runCli('sync', ['--config', config('debug', { log_level: 'debug' })], { env: { LOG_LEVEL: '' } });
    expect(fromConfig.code).toBe(0);
    expect(fromConfig.stderr).toMatch(/DEBUG Stream "users_messages_email_open": \d+ new file\(s\) to read/);
    expect(fromConfig.stderr).toMatch(/DEBUG Stream "users_behaviors_customevent": finished \S+\.avro\./);
    expect(fromConfig.stderr).toMatch(/DEBUG Mixpanel destination accounting: received \d+/);
    const fromEnv = await runCli('sync', ['--config', config('env')], { env: { LOG_LEVEL: 'debug' } });
    expect(fromEnv.stderr).toMatch(/DEBUG Stream "users_messages_email_open"/);
  });
});

/**
 * A `read` through the CLI whose second file's download is cut part-way (see cutting-proxy.ts), then a re-run
 * with the states the failed run emitted. Shared by the storage suites whose SDK reports the cut at once.
 */
import type { JsonObject } from '../../../connector-kit/protocol';
import { parseAirbyteOutput } from '../../../test-support/protocol-validator';
import { runCli, writeTempJson } from '../../../test-support/run-cli';
import { BrazeCurrentsSource } from '../../src/source';
import type { CuttingProxy } from './cutting-proxy';
import { makeTempDir } from './samples';
import { silentLog } from './storage-helpers';

const OPEN_STREAM = 'users_messages_email_open';
const CLICK_STREAM = 'users_messages_email_click';

export interface CutDownloadScenario {
  /** A config whose storage endpoint is the proxy. */
  config: JsonObject;
  proxy: CuttingProxy;
  /** Two Open files then one Click file, as stored. */
  keys: [string, string, string];
  /** How the error names the store, e.g. `S3 bucket "braze-bucket"`. */
  store: string;
  /** Values that must appear in no output. */
  secrets: string[];
}

export async function runCutDownloadScenario(s: CutDownloadScenario): Promise<void> {
  const dir = makeTempDir('cut-download');
  const config = writeTempJson('config.json', s.config, dir);
  const discovered = await new BrazeCurrentsSource().discover(s.config, silentLog);
  const catalog = writeTempJson('catalog.json', {
    streams: [OPEN_STREAM, CLICK_STREAM].map((name) => ({
      stream: discovered.streams.find((x) => x.name === name), sync_mode: 'incremental', destination_sync_mode: 'append',
    })),
  }, dir);
  const [first, cutKey, click] = s.keys;

  s.proxy.cut = (path) => decodeURIComponent(path).includes(cutKey);
  const failed = await runCli('source-braze-currents', ['read', '--config', config, '--catalog', catalog]);
  s.proxy.cut = undefined;
  expect(s.proxy.cuts).toHaveLength(1);
  expect(failed.code).not.toBe(0);
  const messages = parseAirbyteOutput(failed.stdout);
  expect(messages.filter((m) => m.type === 'RECORD').map((m) => m.record.data._source_key)).toEqual([first]);
  const errors = messages.filter((m) => m.type === 'TRACE' && m.trace.type === 'ERROR');
  expect(errors).toHaveLength(1);
  const { error } = errors[0].trace;
  expect(error.failure_type).toBe('transient_error');
  expect(error.message).toContain(`Reading "${cutKey}" from ${s.store} broke off before the whole object arrived`);
  expect(error.message).toMatch(/the sync can be retried, and incremental streams resume after the last file they finished/);
  expect(error.stack_trace).toBeUndefined();
  for (const out of [failed.stdout, failed.stderr]) {
    expect(out).not.toMatch(/Unexpected error|\n\s+at \S+ \(/); // no stack trace anywhere
    for (const secret of s.secrets) expect(out.includes(secret)).toBe(false);
  }
  // Only the file finished before the cut is in the state; the stream did not complete.
  const states = messages.filter((m) => m.type === 'STATE');
  expect(states.map((m) => m.state.stream.stream_descriptor.name)).toEqual([OPEN_STREAM]);
  expect(Object.keys(states[0].state.stream.stream_state.files)).toEqual([first]);
  const openStatuses = messages.filter((m) => m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS' && m.trace.stream_status.stream_descriptor.name === OPEN_STREAM);
  expect(openStatuses.map((m) => m.trace.stream_status.status)).not.toContain('COMPLETE');

  // A re-run with that state reads the rest, from the cut file on, and nothing twice.
  const state = writeTempJson('state.json', states.map((m) => ({ type: 'STREAM', stream: m.state.stream })), dir);
  const rerun = await runCli('source-braze-currents', ['read', '--config', config, '--catalog', catalog, '--state', state]);
  expect(rerun.stderr).not.toMatch(/Unexpected error/);
  expect(rerun.code).toBe(0);
  expect(parseAirbyteOutput(rerun.stdout).filter((m) => m.type === 'RECORD').map((m) => m.record.data._source_key)).toEqual([cutKey, click]);
}

/**
 * The user's path through the CLI for a cloud storage type (shared by the Azure and GCS suites): check,
 * discover, a full incremental read, a second read with the last state (nothing), a late file written into an
 * hour already read (picked up alone), with every stdout line validated against the Airbyte protocol YAML and
 * no secret in any output.
 */
import fs from 'fs';
import path from 'path';
import type { JsonObject } from '../../connector-kit/protocol';
import { parseAirbyteOutput, protocolYamlAvailable } from '../../test-support/protocol-validator';
import { runCli, writeTempJson, type CliResult } from '../../test-support/run-cli';
import { brazeKey, makeTempDir, sampleAvro } from './support/samples';

export const OPEN = 'users.messages.email.Open';
export const CLICK = 'users.messages.email.Click';

/** The files of the initial export; every sample file holds one event. */
export const INITIAL_KEYS = [brazeKey(OPEN, '2024-05-01-10', 1), brazeKey(OPEN, '2024-05-01-13', 2), brazeKey(CLICK, '2024-05-01-13', 1)];
/** Written after the first sync into an older hour, inside the look-back window. */
export const LATE_KEY = brazeKey(OPEN, '2024-05-01-12', 7);

export const sampleBody = (key: string): Buffer => fs.readFileSync(sampleAvro(key.includes(CLICK) ? CLICK : OPEN));

export const cliAvailable = (): boolean =>
  fs.existsSync(path.resolve(__dirname, '../../dist/source-braze-currents/src/main.js')) && protocolYamlAvailable();

export interface CloudScenario {
  config: JsonObject;
  /** Writes an object into the store, as Braze would. */
  upload(key: string, body: Buffer): Promise<void>;
  /** Values that must never appear in any output. */
  secrets: string[];
  /** How the check message names the place, e.g. /gs:\/\/bucket\/currents\//. */
  location: RegExp;
  /** Folder above `currents/` when the export does not sit at the top of the store (the config's prefix must match). */
  keyPrefix?: string;
}

const STREAMS = ['users_messages_email_open', 'users_messages_email_click'];

function expectNoSecrets(results: CliResult[], secrets: string[]): void {
  for (const r of results) for (const secret of secrets) {
    expect(r.stdout.includes(secret)).toBe(false);
    expect(r.stderr.includes(secret)).toBe(false);
  }
}

/** Last STATE message per stream, in the per-stream array form Airbyte passes back. */
function stateFile(messages: Array<Record<string, any>>, dir: string, name: string): string {
  const last = new Map<string, unknown>();
  for (const m of messages) if (m.type === 'STATE') last.set(m.state.stream.stream_descriptor.name, { type: 'STREAM', stream: m.state.stream });
  return writeTempJson(name, [...last.values()], dir);
}

export async function runCliScenario(s: CloudScenario): Promise<void> {
  const dir = makeTempDir('cloud-cli');
  const config = writeTempJson('config.json', s.config, dir);
  const outputs: CliResult[] = [];
  const at = (key: string) => `${s.keyPrefix ?? ''}${key}`;
  const run = async (args: string[]) => {
    const result = await runCli('source-braze-currents', args);
    outputs.push(result);
    return { result, messages: parseAirbyteOutput(result.stdout) };
  };

  const check = await run(['check', '--config', config]);
  expect(check.result.code).toBe(0);
  const status = check.messages.find((m) => m.type === 'CONNECTION_STATUS')!.connectionStatus;
  expect(status.status).toBe('SUCCEEDED');
  expect(status.message).toMatch(s.location);

  const discover = await run(['discover', '--config', config]);
  expect(discover.result.code).toBe(0);
  const streams = discover.messages.find((m) => m.type === 'CATALOG')!.catalog.streams;
  const catalog = writeTempJson('catalog.json', {
    streams: STREAMS.map((n) => ({ stream: streams.find((x: { name: string }) => x.name === n), sync_mode: 'incremental', destination_sync_mode: 'append' })),
  }, dir);

  const first = await run(['read', '--config', config, '--catalog', catalog]);
  expect(first.result.stderr).not.toMatch(/Unexpected error/);
  expect(first.result.code).toBe(0);
  expect(first.messages.filter((m) => m.type === 'RECORD').map((m) => m.record.data._source_key)).toEqual(INITIAL_KEYS.map(at));
  for (const name of STREAMS) {
    const statuses = first.messages.filter((m) => m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS' && m.trace.stream_status.stream_descriptor.name === name);
    expect(statuses.map((m) => m.trace.stream_status.status)).toEqual(['STARTED', 'RUNNING', 'COMPLETE']);
  }

  const afterFirst = stateFile(first.messages, dir, 'state-1.json');
  const second = await run(['read', '--config', config, '--catalog', catalog, '--state', afterFirst]);
  expect(second.result.code).toBe(0);
  expect(second.messages.filter((m) => m.type === 'RECORD')).toHaveLength(0);

  await s.upload(at(LATE_KEY), sampleBody(LATE_KEY));
  const third = await run(['read', '--config', config, '--catalog', catalog, '--state', stateFile(second.messages, dir, 'state-2.json')]);
  expect(third.result.code).toBe(0);
  expect(third.messages.filter((m) => m.type === 'RECORD').map((m) => m.record.data._source_key)).toEqual([at(LATE_KEY)]);

  expectNoSecrets(outputs, s.secrets);
}

/** A config the CLI must refuse with a config_error (check FAILED with `message`, read exits non-zero); no secret printed. */
export async function expectCliConfigError(config: JsonObject, message: RegExp, secrets: string[]): Promise<void> {
  const dir = makeTempDir('cloud-cli-bad');
  const file = writeTempJson('config.json', config, dir);
  const check = await runCli('source-braze-currents', ['check', '--config', file]);
  const status = parseAirbyteOutput(check.stdout).find((m) => m.type === 'CONNECTION_STATUS')!.connectionStatus;
  expect(status.status).toBe('FAILED');
  expect(status.message).toMatch(message);
  const read = await runCli('source-braze-currents', ['read', '--config', file, '--catalog', writeTempJson('catalog.json', { streams: [] }, dir)]);
  expect(read.code).not.toBe(0);
  const error = parseAirbyteOutput(read.stdout).find((m) => m.type === 'TRACE' && m.trace.type === 'ERROR')!;
  expect(error.trace.error.failure_type).toBe('config_error');
  expect(error.trace.error.message).toMatch(message);
  expectNoSecrets([check, read], secrets);
}

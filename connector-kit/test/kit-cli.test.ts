/** The kit driven through a real child process, as Airbyte and Meltano drive connectors. */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { parseAirbyteOutput } from '../../test-support/protocol-validator';
import { runNodeScript, writeTempJson } from '../../test-support/run-cli';

const SOURCE = 'dist/connector-kit/test/fixtures/counting-source.js';
const DESTINATION = 'dist/connector-kit/test/fixtures/echo-destination.js';
const SECRET = 'good-key-123';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-cli-'));
const config = (extra: object = {}) => writeTempJson(`config-${Math.random()}.json`, { api_key: SECRET, auth: { method: 'token', token: 'tok-secret-9' }, ...extra }, dir);
const streamConfig = (name: string, sync_mode = 'incremental') => ({ stream: { name, json_schema: {}, supported_sync_modes: ['incremental'] }, sync_mode, destination_sync_mode: 'append' });
const catalog = writeTempJson('catalog.json', { streams: [streamConfig('alpha'), streamConfig('beta')] }, dir);
const singer = { KIT_MODE: 'singer' };

function expectNoSecrets(text: string) {
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain('tok-secret-9');
}

describe('Airbyte verbs', () => {
  it('spec prints exactly one valid SPEC message', async () => {
    const r = await runNodeScript(SOURCE, ['spec']);
    expect(r.code).toBe(0);
    const messages = parseAirbyteOutput(r.stdout);
    expect(messages.map((m) => m.type)).toEqual(['SPEC']);
  });

  it('check reports SUCCEEDED, FAILED for refused keys, and FAILED naming the field for invalid config', async () => {
    const good = parseAirbyteOutput((await runNodeScript(SOURCE, ['check', '--config', config()])).stdout);
    expect(good).toEqual([{ type: 'CONNECTION_STATUS', connectionStatus: { status: 'SUCCEEDED' } }]);
    const refused = await runNodeScript(SOURCE, ['check', '--config', config({ api_key: 'wrong-key-456' })]);
    expect(refused.code).toBe(0);
    expect(parseAirbyteOutput(refused.stdout)).toEqual([{ type: 'CONNECTION_STATUS', connectionStatus: { status: 'FAILED', message: 'The API key was refused: check api_key.' } }]);
    const typo = await runNodeScript(SOURCE, ['check', '--config', config({ recrods: 3 })]);
    const [status] = parseAirbyteOutput(typo.stdout);
    expect(status.connectionStatus.status).toBe('FAILED');
    expect(status.connectionStatus.message).toContain('config.recrods is not a known setting (did you mean "records"?)');
    expectNoSecrets(typo.stdout + typo.stderr);
  });

  it('read emits records, per-stream states with sourceStats and ordered stream statuses', async () => {
    const r = await runNodeScript(SOURCE, ['read', '--config', config({ records: 3 }), '--catalog', catalog]);
    expect(r.code).toBe(0);
    const messages = parseAirbyteOutput(r.stdout);
    const alpha = messages.filter((m) => m.record?.stream === 'alpha' || m.state?.stream?.stream_descriptor.name === 'alpha' || m.trace?.stream_status?.stream_descriptor.name === 'alpha');
    expect(alpha.map((m) => m.type === 'TRACE' ? m.trace.stream_status.status : m.type)).toEqual(['STARTED', 'RUNNING', 'RECORD', 'RECORD', 'STATE', 'RECORD', 'STATE', 'COMPLETE']);
    const states = alpha.filter((m) => m.type === 'STATE').map((m) => m.state);
    expect(states).toEqual([
      { type: 'STREAM', stream: { stream_descriptor: { name: 'alpha' }, stream_state: { next: 2 } }, sourceStats: { recordCount: 2 } },
      { type: 'STREAM', stream: { stream_descriptor: { name: 'alpha' }, stream_state: { next: 3 } }, sourceStats: { recordCount: 1 } },
    ]);
  });

  it('read resumes from --state in array and legacy form', async () => {
    const arrayState = writeTempJson('s1.json', [{ type: 'STREAM', stream: { stream_descriptor: { name: 'alpha' }, stream_state: { next: 2 } } }], dir);
    const legacyState = writeTempJson('s2.json', { alpha: { next: 2 }, beta: { next: 3 } }, dir);
    const fromArray = parseAirbyteOutput((await runNodeScript(SOURCE, ['read', '--config', config(), '--catalog', catalog, '--state', arrayState])).stdout);
    expect(fromArray.filter((m) => m.type === 'RECORD').map((m) => m.record.data.id)).toEqual(['alpha-2', 'beta-0', 'beta-1', 'beta-2']);
    const fromLegacy = parseAirbyteOutput((await runNodeScript(SOURCE, ['read', '--config', config(), '--catalog', catalog, '--state', legacyState])).stdout);
    expect(fromLegacy.filter((m) => m.type === 'RECORD').map((m) => m.record.data.id)).toEqual(['alpha-2']);
  });

  it('a failing read marks unfinished streams INCOMPLETE, emits a config_error TRACE without secrets and exits non-zero', async () => {
    const r = await runNodeScript(SOURCE, ['read', '--config', config({ records: 3, fail_after: 1, echo_secret_in_error: true }), '--catalog', catalog]);
    expect(r.code).toBe(1);
    const messages = parseAirbyteOutput(r.stdout);
    const last = messages.slice(-2);
    expect(last[0].trace.stream_status).toEqual({ stream_descriptor: { name: 'alpha' }, status: 'INCOMPLETE' });
    expect(last[1].trace.error).toEqual({ message: 'bad key **********', failure_type: 'config_error' });
    expectNoSecrets(r.stdout + r.stderr);
  });

  it('a read that stalls with nothing left to wait for exits 1 with a TRACE instead of a silent success', async () => {
    const r = await runNodeScript(SOURCE, ['read', '--config', config({ stall: true }), '--catalog', catalog]);
    expect(r.code).toBe(1);
    expect(parseAirbyteOutput(r.stdout).pop()!.trace.error).toMatchObject({ message: 'Unexpected error: the connector stopped before finishing (nothing left to wait for)', failure_type: 'system_error' });
  });

  it('unreadable files and bad JSON give a config_error naming the file', async () => {
    const missing = await runNodeScript(SOURCE, ['read', '--config', path.join(dir, 'nope.json'), '--catalog', catalog]);
    expect(missing.code).toBe(1);
    expect(parseAirbyteOutput(missing.stdout)[0].trace.error.message).toContain(`Cannot read the config file "${path.join(dir, 'nope.json')}": ENOENT`);
    const broken = await runNodeScript(SOURCE, ['discover', '--config', writeTempJson('bad.json', '{"api_key": ', dir)]);
    expect(parseAirbyteOutput(broken.stdout)[0].trace.error).toMatchObject({ failure_type: 'config_error' });
    expect(broken.stdout).toContain('is not valid JSON');
  });
});

describe('Singer tap flags', () => {
  it('--about prints json and markdown', async () => {
    const json = JSON.parse((await runNodeScript(SOURCE, ['--about'], { env: singer })).stdout);
    expect(json).toMatchObject({ name: 'tap-counting', capabilities: expect.arrayContaining(['discover', 'state', 'catalog']) });
    const md = (await runNodeScript(SOURCE, ['--about', '--format', 'markdown'], { env: singer })).stdout;
    expect(md).toContain('# tap-counting');
    expect(md).toContain('| api_key | yes |');
  });

  it('--discover prints a catalog with metadata breadcrumbs; selection, SCHEMA-before-RECORD and STATE round-trip work', async () => {
    const discovered = JSON.parse((await runNodeScript(SOURCE, ['--config', config(), '--discover'], { env: singer })).stdout);
    expect(discovered.streams[0].metadata[0]).toEqual({ breadcrumb: [], metadata: expect.objectContaining({ 'table-key-properties': ['id'] }) });
    expect(discovered.streams[0].metadata).toContainEqual({ breadcrumb: ['properties', 'id'], metadata: { inclusion: 'automatic' } });
    discovered.streams[1].metadata[0].metadata.selected = true; // beta only
    const singerCatalog = writeTempJson('singer-catalog.json', discovered, dir);
    const first = await runNodeScript(SOURCE, ['--config', config({ records: 3 }), '--catalog', singerCatalog], { env: singer });
    expect(first.code).toBe(0);
    const lines = first.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'SCHEMA', stream: 'beta', key_properties: ['id'] });
    expect(lines.filter((l) => l.type === 'RECORD').map((l) => l.record.id)).toEqual(['beta-0', 'beta-1', 'beta-2']);
    const lastState = lines.filter((l) => l.type === 'STATE').pop();
    expect(lastState).toEqual({ type: 'STATE', value: { bookmarks: { beta: { next: 3 } } } });
    const stateFile = writeTempJson('singer-state.json', lastState.value, dir);
    const second = await runNodeScript(SOURCE, ['--config', config({ records: 3 }), '--catalog', singerCatalog, '--state', stateFile], { env: singer });
    expect(second.stdout.split('\n').filter((l) => l.includes('"RECORD"'))).toEqual([]);
  });

  it('--test exits 0 on good credentials and 1 with a message on bad ones', async () => {
    expect((await runNodeScript(SOURCE, ['--config', config(), '--test'], { env: singer })).code).toBe(0);
    const bad = await runNodeScript(SOURCE, ['--config', config({ api_key: 'other-key-000' }), '--test'], { env: singer });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('The API key was refused');
  });
});

describe('destination side', () => {
  const records = (n: number, extra: object = {}) => Array.from({ length: n }, (_, i) => JSON.stringify({ type: 'RECORD', record: { stream: 's', data: { i, ...extra }, emitted_at: 1 } }));
  const state = (k: number) => JSON.stringify({ type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: 's' }, stream_state: { k } } } });
  const destConfig = writeTempJson('dest.json', { secret: 'dest-secret-77' }, dir);

  it('write echoes states with destinationStats; invalid lines are reported and skipped', async () => {
    const input = [...records(2), 'not json', state(1), ...records(1), '{"type":"RECORD","record":{"stream":"s"}}', state(2)].join('\n') + '\n';
    const r = await runNodeScript(DESTINATION, ['write', '--config', destConfig, '--catalog', catalog], { input });
    expect(r.code).toBe(0);
    const messages = parseAirbyteOutput(r.stdout);
    expect(messages.filter((m) => m.type === 'STATE').map((m) => [m.state.stream.stream_state.k, m.state.destinationStats])).toEqual([
      [1, { recordCount: 2, rejectedRecordCount: 0 }],
      [2, { recordCount: 1, rejectedRecordCount: 0 }],
    ]);
    expect(messages.find((m) => m.log?.message.startsWith('Input line 3 is not valid JSON'))).toBeDefined();
    expect(messages.find((m) => m.log?.message === 'Input line 6 is a RECORD without a "record" object holding "stream" and "data"; skipped.')).toBeDefined();
    expect(r.stdout).not.toContain('dest-secret-77');
  });

  it('Singer target prints only bare state values on stdout', async () => {
    const input = ['{"type":"SCHEMA","stream":"s","schema":{},"key_properties":["id"]}', '{"type":"RECORD","stream":"s","record":{"id":1}}', '{"type":"STATE","value":{"bookmarks":{"s":{"k":1}}}}'].join('\n');
    const r = await runNodeScript(DESTINATION, ['--config', destConfig], { input, env: singer });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"bookmarks":{"s":{"k":1}}}\n');
    expect(r.stderr).toContain('done, secret is **********');
  });

  it('a fatal error stops the write with a redacted TRACE and no further state', async () => {
    const input = [...records(1), state(1), ...records(1, { fail: true }), state(2)].join('\n');
    const r = await runNodeScript(DESTINATION, ['write', '--config', destConfig, '--catalog', catalog], { input });
    expect(r.code).toBe(1);
    const messages = parseAirbyteOutput(r.stdout);
    expect(messages.filter((m) => m.type === 'STATE')).toHaveLength(1);
    expect(messages.pop()!.trace.error).toEqual({ message: 'refused with **********', failure_type: 'config_error' });
  });
});

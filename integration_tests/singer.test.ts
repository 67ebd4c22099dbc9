/**
 * Singer / Meltano behaviour of the same programs: tap --discover, catalog selection (only selected streams,
 * SCHEMA before RECORD), state round-trip, --test, and tap | target against the local receiver, where the
 * target's stdout must hold only bare state lines (Meltano saves every stdout line as state).
 */
import fs from 'fs';
import path from 'path';
import { startMixpanelReceiver, type MixpanelReceiver } from '../local-services/mixpanel/import-api';
import { REPO_ROOT, runCli } from '../test-support/run-cli';
import { destinationConfig, fixtureExportAvailable, removeDir, sourceWorkspace, type SourceWorkspace } from './fixtures';
import { runPipe } from './spawn';

const SELECTED = ['users_behaviors_purchase', 'users_messages_email_open'];
const ready = fixtureExportAvailable();
if (!ready) console.warn('singer.test.ts skipped: ../shared/reference/currents_event_fields.json is absent, so the fixture export cannot be generated.');

type Line = Record<string, any>;
const lines = (stdout: string): Line[] => stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

(ready ? describe : describe.skip)('Singer tap and target', () => {
  let ws: SourceWorkspace;
  let receiver: MixpanelReceiver;
  let catalog: any;
  let selectedCatalog: string;
  let tapOut: { stdout: string; code: number | null; messages: Line[] };

  beforeAll(async () => {
    ws = await sourceWorkspace();
    receiver = await startMixpanelReceiver({ port: 0 });
    const discovered = await runCli('tap-braze-currents', ['--config', ws.config, '--discover']);
    expect(discovered.code).toBe(0);
    catalog = JSON.parse(discovered.stdout);
    const selected = {
      streams: catalog.streams.map((s: any) => ({
        ...s,
        metadata: s.metadata.map((m: any) => (m.breadcrumb.length === 0 ? { ...m, metadata: { ...m.metadata, selected: SELECTED.includes(s.tap_stream_id) } } : m)),
      })),
    };
    selectedCatalog = ws.file('singer-catalog.json', selected);
    const run = await runCli('tap-braze-currents', ['--config', ws.config, '--catalog', selectedCatalog]);
    tapOut = { stdout: run.stdout, code: run.code, messages: lines(run.stdout) };
  });
  afterAll(async () => {
    await receiver?.close();
    removeDir(ws?.dir);
  });

  it('--discover prints a Singer catalog: tap_stream_id, schema, key properties and breadcrumb metadata', () => {
    expect(catalog.streams.length).toBeGreaterThanOrEqual(100);
    for (const s of catalog.streams) {
      expect(s.tap_stream_id).toBe(s.stream);
      expect(s.schema.type).toBe('object');
      const top = s.metadata.find((m: any) => m.breadcrumb.length === 0);
      expect(top.metadata['table-key-properties']).toEqual(['id']);
      expect(top.metadata.inclusion).toBe('available');
      expect(s.metadata.find((m: any) => m.breadcrumb.join('/') === 'properties/id').metadata.inclusion).toBe('automatic');
    }
  });

  it('emits only the selected streams, each SCHEMA (key_properties ["id"]) before its RECORDs, and exits 0', () => {
    expect(tapOut.code).toBe(0);
    const types = new Set(tapOut.messages.map((m) => m.type));
    expect([...types].every((t) => ['SCHEMA', 'RECORD', 'STATE'].includes(t))).toBe(true);
    const schemaStreams = tapOut.messages.filter((m) => m.type === 'SCHEMA').map((m) => m.stream).sort();
    expect(schemaStreams).toEqual([...SELECTED].sort());
    expect([...new Set(tapOut.messages.filter((m) => m.type === 'RECORD').map((m) => m.stream))].sort()).toEqual([...SELECTED].sort());
    for (const stream of SELECTED) {
      const schemaAt = tapOut.messages.findIndex((m) => m.type === 'SCHEMA' && m.stream === stream);
      const firstRecord = tapOut.messages.findIndex((m) => m.type === 'RECORD' && m.stream === stream);
      expect(schemaAt).toBeLessThan(firstRecord);
      expect(tapOut.messages[schemaAt].key_properties).toEqual(['id']);
    }
    for (const r of tapOut.messages.filter((m) => m.type === 'RECORD')) expect(Number.isNaN(Date.parse(r.time_extracted))).toBe(false);
  });

  it('STATE values are bookmarks per stream; fed back as --state, nothing new is emitted', async () => {
    const states = tapOut.messages.filter((m) => m.type === 'STATE');
    expect(states.length).toBeGreaterThan(0);
    const last = states[states.length - 1].value;
    expect(Object.keys(last.bookmarks).sort()).toEqual([...SELECTED].sort());
    const again = await runCli('tap-braze-currents', ['--config', ws.config, '--catalog', selectedCatalog, '--state', ws.file('singer-state.json', last)]);
    expect(again.code).toBe(0);
    expect(lines(again.stdout).filter((m) => m.type === 'RECORD')).toEqual([]);
  });

  it('--test succeeds on a readable export and fails (non-zero, message on stderr) on a missing one', async () => {
    expect((await runCli('tap-braze-currents', ['--config', ws.config, '--test'])).code).toBe(0);
    const bad = await runCli('tap-braze-currents', ['--config', ws.file('missing.json', { storage: { type: 'local', path: `${ws.dir}/nope` } }), '--test']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/storage\.path/);
  });

  it('tap | target: the target prints only bare state lines, the last one the tap\'s last state, after delivering the records', async () => {
    receiver.reset();
    const config = ws.file('target.json', destinationConfig('sample_config.json', receiver.url));
    const bin = (name: string) => path.join(REPO_ROOT, 'bin', name);
    const { first: tap, second: target } = await runPipe(
      [process.execPath, bin('tap-braze-currents'), '--config', ws.config, '--catalog', selectedCatalog],
      [process.execPath, bin('target-mixpanel'), '--config', config],
      REPO_ROOT,
    );
    expect(tap.code).toBe(0);
    expect(target.code).toBe(0);
    const out = target.stdout.split('\n').filter((l) => l.trim());
    expect(out.length).toBeGreaterThan(0);
    const values = out.map((l) => JSON.parse(l));
    for (const v of values) {
      expect(v.type).toBeUndefined(); // bare value, not a STATE message
      expect(Object.keys(v)).toEqual(['bookmarks']);
    }
    const tapStates = tapOut.messages.filter((m) => m.type === 'STATE').map((m) => m.value);
    expect(values[values.length - 1]).toEqual(tapStates[tapStates.length - 1]);
    const expected = tapOut.messages.filter((m) => m.type === 'RECORD' && m.record.external_user_id).map((m) => m.record.id).sort();
    expect(receiver.uniqueEvents().map((e) => e.properties.$insert_id).sort()).toEqual(expected);
  });

  it('target --input FILE behaves like stdin', async () => {
    receiver.reset();
    const input = path.join(ws.dir, 'tap-output.singer');
    fs.writeFileSync(input, tapOut.stdout);
    const config = ws.file('target-input.json', destinationConfig('sample_config.json', receiver.url));
    const target = await runCli('target-mixpanel', ['--config', config, '--input', input]);
    expect(target.code).toBe(0);
    const tapStates = tapOut.messages.filter((m) => m.type === 'STATE').map((m) => m.value);
    const out = target.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
    expect(out[out.length - 1]).toEqual(tapStates[tapStates.length - 1]);
    expect(receiver.uniqueEvents().length).toBeGreaterThan(0);
  });
});

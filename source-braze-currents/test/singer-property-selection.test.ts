/**
 * Singer property-level selection (Meltano `select:` with field rules) end to end: the tap drops exactly the
 * deselected fields from SCHEMA and RECORD, keeps the automatic `id`, and leaves every other record as it was.
 * The emitter falls back to the object path only for the streams whose records the kit must filter.
 */
import fs from 'fs';
import path from 'path';
import { Readable } from 'stream';
import { runCli, writeTempJson } from '../../test-support/run-cli';
import { generateSampleExport } from '../../tools/sample-export/generate';
import { AvroFileReader } from '../src/avro/container';
import { RecordEmitter } from '../src/record-emitter';
import { TEST_SCHEMA, encodeAvro, testRecords } from './support/avro-files';
import { LineOutput } from './support/line-output';
import { makeTempDir } from './support/samples';

const built = fs.existsSync(path.resolve(__dirname, '../../dist/source-braze-currents/src/main.js'));
const cliDescribe = built ? describe : describe.skip;
if (!built) console.warn('Skipping Singer property-selection CLI tests: build dist/ first (npm test does).');

describe('record emitter with streams the output refuses as lines', () => {
  async function emitTo(out: LineOutput, bytes: Buffer, stream: string): Promise<void> {
    await new RecordEmitter(out).emitFile(new AvroFileReader(Readable.from([bytes]), `bucket/${stream}.avro`), { stream, eventType: 'users.some.Type', key: `bucket/${stream}.avro` });
  }

  test('a refused stream goes through record(), the others keep the line path, same lines either way', async () => {
    const bytes = await encodeAvro(TEST_SCHEMA, testRecords(300), { blockSize: 2048 });
    const mixed = new LineOutput(true, false, ['refused']);
    await emitTo(mixed, bytes, 'refused');
    expect(mixed.viaRecord).toBe(300);
    expect(mixed.viaLines).toBe(0);
    await emitTo(mixed, bytes, 'kept');
    expect(mixed.viaLines).toBe(300);
    expect(mixed.viaRecord).toBe(300);

    const reference = new LineOutput(false);
    await emitTo(reference, bytes, 'refused');
    await emitTo(reference, bytes, 'kept');
    expect(mixed.lines).toEqual(reference.lines);
  });
});

type Message = { type: string; stream: string; record: Record<string, unknown>; schema: { properties: Record<string, unknown>; required?: string[] } };

cliDescribe('tap-braze-currents with property selection', () => {
  jest.setTimeout(120_000);

  const SEND = 'users_messages_email_send';
  const OPEN = 'users_messages_email_open';
  /** Metadata changes per property of SEND: what a Meltano user's select rules (or a hand-edited catalog) produce. */
  const SEND_PROPERTY_METADATA: Record<string, object> = {
    email_address: { selected: false }, // deselected
    campaign_name: { 'selected-by-default': false }, // not selected by default, no `selected`
    timezone: { inclusion: 'unsupported', selected: true }, // unsupported wins over `selected`
    _source_key: { selected: false }, // the added fields follow the same rule
    id: { selected: false }, // automatic (the primary key): always emitted
  };
  const DROPPED = ['email_address', 'campaign_name', 'timezone', '_source_key'];

  async function setUp(): Promise<{ dir: string; config: string; discovered: { streams: { stream: string; metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[] }[] } }> {
    const dir = makeTempDir('singer-select');
    const root = path.join(dir, 'bucket');
    await generateSampleExport({ out: root, totalEvents: 3000, seed: 5, now: '2026-01-01T00:00:00Z', codec: 'deflate', blockSize: 8192 });
    const config = writeTempJson('config.json', { storage: { type: 'local', path: root }, prefix: 'currents' }, dir);
    const run = await runCli('tap-braze-currents', ['--config', config, '--discover']);
    expect(run.code).toBe(0);
    return { dir, config, discovered: JSON.parse(run.stdout) };
  }

  /** The discovered catalog with SEND and OPEN selected; SEND's properties changed as given. */
  function catalog(discovered: Awaited<ReturnType<typeof setUp>>['discovered'], sendProperties: Record<string, object>) {
    const copy = JSON.parse(JSON.stringify(discovered)) as typeof discovered;
    copy.streams = copy.streams.filter((s) => s.stream === SEND || s.stream === OPEN);
    for (const s of copy.streams) {
      for (const m of s.metadata) {
        if (m.breadcrumb.length === 0) m.metadata.selected = true;
        else if (s.stream === SEND && sendProperties[m.breadcrumb[1]]) Object.assign(m.metadata, sendProperties[m.breadcrumb[1]]);
      }
    }
    return copy;
  }

  async function tap(dir: string, config: string, singerCatalog: object): Promise<Message[]> {
    const run = await runCli('tap-braze-currents', ['--config', config, '--catalog', writeTempJson(`catalog-${Math.random()}.json`, singerCatalog, dir)]);
    expect(run.stderr).not.toMatch(/Unexpected error/);
    expect(run.code).toBe(0);
    return run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  }

  const records = (messages: Message[], stream: string) => messages.filter((m) => m.type === 'RECORD' && m.stream === stream).map((m) => m.record);
  const schemaOf = (messages: Message[], stream: string) => messages.find((m) => m.type === 'SCHEMA' && m.stream === stream)!.schema;
  const without = (record: Record<string, unknown>, keys: string[]) => Object.fromEntries(Object.entries(record).filter(([k]) => !keys.includes(k)));

  test('deselected fields vanish from SCHEMA and RECORD; everything else is as without selection', async () => {
    const { dir, config, discovered } = await setUp();
    const sendMetadata = discovered.streams.find((s) => s.stream === SEND)!.metadata;
    expect(sendMetadata).toContainEqual({ breadcrumb: ['properties', 'id'], metadata: { inclusion: 'automatic' } });
    for (const added of ['_event_type', '_source_key']) expect(sendMetadata).toContainEqual({ breadcrumb: ['properties', added], metadata: { inclusion: 'available' } });

    const full = await tap(dir, config, catalog(discovered, {}));
    const selected = await tap(dir, config, catalog(discovered, SEND_PROPERTY_METADATA));

    const fullSend = records(full, SEND);
    expect(fullSend.length).toBeGreaterThan(10);
    // Older writer schemas lack some fields, so a dropped field need only appear somewhere in the full run.
    for (const key of DROPPED) expect(fullSend.some((r) => key in r)).toBe(true);
    const selectedSend = records(selected, SEND);
    // Same records, same key order, byte for byte once the dropped keys are taken out of the full run.
    expect(selectedSend.map((r) => JSON.stringify(r))).toEqual(fullSend.map((r) => JSON.stringify(without(r, DROPPED))));
    for (const r of selectedSend) {
      expect(DROPPED.filter((key) => key in r)).toEqual([]);
      expect(typeof r.id).toBe('string');
      expect(r._event_type).toBe('users.messages.email.Send');
    }
    expect(records(selected, OPEN).map((r) => JSON.stringify(r))).toEqual(records(full, OPEN).map((r) => JSON.stringify(r)));

    const fullSchema = schemaOf(full, SEND);
    const selectedSchema = schemaOf(selected, SEND);
    expect(Object.keys(selectedSchema.properties)).toEqual(Object.keys(fullSchema.properties).filter((p) => !DROPPED.includes(p)));
    expect(fullSchema.required).toEqual(expect.arrayContaining(['email_address', '_source_key', 'id']));
    expect(selectedSchema.required).toEqual(fullSchema.required!.filter((p) => !DROPPED.includes(p)));
    expect(schemaOf(selected, OPEN)).toEqual(schemaOf(full, OPEN));

    // Bookmarks come from the tap's own cursor, not from record fields: the same with `_source_key` deselected.
    const bookmarks = (messages: Message[]) => messages.filter((m) => m.type === 'STATE').pop();
    expect(bookmarks(selected)).toEqual(bookmarks(full));
  });
});

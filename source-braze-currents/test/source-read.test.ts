import fs from 'fs';
import path from 'path';
import type { ConfiguredAirbyteCatalog, JsonObject, SyncMode } from '../../connector-kit/protocol';
import { BrazeCurrentsSource } from '../src/source';
import { TEST_SCHEMA, encodeAvro, testRecords } from './support/avro-files';
import { CollectingOutput } from './support/collect';
import { brazeKey, describeWithSamples, makeTempDir, placeFile, sampleAvro } from './support/samples';

const source = new BrazeCurrentsSource();
const OPEN = 'users.messages.email.Open';
const CLICK = 'users.messages.email.Click';
const PURCHASE = 'users.behaviors.Purchase';

async function catalogFor(config: JsonObject, names: string[], mode: SyncMode = 'incremental'): Promise<ConfiguredAirbyteCatalog> {
  const discovered = await source.discover(config, new CollectingOutput().log);
  return {
    streams: names.map((n) => {
      const stream = discovered.streams.find((s) => s.name === n);
      if (!stream) throw new Error(`stream ${n} not discovered`);
      return { stream, sync_mode: mode, destination_sync_mode: 'append' as const };
    }),
  };
}

async function read(config: JsonObject, catalog: ConfiguredAirbyteCatalog, state: Record<string, JsonObject> = {}): Promise<CollectingOutput> {
  const out = new CollectingOutput();
  await source.read(config, catalog, new Map(Object.entries(state)), out);
  return out;
}

function statesOf(out: CollectingOutput, streams: string[]): Record<string, JsonObject> {
  return Object.fromEntries(streams.map((s) => [s, out.lastState(s) as JsonObject]));
}

describeWithSamples('source read over a local Braze-layout tree', () => {
  let root: string;
  let config: JsonObject;
  const streams = ['users_messages_email_open', 'users_messages_email_click', 'users_behaviors_purchase'];

  beforeEach(() => {
    root = makeTempDir('read');
    config = { storage: { type: 'local', path: root }, prefix: 'currents', lookback_hours: 48 };
    placeFile(root, brazeKey(OPEN, '2024-05-01-10', 1), sampleAvro(OPEN));
    placeFile(root, brazeKey(OPEN, '2024-05-01-13', 2), sampleAvro(OPEN));
    placeFile(root, brazeKey(CLICK, '2024-05-01-13', 1), sampleAvro(CLICK));
  });

  test('first read emits every file once, with _event_type and _source_key; statuses and states for every stream', async () => {
    const catalog = await catalogFor(config, streams);
    const out = await read(config, catalog);
    const opens = out.records('users_messages_email_open');
    expect(opens).toHaveLength(2);
    expect(opens.map((r) => r._source_key)).toEqual([brazeKey(OPEN, '2024-05-01-10', 1), brazeKey(OPEN, '2024-05-01-13', 2)]);
    expect(opens[0]._event_type).toBe(OPEN);
    expect(opens[0].id).toBe('f47ac10b-58cc-4372-a567-0e02b2c3d479');
    expect(out.records('users_messages_email_click')).toHaveLength(1);
    for (const s of streams) expect(out.statuses(s)).toEqual(['STARTED', 'RUNNING', 'COMPLETE']);
    // Purchase has no files: still exactly one state.
    expect(out.emitted.filter((e) => e.kind === 'state' && e.stream === 'users_behaviors_purchase')).toHaveLength(1);
    // A checkpoint after each file.
    expect(out.emitted.filter((e) => e.kind === 'state' && e.stream === 'users_messages_email_open')).toHaveLength(2);
    expect(out.lastState('users_messages_email_open')).toEqual({
      watermark: '2024-05-01-13',
      lookback_hours: 48,
      files: { [brazeKey(OPEN, '2024-05-01-10', 1)]: '2024-05-01-10', [brazeKey(OPEN, '2024-05-01-13', 2)]: '2024-05-01-13' },
    });
  });

  test('second read with the last state emits nothing; a late file in a read hour is then picked up', async () => {
    const catalog = await catalogFor(config, streams);
    const first = await read(config, catalog);
    const second = await read(config, catalog, statesOf(first, streams));
    expect(second.records()).toHaveLength(0);
    for (const s of streams) {
      expect(second.statuses(s)).toEqual(['STARTED', 'RUNNING', 'COMPLETE']);
      expect(second.lastState(s)).toEqual(first.lastState(s));
    }
    placeFile(root, brazeKey(OPEN, '2024-05-01-10', 7), sampleAvro(OPEN)); // late, 3 h before the watermark
    const third = await read(config, catalog, statesOf(second, streams));
    expect(third.records().map((r) => r._source_key)).toEqual([brazeKey(OPEN, '2024-05-01-10', 7)]);
    expect(third.lastState('users_messages_email_open')?.watermark).toBe('2024-05-01-13');
  });

  test('files older than the look-back window are not listed again', async () => {
    const catalog = await catalogFor({ ...config, lookback_hours: 2 }, streams);
    const first = await read({ ...config, lookback_hours: 2 }, catalog);
    // 2024-05-01-10 is now outside [13 − 2, 13]: its entry was pruned and a late file there is not listed.
    expect(Object.keys(first.lastState('users_messages_email_open')?.files as object)).toEqual([brazeKey(OPEN, '2024-05-01-13', 2)]);
    placeFile(root, brazeKey(OPEN, '2024-05-01-10', 9), sampleAvro(OPEN));
    placeFile(root, brazeKey(OPEN, '2024-05-01-12', 9), sampleAvro(OPEN));
    const second = await read({ ...config, lookback_hours: 2 }, catalog, statesOf(first, streams));
    expect(second.records().map((r) => r._source_key)).toEqual([brazeKey(OPEN, '2024-05-01-12', 9)]);
  });

  test('a state from the far future emits nothing', async () => {
    const catalog = await catalogFor(config, streams);
    const future = { watermark: '2999-01-01-00', lookback_hours: 48, files: {} };
    const out = await read(config, catalog, Object.fromEntries(streams.map((s) => [s, future])));
    expect(out.records()).toHaveLength(0);
    expect(out.lastState('users_messages_email_open')).toEqual(future);
  });

  test('start_date skips older date= partitions', async () => {
    const cfg = { ...config, start_date: '2024-05-01T11:00:00Z' };
    const out = await read(cfg, await catalogFor(cfg, streams));
    expect(out.records('users_messages_email_open').map((r) => r._source_key)).toEqual([brazeKey(OPEN, '2024-05-01-13', 2)]);
  });

  test('full refresh ignores the input state and still emits state', async () => {
    const incremental = await read(config, await catalogFor(config, streams));
    const full = await read(config, await catalogFor(config, streams, 'full_refresh'), statesOf(incremental, streams));
    expect(full.records()).toHaveLength(3);
    for (const s of streams) expect(full.lastState(s)).toBeDefined();
  });

  test('non-Avro objects are skipped with a warning naming the key', async () => {
    const junk = `currents/dataexport.prod-01.S3.integration.abc/event_type=${OPEN}/date=2024-05-01-13/1/0/notes.txt`;
    placeFile(root, junk, Buffer.from('hello'));
    const fake = brazeKey(OPEN, '2024-05-01-13', 3);
    placeFile(root, fake, Buffer.from('not avro at all'));
    const out = await read(config, await catalogFor(config, streams));
    expect(out.records('users_messages_email_open')).toHaveLength(2);
    expect(out.warnings().some((w) => w.includes(junk))).toBe(true);
    expect(out.warnings().some((w) => w.includes(fake) && /not an Avro/.test(w))).toBe(true);
    expect(out.warnings().some((w) => /Skipped 2 non-Avro object\(s\)/.test(w))).toBe(true);
  });

  test('a truncated Avro file fails the read with a config error naming the key; skip_corrupt_files skips it loudly', async () => {
    const bytes = fs.readFileSync(sampleAvro(OPEN));
    const broken = brazeKey(OPEN, '2024-05-01-13', 5);
    placeFile(root, broken, bytes.subarray(0, bytes.length - 30));
    const catalog = await catalogFor(config, streams);
    const out = new CollectingOutput();
    const err = await source.read(config, catalog, new Map(), out).catch((e) => e);
    expect(err.failureType).toBe('config_error');
    expect(err.message).toContain(broken);
    expect(err.message).toMatch(/skip_corrupt_files/);
    // The file before it was checkpointed, the broken one was not.
    expect(Object.keys(out.lastState('users_messages_email_open')?.files as object)).not.toContain(broken);

    const skipping = await read({ ...config, skip_corrupt_files: true }, catalog);
    expect(skipping.records('users_messages_email_open')).toHaveLength(2);
    expect(skipping.logs.some((l) => l.level === 'ERROR' && l.message.includes(broken))).toBe(true);
  });

  test('files outside the usual layout get their type from the Avro record name', async () => {
    placeFile(root, 'currents/some-new-layout/2024/05/01/file-1.avro', sampleAvro(PURCHASE));
    const out = await read(config, await catalogFor(config, streams));
    const purchases = out.records('users_behaviors_purchase');
    expect(purchases).toHaveLength(1);
    expect(purchases[0]._source_key).toBe('currents/some-new-layout/2024/05/01/file-1.avro');
    expect(purchases[0]._event_type).toBe(PURCHASE);
    expect(out.warnings().some((w) => /outside the usual Braze layout/.test(w))).toBe(true);
  });
});

describeWithSamples('discover and check', () => {
  test('discover lists the 100 catalogued streams with Airbyte stream properties', async () => {
    const root = makeTempDir('disc');
    placeFile(root, brazeKey(OPEN, '2024-05-01-13', 1), sampleAvro(OPEN));
    const catalog = await source.discover({ storage: { type: 'local', path: root }, prefix: 'currents' }, new CollectingOutput().log);
    expect(catalog.streams).toHaveLength(100);
    for (const s of catalog.streams) {
      expect(s.supported_sync_modes).toEqual(['full_refresh', 'incremental']);
      expect(s.source_defined_cursor).toBe(true);
      expect(s.is_resumable).toBe(true);
      expect(s.source_defined_primary_key).toEqual([['id']]);
      const props = s.json_schema.properties as Record<string, unknown>;
      expect(props.id).toBeDefined();
      expect(props[s.default_cursor_field![0]]).toBeDefined();
      expect(s.json_schema.additionalProperties).toBe(true);
    }
  });

  test('discover adds header fields the catalogue lacks and streams for uncatalogued types', async () => {
    const root = makeTempDir('disc2');
    const withExtra = { ...TEST_SCHEMA, fields: [...TEST_SCHEMA.fields, { name: 'brand_new_field', type: ['null', 'string'], default: null }] };
    placeFile(root, brazeKey(OPEN, '2024-05-01-13', 1), await encodeAvro(withExtra, [{ ...testRecords(1)[0], brand_new_field: 'x' }]));
    const newType = { ...TEST_SCHEMA, namespace: 'dataexport.S3.inner.users.messages.carrierpigeon', name: 'Send' };
    placeFile(root, brazeKey('users.messages.carrierpigeon.Send', '2024-05-01-13', 1), await encodeAvro(newType, testRecords(2)));
    const log = new CollectingOutput();
    const catalog = await source.discover({ storage: { type: 'local', path: root }, prefix: 'currents' }, log.log);
    expect(catalog.streams).toHaveLength(101);
    const open = catalog.streams.find((s) => s.name === 'users_messages_email_open')!;
    expect((open.json_schema.properties as Record<string, unknown>).brand_new_field).toEqual({ type: ['null', 'string'] });
    const pigeon = catalog.streams.find((s) => s.name === 'users_messages_carrierpigeon_send')!;
    expect(pigeon.json_schema.title).toBe('users.messages.carrierpigeon.Send');
    expect((pigeon.json_schema.properties as Record<string, { type: unknown }>).time_ms.type).toEqual(['null', 'integer']);
    expect(pigeon.json_schema.required).toEqual(['id', 'user_id', 'time', '_event_type', '_source_key']);
    // and read works for the new stream
    const out = await read({ storage: { type: 'local', path: root } }, { streams: [{ stream: pigeon, sync_mode: 'incremental', destination_sync_mode: 'append' }] });
    expect(out.records()).toHaveLength(2);
  });

  test('check: success summary, empty prefix and missing path say what to fix', async () => {
    const root = makeTempDir('check');
    placeFile(root, brazeKey(OPEN, '2024-05-01-13', 1), sampleAvro(OPEN));
    placeFile(root, brazeKey(CLICK, '2024-05-01-13', 1), sampleAvro(CLICK));
    const log = new CollectingOutput().log;
    const ok = await source.check({ storage: { type: 'local', path: root }, prefix: 'currents' }, log);
    expect(ok.status).toBe('SUCCEEDED');
    expect(ok.message).toMatch(/Found 2 event type\(s\)/);
    const empty = await source.check({ storage: { type: 'local', path: root }, prefix: 'braze-export' }, log);
    expect(empty.status).toBe('FAILED');
    expect(empty.message).toMatch(/Nothing was found under .*braze-export.*braze-export\/dataexport/);
    const missing = await source.check({ storage: { type: 'local', path: path.join(root, 'nope') }, prefix: 'currents' }, log);
    expect(missing.status).toBe('FAILED');
    expect(missing.message).toMatch(/storage.path ".*nope" does not exist/);
  });
});

/**
 * The fast line path (Avro bytes → RECORD lines, no objects) must print exactly what the object path
 * (avsc objects → planRecordFix → JSON.stringify) prints: same lines byte for byte, same errors.
 */
import avro from 'avsc';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Readable } from 'stream';
import { AvroFileReader, CorruptAvroError } from '../src/avro/container';
import { compileJsonTranscoder } from '../src/avro/json-transcoder';
import { RecordEmitter } from '../src/record-emitter';
import { generateSampleExport } from '../../tools/sample-export/generate';
import { TEST_SCHEMA, encodeAvro, testRecords } from './support/avro-files';
import { LineOutput } from './support/line-output';
import { SAMPLES_DIR, describeWithSamples } from './support/samples';

interface Outcome { out: LineOutput; error?: Error }

async function emit(bytes: Buffer, fastPath: boolean, name = 'bucket/file.avro', chunkSize?: number, deferWrites = false): Promise<Outcome> {
  const chunks = chunkSize ? Array.from({ length: Math.ceil(bytes.length / chunkSize) }, (_, i) => bytes.subarray(i * chunkSize, (i + 1) * chunkSize)) : [bytes];
  const out = new LineOutput(fastPath, deferWrites);
  const reader = new AvroFileReader(Readable.from(chunks), name);
  try {
    await new RecordEmitter(out).emitFile(reader, { stream: 'some_stream', eventType: 'users.some.Type', key: name });
    await out.settled();
    return { out };
  } catch (error) {
    return { out, error: error as Error };
  }
}

/** Runs both paths over the file and checks they agree; returns the fast run for further checks. */
async function expectSameOutput(bytes: Buffer, name?: string): Promise<Outcome> {
  const reference = await emit(bytes, false, name);
  const fast = await emit(bytes, true, name);
  expect(fast.out.lines).toEqual(reference.out.lines);
  expect(fast.error?.constructor).toBe(reference.error?.constructor);
  expect(fast.error?.message).toBe(reference.error?.message);
  return fast;
}

function avroFilesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return []; // samples absent: the suite is skipped, but its body still runs
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? avroFilesUnder(p) : p.endsWith('.avro') ? [p] : [];
  }).sort();
}

describeWithSamples('line path = object path on every Braze sample', () => {
  const files = avroFilesUnder(SAMPLES_DIR).map((f) => path.relative(SAMPLES_DIR, f));

  test('samples are there (v10 and history)', () => {
    expect(files.filter((f) => f.startsWith('v10'))).toHaveLength(94);
    expect(files.filter((f) => f.startsWith('history')).length).toBeGreaterThan(200);
  });

  test.each(files)('%s', async (rel) => {
    const fast = await expectSameOutput(fs.readFileSync(path.join(SAMPLES_DIR, rel)), rel);
    expect(fast.error).toBeUndefined();
    expect(fast.out.lines.length).toBeGreaterThan(0);
    // Every record took the fast path: no sample falls back to objects.
    expect(fast.out.viaRecord).toBe(0);
    expect(fast.out.viaLines).toBe(fast.out.lines.length);
  });
});

describe('line path = object path on generated exports', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braze-lines-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(['null', 'deflate', 'snappy'] as const)('all 100 types, codec %s', async (codec) => {
    const result = await generateSampleExport({ out: path.join(dir, codec), totalEvents: 3000, codec, seed: 7, now: '2026-01-01T00:00:00Z', blockSize: 16384, invalidPropertiesFraction: 0.05 });
    expect(result.files.length).toBeGreaterThanOrEqual(100);
    let records = 0;
    for (const file of result.files) {
      const fast = await expectSameOutput(fs.readFileSync(file), path.relative(dir, file));
      expect(fast.error).toBeUndefined();
      expect(fast.out.viaRecord).toBe(0);
      records += fast.out.lines.length;
    }
    expect(records).toBe(result.events);
  });
});

/** Every Avro shape the transcoder handles, with the values that are easy to get wrong. */
const EDGE_SCHEMA = {
  type: 'record',
  name: 'Edge',
  namespace: 'test.edge',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'i', type: 'int' },
    { name: 'l', type: 'long' },
    { name: 'f', type: 'float' },
    { name: 'd', type: 'double' },
    { name: 'b', type: 'boolean' },
    { name: 'n', type: 'null' },
    { name: 'raw', type: 'bytes' },
    { name: 'fx', type: { type: 'fixed', name: 'Four', size: 4 } },
    { name: 'color', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN', 'BLUE'] } },
    { name: 'opt', type: ['null', 'string', 'long', 'boolean', { type: 'array', items: 'float' }] },
    { name: 'nested', type: ['null', { type: 'record', name: 'Inner', fields: [{ name: 'x', type: 'double' }, { name: 's', type: ['null', 'string'] }] }] },
    { name: 'list', type: { type: 'array', items: { type: 'record', name: 'Item', fields: [{ name: 'k', type: 'string' }, { name: 'v', type: ['null', 'float'] }] } } },
    { name: 'maybe_bytes', type: ['null', 'bytes'] },
    { name: 'empty', type: { type: 'record', name: 'Empty', fields: [] } },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
};

const STRINGS = ['', 'plain', 'with "quotes" and \\ backslash', 'tab\tnew\nline\u0001\u001f\u007f', 'naïve café', '😀 emoji', '\u2028\u2029', 'ÿÿ', 'x'.repeat(300), 'abc', 'abcd', 'abcde'];
const INTS = [0, -1, 1, 63, -64, 64, 2147483647, -2147483648, 123456, -98765];
const LONGS = [0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 40, -(2 ** 40), 9007199254740990, -9007199254740990, 1714568400000];
const FLOATS = [3.14, 0.1, -0, 0, NaN, Infinity, -Infinity, 1e-7, 123456.789, 3e38, -122.4194, 37.7749];
const DOUBLES = [0.1, -0, NaN, Infinity, -Infinity, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 2 ** 53 + 2];

function edgeRecords(n: number): Record<string, unknown>[] {
  const pick = <T>(list: T[], i: number): T => list[i % list.length];
  return Array.from({ length: n }, (_, i) => ({
    id: pick(STRINGS, i),
    i: pick(INTS, i),
    l: pick(LONGS, i),
    f: pick(FLOATS, i),
    d: pick(DOUBLES, i),
    b: i % 2 === 0,
    n: null,
    raw: Buffer.from(pick(STRINGS, i + 3)),
    fx: Buffer.from([i & 255, 0, 255, 7]),
    color: pick(['RED', 'GREEN', 'BLUE'], i),
    opt: pick([null, pick(STRINGS, i + 1), pick(LONGS, i + 2), i % 3 === 0, [1.5, NaN, pick(FLOATS, i)], []], i),
    nested: i % 3 === 0 ? null : { x: pick(DOUBLES, i + 1), s: i % 2 ? null : pick(STRINGS, i + 5) },
    list: Array.from({ length: i % 4 }, (_, k) => ({ k: pick(STRINGS, i + k), v: k % 2 ? null : pick(FLOATS, i + k) })),
    maybe_bytes: i % 2 ? null : Buffer.from([i & 255]),
    empty: {},
    at: pick(LONGS, i + 4),
  }));
}

describe('line path = object path on synthetic files', () => {
  test('every supported Avro shape and awkward value, across many blocks', async () => {
    const bytes = await encodeAvro(EDGE_SCHEMA, edgeRecords(500), { blockSize: 2048 });
    const fast = await expectSameOutput(bytes);
    expect(fast.error).toBeUndefined();
    expect(fast.out.lines).toHaveLength(500);
    expect(fast.out.viaRecord).toBe(0);
    // Spot checks of what the shared output holds (both paths agree, so these hold for both).
    const data = fast.out.data();
    expect(data[0].f).toBe(3.14);
    expect(data[4].f).toBeNull(); // NaN
    expect(data[2].f).toBe(0); // -0
    expect(data[0].raw).toBe(Buffer.from(STRINGS[3]).toString('base64'));
    expect(data[1]._event_type).toBe('users.some.Type');
    expect(Object.keys(data[1]).slice(-2)).toEqual(['_event_type', '_source_key']);
  });

  test('the same file fed in small chunks and in every codec', async () => {
    for (const codec of ['null', 'deflate', 'snappy']) {
      const bytes = await encodeAvro(EDGE_SCHEMA, edgeRecords(120), { codec, blockSize: 1024 });
      const reference = await emit(bytes, false);
      const fast = await emit(bytes, true, undefined, 333);
      expect(fast.out.lines).toEqual(reference.out.lines);
      expect(fast.out.viaRecord).toBe(0);
    }
  });

  test('invalid UTF-8 in a string becomes the replacement character on both paths', async () => {
    const bytes = Buffer.from(await encodeAvro(TEST_SCHEMA, [{ ...testRecords(1)[0], id: 'aÿÿb' }]));
    const at = bytes.indexOf(Buffer.from('ÿÿ', 'utf8'));
    Buffer.from([0xff, 0xfe, 0x80, 0xc3]).copy(bytes, at);
    const fast = await expectSameOutput(bytes);
    expect(fast.out.data()[0].id).toBe('a\ufffd\ufffd\ufffd\ufffdb');
  });

  test('a file of zero-field records', async () => {
    const schema = { type: 'record', name: 'Nothing', fields: [] };
    const fast = await expectSameOutput(await encodeAvro(schema, [{}, {}, {}]));
    expect(fast.out.data()).toEqual(Array(3).fill({ _event_type: 'users.some.Type', _source_key: 'bucket/file.avro' }));
    expect(fast.out.viaRecord).toBe(0);
  });

  test.each([
    ['a map', { name: 'm', type: { type: 'map', values: 'float' } }, { m: { b: 1.5, a: 3.14, 2: 1, 1: 2 } }],
    ['a wrapped union (two number branches)', { name: 'u', type: ['null', 'int', 'double'] }, { u: { double: 0.5 } }],
    ['a reference to a named type', { name: 'again', type: 'Pair' }, { again: Buffer.from('xy') }],
    ['a field named _event_type', { name: '_event_type', type: 'string' }, { _event_type: 'from the file' }],
  ])('schemas the transcoder does not mirror stay on the object path: %s', async (_label, field, value) => {
    const schema = { type: 'record', name: 'Odd', fields: [{ name: 'pair', type: { type: 'fixed', name: 'Pair', size: 2 } }, field] };
    const type = avro.Type.forSchema(schema as avro.Schema, { wrapUnions: 'auto' });
    expect(compileJsonTranscoder(schema, type)).toBeUndefined();
    const fast = await expectSameOutput(await encodeAvro(schema, [{ pair: Buffer.from('ab'), ...value }]));
    expect(fast.error).toBeUndefined();
    expect(fast.out.viaLines).toBe(0);
    expect(fast.out.viaRecord).toBe(1);
  });
});

/** Deterministic PRNG (xorshift32) so a failing mutation can be replayed. */
function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('damaged files: same records and same error on both paths', () => {
  test('a block the fast path cannot vouch for (more array items than bytes left) is decoded by avsc, in order', async () => {
    const schema = { type: 'record', name: 'Nulls', fields: [{ name: 'id', type: 'string' }, { name: 'nulls', type: { type: 'array', items: 'null' } }] };
    const records = Array.from({ length: 30 }, (_, i) => ({ id: `e${i}`, nulls: Array(i === 20 ? 500 : i % 3).fill(null) }));
    const fast = await expectSameOutput(await encodeAvro(schema, records, { blockSize: 64 }));
    expect(fast.error).toBeUndefined();
    expect(fast.out.data().map((d) => d.id)).toEqual(records.map((r) => r.id));
    expect(fast.out.viaRecord).toBeGreaterThan(0); // the block holding the 500 nulls
    expect(fast.out.viaLines).toBeGreaterThan(0); // the others
  });

  test('400 random byte mutations of a many-block file', async () => {
    const original = await encodeAvro(EDGE_SCHEMA, edgeRecords(60), { blockSize: 1024 });
    const random = prng(20260101);
    let failures = 0;
    for (let round = 0; round < 400; round++) {
      const bytes = Buffer.from(original);
      const flips = 1 + Math.floor(random() * 3);
      for (let k = 0; k < flips; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const fast = await expectSameOutput(bytes, `bucket/mutant-${round}.avro`);
      if (fast.error) failures++;
    }
    // The mutations exercise both outcomes: damage avsc reports, and damage it decodes as other values.
    expect(failures).toBeGreaterThan(50);
    expect(failures).toBeLessThan(400);
  });

  test('truncated file: the blocks before the cut, then the same CorruptAvroError', async () => {
    const bytes = await encodeAvro(TEST_SCHEMA, testRecords(2000), { blockSize: 4096 });
    const fast = await expectSameOutput(bytes.subarray(0, bytes.length - 500), 'bucket/cut.avro');
    expect(fast.error).toBeInstanceOf(CorruptAvroError);
    expect(fast.error?.message).toMatch(/bucket\/cut\.avro is truncated/);
    expect(fast.out.lines.length).toBeGreaterThan(0);
  });
});

/** An object-container file with one hand-made block: `records` encoded one after another, then `extra` bytes. */
async function fileWithOneBlock(schema: object, records: object[], extra: Buffer): Promise<Buffer> {
  const type = avro.Type.forSchema(schema as avro.Schema, { wrapUnions: 'auto' });
  const long = avro.Type.forSchema('long');
  // avsc's file encoder writes the header with the first block: take a one-record file apart.
  const first = type.toBuffer(records[0]);
  const oneRecordFile = await encodeAvro(schema, [records[0]]);
  const blockBytes = long.toBuffer(1).length + long.toBuffer(first.length).length + first.length + 16;
  const header = oneRecordFile.subarray(0, oneRecordFile.length - blockBytes); // magic, metadata, sync marker
  const sync = oneRecordFile.subarray(oneRecordFile.length - 16);
  const data = Buffer.concat([...records.map((r) => type.toBuffer(r)), extra]);
  return Buffer.concat([header, long.toBuffer(records.length), long.toBuffer(data.length), data, sync]);
}

describe('blocks bigger than one output slice', () => {
  const big = (n: number) => testRecords(n).map((r) => ({ ...r, user_id: `${r.user_id}-${'u'.repeat(400)}` }));

  test('a 4 MB block goes out in several writes, identical to the object path', async () => {
    const fast = await expectSameOutput(await encodeAvro(TEST_SCHEMA, big(8000), { blockSize: 8 * 1024 * 1024 }));
    expect(fast.error).toBeUndefined();
    expect(fast.out.lines).toHaveLength(8000);
    expect(fast.out.writes).toBeGreaterThan(1);
  });

  test('slices still being written are never overwritten by the next ones', async () => {
    const bytes = await encodeAvro(TEST_SCHEMA, big(12000), { blockSize: 8 * 1024 * 1024 });
    const reference = await emit(bytes, false);
    const slow = await emit(bytes, true, undefined, undefined, true);
    expect(slow.error).toBeUndefined();
    expect(slow.out.writes).toBeGreaterThan(2); // more slices than output buffers
    expect(slow.out.lines).toEqual(reference.out.lines);
  });

  test('bytes after the last record: same error; the object path emits none of the block, the line path the slices before the end', async () => {
    const records = big(6000);
    const bytes = await fileWithOneBlock(TEST_SCHEMA, records, Buffer.from([0x02]));
    const reference = await emit(bytes, false, 'bucket/trailing.avro');
    const fast = await emit(bytes, true, 'bucket/trailing.avro');
    expect(reference.error).toBeInstanceOf(CorruptAvroError);
    expect(reference.error?.message).toMatch(/block 1 has 1 bytes after its 6000 records/);
    expect(fast.error?.constructor).toBe(CorruptAvroError);
    expect(fast.error?.message).toBe(reference.error?.message);
    expect(reference.out.lines).toHaveLength(0);
    // What the line path let out is exactly the first records of the file, as the object path would print them.
    const whole = await emit(await fileWithOneBlock(TEST_SCHEMA, records, Buffer.alloc(0)), false, 'bucket/trailing.avro');
    expect(fast.out.lines.length).toBeGreaterThan(0);
    expect(fast.out.lines.length).toBeLessThan(records.length);
    expect(fast.out.lines).toEqual(whole.out.lines.slice(0, fast.out.lines.length));
  });

  test('a small block with bytes after its records emits nothing on either path', async () => {
    const fast = await expectSameOutput(await fileWithOneBlock(TEST_SCHEMA, testRecords(5), Buffer.from([0x00, 0x00])), 'bucket/small.avro');
    expect(fast.error).toBeInstanceOf(CorruptAvroError);
    expect(fast.out.lines).toHaveLength(0);
  });
});

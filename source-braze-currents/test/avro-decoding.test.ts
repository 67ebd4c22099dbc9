import fs from 'fs';
import path from 'path';
import { Readable } from 'stream';
import { AvroFileReader, CorruptAvroError, NotAvroError } from '../src/avro/container';
import { planRecordFix, shortestFloat32 } from '../src/avro/json-values';
import { BAD_CRC_SNAPPY, TEST_SCHEMA, encodeAvro, testRecords } from './support/avro-files';
import { SAMPLES_DIR, describeWithSamples, makeTempDir } from './support/samples';

async function decodeAll(bytes: Buffer | string, name = 'test.avro', chunkSize?: number): Promise<{ records: Record<string, unknown>[]; schema: Record<string, unknown>; codec: string; blocks: number }> {
  const buf = typeof bytes === 'string' ? fs.readFileSync(bytes) : bytes;
  // Feed in small chunks when asked, to exercise blocks and headers split across reads.
  const stream = chunkSize ? Readable.from(chunked(buf, chunkSize)) : Readable.from([buf]);
  const reader = new AvroFileReader(stream, name);
  const header = await reader.readHeader();
  const fix = planRecordFix(header.schema);
  const records: Record<string, unknown>[] = [];
  let blocks = 0;
  for await (const block of reader.blocks()) {
    blocks++;
    for (const r of block) { fix?.(r as Record<string, unknown>); records.push(r as Record<string, unknown>); }
  }
  return { records, schema: header.schema, codec: header.codec, blocks };
}

function* chunked(buf: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

/** Avro's JSON encoding (the samples' JSON twins) wraps union values as {"branch": value}; unwrap by the writer schema. */
function unwrapAvroJson(value: unknown, avroType: unknown): unknown {
  if (Array.isArray(avroType)) {
    if (value === null) return null;
    const [branch, inner] = Object.entries(value as Record<string, unknown>)[0];
    const branchType = avroType.find((t) => (typeof t === 'string' ? t : (t as { type: string }).type) === branch);
    return unwrapAvroJson(inner, branchType);
  }
  if (avroType && typeof avroType === 'object' && (avroType as { type: string }).type === 'array') {
    return (value as unknown[]).map((v) => unwrapAvroJson(v, (avroType as { items: unknown }).items));
  }
  return value;
}

function isFloatField(avroType: unknown): boolean {
  return avroType === 'float' || (Array.isArray(avroType) && avroType.includes('float'));
}

describeWithSamples('Avro decoding of Braze sample files', () => {
  const v10 = path.join(SAMPLES_DIR, 'v10', 'Avro');
  // The suite is skipped without the samples, but its body still runs to collect the tests.
  const v10Files = fs.existsSync(v10) ? fs.readdirSync(v10).filter((f) => f.endsWith('.avro')).sort() : [];

  test('there are 94 v10 samples, each with a JSON twin', () => {
    expect(v10Files).toHaveLength(94);
    for (const f of v10Files) expect(fs.existsSync(path.join(SAMPLES_DIR, 'v10', 'JSON', f.replace(/\.avro$/, '.json')))).toBe(true);
  });

  test.each(v10Files)('%s decodes to the values of its JSON twin', async (file) => {
    const { records, schema, codec } = await decodeAll(path.join(v10, file), file, 97);
    expect(codec).toBe('null');
    expect(records).toHaveLength(1);
    const twin = JSON.parse(fs.readFileSync(path.join(SAMPLES_DIR, 'v10', 'JSON', file.replace(/\.avro$/, '.json')), 'utf8')) as Record<string, unknown>;
    const fields = schema.fields as { name: string; type: unknown }[];
    const record = records[0];
    expect(Object.keys(record).sort()).toEqual(Object.keys(twin).sort());
    for (const field of fields) {
      const expected = unwrapAvroJson(twin[field.name], field.type);
      const actual = record[field.name];
      if (isFloatField(field.type) && typeof expected === 'number') {
        // Floats are emitted as the shortest decimal of the same float32 (3.14, not 3.140000104904175).
        expect(Math.fround(actual as number)).toBe(Math.fround(expected));
        expect(String(actual).length).toBeLessThanOrEqual(String(expected).length);
      } else {
        expect(actual).toEqual(expected);
      }
    }
    // JSON-safe: a round trip through JSON changes nothing.
    expect(JSON.parse(JSON.stringify(record))).toEqual({ ...record });
  });

  const historyFiles = !fs.existsSync(path.join(SAMPLES_DIR, 'history')) ? [] : fs.readdirSync(path.join(SAMPLES_DIR, 'history')).flatMap((d) =>
    fs.readdirSync(path.join(SAMPLES_DIR, 'history', d)).filter((f) => f.endsWith('.avro')).map((f) => path.join('history', d, f)));

  test('history samples exist', () => expect(historyFiles.length).toBeGreaterThan(200));

  test.each(historyFiles)('%s decodes with its own writer schema', async (rel) => {
    const { records, schema } = await decodeAll(path.join(SAMPLES_DIR, rel), rel);
    expect(records.length).toBeGreaterThanOrEqual(1);
    const fieldNames = (schema.fields as { name: string }[]).map((f) => f.name);
    for (const r of records) {
      expect(Object.keys(r)).toEqual(fieldNames);
      expect(typeof r.id).toBe('string');
      expect(Number.isInteger(r.time)).toBe(true);
      // No wrapped unions left: values are null, primitives or arrays of primitives.
      for (const v of Object.values(r)) {
        if (v !== null && typeof v === 'object') expect(Array.isArray(v)).toBe(true);
      }
    }
  });
});

describe('Avro codecs and damaged files', () => {
  const records = testRecords(5000);
  const expected = records.map((r) => ({ ...r }));

  test.each(['null', 'deflate', 'snappy'])('codec %s: many blocks decode to exactly the written records', async (codec) => {
    const bytes = await encodeAvro(TEST_SCHEMA, records, { codec, blockSize: 8192 });
    const result = await decodeAll(bytes, `synthetic-${codec}.avro`, 1000);
    expect(result.codec).toBe(codec);
    expect(result.blocks).toBeGreaterThan(3);
    expect(result.records.map((r) => ({ ...r }))).toEqual(expected);
  });

  test('snappy block with a wrong CRC fails naming the file and the checksum', async () => {
    const bytes = await encodeAvro(TEST_SCHEMA, records.slice(0, 10), { codec: 'snappy', codecs: { snappy: BAD_CRC_SNAPPY } });
    const err = await decodeAll(bytes, 'bucket/bad-crc.avro').catch((e) => e);
    expect(err).toBeInstanceOf(CorruptAvroError);
    expect(err.message).toContain('bucket/bad-crc.avro');
    expect(err.message).toMatch(/checksum mismatch/);
  });

  test('truncated file fails naming the file; the complete blocks before the cut were decoded', async () => {
    const bytes = await encodeAvro(TEST_SCHEMA, records, { codec: 'deflate', blockSize: 8192 });
    const cut = bytes.subarray(0, bytes.length - 100);
    const reader = new AvroFileReader(Readable.from(chunked(cut, 4096)), 'bucket/truncated.avro');
    let decoded = 0;
    const err = await (async () => { for await (const block of reader.blocks()) decoded += block.length; })().catch((e) => e);
    expect(err).toBeInstanceOf(CorruptAvroError);
    expect(err.message).toMatch(/bucket\/truncated\.avro is truncated/);
    expect(decoded).toBeGreaterThan(0);
    expect(decoded).toBeLessThan(records.length);
  });

  test('file cut inside its header is reported as truncated, not as non-Avro', async () => {
    const bytes = await encodeAvro(TEST_SCHEMA, records.slice(0, 1));
    const err = await decodeAll(bytes.subarray(0, 40), 'bucket/header-cut.avro').catch((e) => e);
    expect(err).toBeInstanceOf(CorruptAvroError);
    expect(err.message).toContain('bucket/header-cut.avro');
  });

  test('a block with a wrong sync marker is corrupt', async () => {
    const bytes = Buffer.from(await encodeAvro(TEST_SCHEMA, records.slice(0, 10)));
    bytes[bytes.length - 1] ^= 0xff; // last byte of the trailing sync marker
    const err = await decodeAll(bytes, 'bucket/sync.avro').catch((e) => e);
    expect(err).toBeInstanceOf(CorruptAvroError);
    expect(err.message).toMatch(/sync marker/);
  });

  test('a non-Avro file is recognised as such (callers skip it)', async () => {
    const dir = makeTempDir('notavro');
    const file = path.join(dir, 'readme.avro');
    fs.writeFileSync(file, 'this is not avro\n');
    const err = await decodeAll(file, 'bucket/readme.avro').catch((e) => e);
    expect(err).toBeInstanceOf(NotAvroError);
    expect(err.message).toContain('bucket/readme.avro');
    const empty = await decodeAll(Buffer.alloc(0), 'bucket/empty.avro').catch((e) => e);
    expect(empty).toBeInstanceOf(NotAvroError);
  });

  test('an unsupported codec is named', async () => {
    const bytes = await encodeAvro(TEST_SCHEMA, records.slice(0, 2), { codec: 'zstandard', codecs: { zstandard: (b, cb) => cb(null, b) } });
    const err = await decodeAll(bytes, 'bucket/zstd.avro').catch((e) => e);
    expect(err).toBeInstanceOf(CorruptAvroError);
    expect(err.message).toMatch(/codec "zstandard"/);
  });

  test('shortestFloat32 keeps the float32 value and drops widening noise', () => {
    for (const v of [3.14, 0.1, -122.4194, 37.7749, 1e-7, 123456.789, 0]) {
      const f = Math.fround(v);
      const s = shortestFloat32(f);
      expect(Math.fround(s)).toBe(f);
      expect(String(s).length).toBeLessThanOrEqual(String(v).length + 1);
    }
    expect(shortestFloat32(Math.fround(3.14))).toBe(3.14);
  });
});

/**
 * resolveFlatRecord stands in for avsc's Type.forSchema when a writer schema is a flat record: it must accept
 * only schemas avsc accepts, and describe them exactly as avsc resolves them (field order, type names,
 * union branches); anything avsc rejects must be left to avsc, so the error is still avsc's.
 */
import avro from 'avsc';
import fs from 'fs';
import path from 'path';
import { Readable } from 'stream';
import { AvroFileReader, CorruptAvroError } from '../src/avro/container';
import { resolveFlatRecord, type ResolvedType } from '../src/avro/simple-schema';
import { SAMPLES_DIR, describeWithSamples } from './support/samples';

interface Shape { typeName: string; fields?: { name: string; type: Shape }[]; types?: Shape[] }

/** The parts of a resolved type the transcoder reads, from avsc's Type or from our description. */
function shapeOf(type: ResolvedType): Shape {
  const t = type as unknown as { typeName: string; fields?: { name: string; type: ResolvedType }[]; types?: ResolvedType[] };
  return {
    typeName: t.typeName,
    ...(t.fields ? { fields: t.fields.map((f) => ({ name: f.name, type: shapeOf(f.type) })) } : {}),
    ...(t.types ? { types: t.types.map(shapeOf) } : {}),
  };
}

function avscType(schema: unknown): avro.Type | Error {
  try {
    return avro.Type.forSchema(schema as avro.Schema, { wrapUnions: 'auto' });
  } catch (err) {
    return err as Error;
  }
}

/** The invariant: accepted ⇒ avsc accepts it and resolves it the same way. */
function expectFaithful(schema: Record<string, unknown>): boolean {
  const resolved = resolveFlatRecord(schema);
  if (!resolved) return false;
  const type = avscType(schema);
  expect(type).not.toBeInstanceOf(Error);
  expect(shapeOf(resolved)).toEqual(shapeOf(type as avro.Type));
  return true;
}

const record = (fields: unknown[], extra: Record<string, unknown> = {}) => ({ type: 'record', name: 'Open', namespace: 'com.braze.x', fields, ...extra });

describe('flat record schemas resolved without avsc', () => {
  test('a typical Braze schema: primitives and ["null", X] unions with null defaults', () => {
    const schema = record([
      { name: 'id', type: 'string', doc: 'event id' },
      { name: 'time', type: 'int' },
      { name: 'ts', type: 'long' },
      { name: 'ok', type: ['null', 'boolean'], default: null },
      { name: 'price', type: ['null', 'double'], default: null },
      { name: 'ratio', type: ['float', 'null'] },
      { name: 'raw', type: ['null', 'bytes'] },
      { name: 'nothing', type: 'null' },
    ], { doc: 'a record', owner: 'braze' }); // Braze adds `owner`, an attribute avsc ignores
    expect(expectFaithful(schema)).toBe(true);
  });

  test.each([
    ['invalid field name', record([{ name: '1id', type: 'string' }])],
    ['duplicate field', record([{ name: 'id', type: 'string' }, { name: 'id', type: 'int' }])],
    ['record named like a primitive', { type: 'record', name: 'string', fields: [] }],
    ['invalid namespace part', { type: 'record', name: 'Open', namespace: 'com.bad-ns', fields: [] }],
    ['invalid dotted name', { type: 'record', name: 'com..Open', fields: [] }],
    ['string default on a nullable string', record([{ name: 'a', type: ['null', 'string'], default: 'x' }])],
    ['default on an int field (wrong type)', record([{ name: 'a', type: 'int', default: 'x' }])],
    ['unknown type name', record([{ name: 'a', type: 'strng' }])],
    ['union of two nulls', record([{ name: 'a', type: ['null', 'null'] }])],
    ['fields not an array', { type: 'record', name: 'Open', fields: {} }],
    ['invalid order', record([{ name: 'a', type: 'int', order: 'sideways' }])],
  ])('left to avsc, which rejects it: %s', (_label, schema) => {
    expect(avscType(schema)).toBeInstanceOf(Error);
    expect(resolveFlatRecord(schema as Record<string, unknown>)).toBeUndefined();
  });

  test.each([
    ['nested record', record([{ name: 'r', type: { type: 'record', name: 'Inner', fields: [] } }])],
    ['map', record([{ name: 'm', type: { type: 'map', values: 'string' } }])],
    ['enum', record([{ name: 'e', type: { type: 'enum', name: 'E', symbols: ['A'] } }])],
    ['record aliases', record([{ name: 'a', type: 'int' }], { aliases: ['Other'] })],
    ['field aliases', record([{ name: 'a', type: 'int', aliases: ['b'] }])],
    ['default on a plain field', record([{ name: 'a', type: 'int', default: 1 }])],
    ['null default on a null-last union', record([{ name: 'a', type: ['string', 'null'], default: null }])],
    ['union of two numbers (avsc wraps it)', record([{ name: 'a', type: ['int', 'long'] }])],
    ['three-branch union', record([{ name: 'a', type: ['null', 'string', 'int'] }])],
    ['anonymous record', { type: 'record', fields: [] }],
  ])('outside the flat shape, left to avsc: %s', (_label, schema) => {
    expect(resolveFlatRecord(schema as Record<string, unknown>)).toBeUndefined();
  });

  test('generated combinations: whatever is accepted, avsc accepts and resolves alike', () => {
    const names = ['id', 'a_b', '_x', '1bad', 'id', '__proto__', 'b-c'];
    const types: unknown[] = ['string', 'int', 'long', 'float', 'double', 'boolean', 'bytes', 'null', 'strng', ['null', 'string'], ['string', 'null'], ['null', 'long'], ['null', 'null'], ['int', 'null'], ['null', 'int', 'string']];
    const defaults: unknown[] = [undefined, null, 'x', 0];
    let accepted = 0;
    let seed = 7;
    const pick = <T>(xs: T[]): T => xs[(seed = (seed * 1103515245 + 12345) % 2147483648) % xs.length];
    for (let i = 0; i < 600; i++) {
      const fields = Array.from({ length: 1 + (i % 4) }, () => {
        const d = pick(defaults);
        return { name: pick(names), type: pick(types), ...(d === undefined ? {} : { default: d }) };
      });
      const schema = record(fields, { namespace: pick(['com.braze.x', '', 'a.1b', undefined]) });
      if (expectFaithful(schema)) accepted++;
      else if (avscType(schema) instanceof Error) expect(resolveFlatRecord(schema)).toBeUndefined();
    }
    expect(accepted).toBeGreaterThan(20);
  });

  test('a header whose schema avsc rejects is still reported when the header is read', async () => {
    const good = avro.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] });
    const encoder = new avro.streams.BlockEncoder(good, { codec: 'null', writeHeader: true });
    const parts: Buffer[] = [];
    encoder.on('data', (b: Buffer) => parts.push(b));
    const finished = new Promise((resolve) => encoder.on('end', resolve));
    encoder.end({ a: 1 });
    await finished;
    const bytes = Buffer.concat(parts);
    const text = JSON.stringify(good.schema());
    const bad = text.replace('"type":"int"', '"type":"int","default":"x"');
    const patched = patchSchema(bytes, text, bad);
    const reader = new AvroFileReader(Readable.from([patched]), 'bucket/bad.avro');
    await expect(reader.readHeader()).rejects.toThrow(CorruptAvroError);
    await expect(new AvroFileReader(Readable.from([patched]), 'bucket/bad.avro').readHeader()).rejects.toThrow(/bucket\/bad\.avro has an unreadable writer schema: incompatible field default/);
  });
});

/** Replaces the schema text in a container header, fixing its length prefix (a zig-zag varint). */
function patchSchema(bytes: Buffer, from: string, to: string): Buffer {
  const at = bytes.indexOf(from);
  const lengthOf = (n: number) => avro.Type.forSchema('long').toBuffer(n);
  const oldPrefix = lengthOf(Buffer.byteLength(from));
  const prefixAt = at - oldPrefix.length;
  expect(bytes.subarray(prefixAt, at).equals(oldPrefix)).toBe(true);
  return Buffer.concat([bytes.subarray(0, prefixAt), lengthOf(Buffer.byteLength(to)), Buffer.from(to), bytes.subarray(at + Buffer.byteLength(from))]);
}

describeWithSamples('every Braze sample schema', () => {
  function avroFilesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? avroFilesUnder(p) : p.endsWith('.avro') ? [p] : [];
    });
  }

  test('flat ones are resolved exactly as avsc resolves them', async () => {
    let flat = 0;
    let total = 0;
    for (const file of avroFilesUnder(SAMPLES_DIR)) {
      const header = await new AvroFileReader(Readable.from([fs.readFileSync(file)]), file).readHeader().catch(() => undefined);
      if (!header) continue;
      total++;
      if (expectFaithful(header.schema)) {
        flat++;
        expect(shapeOf(header.resolved)).toEqual(shapeOf(header.type));
      }
    }
    // eslint-disable-next-line no-console
    console.log(`${flat} of ${total} sample schemas are flat records resolved without avsc`);
    expect(total).toBeGreaterThan(0);
  });
});

/** Writing Avro container files with avsc's own encoder (any codec) so our decoder is tested against an independent writer. */
import avro from 'avsc';
import crc32 from 'buffer-crc32';
import fs from 'fs';
import path from 'path';
import zlib from 'zlib';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snappy: { compress(input: Buffer): Buffer } = require('snappyjs');

type EncoderCodec = (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => void;

export const ENCODER_CODECS: Record<string, EncoderCodec> = {
  deflate: (buf, cb) => zlib.deflateRaw(buf, cb),
  snappy: (buf, cb) => cb(null, Buffer.concat([Buffer.from(snappy.compress(buf)), crc32(buf)])),
};

/** A snappy writer that stores a wrong checksum (to prove the reader checks it). */
export const BAD_CRC_SNAPPY: EncoderCodec = (buf, cb) => {
  const crc = crc32(buf);
  crc[0] ^= 0xff;
  cb(null, Buffer.concat([Buffer.from(snappy.compress(buf)), crc]));
};

/**
 * Encodes records into an Avro container (what avsc's createFileEncoder does, but into memory so the
 * bytes can go to a file or to S3).
 */
export async function encodeAvro(schema: object, records: object[], options: { codec?: string; codecs?: Record<string, EncoderCodec>; blockSize?: number } = {}): Promise<Buffer> {
  const encoder = new avro.streams.BlockEncoder(schema as avro.Schema, {
    codec: options.codec ?? 'null',
    codecs: { null: (b: Buffer, cb: (e: Error | null, o?: Buffer) => void) => cb(null, b), ...ENCODER_CODECS, ...(options.codecs ?? {}) },
    blockSize: options.blockSize ?? 65536,
  } as never);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    encoder.on('data', (c: Buffer) => chunks.push(c));
    encoder.on('error', reject);
    encoder.on('end', () => resolve(Buffer.concat(chunks)));
  });
  for (const r of records) encoder.write(r);
  encoder.end();
  return done;
}

export async function writeAvroFile(file: string, schema: object, records: object[], options: Parameters<typeof encodeAvro>[2] = {}): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, await encodeAvro(schema, records, options));
}

/** A small Currents-like schema for synthetic files. */
export const TEST_SCHEMA = {
  type: 'record',
  name: 'Open',
  namespace: 'dataexport.S3.inner.users.messages.email',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'user_id', type: 'string' },
    { name: 'external_user_id', type: ['null', 'string'], default: null },
    { name: 'time', type: 'int' },
    { name: 'time_ms', type: ['null', 'long'], default: null },
    { name: 'price', type: ['null', 'float'], default: null },
    { name: 'reasons', type: ['null', { type: 'array', items: 'string' }], default: null },
    { name: 'is_amp', type: ['null', 'boolean'], default: null },
  ],
};

export function testRecords(n: number, idPrefix = 'evt'): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    records.push({
      id: `${idPrefix}-${i}`,
      user_id: `user-${i % 97}`,
      external_user_id: i % 3 === 0 ? null : `ext-${i}`,
      time: 1714568400 + i,
      time_ms: i % 2 === 0 ? 1714568400000 + i : null,
      price: i % 5 === 0 ? 3.14 : null,
      reasons: i % 7 === 0 ? ['a', `b${i}`] : null,
      is_amp: i % 2 === 0,
    });
  }
  return records;
}

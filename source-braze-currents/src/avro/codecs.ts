/**
 * Block codecs of Avro object-container files. Braze's samples use `null`; the spec's `deflate` and
 * `snappy` are supported too because the production codec is undocumented.
 */
import zlib from 'zlib';
import crc32 from 'buffer-crc32';
// snappyjs ships no types; its uncompress takes and returns a Buffer/Uint8Array.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snappy: { uncompress(input: Buffer): Buffer } = require('snappyjs');

export type Codec = (block: Buffer) => Buffer | Promise<Buffer>;

/** Thrown for data a codec cannot turn back into the block's bytes. */
export class CodecError extends Error {}

function snappyWithCrc(block: Buffer): Buffer {
  // Avro's snappy blocks end with the big-endian CRC32 of the *uncompressed* data.
  if (block.length < 4) throw new CodecError('snappy block shorter than its 4-byte checksum');
  let data: Buffer;
  try {
    data = Buffer.from(snappy.uncompress(block.subarray(0, block.length - 4)));
  } catch (err) {
    throw new CodecError(`snappy data cannot be decompressed (${(err as Error).message})`);
  }
  const expected = block.readUInt32BE(block.length - 4);
  const actual = crc32.unsigned(data);
  if (actual !== expected) {
    throw new CodecError(`snappy block checksum mismatch (CRC32 in file ${expected.toString(16)}, computed ${actual.toString(16)})`);
  }
  return data;
}

function deflate(block: Buffer): Buffer {
  try {
    // Synchronous: blocks are small (Braze writes ≤ 100 000 events per file) and the reader needs each one
    // before it can go on, so the thread pool's round trip and per-call stream set-up would only add cost.
    return zlib.inflateRawSync(block);
  } catch (err) {
    throw new CodecError(`deflate data cannot be decompressed (${(err as Error).message})`);
  }
}

export const CODECS: Readonly<Record<string, Codec>> = {
  null: (block) => block,
  deflate,
  snappy: snappyWithCrc,
};

/**
 * Avro block codecs for avsc. `null` and `deflate` are built into avsc; Avro's `snappy` codec is
 * raw snappy followed by the 4-byte big-endian CRC32 of the *uncompressed* block.
 */
import * as zlib from 'zlib';
import crc32 = require('buffer-crc32');

// snappyjs ships no type declarations; this is the part of its API we use.
const snappy: { compress(b: Buffer): Buffer; uncompress(b: Buffer): Buffer } = require('snappyjs');

export type AvroCodecName = 'null' | 'deflate' | 'snappy';
export const CODEC_NAMES: readonly AvroCodecName[] = ['null', 'deflate', 'snappy'];

type CodecFn = (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => void;

export function encoderCodecs(): Record<AvroCodecName, CodecFn> {
  return {
    null: (buf, cb) => cb(null, buf),
    deflate: (buf, cb) => zlib.deflateRaw(buf, cb),
    snappy: (buf, cb) => {
      try {
        cb(null, Buffer.concat([snappy.compress(buf), crc32(buf)]));
      } catch (err) {
        cb(err as Error);
      }
    },
  };
}

/** Decoder side (used by tests and benchmarks to read what we wrote), with the CRC check. */
export function decoderCodecs(): Record<AvroCodecName, CodecFn> {
  return {
    null: (buf, cb) => cb(null, buf),
    deflate: (buf, cb) => zlib.inflateRaw(buf, cb),
    snappy: (buf, cb) => {
      try {
        const data = Buffer.from(snappy.uncompress(buf.subarray(0, buf.length - 4)));
        if (!crc32(data).equals(buf.subarray(buf.length - 4))) {
          cb(new Error('snappy block CRC32 mismatch'));
          return;
        }
        cb(null, data);
      } catch (err) {
        cb(err as Error);
      }
    },
  };
}

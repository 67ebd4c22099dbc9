/**
 * Avro block codecs for avsc. `null` and `deflate` are built into avsc; Avro's `snappy` codec is
 * raw snappy followed by the 4-byte big-endian CRC32 of the *uncompressed* block.
 */
import * as zlib from 'zlib';
import crc32 = require('buffer-crc32');
import { CODECS } from '../../source-braze-currents/src/avro/codecs';

// snappyjs ships no type declarations; this is the part of its API we use.
const snappy: { compress(b: Buffer): Buffer } = require('snappyjs');

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

/** Decoder side (tests and benchmarks read back what we wrote): the source's own codecs, CRC check included. */
export function decoderCodecs(): Record<AvroCodecName, CodecFn> {
  const callbackStyle = (codec: (block: Buffer) => Buffer | Promise<Buffer>): CodecFn => (buf, cb) => {
    Promise.resolve()
      .then(() => codec(buf))
      .then((out) => cb(null, out), (err: Error) => cb(err));
  };
  return { null: callbackStyle(CODECS.null), deflate: callbackStyle(CODECS.deflate), snappy: callbackStyle(CODECS.snappy) };
}

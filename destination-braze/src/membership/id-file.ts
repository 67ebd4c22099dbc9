/**
 * The membership store's file format: (gzip of) one header line (`#braze-cohort-membership/1 ` + JSON) followed
 * by user ids, one per line. Snapshot files hold their ids in ascending byte order; progress files in the
 * order they arrived. Ids cannot hold a newline (the destination skips such ids before they get here).
 */
import zlib from 'zlib';
import { IdSet } from './id-set';

const MAGIC = '#braze-cohort-membership/1 ';

export class CorruptIdFile extends Error {}

export interface IdFile<H> {
  header: H;
  ids: IdSet;
  sorted: boolean;
}

/**
 * File bytes for `header` and the ids (`lines`: ids each followed by `\n`, already in the wanted order), gzipped
 * unless `plain` (progress files: short-lived, written every cycle, where compressing cost more than it saved).
 */
export function encodeIdFile(header: object, lines: Buffer | Iterable<Buffer>, plain = false): Buffer {
  const head = Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`, 'utf8');
  const blocks = Buffer.isBuffer(lines) ? [lines] : lines;
  if (plain) return Buffer.concat([head, ...blocks]);
  // One gzip member per block, one after the other (a valid gzip file), so the ids are never held whole and
  // uncompressed. Huffman-only coding: ids are random-looking text that LZ matching barely shrinks further,
  // and it is several times faster than level 1.
  const parts = [zlib.gzipSync(head)];
  for (const block of blocks) parts.push(zlib.gzipSync(block, { strategy: zlib.constants.Z_HUFFMAN_ONLY }));
  return Buffer.concat(parts);
}

const isGzip = (bytes: Buffer) => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/** Ids as newline-terminated lines. */
export function linesOf(ids: Iterable<string>): Buffer {
  const parts: string[] = [];
  for (const id of ids) parts.push(id, '\n');
  return Buffer.from(parts.join(''), 'utf8');
}

/** Parses a file written by encodeIdFile; throws CorruptIdFile saying what is wrong (never quoting content). */
export function decodeIdFile<H>(bytes: Buffer, what: string): IdFile<H> {
  let raw = bytes;
  if (isGzip(bytes)) {
    try {
      raw = zlib.gunzipSync(bytes);
    } catch {
      throw new CorruptIdFile(`${what} is not a readable gzip file`);
    }
  }
  const firstNewline = raw.indexOf(0x0a);
  if (firstNewline < 0 || raw.toString('utf8', 0, MAGIC.length) !== MAGIC) throw new CorruptIdFile(`${what} does not start with the membership store's header`);
  let header: H;
  try {
    header = JSON.parse(raw.toString('utf8', MAGIC.length, firstNewline)) as H;
  } catch {
    throw new CorruptIdFile(`${what} has an unreadable header`);
  }
  if (raw.length > firstNewline + 1 && raw[raw.length - 1] !== 0x0a) throw new CorruptIdFile(`${what} is cut short (its last line is incomplete)`);
  const { set, sorted } = IdSet.fromLines(raw, firstNewline + 1);
  return { header, ids: set, sorted };
}

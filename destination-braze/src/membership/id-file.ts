/**
 * The membership store's file format: gzip of one header line (`#braze-cohort-membership/1 ` + JSON) followed
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

/** Gzipped file bytes for `header` and the ids (`lines`: ids each followed by `\n`, already in the wanted order). */
export function encodeIdFile(header: object, lines: Buffer): Buffer {
  const head = Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`, 'utf8');
  // Level 1: snapshot files of random-looking ids barely compress further, and level 6 is four times slower.
  return zlib.gzipSync(Buffer.concat([head, lines]), { level: 1 });
}

/** Ids as newline-terminated lines. */
export function linesOf(ids: Iterable<string>): Buffer {
  const parts: string[] = [];
  for (const id of ids) parts.push(id, '\n');
  return Buffer.from(parts.join(''), 'utf8');
}

/** Parses a file written by encodeIdFile; throws CorruptIdFile saying what is wrong (never quoting content). */
export function decodeIdFile<H>(bytes: Buffer, what: string): IdFile<H> {
  let raw: Buffer;
  try {
    raw = zlib.gunzipSync(bytes);
  } catch {
    throw new CorruptIdFile(`${what} is not a readable gzip file`);
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

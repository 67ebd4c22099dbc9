/**
 * The membership store's file format: one header line (`#braze-cohort-membership/1 ` + JSON) followed
 * by user ids, one per line. Snapshot files hold their ids in ascending byte order; progress files in the
 * order they arrived. Ids cannot hold a newline (the destination skips such ids before they get here).
 */
import { IdSet } from './id-set';

const MAGIC = '#braze-cohort-membership/1 ';

export class CorruptIdFile extends Error {}

export interface IdFile<H> {
  header: H;
  ids: IdSet;
  sorted: boolean;
}

/**
 * The file's bytes for `header` and the ids (`lines`: ids each followed by `\n`, already in the wanted order),
 * as the parts to write one after the other (a store writes them without joining them first).
 * Not compressed: for a million UUID-like ids gzip saved half the bytes but cost over a second per sync in
 * compressing and inflating, more than reading or uploading the 37 MB takes.
 */
export function encodeIdFile(header: object, lines: Buffer | Iterable<Buffer>): Buffer[] {
  const head = Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`, 'utf8');
  return [head, ...(Buffer.isBuffer(lines) ? [lines] : lines)];
}

/** Ids as newline-terminated lines. */
export function linesOf(ids: Iterable<string>): Buffer {
  const parts: string[] = [];
  for (const id of ids) parts.push(id, '\n');
  return Buffer.from(parts.join(''), 'utf8');
}

/** Parses a file written by encodeIdFile; throws CorruptIdFile saying what is wrong (never quoting content). */
export function decodeIdFile<H>(bytes: Buffer, what: string): IdFile<H> {
  const raw = bytes;
  const firstNewline = raw.indexOf(0x0a);
  if (firstNewline < 0 || raw.toString('utf8', 0, MAGIC.length) !== MAGIC) throw new CorruptIdFile(`${what} does not start with the membership store's header`);
  let header: H;
  try {
    header = JSON.parse(raw.toString('utf8', MAGIC.length, firstNewline)) as H;
  } catch {
    throw new CorruptIdFile(`${what} has an unreadable header`);
  }
  if (raw.length > firstNewline + 1 && raw[raw.length - 1] !== 0x0a) throw new CorruptIdFile(`${what} is cut short (its last line is incomplete)`);
  const { set, sorted } = IdSet.fromLines(raw, firstNewline + 1, (header as { sorted?: unknown })?.sorted === true);
  return { header, ids: set, sorted };
}

/**
 * Reads a `cohort_members` RECORD line straight from its bytes, in the shape every kit-based source writes:
 * `{"type":"RECORD","record":{"stream":"cohort_members","data":{…},"emitted_at":N}}`. Only the four fields the
 * diff needs are located (as byte ranges); nothing becomes a string. A million-member cohort is a million such
 * lines, so this replaces a JSON.parse, a dozen strings and an object per member.
 *
 * It answers false for anything it is not sure about, and the caller then parses the line fully, so both paths
 * read every line the same way. Beyond the shape above, that covers: a cohort_id that is not a plain integer, a
 * snapshot_id or cohort_name that is not a string, a user_id that is empty, null, escaped or not printable ASCII
 * (the full parse decides what such an id is, or why it is skipped), a field missing, and any control
 * character or malformed value.
 */

/** A JSON string value's bytes between its quotes: JSON text, which holds escapes when `escaped`. */
export interface TextRange {
  start: number;
  end: number;
  escaped: boolean;
}

export interface ScannedMember {
  cohortId: number;
  name: TextRange;
  snapshot: TextRange;
  /** The Braze id, printable ASCII without escapes: its bytes are its UTF-8 text. */
  userStart: number;
  userEnd: number;
}

const ascii = (text: string) => Buffer.from(text, 'latin1');
const PREFIX = ascii('{"type":"RECORD","record":{"stream":"cohort_members","data":{');
const TAIL = ascii(',"emitted_at":');
const COHORT_ID = ascii('cohort_id');
const COHORT_NAME = ascii('cohort_name');
const SNAPSHOT_ID = ascii('snapshot_id');
const USER_ID = ascii('user_id');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const HAS_COHORT_ID = 1;
const HAS_NAME = 2;
const HAS_SNAPSHOT = 4;
const HAS_USER = 8;
const HAS_ALL = 15;

/** Fills `out` from the line `bytes[start, end)` (without its newline); false sends the line to the full parse. */
export function scanMemberLine(bytes: Buffer, start: number, end: number, out: ScannedMember): boolean {
  if (end - start <= PREFIX.length || !bytesAt(bytes, start, PREFIX)) return false;
  let i = start + PREFIX.length;
  let found = 0;
  for (;;) {
    if (bytes[i] !== QUOTE) return false;
    const keyEnd = stringEnd(bytes, i, end);
    if (keyEnd < 0 || escaped || bytes[keyEnd + 1] !== COLON) return false;
    const at = keyEnd + 2;
    let valueEnd: number;
    const field = fieldOf(bytes, i + 1, keyEnd);
    switch (field) {
      case HAS_COHORT_ID:
        valueEnd = integerEnd(bytes, at, end);
        if (valueEnd < 0) return false;
        out.cohortId = Number(bytes.toString('latin1', at, valueEnd));
        found |= HAS_COHORT_ID;
        break;
      case HAS_NAME:
      case HAS_SNAPSHOT:
        // An empty snapshot_id is refused by the full parse's rules; an empty cohort_name is a name.
        valueEnd = field === HAS_NAME ? textAt(bytes, at, end, out.name, true) : textAt(bytes, at, end, out.snapshot, false);
        if (valueEnd < 0) return false;
        found |= field;
        break;
      case HAS_USER:
        if (bytes[at] !== QUOTE || (valueEnd = plainIdEnd(bytes, at, end)) < 0) return false;
        out.userStart = at + 1;
        out.userEnd = valueEnd;
        valueEnd++;
        found |= HAS_USER;
        break;
      default:
        valueEnd = valueEndAt(bytes, at, end);
        if (valueEnd < 0) return false;
    }
    i = valueEnd;
    if (bytes[i] === COMMA) {
      i++;
      continue;
    }
    if (bytes[i] !== CLOSE_BRACE) return false;
    i++;
    break;
  }
  return found === HAS_ALL && tailAt(bytes, i, end);
}

/** Reads the JSON string starting at `at` into `range`; returns the end past its closing quote, or -1. */
function textAt(bytes: Buffer, at: number, end: number, range: TextRange, allowEmpty: boolean): number {
  if (bytes[at] !== QUOTE) return -1;
  const close = stringEnd(bytes, at, end);
  if (close < 0 || (!allowEmpty && close === at + 1)) return -1;
  range.start = at + 1;
  range.end = close;
  range.escaped = escaped;
  return close + 1;
}

/** Which wanted field the key `bytes[start, end)` is (0: none). */
function fieldOf(bytes: Buffer, start: number, end: number): number {
  switch (end - start) {
    case 7:
      return bytesAt(bytes, start, USER_ID) ? HAS_USER : 0;
    case 9:
      return bytesAt(bytes, start, COHORT_ID) ? HAS_COHORT_ID : 0;
    case 11:
      return bytesAt(bytes, start, COHORT_NAME) ? HAS_NAME : bytesAt(bytes, start, SNAPSHOT_ID) ? HAS_SNAPSHOT : 0;
    default:
      return 0;
  }
}

/** `,"emitted_at":<digits>}}` and nothing after it but spaces, tabs or a carriage return. */
function tailAt(bytes: Buffer, i: number, end: number): boolean {
  if (end - i < TAIL.length + 3 || !bytesAt(bytes, i, TAIL)) return false;
  let j = i + TAIL.length;
  const digits = j;
  while (j < end && bytes[j] >= 0x30 && bytes[j] <= 0x39) j++;
  if (j === digits || bytes[j] !== CLOSE_BRACE || bytes[j + 1] !== CLOSE_BRACE) return false;
  for (j += 2; j < end; j++) if (bytes[j] !== 0x20 && bytes[j] !== 0x09 && bytes[j] !== 0x0d) return false;
  return true;
}

function bytesAt(bytes: Buffer, at: number, wanted: Buffer): boolean {
  for (let k = 0; k < wanted.length; k++) if (bytes[at + k] !== wanted[k]) return false;
  return true;
}

/** End of a plain non-negative JSON integer of at most 15 digits (a safe integer) starting at `at`, or -1. */
function integerEnd(bytes: Buffer, at: number, end: number): number {
  let j = at;
  while (j < end && bytes[j] >= 0x30 && bytes[j] <= 0x39) j++;
  const digits = j - at;
  if (digits === 0 || digits > 15 || (digits > 1 && bytes[at] === 0x30)) return -1;
  return j;
}

/** Whether the last string scanned by stringEnd held a backslash escape. */
let escaped = false;

/** Index of the closing quote of the JSON string opening at `at`, or -1 (unterminated, or a control character). */
function stringEnd(bytes: Buffer, at: number, end: number): number {
  escaped = false;
  for (let j = at + 1; j < end; j++) {
    const c = bytes[j];
    if (c === QUOTE) return j;
    if (c < 0x20) return -1;
    if (c === BACKSLASH) {
      escaped = true;
      j++;
    }
  }
  return -1;
}

/**
 * Index of the closing quote of a Braze id made only of printable ASCII (at least one character that is not a
 * space, no escapes), or -1: other ids go through the full parse, which reads, and judges, them exactly.
 */
function plainIdEnd(bytes: Buffer, at: number, end: number): number {
  let visible = false;
  for (let j = at + 1; j < end; j++) {
    const c = bytes[j];
    if (c === QUOTE) return visible ? j : -1;
    if (c < 0x20 || c > 0x7e || c === BACKSLASH) return -1;
    if (c !== 0x20) visible = true;
  }
  return -1;
}

/** End (exclusive) of the JSON value starting at `at`, without checking what is inside it beyond its nesting; or -1. */
function valueEndAt(bytes: Buffer, at: number, end: number): number {
  const c = bytes[at];
  if (c === QUOTE) {
    const close = stringEnd(bytes, at, end);
    return close < 0 ? -1 : close + 1;
  }
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = at; j < end; j++) {
      const d = bytes[j];
      if (d === QUOTE) {
        j = stringEnd(bytes, j, end);
        if (j < 0) return -1;
      } else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = at;
  while (j < end) {
    const d = bytes[j];
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET) break;
    j++;
  }
  return j > at ? j : -1;
}

/**
 * The CLI's input path (RawInputDestination): lines are split from the raw bytes here, and a `cohort_members`
 * RECORD line in the shape every kit-based source writes (`{"type":"RECORD","record":{"stream":"cohort_members",
 * "data":{…},"emitted_at":N}}`) has just the four fields the diff needs scanned out of its `data`, instead of a
 * full JSON.parse (a million-member cohort is a million such lines). Any other line, or one the scanner is not
 * sure about, goes through the kit's own line rules (parseMessageLine), so both paths yield the same messages
 * and the same warnings with the same line numbers.
 */
import type { Logger } from '../../../connector-kit/logger';
import { lineProblemText, parseMessageLine, toDestinationMessage, type RawMessageInput } from '../../../connector-kit/input';
import type { AirbyteMessage, JsonObject } from '../../../connector-kit/protocol';

const MEMBER_PREFIX = '{"type":"RECORD","record":{"stream":"cohort_members","data":{';
const WANTED = new Set(['cohort_id', 'cohort_name', 'snapshot_id', 'user_id']);
const TAIL = /^,"emitted_at":\d+\}\}\s*$/;

export async function* rawMessages(input: RawMessageInput, log: Logger): AsyncGenerator<AirbyteMessage> {
  let rest = '';
  let lineNumber = 0;
  const fast = input.protocol === 'airbyte';
  for await (const chunk of input.chunks) {
    const text = rest + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    let start = 0;
    let end: number;
    while ((end = text.indexOf('\n', start)) !== -1) {
      lineNumber++;
      const message = readLine(text.slice(start, end), lineNumber, fast, input.protocol, log);
      if (message) yield message;
      start = end + 1;
    }
    rest = text.slice(start);
  }
  if (rest.trim()) {
    const message = readLine(rest, ++lineNumber, fast, input.protocol, log);
    if (message) yield message;
  }
}

function readLine(line: string, lineNumber: number, fast: boolean, protocol: RawMessageInput['protocol'], log: Logger): AirbyteMessage | undefined {
  if (fast && line.startsWith(MEMBER_PREFIX)) {
    const data = scanMemberData(line);
    if (data) return { type: 'RECORD', record: { stream: 'cohort_members', data, emitted_at: 0 } };
  }
  const outcome = parseMessageLine(line);
  if (!outcome) return undefined;
  if ('problem' in outcome) {
    log.warn(lineProblemText(lineNumber, outcome.problem));
    return undefined;
  }
  return toDestinationMessage(outcome.message, protocol);
}

/**
 * The wanted top-level fields of the `data` object that starts right after the prefix, or undefined when the
 * line is anything but plainly well-formed (the caller then parses it fully). Nested values are skipped.
 */
export function scanMemberData(line: string): JsonObject | undefined {
  const data: JsonObject = {};
  let i = MEMBER_PREFIX.length;
  const n = line.length;
  if (line.charCodeAt(i) === 0x7d /* } */) return undefined; // an empty data object: let the full parse judge it
  for (;;) {
    if (line.charCodeAt(i) !== 0x22 /* " */) return undefined;
    const keyEnd = line.indexOf('"', i + 1);
    if (keyEnd < 0) return undefined;
    const key = line.slice(i + 1, keyEnd);
    if (key.includes('\\') || line.charCodeAt(keyEnd + 1) !== 0x3a /* : */) return undefined;
    const valueStart = keyEnd + 2;
    const valueEnd = skipValue(line, valueStart);
    if (valueEnd < 0) return undefined;
    if (WANTED.has(key)) {
      const value = valueOf(line, valueStart, valueEnd);
      if (value === INVALID) return undefined;
      data[key] = value;
    }
    i = valueEnd;
    const c = line.charCodeAt(i);
    if (c === 0x2c /* , */) {
      i++;
      continue;
    }
    if (c === 0x7d /* } */) {
      i++;
      break;
    }
    return undefined;
  }
  return i < n && TAIL.test(line.slice(i)) ? data : undefined;
}

const INVALID = Symbol('invalid');

/** A scanned value: plain strings and integers directly (the common case), anything else through JSON.parse. */
function valueOf(line: string, start: number, end: number): unknown {
  // A string without any backslash in it is its text as it stands.
  if (line.charCodeAt(start) === 0x22 && line.lastIndexOf('\\', end - 1) < start) return line.slice(start + 1, end - 1);
  const text = line.slice(start, end);
  if (/^-?\d{1,15}$/.test(text)) return Number(text);
  try {
    return JSON.parse(text);
  } catch {
    return INVALID;
  }
}

/** End (exclusive) of the JSON value starting at `i` (no whitespace expected), or -1. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22) return skipString(s, i);
  if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === 0x22) {
        j = skipString(s, j) - 1;
        if (j < 0) return -1;
      } else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x5d) break;
    j++;
  }
  return j > i ? j : -1;
}

/** End (exclusive, past the closing quote) of the string starting at `i`, or -1. */
function skipString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const d = s.charCodeAt(j);
    if (d === 0x5c /* \ */) j++;
    else if (d === 0x22) return j + 1;
  }
  return -1;
}

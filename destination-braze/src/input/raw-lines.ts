/**
 * The CLI's input path (RawInputDestination): lines are split from the raw bytes here. Consecutive
 * `cohort_members` lines of one cohort snapshot that the byte scanner can read (input/member-line-scanner.ts)
 * become one MemberBlock: the members' Braze ids as byte ranges of the input, which the diff looks up without
 * making a string of each. Any other line goes through the kit's own line rules (parseMessageLine) and becomes a
 * message, so both paths give the same records, in the same order, with the same warnings and line numbers.
 * Input is handed on one chunk at a time, as an array: a million members are not a million awaits.
 */
import type { Logger } from '../../../connector-kit/logger';
import { lineProblemText, parseMessageLine, toDestinationMessage, type RawMessageInput } from '../../../connector-kit/input';
import type { AirbyteMessage } from '../../../connector-kit/protocol';
import { scanMemberLine, type ScannedMember, type TextRange } from './member-line-scanner';

/** Member records of one cohort snapshot, in input order, each with a Braze id (printable ASCII). */
export interface MemberBlock {
  type: 'MEMBERS';
  cohortId: number;
  cohortName: string;
  snapshotId: string;
  /** Member k's Braze id is the UTF-8 text `bytes[starts[k], ends[k])`. */
  bytes: Buffer;
  starts: number[];
  ends: number[];
}

export type CohortInput = AirbyteMessage | MemberBlock;

const NEWLINE = 0x0a;

export async function* rawCohortInput(input: RawMessageInput, log: Logger): AsyncGenerator<CohortInput[]> {
  const reader = new LineReader(input.protocol, log);
  let rest: Buffer | undefined;
  for await (const chunk of input.chunks) {
    const bytes = toBuffer(chunk);
    let start = 0;
    if (rest) {
      // Only the line cut by the previous chunk's end is joined (a copy of every chunk would cost a pass over the input).
      const first = bytes.indexOf(NEWLINE);
      if (first === -1) {
        rest = Buffer.concat([rest, bytes]);
        continue;
      }
      const line = Buffer.concat([rest, bytes.subarray(0, first)]);
      reader.line(line, 0, line.length);
      start = first + 1;
    }
    let end: number;
    while ((end = bytes.indexOf(NEWLINE, start)) !== -1) {
      reader.line(bytes, start, end);
      start = end + 1;
    }
    rest = start < bytes.length ? bytes.subarray(start) : undefined;
    const items = reader.take();
    if (items.length) yield items;
  }
  if (rest && rest.toString('utf8').trim()) {
    reader.line(rest, 0, rest.length);
    yield reader.take();
  }
}

/** Turns lines into messages and member blocks, extending the open block while lines continue it. */
class LineReader {
  private items: CohortInput[] = [];
  private block: MemberBlock | undefined;
  /** Where the open block's cohort name and snapshot id are, to tell whether the next member continues it. */
  private blockKey = { name: emptyRange(), snapshot: emptyRange() };
  private readonly scanned: ScannedMember = { cohortId: 0, name: emptyRange(), snapshot: emptyRange(), userStart: 0, userEnd: 0 };
  private lineNumber = 0;
  private readonly fast: boolean;

  constructor(private readonly protocol: RawMessageInput['protocol'], private readonly log: Logger) {
    this.fast = protocol === 'airbyte';
  }

  line(bytes: Buffer, start: number, end: number): void {
    this.lineNumber++;
    const m = this.scanned;
    if (this.fast && scanMemberLine(bytes, start, end, m) && (this.continuesBlock(bytes, m) || this.openBlock(bytes, m))) {
      this.block!.starts.push(m.userStart);
      this.block!.ends.push(m.userEnd);
      return;
    }
    this.block = undefined;
    const message = this.fullParse(bytes.toString('utf8', start, end));
    if (message) this.items.push(message);
  }

  /** What the lines since the last call gave; the open block ends here (its bytes are this chunk's). */
  take(): CohortInput[] {
    const items = this.items;
    this.items = [];
    this.block = undefined;
    return items;
  }

  private continuesBlock(bytes: Buffer, m: ScannedMember): boolean {
    const block = this.block;
    if (!block || block.bytes !== bytes || block.cohortId !== m.cohortId) return false;
    const key = this.blockKey;
    return sameBytes(bytes, key.name, m.name) && sameBytes(bytes, key.snapshot, m.snapshot);
  }

  /** Starts a block with this member; false (the line then goes to the full parse) when an escape is invalid. */
  private openBlock(bytes: Buffer, m: ScannedMember): boolean {
    const cohortName = jsonString(bytes, m.name);
    const snapshotId = jsonString(bytes, m.snapshot);
    if (cohortName === undefined || snapshotId === undefined) return false;
    this.block = { type: 'MEMBERS', cohortId: m.cohortId, cohortName, snapshotId, bytes, starts: [], ends: [] };
    this.blockKey = { name: { ...m.name }, snapshot: { ...m.snapshot } };
    this.items.push(this.block);
    return true;
  }

  private fullParse(line: string): AirbyteMessage | undefined {
    const outcome = parseMessageLine(line);
    if (!outcome) return undefined;
    if ('problem' in outcome) {
      this.log.warn(lineProblemText(this.lineNumber, outcome.problem));
      return undefined;
    }
    return toDestinationMessage(outcome.message, this.protocol);
  }
}

const emptyRange = (): TextRange => ({ start: 0, end: 0, escaped: false });

/** The text of a JSON string value; undefined when its escapes are invalid. */
function jsonString(bytes: Buffer, range: TextRange): string | undefined {
  if (!range.escaped) return bytes.toString('utf8', range.start, range.end);
  try {
    return JSON.parse(bytes.toString('utf8', range.start - 1, range.end + 1)) as string;
  } catch {
    return undefined;
  }
}

function sameBytes(bytes: Buffer, a: TextRange, b: TextRange): boolean {
  if (a.end - a.start !== b.end - b.start) return false;
  for (let k = 0; k < a.end - a.start; k++) if (bytes[a.start + k] !== bytes[b.start + k]) return false;
  return true;
}

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

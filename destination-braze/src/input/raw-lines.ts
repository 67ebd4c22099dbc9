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
import { scanMemberLine, type ScannedMember } from './member-line-scanner';

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
  private blockKey = { nameStart: 0, nameEnd: 0, snapshotStart: 0, snapshotEnd: 0 };
  private readonly scanned: ScannedMember = {
    cohortId: 0, nameStart: 0, nameEnd: 0, nameEscaped: false, snapshotStart: 0, snapshotEnd: 0, snapshotEscaped: false, userStart: 0, userEnd: 0,
  };
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
    return sameBytes(bytes, key.nameStart, key.nameEnd, m.nameStart, m.nameEnd) && sameBytes(bytes, key.snapshotStart, key.snapshotEnd, m.snapshotStart, m.snapshotEnd);
  }

  /** Starts a block with this member; false (the line then goes to the full parse) when an escape is invalid. */
  private openBlock(bytes: Buffer, m: ScannedMember): boolean {
    const cohortName = jsonString(bytes, m.nameStart, m.nameEnd, m.nameEscaped);
    const snapshotId = jsonString(bytes, m.snapshotStart, m.snapshotEnd, m.snapshotEscaped);
    if (cohortName === undefined || snapshotId === undefined) return false;
    this.block = { type: 'MEMBERS', cohortId: m.cohortId, cohortName, snapshotId, bytes, starts: [], ends: [] };
    this.blockKey = { nameStart: m.nameStart, nameEnd: m.nameEnd, snapshotStart: m.snapshotStart, snapshotEnd: m.snapshotEnd };
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

/** The text of a JSON string value whose content (between the quotes) is `bytes[start, end)`; undefined when its escapes are invalid. */
function jsonString(bytes: Buffer, start: number, end: number, escaped: boolean): string | undefined {
  if (!escaped) return bytes.toString('utf8', start, end);
  try {
    return JSON.parse(bytes.toString('utf8', start - 1, end + 1)) as string;
  } catch {
    return undefined;
  }
}

function sameBytes(bytes: Buffer, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let k = 0; k < aEnd - aStart; k++) if (bytes[aStart + k] !== bytes[bStart + k]) return false;
  return true;
}

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

/**
 * A block of raw input lines → an EncodedBlock: every line parsed with the kit's rules, every RECORD run
 * through the shared record encoder, the accepted events' JSON packed into one buffer (cheap to hand from a
 * worker thread to the main thread: transferred, not copied). Everything that is not an accepted event
 * (states, skips, rejections, unreadable lines) is listed with its position, so the main thread replays the
 * block in input order.
 */
import { parseMessageLine, toDestinationMessage, type InputProtocol } from '../../../connector-kit/input';
import type { AirbyteStateMessage } from '../../../connector-kit/protocol';
import { sampleOf, type RecordSample } from '../../../connector-kit/privacy';
import type { EncodeRecord } from '../record-encoder';

/** Something in the block other than an accepted event. `at` = number of accepted events before it in the block. */
export type BlockItem = { at: number } & (
  | { kind: 'state'; state: AirbyteStateMessage }
  /** `sample` (value-free), sent only for the first few skips per reason (the ledger keeps only a few). */
  | { kind: 'skipped'; stream: string; reason: string; detail?: string; sample?: RecordSample }
  | { kind: 'rejected'; stream: string; reason: string; detail: string; countAs: string; record: unknown }
  /** An unreadable line: `line` counts from 1 within the block; `problem` completes "Input line N …"; `text` is its start (for the rejected-records file only). */
  | { kind: 'problem'; line: number; problem: string; text: string }
);

export interface EncodedBlock {
  /** Lines in the block (blank ones included), so line numbers continue across blocks. */
  lineCount: number;
  /** Accepted events' JSON, each followed by a newline; event i ends (before its newline) at `eventEnds[i]`. */
  eventJson: Uint8Array;
  eventEnds: Int32Array;
  /** Per event: indexes into `names` of its Mixpanel event name and of its source stream. */
  eventNameIds: Uint32Array;
  streamIds: Uint32Array;
  names: string[];
  items: BlockItem[];
  /** Mapping warnings of the block with their counts, e.g. [['invalid_properties_json', 3]]. */
  warnings: Array<[string, number]>;
}

const NEWLINE = 10;

/** How much of an unreadable line travels with the block, as the sample of its rejection. */
const UNREADABLE_SAMPLE_CHARS = 1000;

/** Skips per reason for which a sample travels with the block (the ledger keeps 3 per reason; see ledger.ts). */
export const SAMPLED_SKIPS_PER_REASON = 3;

/**
 * Encodes one block. `sampledSkips` counts, per reason, the skips already sampled by this encoder across its
 * blocks: blocks are replayed in input order, so a sample sent for the first few of each encoder always
 * covers the first few overall.
 */
export function encodeBlock(bytes: Uint8Array, protocol: InputProtocol, encode: EncodeRecord, sampledSkips: Map<string, number>): EncodedBlock {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new EventPacker(bytes.byteLength);
  const items: BlockItem[] = [];
  const warnings = new Map<string, number>();
  let lineCount = 0;
  // Each line is decoded on its own: one multi-megabyte string costs several times more to build than its lines
  // do, and a single non-ASCII character would make all of it a two-byte string (slower to slice and parse).
  for (let start = 0; start < buf.length; ) {
    let end = buf.indexOf(NEWLINE, start);
    if (end === -1) end = buf.length;
    lineCount++;
    const line = buf.toString('utf8', start, end);
    const outcome = parseMessageLine(line);
    start = end + 1;
    if (!outcome) continue;
    if ('problem' in outcome) {
      items.push({ at: out.count, kind: 'problem', line: lineCount, problem: outcome.problem, text: line.slice(0, UNREADABLE_SAMPLE_CHARS) });
      continue;
    }
    const message = toDestinationMessage(outcome.message, protocol);
    if (message?.type === 'STATE') {
      items.push({ at: out.count, kind: 'state', state: message.state });
      continue;
    }
    if (message?.type !== 'RECORD') continue; // other message types carry nothing to deliver
    const { stream, data } = message.record;
    const verdict = encode(stream, data, Date.now());
    switch (verdict.outcome) {
      case 'event':
        out.add(verdict.json, verdict.eventName, stream);
        if (verdict.warnings) for (const w of verdict.warnings) warnings.set(w, (warnings.get(w) ?? 0) + 1);
        break;
      case 'skipped': {
        const sampled = sampledSkips.get(verdict.reason) ?? 0;
        const sample = sampled < SAMPLED_SKIPS_PER_REASON ? sampleOf(verdict.record) : undefined;
        if (sample !== undefined) sampledSkips.set(verdict.reason, sampled + 1);
        items.push({ at: out.count, kind: 'skipped', stream, reason: verdict.reason, detail: verdict.detail, sample });
        break;
      }
      case 'rejected':
        items.push({ at: out.count, kind: 'rejected', stream, reason: verdict.reason, detail: verdict.detail, countAs: verdict.countAs, record: verdict.record });
        break;
    }
  }
  return { lineCount, ...out.finish(), items, warnings: [...warnings] };
}

/** The buffers a worker can transfer (not copy) to the main thread. */
export function transferablesOf(block: EncodedBlock): ArrayBuffer[] {
  return [block.eventJson.buffer, block.eventEnds.buffer, block.eventNameIds.buffer, block.streamIds.buffer] as ArrayBuffer[];
}

/** Writes event lines back to back into one growing buffer and interns names. */
class EventPacker {
  private buf: Buffer;
  private length = 0;
  private ends: number[] = [];
  private nameIds: number[] = [];
  private streamIds: number[] = [];
  private readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();

  constructor(expectedBytes: number) {
    // Events are about as long as the input lines; an own ArrayBuffer (not Node's shared pool) can be transferred.
    this.buf = Buffer.allocUnsafeSlow(Math.max(4096, expectedBytes));
  }

  get count(): number {
    return this.ends.length;
  }

  add(json: string, eventName: string, stream: string): void {
    // Fast path: plenty of room for the worst case (3 bytes per UTF-16 unit); else measure and grow.
    if (this.length + json.length * 3 + 1 > this.buf.length) this.reserve(Buffer.byteLength(json, 'utf8') + 1);
    this.length += this.buf.write(json, this.length, 'utf8');
    this.ends.push(this.length);
    this.buf[this.length++] = 10;
    this.nameIds.push(this.intern(eventName));
    this.streamIds.push(this.intern(stream));
  }

  finish(): Pick<EncodedBlock, 'eventJson' | 'eventEnds' | 'eventNameIds' | 'streamIds' | 'names'> {
    return {
      eventJson: this.buf.subarray(0, this.length),
      eventEnds: Int32Array.from(this.ends),
      eventNameIds: Uint32Array.from(this.nameIds),
      streamIds: Uint32Array.from(this.streamIds),
      names: this.names,
    };
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.length + bytes));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  private intern(name: string): number {
    let id = this.nameIndex.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIndex.set(name, id);
    }
    return id;
  }
}

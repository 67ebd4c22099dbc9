/**
 * Destination input: newline-delimited JSON messages, one per line. Lines that are not JSON objects with a
 * `type` are reported and skipped. The line rules live in `parseMessageLine` so that a destination parsing
 * raw input itself (e.g. on worker threads, see RawInputDestination) treats every line exactly as the kit does.
 */
import type { Readable } from 'stream';
import type { DestinationOutput } from './connector';
import type { Logger } from './logger';
import type { AirbyteMessage, ConfiguredAirbyteCatalog, JsonObject } from './protocol';
import { fromSingerMessage } from './singer';

export type InputProtocol = 'airbyte' | 'singer';

/** One input line: the message, why it was skipped (completes "Input line N …"), or nothing for a blank line. */
export type LineOutcome = { message: Record<string, unknown> } | { problem: string } | undefined;

export function parseMessageLine(line: string): LineOutcome {
  if (!line.trim()) return undefined;
  try {
    const value = JSON.parse(line);
    if (!value || typeof value !== 'object' || Array.isArray(value) || typeof value.type !== 'string') {
      return { problem: 'is JSON but not a protocol message (no "type"); skipped.' };
    }
    // A RECORD the destination cannot read must not stop the sync: report it like any unreadable line.
    if (value.type === 'RECORD' && !isRecordShaped(value)) return { problem: 'is a RECORD without a "record" object holding "stream" and "data"; skipped.' };
    return { message: value };
  } catch {
    // Its text is not shown: a cut record line is full of personal data (DESIGN §7).
    return { problem: `is not valid JSON (${line.length} characters); skipped.` };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Airbyte RECORD: `record: {stream, data}`; Singer RECORD: `stream` and `record` at the top. */
function isRecordShaped(message: Record<string, unknown>): boolean {
  if (!isObject(message.record)) return false;
  const airbyte = typeof message.record.stream === 'string' && isObject(message.record.data);
  const singer = typeof message.stream === 'string';
  return airbyte || singer;
}

/** The warning logged for a skipped line (`lineNumber` counts from 1, blank lines included). */
export function lineProblemText(lineNumber: number, problem: string): string {
  return `Input line ${lineNumber} ${problem}`;
}

/**
 * The AirbyteMessage a destination receives for a parsed input line: Singer RECORD/STATE are converted,
 * other Singer messages (SCHEMA, …) give undefined.
 */
export function toDestinationMessage(raw: Record<string, unknown>, protocol: InputProtocol): AirbyteMessage | undefined {
  return protocol === 'singer' ? fromSingerMessage(raw as JsonObject) : (raw as unknown as AirbyteMessage);
}

export async function* readJsonLines(input: Readable, log: Logger): AsyncGenerator<Record<string, unknown>> {
  let rest = '';
  let lineNumber = 0;
  input.setEncoding('utf8');
  const parse = (line: string) => {
    const outcome = parseMessageLine(line);
    if (outcome && 'problem' in outcome) log.warn(lineProblemText(lineNumber, outcome.problem));
    return outcome && 'message' in outcome ? outcome.message : undefined;
  };
  for await (const chunk of input as AsyncIterable<string>) {
    const text = rest + chunk;
    let start = 0;
    let end: number;
    while ((end = text.indexOf('\n', start)) !== -1) {
      lineNumber++;
      const parsed = parse(text.slice(start, end));
      if (parsed) yield parsed;
      start = end + 1;
    }
    rest = text.slice(start);
  }
  if (rest.trim()) {
    lineNumber++;
    const parsed = parse(rest);
    if (parsed) yield parsed;
  }
}

/** The destination's input as raw bytes, for destinations that parse it themselves. */
export interface RawMessageInput {
  /** How to read each line: Airbyte messages, or Singer messages to convert with `toDestinationMessage`. */
  protocol: InputProtocol;
  /** The input in arbitrary chunks (a line may span chunks); apply `parseMessageLine` to each line. */
  chunks: AsyncIterable<Buffer>;
}

/**
 * Optional fast path of a Destination: the kit calls `writeRaw` instead of `write` for CLI input (stdin or
 * Singer `--input`), so the destination can spread parsing over threads. It must behave exactly as `write`
 * would with the messages of those lines (same line rules, same warnings with the same line numbers).
 */
export interface RawInputDestination {
  writeRaw(config: JsonObject, catalog: ConfiguredAirbyteCatalog, input: RawMessageInput, out: DestinationOutput): Promise<void>;
}

export function acceptsRawInput(destination: object): destination is RawInputDestination {
  return typeof (destination as Partial<RawInputDestination>).writeRaw === 'function';
}

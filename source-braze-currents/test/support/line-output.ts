/**
 * A SourceOutput that keeps every record as the text line the kit would print, whichever path produced it:
 * `record()` lines are framed around JSON.stringify(data) (what the kit does), `recordLines` lines arrive
 * pre-built. With `fastPath: false` it offers only `record`, i.e. the reference object path; streams in
 * `refusedStreams` are refused by `recordLines` (as the kit refuses streams with deselected properties).
 */
import type { RecordLineWriter, SourceOutput } from '../../../connector-kit/connector';
import type { Logger } from '../../../connector-kit/logger';
import type { JsonObject } from '../../../connector-kit/protocol';

const headOf = (stream: string) => `{"stream":${JSON.stringify(stream)},"data":`;
const TAIL = ',"emitted_at":1}';

export class LineOutput implements SourceOutput {
  readonly lines: string[] = [];
  /** Records that arrived through recordLines / through record. */
  viaLines = 0;
  viaRecord = 0;
  /** The last deferred write (writes complete in order). */
  private inFlight: Promise<void> = Promise.resolve();
  /** recordLines.write calls. */
  writes = 0;
  readonly log: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  readonly recordLines?: RecordLineWriter;

  /**
   * `deferWrites`: each recordLines write reads its bytes only when it completes, a few event-loop turns
   * later, like a pipe with a slow reader; a producer that reuses a buffer too early shows up as wrong lines.
   */
  constructor(fastPath: boolean, deferWrites = false, refusedStreams: string[] = []) {
    if (!fastPath) return;
    this.recordLines = {
      accepts: (stream) => !refusedStreams.includes(stream),
      frame: (stream) => ({ head: headOf(stream), tail: `${TAIL}\n` }),
      write: (_stream, bytes, length, count) => {
        this.writes++;
        this.viaLines += count;
        if (!deferWrites) return this.take(bytes, length, count);
        this.inFlight = this.inFlight.then(() => new Promise<void>((done) => setTimeout(done, 1))).then(() => this.take(bytes, length, count));
        return this.inFlight;
      },
    };
  }

  /** Resolves once every write so far has completed (what the kit's close does before exiting). */
  settled(): Promise<void> {
    return this.inFlight;
  }

  private take(bytes: Buffer, length: number, count: number): void {
    const text = bytes.toString('utf8', 0, length);
    if (!text.endsWith('\n')) throw new Error('lines must end with a newline');
    const lines = text.slice(0, -1).split('\n');
    if (lines.length !== count) throw new Error(`write() said ${count} lines but got ${lines.length}`);
    this.lines.push(...lines);
  }

  record(stream: string, data: JsonObject): void {
    this.viaRecord++;
    this.lines.push(`${headOf(stream)}${JSON.stringify(data)}${TAIL}`);
  }

  state(): void {}
  streamStatus(): void {}

  /** The records' data objects (parsed back from the lines). */
  data(): JsonObject[] {
    return this.lines.map((l) => (JSON.parse(l) as { data: JsonObject }).data);
  }
}

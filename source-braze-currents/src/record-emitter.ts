/**
 * Emits one Avro file's records, each with `_event_type` and `_source_key` appended. Two paths, same lines:
 *
 * - Line path (when the output offers `recordLines` that accept the stream and the writer schema compiles):
 *   blocks are transcoded from Avro bytes straight into whole RECORD lines (the kit's frame around each
 *   record's JSON), handed over in slices of about 1 MB — no objects, no JSON.stringify, one output call per slice.
 * - Object path: avsc decodes each block into objects, `planRecordFix` makes them JSON-safe, and each goes
 *   through `record`. It is the reference: whenever the line path is unsure about a block (corrupt or
 *   unusual bytes) that block is decoded here instead, so errors and their messages come from avsc alone.
 *
 * A block's records become visible only once the block is completely transcoded, as on the object path,
 * unless the block holds more than a slice of JSON (Braze's blocks hold far less); then a corrupt record
 * late in such a block fails the file after the slices before it were emitted.
 */
import type { RecordLineWriter, SourceOutput } from '../../connector-kit/connector';
import type { JsonObject } from '../../connector-kit/protocol';
import { AvroCursor } from './avro/binary-cursor';
import type { AvroFileReader, AvroHeader, RawBlock } from './avro/container';
import { planRecordFix } from './avro/json-values';
import { compileJsonTranscoder, type RecordJsonTranscoder } from './avro/json-transcoder';
import { ByteLiteral, JsonByteWriter } from './avro/json-writer';

/** Bytes per `recordLines.write`: big enough to amortise the call and the write, small enough for memory. */
const SLICE_BYTES = 1 << 20;
/** Distinct writer schemas whose compiled transcoders are kept (an export uses a few per event type). */
const MAX_CACHED_SCHEMAS = 256;

interface FileTarget { stream: string; eventType: string; key: string }
type RecordFix = ReturnType<typeof planRecordFix>;

export class RecordEmitter {
  /**
   * Two buffers used in turn: a slice is transcoded into one while the other is still being written to
   * stdout, so transcoding overlaps with the consumer reading the pipe instead of waiting for it.
   */
  private readonly buffers = [new SlotWriter(), new SlotWriter()];
  private turn = 0;
  private readonly transcoders = new Map<string, RecordJsonTranscoder | null>();

  constructor(private readonly out: SourceOutput) {}

  async emitFile(reader: AvroFileReader, target: FileTarget): Promise<void> {
    const header = await reader.readHeader();
    const fix = lazy(() => planRecordFix(header.schema));
    // A stream whose fields the kit filters (Singer property selection) takes objects only.
    const lines = this.out.recordLines?.accepts(target.stream) ? this.out.recordLines : undefined;
    const transcoder = lines ? this.transcoderFor(header) : undefined;
    if (!lines || !transcoder) {
      for await (const block of reader.rawBlocks()) await this.emitObjects(reader, block, 0, fix, target);
      return;
    }
    const closing = transcoder.closingText({ _event_type: target.eventType, _source_key: target.key });
    for await (const block of reader.rawBlocks()) {
      const resumeAt = await this.emitLines(lines, transcoder, block, closing, target.stream);
      if (resumeAt !== undefined) await this.emitObjects(reader, block, resumeAt, fix, target);
    }
  }

  /**
   * Transcodes and emits the block slice by slice. Returns undefined when the whole block went out, else
   * the index of the first record not emitted: the caller has avsc decode the block from there (and report
   * whatever is wrong with it, e.g. bytes left after the last record).
   */
  private async emitLines(lines: RecordLineWriter, transcoder: RecordJsonTranscoder, block: RawBlock, closing: string, stream: string): Promise<number | undefined> {
    const cursor = new AvroCursor(block.data);
    let done = 0;
    while (done < block.count) {
      const slot = this.buffers[this.turn];
      await slot.free();
      const writer = slot.writer;
      const frame = lines.frame(stream);
      const open = ByteLiteral.of(`${frame.head}{`);
      const close = ByteLiteral.of(closing + frame.tail);
      writer.reset();
      let n: number;
      try {
        n = transcoder.transcode(cursor, writer, block.count - done, open, close, SLICE_BYTES);
      } catch {
        // NotTranscodable, or anything unforeseen: the object path decides what this block holds.
        return done;
      }
      if (done + n === block.count && cursor.pos !== cursor.end) return done;
      slot.writing(lines.write(stream, writer.buf, writer.pos, n));
      this.turn ^= 1;
      done += n;
    }
    return cursor.pos === cursor.end ? undefined : done;
  }

  /** The reference path: avsc objects, made JSON-safe, from record `from` of the block on. */
  private async emitObjects(reader: AvroFileReader, block: RawBlock, from: number, fixer: () => RecordFix, target: FileTarget): Promise<void> {
    const records = reader.decodeBlock(block);
    const fix = fixer();
    for (let i = from; i < records.length; i++) {
      const record = records[i] as Record<string, unknown>;
      if (fix) fix(record);
      record._event_type = target.eventType;
      record._source_key = target.key;
      const wait = this.out.record(target.stream, record as JsonObject);
      if (wait) await wait;
    }
  }

  private transcoderFor(header: AvroHeader): RecordJsonTranscoder | undefined {
    let transcoder = this.transcoders.get(header.schemaText);
    if (transcoder === undefined) {
      if (this.transcoders.size >= MAX_CACHED_SCHEMAS) this.transcoders.clear();
      transcoder = compileJsonTranscoder(header.schema, header.resolved) ?? null;
      this.transcoders.set(header.schemaText, transcoder);
    }
    return transcoder ?? undefined;
  }
}

/** One output buffer and the write that still holds its bytes. */
class SlotWriter {
  readonly writer = new JsonByteWriter(2 * SLICE_BYTES);
  private pending: Promise<void> | void = undefined;

  writing(write: Promise<void> | void): void {
    this.pending = write;
  }

  /** Resolves once the buffer's last write is done, so it may be overwritten. */
  async free(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) await pending;
  }
}

/** Computes `make()` on first use only (the line path rarely needs the object path's fixer). */
function lazy<T>(make: () => T): () => T {
  let made = false;
  let value: T;
  return () => {
    if (!made) { value = make(); made = true; }
    return value;
  };
}

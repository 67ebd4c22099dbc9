/**
 * Streams an Avro object-container file block by block: header (magic, metadata, sync marker), then
 * blocks of `count` records each, decoded with the writer schema from the header. Work is batched per
 * block (one decompression, one tight decode loop) rather than per record through a stream.
 */
import { safeErrorMessage } from '../../../connector-kit/privacy';
import avro from 'avsc';
import type { Readable } from 'stream';
import { CODECS, CodecError } from './codecs';
import { resolveFlatRecord, type ResolvedType } from './simple-schema';

const MAGIC = Buffer.from('Obj\x01', 'latin1');
const SYNC_SIZE = 16;
/** Guards against a corrupt length making us buffer a whole file; real Braze blocks hold ≤ 100 000 events. */
const MAX_BLOCK_BYTES = 512 * 1024 * 1024;

const HEADER_TYPE = avro.Type.forSchema({
  type: 'record',
  name: 'Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: SYNC_SIZE } },
  ],
});
const LONG_TYPE = avro.Type.forSchema('long');

/** The file is not an Avro object container at all (wrong magic bytes): callers skip it with a warning. */
export class NotAvroError extends Error {}
/** The file starts like Avro but is truncated or corrupt: callers must not skip it silently. */
export class CorruptAvroError extends Error {}

/** One block of an object-container file: its 1-based position, record count and decompressed bytes. */
export interface RawBlock {
  index: number;
  count: number;
  data: Buffer;
}

export interface AvroHeader {
  codec: string;
  /** Writer schema as parsed JSON. */
  schema: Record<string, unknown>;
  /** Writer schema as written in the file (a cache key for what is compiled from it). */
  schemaText: string;
  /** avsc's Type for the writer schema; built on first use when `resolved` came without it. */
  readonly type: avro.Type;
  /** The writer schema's resolved types, for compiling a transcoder (avsc's Type, or a description of a flat record). */
  resolved: ResolvedType;
  sync: Buffer;
}

/** Pulls chunks from a stream into one contiguous window only as far as the decoder needs. */
class ByteWindow {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  ended = false;
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(stream: Readable) {
    this.chunks = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  get available(): number { return this.buf.length - this.pos; }

  /** Makes at least `n` bytes available unless the stream ends first; returns whether it did. */
  async ensure(n: number): Promise<boolean> {
    if (this.available >= n) return true;
    // Nothing left over (the usual case at a chunk boundary): take chunks as they are, without a copy.
    const parts: Buffer[] = this.available > 0 ? [this.buf.subarray(this.pos)] : [];
    let have = this.available;
    while (have < n && !this.ended) {
      const next = await this.chunks.next();
      if (next.done) { this.ended = true; break; }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      parts.push(chunk);
      have += chunk.length;
    }
    this.buf = parts.length === 0 ? Buffer.alloc(0) : parts.length === 1 ? parts[0] : Buffer.concat(parts, have);
    this.pos = 0;
    return have >= n;
  }

  async atEnd(): Promise<boolean> {
    return !(await this.ensure(1));
  }

  async close(): Promise<void> {
    await this.chunks.return?.();
  }
}

export class AvroFileReader {
  private header?: AvroHeader;
  private readonly window: ByteWindow;

  constructor(stream: Readable, private readonly name: string) {
    this.window = new ByteWindow(stream);
  }

  async readHeader(): Promise<AvroHeader> {
    if (this.header) return this.header;
    const w = this.window;
    if (!(await w.ensure(MAGIC.length)) || !w.buf.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new NotAvroError(`${this.name} is not an Avro object-container file (no "Obj\\x01" magic bytes)`);
    }
    let want = 4096;
    for (;;) {
      await w.ensure(want);
      const decoded = decodeSafely(HEADER_TYPE, w.buf, w.pos, this.name);
      if (decoded.offset >= 0) {
        w.pos = decoded.offset;
        this.header = this.parseHeader(decoded.value as { meta: Record<string, Buffer>; sync: Buffer });
        return this.header;
      }
      if (w.ended) throw new CorruptAvroError(`${this.name} is truncated or corrupt: its Avro header is incomplete`);
      want = w.available * 2;
    }
  }

  /** Yields each block's records, decoded with the writer schema. */
  async *blocks(): AsyncGenerator<unknown[]> {
    for await (const block of this.rawBlocks()) yield this.decodeBlock(block);
  }

  /**
   * Yields each block's decompressed bytes and record count, after checking its framing and sync marker,
   * for callers that decode the records themselves (see json-transcoder.ts).
   */
  async *rawBlocks(): AsyncGenerator<RawBlock> {
    const header = await this.readHeader();
    const codec = CODECS[header.codec];
    const w = this.window;
    let index = 0;
    while (!(await w.atEnd())) {
      index++;
      await w.ensure(20); // two varints (count, byte length) take at most 10 bytes each
      const count = decodeSafely(LONG_TYPE, w.buf, w.pos, this.name);
      const size = count.offset >= 0 ? decodeSafely(LONG_TYPE, w.buf, count.offset, this.name) : count;
      const n = count.value as number;
      const bytes = size.value as number;
      if (size.offset < 0 || n < 0 || bytes < 0 || bytes > MAX_BLOCK_BYTES) {
        throw new CorruptAvroError(`${this.name} is truncated or corrupt: block ${index} has an unreadable header`);
      }
      const dataStart = size.offset - w.pos;
      if (!(await w.ensure(dataStart + bytes + SYNC_SIZE))) {
        throw new CorruptAvroError(`${this.name} is truncated: block ${index} needs ${bytes} bytes and a sync marker but the file ends first`);
      }
      const start = w.pos + dataStart;
      const data = w.buf.subarray(start, start + bytes);
      const sync = w.buf.subarray(start + bytes, start + bytes + SYNC_SIZE);
      if (!sync.equals(header.sync)) {
        throw new CorruptAvroError(`${this.name} is corrupt: block ${index} does not end with the file's sync marker`);
      }
      w.pos = start + bytes + SYNC_SIZE;
      let raw: Buffer;
      try {
        raw = await codec(data);
      } catch (err) {
        if (err instanceof CodecError) throw new CorruptAvroError(`${this.name} is corrupt: block ${index}: ${err.message}`);
        throw err;
      }
      yield { index, count: n, data: raw };
    }
  }

  async close(): Promise<void> {
    await this.window.close();
  }

  /** Decodes a block's records with avsc: the reference decoder, and the one that names what is corrupt. */
  decodeBlock(block: RawBlock): unknown[] {
    const type = (this.header as AvroHeader).type;
    const { data: raw, count, index } = block;
    const records = new Array<unknown>(count);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const decoded = decodeSafely(type, raw, offset, this.name);
      if (decoded.offset < 0) {
        throw new CorruptAvroError(`${this.name} is corrupt: record ${i + 1} of block ${index} runs past the end of the block`);
      }
      records[i] = decoded.value;
      offset = decoded.offset;
    }
    if (offset !== raw.length) {
      throw new CorruptAvroError(`${this.name} is corrupt: block ${index} has ${raw.length - offset} bytes after its ${count} records`);
    }
    return records;
  }

  private parseHeader(value: { meta: Record<string, Buffer>; sync: Buffer }): AvroHeader {
    const codec = value.meta['avro.codec']?.toString() || 'null';
    if (!CODECS[codec]) throw new CorruptAvroError(`${this.name} uses the Avro codec "${codec}", which is not supported (supported: null, deflate, snappy)`);
    const schemaText = value.meta['avro.schema']?.toString();
    if (!schemaText) throw new CorruptAvroError(`${this.name} has no writer schema (avro.schema) in its header`);
    let schema: WriterSchema;
    try {
      schema = writerSchema(schemaText);
    } catch (err) {
      throw new CorruptAvroError(`${this.name} has an unreadable writer schema: ${(err as Error).message}`);
    }
    const name = this.name;
    return {
      codec,
      schema: schema.parsed,
      schemaText,
      resolved: schema.resolved,
      sync: Buffer.from(value.sync),
      // Only flat records (which avsc certainly accepts) get here without a Type: it is built when first needed.
      get type(): avro.Type {
        try {
          return schema.avscType();
        } catch (err) {
          throw new CorruptAvroError(`${name} has an unreadable writer schema: ${(err as Error).message}`);
        }
      },
    };
  }
}

/** A writer schema parsed once per distinct text: an export repeats a few per event type in every file. */
interface WriterSchema {
  parsed: Record<string, unknown>;
  resolved: ResolvedType;
  avscType(): avro.Type;
}

const schemasByText = new Map<string, WriterSchema>();
const MAX_CACHED_SCHEMAS = 256;

/** Parses (or finds) a writer schema; throws when avsc rejects it, so that is reported with the header. */
function writerSchema(schemaText: string): WriterSchema {
  let known = schemasByText.get(schemaText);
  if (!known) {
    const parsed = JSON.parse(schemaText) as Record<string, unknown>;
    // Building an avsc Type is costly (code generation per record); flat records get it only on demand.
    let type: avro.Type | undefined;
    const avscType = () => (type ??= avro.Type.forSchema(parsed as avro.Schema, { wrapUnions: 'auto' }));
    const resolved = resolveFlatRecord(parsed) ?? avscType();
    known = { parsed, resolved, avscType };
    if (schemasByText.size >= MAX_CACHED_SCHEMAS) schemasByText.clear();
    schemasByText.set(schemaText, known);
  }
  return known;
}

/** avsc throws on some corrupt input (e.g. impossible longs); report that as corruption, not a crash. */
function decodeSafely(type: avro.Type, buf: Buffer, pos: number, name: string): { value: unknown; offset: number } {
  try {
    return type.decode(buf, pos);
  } catch (err) {
    // The decoder's message may quote the bytes it choked on (record data): quoted parts are dropped.
    throw new CorruptAvroError(`${name} is corrupt: undecodable value (${safeErrorMessage(err)})`);
  }
}

/** Streams records into one Avro object-container file (constant memory whatever the record count). */
import * as fs from 'fs';
import * as path from 'path';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import * as avro from 'avsc';
import { AvroCodecName, encoderCodecs } from './codecs';
import { AvroRecordSchema } from './avro-schema';

export interface AvroFileSpec {
  file: string;
  /** Written verbatim into the header (given as JSON, not as a Type, so `doc` attributes are kept). */
  schema: AvroRecordSchema;
  codec: AvroCodecName;
  /** 16 bytes; passed explicitly so output is reproducible (avsc would pick a random one). */
  syncMarker: Buffer;
  blockSize?: number;
}

export async function writeAvroFile(spec: AvroFileSpec, records: Iterable<object>): Promise<void> {
  await fs.promises.mkdir(path.dirname(spec.file), { recursive: true });
  const encoder = new avro.streams.BlockEncoder(spec.schema as avro.Schema, {
    codec: spec.codec,
    codecs: encoderCodecs(),
    syncMarker: spec.syncMarker,
    blockSize: spec.blockSize,
    writeHeader: 'always',
  });
  await pipeline(Readable.from(records, { objectMode: true }), encoder, fs.createWriteStream(spec.file));
}

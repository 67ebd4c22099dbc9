/** Request bodies: NDJSON copied into one Buffer, compressed on libuv's thread pool (async zlib). */
import { gzip } from 'zlib';
import type { ImportBody } from './import-client';

/**
 * zlib hands each output chunk back to the main thread; a big chunk size keeps that to one or two round
 * trips per request instead of one per 16 KB (measured: the default cost ~10 % of the main thread).
 */
const GZIP_CHUNK_BYTES = 1024 * 1024;

/**
 * zlib's largest hash table: measured on the realistic corpus at level 1, 11 % less CPU than the default (8) and
 * a slightly smaller body, for 256 KB more memory per compression running (at most libuv's 4 threads).
 */
const GZIP_MEM_LEVEL = 9;

/**
 * The NDJSON body for `lines` (`byteLength`: its exact size with separators, when known). Lines that sit
 * back to back in one buffer with a newline between them (as a worker encodes them) are copied as one run.
 */
export function ndjsonBody(lines: Buffer[], byteLength?: number): Buffer {
  if (lines.length === 1) return lines[0];
  const size = byteLength ?? lines.reduce((n, l) => n + l.length, 0) + lines.length - 1;
  const body = Buffer.allocUnsafe(size);
  let offset = 0;
  for (let i = 0; i < lines.length; ) {
    const first = lines[i];
    let runEnd = first.byteOffset + first.length;
    let j = i + 1;
    for (let memory: Uint8Array | undefined; j < lines.length && lines[j].buffer === first.buffer && lines[j].byteOffset === runEnd + 1; j++) {
      memory ??= new Uint8Array(first.buffer);
      if (memory[runEnd] !== 10) break; // adjacent by chance (e.g. Node's buffer pool), not separated by a newline
      runEnd = lines[j].byteOffset + lines[j].length;
    }
    if (i > 0) body[offset++] = 10;
    offset += Buffer.from(first.buffer, first.byteOffset, runEnd - first.byteOffset).copy(body, offset);
    i = j;
  }
  return body;
}

export function compressBody(data: Buffer, level: number): Promise<ImportBody> {
  if (level <= 0) return Promise.resolve({ data });
  return new Promise((resolve, reject) => {
    gzip(data, { level, memLevel: GZIP_MEM_LEVEL, chunkSize: GZIP_CHUNK_BYTES }, (err, out) => (err ? reject(err) : resolve({ data: out, encoding: 'gzip' })));
  });
}

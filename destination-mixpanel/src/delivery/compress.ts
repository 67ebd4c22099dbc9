/** Request-body compression on libuv's thread pool (async zlib), so it runs beside the main thread. */
import { gzip } from 'zlib';
import type { ImportBody } from './import-client';

export function compressBody(payload: string | Buffer, level: number): Promise<ImportBody> {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (level <= 0) return Promise.resolve({ data });
  return new Promise((resolve, reject) => {
    gzip(data, { level }, (err, out) => (err ? reject(err) : resolve({ data: out, encoding: 'gzip' })));
  });
}

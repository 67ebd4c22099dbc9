/** Small helpers shared by the storage tests. */
import type { Logger } from '../../../connector-kit/logger';
import type { Storage } from '../../src/storage/storage';

export const silentLog: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Every key a storage lists under `prefix` (after `startAfter`), in listing order. */
export async function keysOf(storage: Storage, prefix: string, startAfter?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of storage.listObjects(prefix, startAfter)) out.push(o.key);
  return out;
}

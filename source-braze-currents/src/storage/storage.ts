/**
 * The one storage abstraction the source reads through. Keys use `/` separators and sort like S3 keys
 * (byte order of the whole key), which the incremental listing depends on.
 */
import type { Readable } from 'stream';

export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ListedChildren {
  /** Sub-"folders" (common prefixes, each ending with `/`), sorted. */
  prefixes: string[];
  /** Objects directly under the prefix, sorted by key. */
  objects: StoredObject[];
}

export interface Storage {
  /** Where the data lives, for messages (`s3://bucket`, `local folder /data`); never contains secrets. */
  readonly location: string;
  /** Every object whose key starts with `prefix`, in key order, only keys > `startAfter` when given. */
  listObjects(prefix: string, startAfter?: string): AsyncIterable<StoredObject>;
  /** One level below `prefix` (delimiter `/`). */
  listChildren(prefix: string): Promise<ListedChildren>;
  /** The object's bytes as a stream. */
  open(key: string): Promise<Readable>;
  /** Throws a ConnectorError saying what to fix when the storage cannot be reached or listed. */
  probe(prefix: string): Promise<void>;
}

/**
 * Where the membership store keeps its files: a local folder or an object store. Keys use `/`. Every `put`
 * replaces the object whole and atomically (a local file is written aside and renamed; S3, GCS and Azure
 * replace an object in one request), which is what makes swapping in a new snapshot safe at any kill point.
 */
export interface BlobStore {
  /** Where the store is, for messages (`s3://bucket/prefix`, `local folder /data/x`); never contains secrets. */
  readonly location: string;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  /**
   * `durable`: on disk before it becomes visible (a local store fsyncs; object stores always are). Progress files
   * skip it: a killed process loses nothing the OS already has, and they are rewritten on a resume anyway.
   * An array is the object's bytes in parts, written one after the other.
   */
  put(key: string, bytes: Buffer | Buffer[], durable?: boolean): Promise<void>;
  /** Keys under `prefix`, in byte order. */
  list(prefix: string): Promise<string[]>;
  /** Deletes the keys; missing keys are fine. */
  delete(keys: string[]): Promise<void>;
}

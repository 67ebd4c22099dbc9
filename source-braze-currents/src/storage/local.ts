/** A local folder laid out like the bucket (for tests, demos and mounted exports). */
import fs from 'fs';
import path from 'path';
import { Readable } from 'stream';
import { configError } from '../../../connector-kit/errors';
import type { ListedChildren, Storage, StoredObject } from './storage';

interface Entry { name: string; isDir: boolean }

/** Files up to this size are read in one go; bigger ones are streamed so memory stays bounded. */
const WHOLE_FILE_MAX_BYTES = 16 * 1024 * 1024;
const STREAM_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Reads a whole file in one go, synchronously. Local files are read from the page cache in microseconds,
 * while every thread-pool round trip of an async call (open, stat, read, close: four per file) costs tens
 * of microseconds of the main thread's time; over thousands of small files that was a tenth of the run.
 * Returns undefined when the file is bigger than `maxBytes` (the caller streams it instead).
 */
function readSmallFile(file: string, maxBytes: number): Buffer | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size > maxBytes) return undefined;
    const buf = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const bytesRead = fs.readSync(fd, buf, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === size ? buf : buf.subarray(0, filled);
  } finally {
    fs.closeSync(fd);
  }
}

export class LocalStorage implements Storage {
  readonly location: string;

  constructor(private readonly root: string) {
    this.location = `local folder ${root}`;
  }

  async probe(_prefix: string): Promise<void> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(this.root);
    } catch {
      throw configError(`storage.path "${this.root}" does not exist or cannot be read; set it to the folder that holds the Currents export (the folder containing "<prefix>/dataexport...").`);
    }
    if (!stat.isDirectory()) throw configError(`storage.path "${this.root}" is not a folder; set it to the folder that holds the Currents export.`);
  }

  async *listObjects(prefix: string, startAfter?: string): AsyncIterable<StoredObject> {
    // Walk from the deepest folder the prefix names; the rest of the prefix filters names.
    const baseDir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    yield* this.walk(baseDir, prefix, startAfter);
  }

  async listChildren(prefix: string): Promise<ListedChildren> {
    const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    const result: ListedChildren = { prefixes: [], objects: [] };
    for (const entry of this.entries(dir)) {
      const key = dir + entry.name;
      if (!key.startsWith(prefix)) continue;
      if (entry.isDir) result.prefixes.push(`${key}/`);
      else result.objects.push(this.describe(key));
    }
    return result;
  }

  async open(key: string): Promise<Readable> {
    const file = this.fileOf(key);
    let whole: Buffer | undefined;
    try {
      // Braze files are small (at most 100 000 events): one read into one buffer costs a fraction of
      // what a file stream's per-chunk machinery does, which matters over thousands of files.
      whole = readSmallFile(file, WHOLE_FILE_MAX_BYTES);
    } catch {
      throw configError(`Cannot read ${file}: check the file permissions under storage.path.`);
    }
    if (whole) return Readable.from([whole]);
    // Bigger files stream in large reads.
    return fs.createReadStream(file, { highWaterMark: STREAM_CHUNK_BYTES });
  }

  /** Recursive walk in S3 key order; skips whole folders that sort before `startAfter`. */
  private async *walk(dir: string, prefix: string, startAfter?: string): AsyncIterable<StoredObject> {
    const entries = this.entries(dir);
    for (const entry of entries) {
      const key = dir + entry.name;
      if (entry.isDir) {
        const folder = `${key}/`;
        // Every key in the folder starts with `folder`; skip it when none can match or all sort before startAfter.
        if (!folder.startsWith(prefix) && !prefix.startsWith(folder)) continue;
        if (startAfter !== undefined && folder < startAfter && !startAfter.startsWith(folder)) continue;
        yield* this.walk(folder, prefix, startAfter);
      } else if (key.startsWith(prefix) && (startAfter === undefined || key > startAfter)) {
        yield this.describe(key);
      }
    }
  }

  /**
   * Folder entries sorted as S3 sorts keys: a folder `a` sorts as `a/`. Listing is synchronous for the same
   * reason as reading (see readSmallFile): a directory read or a stat costs less than a thread-pool round trip.
   */
  private entries(dir: string): Entry[] {
    let dirents: fs.Dirent[];
    try {
      dirents = fs.readdirSync(this.fileOf(dir), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw configError(`Cannot list ${this.fileOf(dir)}: ${(err as NodeJS.ErrnoException).code ?? 'error'}; check the permissions under storage.path.`);
    }
    const entries = dirents
      .filter((d) => d.isDirectory() || d.isFile())
      .map((d) => ({ name: d.name, isDir: d.isDirectory() }));
    const sortKey = (e: Entry) => (e.isDir ? `${e.name}/` : e.name);
    return entries.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  }

  private describe(key: string): StoredObject {
    const stat = fs.statSync(this.fileOf(key));
    return { key, size: stat.size, lastModified: stat.mtime };
  }

  private fileOf(key: string): string {
    return path.join(this.root, ...key.split('/').filter(Boolean));
  }
}

/** The membership store in a local folder: one file per key; writes go to a temporary file renamed into place. */
import fs from 'fs';
import path from 'path';
import { configError } from '../../../connector-kit/errors';
import type { BlobStore } from './blob-store';

export class LocalBlobStore implements BlobStore {
  readonly location: string;
  private readonly root: string;

  constructor(folder: string) {
    this.root = path.resolve(folder);
    this.location = `local folder ${this.root}`;
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await fs.promises.readFile(this.fileOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.problem(err, `reading "${key}"`);
    }
  }

  async put(key: string, bytes: Buffer | Buffer[], durable = false): Promise<void> {
    const file = this.fileOf(key);
    const temp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      const handle = await fs.promises.open(temp, 'w');
      try {
        if (Buffer.isBuffer(bytes)) await handle.writeFile(bytes);
        else await handle.writev(bytes);
        // On disk before the rename makes it visible: a machine crash must not leave a renamed but empty snapshot.
        if (durable) await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.promises.rename(temp, file);
    } catch (err) {
      await fs.promises.rm(temp, { force: true }).catch(() => undefined);
      throw this.problem(err, `writing "${key}"`);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw this.problem(err, `listing "${keyPrefix}"`);
      }
      for (const entry of entries) {
        const key = keyPrefix + entry.name;
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), `${key}/`);
        else if (!entry.name.includes('.tmp-') && key.startsWith(prefix)) keys.push(key);
      }
    };
    // List from the deepest folder the prefix names, so a store with many cohorts is not walked whole.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    await walk(path.join(this.root, folder), folder);
    return keys.sort();
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) {
      try {
        await fs.promises.rm(this.fileOf(key), { force: true });
      } catch (err) {
        throw this.problem(err, `deleting "${key}"`);
      }
    }
  }

  private fileOf(key: string): string {
    const file = path.resolve(this.root, key);
    if (!file.startsWith(this.root + path.sep)) throw new Error(`internal: store key "${key}" escapes the store folder`);
    return file;
  }

  private problem(err: unknown, action: string) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    return configError(`The membership store (${this.location}) failed while ${action}: ${code}. Check that membership_store.path is a folder this connector may read and write.`);
  }
}

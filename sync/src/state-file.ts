/**
 * The sync runner's local state file: the per-stream state messages the destination acknowledged, in the
 * same array form `read --state` accepts. Written atomically (temp file, fsync, rename, fsync of the folder) so
 * a kill or a power cut never leaves half a file behind: the file is the old state or the new one.
 */
import fs from 'fs';
import path from 'path';
import { configError } from '../../connector-kit/errors';
import type { AirbyteStateMessage, JsonObject } from '../../connector-kit/protocol';
import { parseStateInput } from '../../connector-kit/state';
import type { StreamStates } from '../../connector-kit/connector';

/** Makes a rename durable (best effort: some platforms cannot fsync a folder). */
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(folder, 'r');
    fs.fsyncSync(fd);
  } catch {
    // not supported here (e.g. Windows); the rename itself is still atomic
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export class StateFile {
  private readonly streams = new Map<string, JsonObject>();

  constructor(readonly file: string) {}

  load(): StreamStates {
    if (!fs.existsSync(this.file)) return new Map();
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch (err) {
      throw configError(`The state file "${this.file}" is not valid JSON (${(err as Error).message}). Fix or delete it (deleting re-sends everything; Mixpanel de-duplicates through $insert_id).`);
    }
    const states = parseStateInput(parsed);
    for (const [name, value] of states) this.streams.set(name, value);
    return states;
  }

  /** Records an acknowledged state and persists the whole file. */
  save(state: AirbyteStateMessage): void {
    const name = state.stream?.stream_descriptor.name;
    if (!name || !state.stream?.stream_state) return;
    this.streams.set(name, state.stream.stream_state);
    const messages = [...this.streams].map(([stream, stream_state]) => ({ type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state } }));
    fs.mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
    const temp = `${this.file}.tmp`;
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(messages, null, 1));
      fs.fsyncSync(fd); // the bytes are on disk before the rename makes them the state
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, this.file);
    syncFolder(path.dirname(path.resolve(this.file)));
  }
}

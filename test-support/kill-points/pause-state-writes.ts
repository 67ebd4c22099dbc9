/**
 * Test preload (`node -r …/pause-state-writes.js bin/sync …`): with KILL_TEST_PAUSE_STATE_WRITES_MS set, every
 * write of a state file's temporary copy (`*.tmp`) stops half-way, says so on stderr (STATE_WRITE_PAUSED) and
 * waits that long before finishing, so a kill test can kill the sync runner while the state file is being
 * written. Product code is untouched: the preload wraps `fs.openSync` and `fs.writeSync`.
 */
import fs from 'fs';

export const STATE_WRITE_PAUSED = 'KILL-TEST: state file write paused half-way';

const pauseMs = Number(process.env.KILL_TEST_PAUSE_STATE_WRITES_MS ?? 0);
if (pauseMs > 0) {
  const tempFds = new Set<number>();
  const openSync = fs.openSync;
  const writeSync = fs.writeSync as (fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]) => number;
  (fs as { openSync: unknown }).openSync = (file: fs.PathLike, ...rest: unknown[]) => {
    const fd = (openSync as (...args: unknown[]) => number)(file, ...rest);
    if (String(file).endsWith('.tmp')) tempFds.add(fd);
    return fd;
  };
  (fs as { writeSync: unknown }).writeSync = (fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]) => {
    if (!tempFds.has(fd) || typeof data !== 'string') return writeSync(fd, data, ...rest);
    tempFds.delete(fd);
    const half = Math.floor(data.length / 2);
    const first = writeSync(fd, data.slice(0, half));
    writeSync(2, `${STATE_WRITE_PAUSED}\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs);
    return first + writeSync(fd, data.slice(half));
  };
}

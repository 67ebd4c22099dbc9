/**
 * Failures while an object's body streams in, after `Storage.open()` returned it: a connection reset, a server
 * that closes early, a checksum the SDK finds wrong, or a body that stops arriving. Each becomes a ConnectorError
 * that names the object and its bucket/container and says the sync can be retried.
 *
 * The body reaches the reader through one PassThrough: the same Buffer objects, one counter update per chunk.
 * That step also gives a place to notice a body that stops arriving. None of the three SDKs has a timeout that
 * covers the body once the headers are in, and @google-cloud/storage 7 (node-fetch 2 underneath) does not even
 * report a connection cut under a body with a Content-Length: without a watch, such a read waits forever.
 */
import { PassThrough, finished, type Readable, type TransformCallback } from 'stream';
import { ConnectorError, transientError } from '../../../connector-kit/errors';

export interface DownloadContext {
  key: string;
  /** Where the object is, for messages: `S3 bucket "exports"`. Never contains secrets. */
  store: string;
  /** The backend's mapping of SDK errors (action `reading "<key>"`); its config_errors are passed on as they are. */
  describe(err: unknown): ConnectorError;
  /** The backend's error code of an SDK error, never the SDK's text (it can quote signed URLs). */
  codeOf(err: unknown): string;
}

export interface DownloadOptions {
  /** No byte for this long while the reader waits (or before the reader starts) fails the read. */
  stallMs?: number;
}

/** Longer than any pause of a healthy connection, short enough that a dead one does not hold a sync for long. */
const DEFAULT_STALL_MS = 60_000;

const RETRY_ADVICE = 'This is usually a network or storage-side interruption: the sync can be retried, and incremental streams resume after the last file they finished.';

/** Counts what passes through, so the watch can tell a quiet source from a busy one. */
class CountingPassThrough extends PassThrough {
  bytes = 0;

  _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/** The stream to hand to the reader instead of `body`: same bytes; failures described, stalls detected. */
export function guardDownload(body: Readable, ctx: DownloadContext, options: DownloadOptions = {}): Readable {
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  const out = new CountingPassThrough();
  // The reader may start late (files are opened one ahead); a failure before then must wait for it, not crash.
  out.on('error', () => undefined);
  const stopWatching = watchForStall(out, stallMs, () => out.destroy(stalled(ctx, stallMs, out.bytes)));
  out.once('finish', stopWatching); // the whole body arrived; the reader may take its time with the rest
  out.once('close', () => {
    stopWatching();
    body.destroy(); // released by the reader (or failed): let the SDK free the connection
  });
  finished(body, (err) => {
    if (err && !out.destroyed) out.destroy(interrupted(err, ctx, out.bytes));
  });
  body.pipe(out);
  return out;
}

/**
 * Calls `onStall` once no byte has arrived for `stallMs` although there was room for one. A reader that is
 * behind (full buffers: the source is paused on purpose) restarts the clock. The timer keeps the process alive
 * only while a byte is awaited: a dead connection that no SDK reports may be the only thing left to wait for.
 */
function watchForStall(out: CountingPassThrough, stallMs: number, onStall: () => void): () => void {
  let seenBytes = -1;
  let quietSince = Date.now();
  const timer = setInterval(() => {
    const backedUp = out.writableNeedDrain || out.readableLength >= out.readableHighWaterMark;
    if (backedUp || out.bytes !== seenBytes) {
      seenBytes = out.bytes;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= stallMs) {
      clearInterval(timer);
      onStall();
      return;
    }
    if (backedUp) timer.unref();
    else timer.ref();
  }, Math.max(10, Math.floor(stallMs / 4)));
  return () => clearInterval(timer);
}

function interrupted(err: unknown, ctx: DownloadContext, bytes: number): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const described = ctx.describe(err);
  if (described.failureType === 'config_error') return described;
  return transientError(
    `Reading "${ctx.key}" from ${ctx.store} broke off before the whole object arrived (${ctx.codeOf(err)}). ${RETRY_ADVICE}`,
    `${described.internalMessage ?? described.message} after ${bytes} bytes`,
  );
}

function stalled(ctx: DownloadContext, stallMs: number, bytes: number): ConnectorError {
  return transientError(
    `Reading "${ctx.key}" from ${ctx.store} stalled: no data arrived for ${stallMs / 1000} s (the connection was lost or hangs). ${RETRY_ADVICE}`,
    `no data for ${stallMs} ms after ${bytes} bytes of "${ctx.key}" from ${ctx.store}`,
  );
}

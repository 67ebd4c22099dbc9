/**
 * Line output with backpressure. Lines are gathered into chunks (fewer syscalls), every chunk is redacted,
 * and `write` resolves only when the underlying stream has drained, so a fast producer never buffers
 * without bound when stdout is a pipe (Node writes to pipes asynchronously). Whatever is queued is also
 * written as soon as the event loop turns, so a quiet producer's last line (e.g. an acknowledged STATE)
 * never waits for the chunk to fill.
 */
import type { Writable } from 'stream';
import type { Redactor } from './redact';

const CHUNK_BYTES = 64 * 1024;

export class LineWriter {
  private pending: string[] = [];
  private pendingLength = 0;
  private draining: Promise<void> | null = null;
  private idleFlush: NodeJS.Immediate | null = null;
  /** False while there is nothing to mask, so pre-serialised bytes can skip the string round trip. */
  mustRedact = true;

  constructor(private readonly stream: Writable, private readonly redact: Redactor) {}

  /** Queues one line (without newline). Returns a promise only when the caller must wait for the stream. */
  writeLine(line: string): Promise<void> | void {
    this.pending.push(line);
    this.pendingLength += line.length + 1;
    if (this.pendingLength >= CHUNK_BYTES) return this.flushChunk();
    if (!this.idleFlush) this.idleFlush = setImmediate(() => {
      this.idleFlush = null;
      if (this.pending.length > 0) void this.flushChunk();
    });
    if (this.draining) return this.draining;
  }

  /**
   * Writes complete lines that are already bytes (each ending in a newline), after everything queued before
   * them: the stream takes them in call order, so a caller may start on its next buffer (and queue other
   * lines) before this one is written. Resolves once the stream has written them, so the caller may reuse
   * the buffer; that is also the backpressure. When secrets must be masked the bytes take the line path,
   * as text.
   */
  writeBytes(bytes: Buffer): Promise<void> {
    if (this.mustRedact) return this.writeLine(bytes.toString('utf8', 0, bytes.length - 1)) ?? Promise.resolve();
    if (this.pending.length > 0) void this.flushChunk();
    // A failed write resolves too: the process-wide stdout error handler deals with a closed pipe.
    return new Promise<void>((resolve) => this.stream.write(bytes, () => resolve()));
  }

  /** Pushes everything queued to the stream and waits until the stream accepted it. */
  async flush(): Promise<void> {
    if (this.pending.length > 0) await this.flushChunk();
    if (this.draining) await this.draining;
  }

  /** Flushes and waits until the OS has taken the bytes (safe to exit afterwards). */
  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve) => this.stream.write('', () => resolve()));
  }

  private flushChunk(): Promise<void> | void {
    if (this.idleFlush) clearImmediate(this.idleFlush);
    this.idleFlush = null;
    const chunk = this.redact(this.pending.join('\n') + '\n');
    this.pending = [];
    this.pendingLength = 0;
    if (this.stream.write(chunk)) return this.draining ?? undefined;
    if (!this.draining) {
      this.draining = new Promise<void>((resolve) => {
        const done = () => { this.stream.off('error', done); this.draining = null; resolve(); };
        this.stream.once('drain', done);
        this.stream.once('error', done); // a closed pipe must not hang the connector
      });
    }
    return this.draining;
  }
}

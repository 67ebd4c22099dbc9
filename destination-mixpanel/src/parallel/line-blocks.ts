/**
 * Raw input chunks → blocks of complete lines of about `targetBytes`, each in a buffer of its own (so it can be
 * transferred to a worker thread). A quiet source does not wait for a full block: once no chunk has arrived
 * for `idleFlushMs`, the complete lines so far go out (a slow source's STATE must not sit here).
 */
const NEWLINE = 10;
const IDLE = Symbol('idle');

export interface LineBlockOptions {
  targetBytes: number;
  idleFlushMs: number;
}

export async function* lineBlocks(chunks: AsyncIterable<Buffer | string>, options: LineBlockOptions): AsyncGenerator<Uint8Array> {
  const input = chunks[Symbol.asyncIterator]();
  const pending = new PendingBytes();
  let next = input.next();
  try {
    for (;;) {
      // Race the next chunk with the idle timer only while complete lines wait: at most one race per chunk.
      const result = pending.hasCompleteLine ? await withIdleTimeout(next, options.idleFlushMs) : await next;
      if (result === IDLE) {
        yield pending.takeCompleteLines();
        continue;
      }
      if (result.done) break;
      next = input.next(); // read ahead while this chunk is handled
      pending.add(typeof result.value === 'string' ? Buffer.from(result.value, 'utf8') : result.value);
      if (pending.size >= options.targetBytes && pending.hasCompleteLine) yield pending.takeCompleteLines();
    }
    if (pending.size > 0) yield pending.takeAll(); // the last line may lack its newline
  } finally {
    void input.return?.();
  }
}

function withIdleTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof IDLE> {
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<typeof IDLE>((resolve) => (timer = setTimeout(resolve, ms, IDLE)));
  return Promise.race([promise, idle]).finally(() => clearTimeout(timer));
}

/** Chunks received but not yet handed out as lines. */
class PendingBytes {
  private parts: Buffer[] = [];
  size = 0;
  hasCompleteLine = false;

  add(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.parts.push(chunk);
    this.size += chunk.length;
    if (!this.hasCompleteLine && chunk.lastIndexOf(NEWLINE) !== -1) this.hasCompleteLine = true;
  }

  /** Everything up to and including the last newline; the partial line after it stays. */
  takeCompleteLines(): Uint8Array {
    const all = this.join();
    const cut = all.lastIndexOf(NEWLINE) + 1;
    this.parts = cut < all.length ? [Buffer.from(all.subarray(cut))] : [];
    this.size = all.length - cut;
    this.hasCompleteLine = false;
    return all.subarray(0, cut);
  }

  takeAll(): Uint8Array {
    const all = this.join();
    this.parts = [];
    this.size = 0;
    this.hasCompleteLine = false;
    return all;
  }

  /** One copy into a buffer with its own ArrayBuffer (Node's pooled small buffers cannot be transferred). */
  private join(): Buffer {
    const all = Buffer.allocUnsafeSlow(this.size);
    let at = 0;
    for (const part of this.parts) at += part.copy(all, at);
    return all;
  }
}

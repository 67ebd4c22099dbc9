/**
 * A bounded in-process queue between the source (producer) and the destination (consumer), so one
 * process can run both with backpressure: `push` waits while the queue is full, that is while it holds
 * `capacity` items or items of `maxWeight` in all (each push says what its item weighs, e.g. its size in
 * bytes, so a few huge items cannot fill memory the way a count alone would let them).
 */
export class Channel<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private weights: number[] = [];
  private head = 0;
  private queuedWeight = 0;
  private closed = false;
  private failure: unknown;
  private wakeConsumer: (() => void) | null = null;
  private wakeProducer: (() => void) | null = null;

  constructor(private readonly capacity = 10_000, private readonly maxWeight = Infinity) {}

  push(item: T, weight = 0): Promise<void> | void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error('push after close');
    this.items.push(item);
    this.weights.push(weight);
    this.queuedWeight += weight;
    this.wake('consumer');
    if (this.items.length - this.head >= this.capacity || this.queuedWeight >= this.maxWeight) {
      return new Promise<void>((resolve, reject) => (this.wakeProducer = () => (this.failure ? reject(this.failure) : resolve())));
    }
  }

  /** No more items; the consumer finishes after draining what is queued. */
  close(): void {
    this.closed = true;
    this.wake('consumer');
  }

  /** The consumer gave up: the producer's next push throws `reason`, and a waiting push is released to see it. */
  abort(reason: unknown): void {
    this.failure = reason;
    this.closed = true;
    this.items = [];
    this.weights = [];
    this.head = 0;
    this.queuedWeight = 0;
    this.wake('producer');
    this.wake('consumer');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.head < this.items.length) {
        const item = this.items[this.head];
        this.items[this.head] = undefined as T; // consumed: the queue must not keep it alive until it compacts
        this.queuedWeight -= this.weights[this.head];
        this.head++;
        if (this.head > 4096 && this.head * 2 > this.items.length) {
          this.items = this.items.slice(this.head); // compact without shifting per item
          this.weights = this.weights.slice(this.head);
          this.head = 0;
        }
        if (this.items.length - this.head < this.capacity / 2 && this.queuedWeight < this.maxWeight / 2) this.wake('producer');
        yield item;
      } else if (this.closed) {
        return;
      } else {
        await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
      }
    }
  }

  private wake(who: 'consumer' | 'producer'): void {
    const wake = who === 'consumer' ? this.wakeConsumer : this.wakeProducer;
    if (who === 'consumer') this.wakeConsumer = null;
    else this.wakeProducer = null;
    wake?.();
  }
}

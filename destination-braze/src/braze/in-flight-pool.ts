/**
 * Runs up to `concurrency` requests at once. `submit` returns once there is room for more (backpressure for
 * the caller). The first failure stops everything: in-flight requests are aborted, queued ones dropped, and
 * every later call throws that failure, so no outcome is reported after a stop.
 */
import { setMaxListeners } from 'events';
import { Aborted } from './request-sender';
import { WakeUps } from '../../../connector-kit/wake-ups';

export type Task = (signal: AbortSignal) => Promise<void>;

export class InFlightPool {
  private running = 0;
  private readonly queue: Task[] = [];
  private readonly abort = new AbortController();
  private readonly wakeups = new WakeUps();
  private failure: Error | undefined;

  constructor(private readonly concurrency: number) {
    // Each running request listens on the signal (axios, and a back-off sleep): more than Node's default 10.
    setMaxListeners(4 * concurrency + 16, this.abort.signal);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Throws the failure that stopped the pool, if any. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** Queues a task; resolves when fewer than `concurrency` tasks wait behind the running ones. */
  async submit(task: Task): Promise<void> {
    this.check();
    this.queue.push(task);
    this.pump();
    while (!this.failure && this.queue.length >= this.concurrency) await this.wakeups.next();
    this.check();
  }

  /** Runs a task now (outside the concurrency limit) and waits for it; a failure stops the pool. */
  async run(task: Task): Promise<void> {
    this.check();
    try {
      await task(this.abort.signal);
    } catch (err) {
      this.settleFailure(err);
    }
    this.check();
  }

  /** Resolves once every queued and running task finished; throws the failure if there was one. */
  async drain(): Promise<void> {
    while (!this.failure && this.running + this.queue.length > 0) await this.wakeups.next();
    this.check();
  }

  stop(reason: Error): void {
    if (this.failure) return;
    this.failure = reason;
    this.queue.length = 0;
    this.abort.abort();
    this.wakeups.wakeAll();
  }

  private pump(): void {
    while (!this.failure && this.running < this.concurrency && this.queue.length > 0) {
      const task = this.queue.shift()!;
      this.running++;
      task(this.abort.signal).then(
        () => this.settle(),
        (err: unknown) => {
          this.settleFailure(err);
          this.settle();
        },
      );
    }
  }

  private settle(): void {
    this.running--;
    this.pump();
    this.wakeups.wakeAll();
  }

  private settleFailure(err: unknown): void {
    if (err instanceof Aborted && this.failure) return;
    this.stop(err instanceof Error ? err : new Error(String(err)));
  }
}

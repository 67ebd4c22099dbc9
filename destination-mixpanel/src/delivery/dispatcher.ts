/**
 * Keeps up to `concurrency` batches in flight. Batches finish in any order; each completion is reported
 * through `onSettled` (the state sequencer restores order). The first fatal failure stops everything:
 * in-flight requests are aborted, waiting callers are released with the failure, nothing more is sent.
 */
import type { Batch } from './batch';
import { DeliveryFailure } from './batch-sender';
import type { RecordRejection } from './import-response';
import { WakeUps } from '../../../connector-kit/wake-ups';

/** `byteLength` = exact UTF-8 size of the NDJSON body, when known. */
export type DeliverFn = (lines: Buffer[], signal: AbortSignal, byteLength?: number) => Promise<RecordRejection[]>;

export class Dispatcher {
  private inFlight = 0;
  private readonly queue: Batch[] = [];
  private readonly abort = new AbortController();
  private readonly wakeups = new WakeUps();
  private failureValue: Error | undefined;
  private failureSignal!: () => void;
  /** Resolves (never rejects) when a fatal failure happened; lets the caller stop waiting for input. */
  readonly failed: Promise<void> = new Promise((resolve) => (this.failureSignal = resolve));

  constructor(
    private readonly deliver: DeliverFn,
    private readonly concurrency: number,
    private readonly onSettled: (batch: Batch, rejections: RecordRejection[]) => void,
  ) {}

  get failure(): Error | undefined {
    return this.failureValue;
  }

  /** Queues a batch and returns once there is room for another one (backpressure for the reader). */
  async submit(batch: Batch): Promise<void> {
    this.enqueue(batch);
    while (!this.failureValue && this.inFlight + this.queue.length >= this.concurrency) await this.wakeups.next();
    if (this.failureValue) throw this.failureValue;
  }

  /** Queues a batch without waiting (used by the flush timer). */
  enqueue(batch: Batch): void {
    if (this.failureValue) return;
    this.queue.push(batch);
    this.pump();
  }

  /** Waits until every queued and in-flight batch has settled; throws the fatal failure if there was one. */
  async drain(): Promise<void> {
    while (!this.failureValue && this.inFlight + this.queue.length > 0) await this.wakeups.next();
    if (this.failureValue) throw this.failureValue;
  }

  /** Stops all work (e.g. the input failed); pending requests are cancelled. */
  stop(reason: Error): void {
    this.fail(reason);
  }

  private pump(): void {
    while (!this.failureValue && this.inFlight < this.concurrency && this.queue.length > 0) {
      const batch = this.queue.shift()!;
      this.inFlight++;
      this.deliver(batch.lines, this.abort.signal, batch.bytes).then(
        (rejections) => {
          this.inFlight--;
          if (this.failureValue) return;
          try {
            this.onSettled(batch, rejections);
          } catch (err) {
            this.fail(err instanceof Error ? err : new Error(String(err)));
          }
          this.pump();
          this.wakeups.wakeAll();
        },
        (err: unknown) => {
          this.inFlight--;
          if (err instanceof DeliveryFailure && err.kind === 'aborted' && this.failureValue) return;
          this.fail(err instanceof Error ? err : new Error(String(err)));
        },
      );
    }
  }

  private fail(err: Error): void {
    if (this.failureValue) return;
    this.failureValue = err;
    this.queue.length = 0;
    this.abort.abort();
    this.failureSignal();
    this.wakeups.wakeAll();
  }
}

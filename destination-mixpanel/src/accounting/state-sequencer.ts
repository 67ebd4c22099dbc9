/**
 * Releases input STATEs in input order, each only once every record received before it has a verdict.
 *
 * Records are grouped into intervals (the records between two states). Batches get increasing sequence
 * numbers; a state waits for the batch that was open when it arrived (its barrier). Batches complete out of
 * order, so we track the highest sequence number below which *every* batch completed, and release states
 * whose barrier is at or below it. Per-interval counts give each echoed state its destinationStats.
 */
import type { AirbyteStateMessage } from '../../../connector-kit/protocol';
import type { DestinationStats } from '../../../connector-kit/connector';

export type EmitState = (state: AirbyteStateMessage, stats: DestinationStats) => Promise<void> | void;

interface IntervalCounts {
  received: number;
  rejected: number;
  /** Records of this interval still inside unfinished batches. */
  unsettled: number;
}

interface WaitingState {
  state: AirbyteStateMessage;
  interval: number;
  barrier: number;
}

export class StateSequencer {
  private currentInterval = 0;
  private readonly intervals = new Map<number, IntervalCounts>([[0, { received: 0, rejected: 0, unsettled: 0 }]]);
  private readonly waiting: WaitingState[] = [];
  private readonly completedOutOfOrder = new Set<number>();
  private completedThrough = 0;
  private halted = false;
  private emitting: Promise<void> = Promise.resolve();
  private emitError: unknown;
  private releasedCount = 0;

  constructor(private readonly emit: EmitState) {}

  /** The interval new records belong to. */
  get interval(): number {
    return this.currentInterval;
  }

  get statesWaiting(): number {
    return this.waiting.length;
  }

  get statesReleased(): number {
    return this.releasedCount;
  }

  recordReceived(): void {
    this.counts(this.currentInterval).received++;
  }

  /** A record rejected before sending (local validation). */
  recordRejected(interval = this.currentInterval): void {
    this.counts(interval).rejected++;
  }

  /** A batch holding `count` records of `interval` was sealed and will settle later. */
  recordsPending(interval: number, count: number): void {
    this.counts(interval).unsettled += count;
  }

  /**
   * A STATE arrived. `barrier` = sequence number of the last batch holding records received before it
   * (0 if none): the state is released when all batches up to it have completed.
   */
  stateReceived(state: AirbyteStateMessage, barrier: number): void {
    this.waiting.push({ state, interval: this.currentInterval, barrier });
    this.currentInterval++;
    this.intervals.set(this.currentInterval, { received: 0, rejected: 0, unsettled: 0 });
    this.release();
  }

  /** Batch `seq` has a verdict for all its records: `settledByInterval` = records per interval, `rejectedByInterval` = rejections per interval. */
  batchCompleted(seq: number, settledByInterval: Map<number, number>, rejectedByInterval: Map<number, number>): void {
    for (const [interval, n] of settledByInterval) this.counts(interval).unsettled -= n;
    for (const [interval, n] of rejectedByInterval) this.counts(interval).rejected += n;
    if (seq === this.completedThrough + 1) {
      this.completedThrough = seq;
      while (this.completedOutOfOrder.delete(this.completedThrough + 1)) this.completedThrough++;
    } else {
      this.completedOutOfOrder.add(seq);
    }
    this.release();
  }

  /** After a fatal failure no further state may be echoed. */
  halt(): void {
    this.halted = true;
  }

  /** Resolves when every released state has been handed to the output. */
  async flushed(): Promise<void> {
    await this.emitting;
    if (this.emitError) throw this.emitError;
  }

  private release(): void {
    while (!this.halted && this.waiting.length > 0 && this.waiting[0].barrier <= this.completedThrough) {
      const { state, interval } = this.waiting.shift()!;
      const counts = this.counts(interval);
      if (counts.unsettled !== 0) throw new Error(`internal: state released with ${counts.unsettled} unsettled records`);
      this.intervals.delete(interval);
      const stats: DestinationStats = { recordCount: counts.received, rejectedRecordCount: counts.rejected };
      this.releasedCount++;
      this.emitting = this.emitting.then(() => this.emit(state, stats)).catch((err) => {
        this.emitError ??= err;
      });
    }
  }

  private counts(interval: number): IntervalCounts {
    let counts = this.intervals.get(interval);
    if (!counts) {
      counts = { received: 0, rejected: 0, unsettled: 0 };
      this.intervals.set(interval, counts);
    }
    return counts;
  }
}

/**
 * Adaptive sending rate for Mixpanel's per-project ingestion limit (about 30 000 events/s, answered with 429).
 *
 * Without 429s there is no limit at all, so throughput never drops where Mixpanel keeps up. The first 429 sets a
 * limit just under the rate Mixpanel was actually accepting (measured over the last few seconds: a throttling
 * server accepts exactly its limit), and every batch then waits its turn in one shared token bucket, so a
 * throttled batch is resent as soon as the budget allows instead of sleeping for seconds while the server's
 * bucket refills unused. While no 429 comes, the limit climbs back to the measured ceiling and then probes above
 * it, slowly at first (the limit is most likely still there) and faster the longer the probe succeeds, so a
 * raised limit is found within seconds. `Retry-After` pauses every sender until then.
 */
import { sleep as realSleep } from './backoff';

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const SYSTEM_CLOCK: Clock = { now: () => Date.now(), sleep: realSleep };

export interface SendRateOptions {
  clock?: Clock;
  random?: () => number;
}

/** Accepted events are measured over this window when a 429 arrives. */
const WINDOW_MS = 5_000;
/** 429s within this long of a decrease answer requests sent before it: one decrease per burst of them. */
const DECREASE_EPOCH_MS = 1_000;
/** The new limit sits this far under the measured acceptance rate, so the server's bucket can refill. */
const BACK_OFF_FACTOR = 0.9;
/** Each second, the limit recovers this share of its distance to the ceiling. */
const RECOVERY_SHARE = 0.25;
/** With nothing accepted lately, each 429 halves the limit, down to this floor (events/s). */
const NO_DATA_FACTOR = 0.5;
const MIN_RATE = 50;
/** Unused budget kept for a burst, in seconds of the limit. */
const BURST_SECONDS = 1;
/** Probing above the ceiling: +0.5 %/s, doubling every 4 s without a 429, at most +25 %/s. */
const PROBE_START = 0.005;
const PROBE_DOUBLING_MS = 4_000;
const PROBE_MAX = 0.25;
const ADJUST_STEP_MS = 1_000;
const NO_LIMIT_ABOVE = 10_000_000;

interface Waiter { events: number; resolve: () => void; reject: (err: Error) => void; signal?: AbortSignal }

export class AdaptiveSendRate {
  private readonly clock: Clock;
  private readonly random: () => number;
  /** Events per second; Infinity until Mixpanel first throttles. */
  private limit = Infinity;
  /** What Mixpanel accepted when it last throttled: the limit is probably about here. */
  private ceiling = Infinity;
  /** Our token bucket: budget in events, refilled at `limit`, at most BURST_SECONDS of it. */
  private tokens = 0;
  private filledAt = 0;
  private pausedUntil = 0;
  private lastDecreaseAt = -Infinity;
  private adjustedAt = 0;
  private probeStartedAt: number | undefined;
  private readonly accepted: Array<{ at: number; events: number }> = [];
  private readonly queue: Waiter[] = [];
  private pumping = false;
  private throttledCount = 0;

  constructor(options: SendRateOptions = {}) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.random = options.random ?? Math.random;
  }

  /** The current limit in events/s (Infinity: none). */
  get eventsPerSecond(): number {
    this.adjust(this.clock.now());
    return this.limit;
  }

  get throttled(): number {
    return this.throttledCount;
  }

  /** Waits for this batch's turn (first come, first served). Without a limit or a pause it returns at once. */
  acquire(events: number, signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    this.adjust(now);
    if (!Number.isFinite(this.limit) && now >= this.pausedUntil && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ events, resolve, reject, signal });
      void this.pump();
    });
  }

  /** Mixpanel took a batch (2xx, or a 400 that stored the valid part). */
  onAccepted(events: number): void {
    const now = this.clock.now();
    this.accepted.push({ at: now, events });
    this.trim(now);
  }

  /**
   * Mixpanel answered 429: its bucket is empty, so ours is too; the limit drops once per burst of 429s. Returns
   * false when there is nothing to base a limit on (nothing accepted lately and no limit yet): the caller then
   * backs off that batch the classic way.
   */
  onThrottled(retryAfterMs?: number): boolean {
    const now = this.clock.now();
    this.throttledCount++;
    this.probeStartedAt = undefined;
    this.refill(now);
    this.tokens = Math.min(this.tokens, 0);
    if (retryAfterMs !== undefined) {
      // Spread the restart a little so the senders do not all arrive at the same instant.
      this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs * (1 + 0.1 * this.random()));
    }
    const measured = this.acceptedRate(now);
    if (measured === 0 && !Number.isFinite(this.limit)) return false;
    if (now - this.lastDecreaseAt < DECREASE_EPOCH_MS) return true;
    this.lastDecreaseAt = now;
    this.adjustedAt = now;
    if (measured > 0) {
      this.ceiling = measured;
      this.limit = Math.max(MIN_RATE, Math.min(this.limit, measured) * BACK_OFF_FACTOR);
    } else {
      this.limit = this.ceiling = Math.max(MIN_RATE, this.limit * NO_DATA_FACTOR);
    }
    return true;
  }

  /** Releases waiters in order as the budget allows; re-reads the limit after every wait, since a 429 may lower it. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0];
        if (head.signal?.aborted) {
          this.queue.shift();
          head.reject(new Error('aborted'));
          continue;
        }
        const now = this.clock.now();
        this.adjust(now);
        this.refill(now);
        if (now < this.pausedUntil) {
          await this.clock.sleep(this.pausedUntil - now);
          continue;
        }
        // A batch bigger than the whole burst budget goes when the budget is full, and leaves a debt.
        const needed = Math.min(head.events, this.capacity());
        if (!Number.isFinite(this.limit) || this.tokens >= needed) {
          if (Number.isFinite(this.limit)) this.tokens -= head.events;
          this.queue.shift();
          head.resolve();
          continue;
        }
        await this.clock.sleep(Math.max(1, ((needed - this.tokens) / this.limit) * 1000));
      }
    } finally {
      this.pumping = false;
    }
  }

  private capacity(): number {
    return this.limit * BURST_SECONDS;
  }

  private refill(now: number): void {
    if (Number.isFinite(this.limit)) this.tokens = Math.min(this.capacity(), this.tokens + ((now - this.filledAt) / 1000) * this.limit);
    this.filledAt = now;
  }

  private acceptedRate(now: number): number {
    this.trim(now);
    if (this.accepted.length === 0) return 0;
    const events = this.accepted.reduce((sum, a) => sum + a.events, 0);
    // Over the whole window, or since sending began when that is shorter (at least one second).
    const span = Math.max(1000, Math.min(WINDOW_MS, now - this.accepted[0].at + ADJUST_STEP_MS));
    return (events * 1000) / span;
  }

  private trim(now: number): void {
    while (this.accepted.length > 0 && this.accepted[0].at < now - WINDOW_MS) this.accepted.shift();
  }

  /**
   * Raises the limit for every whole second without a 429: back towards the ceiling first (gently, so Mixpanel's
   * bucket refills meanwhile), then probing above it.
   */
  private adjust(now: number): void {
    if (!Number.isFinite(this.limit)) return;
    while (now - this.adjustedAt >= ADJUST_STEP_MS) {
      this.adjustedAt += ADJUST_STEP_MS;
      if (this.limit < this.ceiling * 0.995) {
        this.limit += (this.ceiling - this.limit) * RECOVERY_SHARE;
        continue;
      }
      this.probeStartedAt ??= this.adjustedAt;
      const probing = this.adjustedAt - this.probeStartedAt;
      const step = Math.min(PROBE_MAX, PROBE_START * 2 ** Math.floor(probing / PROBE_DOUBLING_MS));
      this.limit *= 1 + step;
      this.ceiling = this.limit;
      // Far above anything Mixpanel allows: the limit has effectively gone away.
      if (this.limit > NO_LIMIT_ABOVE) {
        this.limit = this.ceiling = Infinity;
        return;
      }
    }
  }
}

/**
 * Adaptive sending rate for Mixpanel's per-project ingestion limit (about 30 000 events/s, answered with 429).
 *
 * Without 429s there is no limit at all, so throughput never drops where Mixpanel keeps up. The first 429 sets a
 * limit just under the rate Mixpanel was actually accepting (measured since the last 429, over a few seconds at
 * most: a throttling server accepts exactly its limit), and every batch then waits its turn in one shared token
 * bucket, so a throttled batch is resent as soon as the budget allows instead of sleeping for seconds while the
 * server's bucket refills unused. While no 429 comes, the limit climbs back to the measured ceiling, stays there
 * for a number of requests (so probes cost a bounded share of requests, not of seconds), and then probes above it,
 * faster the longer the probe succeeds, so a raised limit is found within seconds. `Retry-After` pauses every
 * sender until then.
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

/** 429s within this long of a decrease answer requests sent before it: one decrease per burst of them. */
const DECREASE_EPOCH_MS = 1_000;
/** The new limit sits this far under the measured acceptance rate, so the server's bucket can refill. */
const BACK_OFF_FACTOR = 0.9;
/** Each second, the limit recovers this share of its distance to the ceiling. */
const RECOVERY_SHARE = 0.25;
/** With nothing accepted since the last decrease, each 429 halves the limit, down to this floor (events/s). */
const NO_DATA_FACTOR = 0.5;
const MIN_RATE = 50;
/** Unused budget kept for a burst, in seconds of the limit. */
const BURST_SECONDS = 1;
/**
 * Probing above a ceiling measured while pacing waits until this many requests were accepted since the last
 * decrease. A probe that finds the limit where it was costs one 429, so this bounds the share of requests answered
 * 429 per request, whatever N: at a low N, few requests go out per second, and a probe paced in time alone would
 * make each of its 429s a large share of them. At 5 000 events/s in batches of 2 000 it is 10 s, which still leaves
 * time to follow a raised limit within 30 s.
 */
const PROBE_AFTER_REQUESTS = 25;
/** Probing above the ceiling: +5 %/s, doubling every second without a 429 (8 × in about 6 s), at most +100 %/s. */
const PROBE_START = 0.05;
const PROBE_DOUBLING_MS = 1_000;
const PROBE_MAX = 1;
/**
 * After a probe that more than doubled the limit, acceptance is measured over the probe's last doubling, at most
 * this long: the slow start of the probe says nothing about the raised limit it found.
 */
const WINDOW_MS = 5_000;
const ADJUST_STEP_MS = 250;
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
  /** The limit at each probe step (rising), to find when it was last half of what it is. */
  private readonly probeSteps: Array<{ at: number; limit: number }> = [];
  /** Requests accepted since the last decrease: probing waits for enough of them. */
  private acceptedRequests = 0;
  /** The ceiling was measured while we were pacing (not from the first, unpaced burst). */
  private confirmed = false;
  private readonly accepted: Array<{ at: number; events: number }> = [];
  /**
   * Events accepted since the last decrease (or the start): Mixpanel's bucket was empty then, so what it accepted
   * since is at most its limit, and less only by what it would have taken while we sent less.
   */
  private sinceDecreaseEvents = 0;
  private firstAcceptedAt: number | undefined;
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
    this.sinceDecreaseEvents += events;
    this.firstAcceptedAt ??= now;
    this.acceptedRequests++;
    this.trim(now);
  }

  /**
   * Mixpanel answered 429: its bucket is empty, so ours is too; the limit drops once per burst of 429s. Returns
   * false when there is nothing to base a limit on (nothing accepted yet and no limit yet): the caller then
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
    const halfAt = this.lastHalfLimitAt();
    const measured = Number.isFinite(halfAt) ? this.recentRate(now, halfAt) : this.rateSinceDecrease(now);
    this.probeSteps.length = 0;
    if (measured === 0 && !Number.isFinite(this.limit)) return false;
    if (now - this.lastDecreaseAt < DECREASE_EPOCH_MS) return true;
    this.lastDecreaseAt = now;
    this.adjustedAt = now;
    this.acceptedRequests = 0;
    this.confirmed = Number.isFinite(this.limit);
    this.sinceDecreaseEvents = 0;
    this.firstAcceptedAt = undefined;
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

  private rateSinceDecrease(now: number): number {
    if (this.firstAcceptedAt === undefined) return 0;
    // From the decrease, or from the first acceptance plus the second it took to send when that is later (the
    // first, unpaced burst); at least one second, so a couple of batches do not make a rate.
    const span = Math.max(1000, Math.min(now - this.lastDecreaseAt, now - this.firstAcceptedAt + 1000));
    return (this.sinceDecreaseEvents * 1000) / span;
  }

  private recentRate(now: number, from: number): number {
    this.trim(now);
    const since = Math.max(this.lastDecreaseAt, now - WINDOW_MS, from);
    const events = this.accepted.filter((a) => a.at > since).reduce((sum, a) => sum + a.events, 0);
    return (events * 1000) / Math.max(1000, now - since);
  }

  /** When the limit last was at most half of what it is now (-Infinity: not during this probe). */
  private lastHalfLimitAt(): number {
    for (let i = this.probeSteps.length - 1; i >= 0; i--) if (this.probeSteps[i].limit <= this.limit / 2) return this.probeSteps[i].at;
    return -Infinity;
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
        this.limit += (this.ceiling - this.limit) * (1 - (1 - RECOVERY_SHARE) ** (ADJUST_STEP_MS / 1000));
        continue;
      }
      if (this.confirmed && this.acceptedRequests < PROBE_AFTER_REQUESTS) continue;
      this.probeStartedAt ??= this.adjustedAt;
      const probing = this.adjustedAt - this.probeStartedAt;
      const step = Math.min(PROBE_MAX, PROBE_START * 2 ** (probing / PROBE_DOUBLING_MS));
      this.probeSteps.push({ at: this.adjustedAt, limit: this.limit });
      this.limit *= (1 + step) ** (ADJUST_STEP_MS / 1000);
      this.ceiling = this.limit;
      // Far above anything Mixpanel allows: the limit has effectively gone away.
      if (this.limit > NO_LIMIT_ABOVE) {
        this.limit = this.ceiling = Infinity;
        this.probeSteps.length = 0;
        return;
      }
    }
  }
}

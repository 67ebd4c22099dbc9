/**
 * The adaptive send rate against a simulated Mixpanel that admits N events/s (a token bucket answering 429 when
 * a batch does not fit), in virtual time: delivery ≥ 90 % of N with ≤ 5 % of requests answered 429, 429s bounded
 * per request at a low N, changes of N followed both ways within 30 s, Retry-After honoured, and no limit at all
 * while nothing is throttled.
 */
import { AdaptiveSendRate } from '../src/delivery/send-rate';
import { VirtualClock } from './support/virtual-time';

const BATCH = 2000;
const LATENCY_MS = 60;

/** A receiver with a token bucket of one second of its rate (at least one batch), refilled continuously. */
class ThrottlingReceiver {
  private tokens: number;
  private filledAt = 0;
  retryAfterMs: number | undefined;
  readonly log: Array<{ at: number; status: number; events: number }> = [];

  constructor(private readonly clock: VirtualClock, private rate: number) {
    this.tokens = this.capacity();
  }

  setRate(rate: number): void {
    this.refill();
    this.rate = rate;
    this.tokens = Math.min(this.tokens, this.capacity());
  }

  async post(events: number): Promise<{ status: number; retryAfterMs?: number }> {
    await this.clock.sleep(LATENCY_MS / 2);
    this.refill();
    const fits = this.tokens >= events;
    if (fits) this.tokens -= events;
    const status = fits ? 200 : 429;
    this.log.push({ at: this.clock.now(), status, events });
    await this.clock.sleep(LATENCY_MS / 2);
    return fits ? { status } : { status, retryAfterMs: this.retryAfterMs };
  }

  /** Events accepted per second, and the share of requests answered 429, between two times. */
  between(fromMs: number, toMs: number): { eventsPerSecond: number; throttledShare: number; requests: number } {
    const rows = this.log.filter((r) => r.at >= fromMs && r.at < toMs);
    const accepted = rows.filter((r) => r.status === 200).reduce((sum, r) => sum + r.events, 0);
    const throttled = rows.filter((r) => r.status === 429).length;
    return { eventsPerSecond: (accepted * 1000) / (toMs - fromMs), throttledShare: rows.length ? throttled / rows.length : 0, requests: rows.length };
  }

  private capacity(): number {
    return Math.max(this.rate, BATCH);
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity(), this.tokens + ((now - this.filledAt) / 1000) * this.rate);
    this.filledAt = now;
  }
}

/** `concurrency` senders, each sending batches until stopped and resending a throttled one, as BatchSender does. */
function startSenders(clock: VirtualClock, receiver: ThrottlingReceiver, rate: AdaptiveSendRate, concurrency = 10): { stop(): void } {
  let running = true;
  const sender = async () => {
    while (running) {
      await rate.acquire(BATCH);
      if (!running) return;
      const reply = await receiver.post(BATCH);
      if (reply.status === 200) rate.onAccepted(BATCH);
      else if (!rate.onThrottled(reply.retryAfterMs)) await clock.sleep(2_000);
    }
  };
  for (let i = 0; i < concurrency; i++) void sender();
  return { stop: () => (running = false) };
}

/** The 429s of a log grouped into bursts (one probe or one change of N), with the requests sent since the last one. */
function throttledBursts(log: Array<{ at: number; status: number }>): Array<{ at: number; requestsBefore: number }> {
  const bursts: Array<{ at: number; requestsBefore: number }> = [];
  let since = 0;
  let lastAt = -Infinity;
  for (const r of log) {
    if (r.status !== 429) {
      since++;
      continue;
    }
    if (r.at - lastAt > 2_000) bursts.push({ at: r.at, requestsBefore: since });
    lastAt = r.at;
    since = 0;
  }
  return bursts.slice(1); // the first has no probe before it in this log
}

function seeded(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('adaptive send rate against a receiver that admits N events/s', () => {
  it.each([5_000, 10_000, 20_000, 40_000])('N = %i: delivers ≥ 90 %% of N with ≤ 5 %% of requests answered 429', async (n) => {
    const clock = new VirtualClock();
    const receiver = new ThrottlingReceiver(clock, n);
    const senders = startSenders(clock, receiver, new AdaptiveSendRate({ clock, random: seeded(n) }));
    await clock.runUntil(180_000);
    senders.stop();
    const steady = receiver.between(20_000, 180_000);
    const whole = receiver.between(0, 180_000);
    expect(steady.eventsPerSecond).toBeGreaterThanOrEqual(0.9 * n);
    expect(steady.eventsPerSecond).toBeLessThanOrEqual(1.01 * n + BATCH / 160); // a bucket cannot give more
    expect(whole.throttledShare).toBeLessThanOrEqual(0.05);
  });

  it('bounds 429s per request, not per second: at a low N a probe waits for enough accepted requests', async () => {
    // At 5 000 events/s in batches of 2 000 only 2.5 requests go out per second. Once the first, unpaced burst has
    // been answered, each probe that finds the limit unchanged costs about one 429, and it comes only after
    // PROBE_AFTER_REQUESTS (25) requests were accepted at the settled rate, however long that takes.
    for (const n of [5_000, 40_000]) {
      const clock = new VirtualClock();
      const receiver = new ThrottlingReceiver(clock, n);
      const senders = startSenders(clock, receiver, new AdaptiveSendRate({ clock, random: seeded(n) }));
      await clock.runUntil(600_000);
      senders.stop();
      const afterStart = receiver.log.filter((r) => r.at >= 30_000);
      const bursts = throttledBursts(afterStart);
      expect(bursts.length).toBeGreaterThan(0); // it does keep probing
      expect(bursts.every((b) => b.requestsBefore >= 25)).toBe(true);
      expect(afterStart.filter((r) => r.status === 429).length).toBeLessThanOrEqual(afterStart.length / 25);
    }
  });

  it('follows N down and up again within 30 s', async () => {
    const clock = new VirtualClock();
    const receiver = new ThrottlingReceiver(clock, 20_000);
    const senders = startSenders(clock, receiver, new AdaptiveSendRate({ clock, random: seeded(7) }));
    await clock.runUntil(60_000);
    receiver.setRate(5_000);
    await clock.runUntil(150_000);
    receiver.setRate(40_000);
    await clock.runUntil(240_000);
    senders.stop();
    // Within 30 s: the second half of the first 30 s after each change is at the new N.
    expect(receiver.between(75_000, 90_000).eventsPerSecond).toBeGreaterThanOrEqual(0.9 * 5_000);
    expect(receiver.between(165_000, 180_000).eventsPerSecond).toBeGreaterThanOrEqual(0.9 * 40_000);
    const afterDrop = receiver.between(90_000, 150_000);
    expect(afterDrop.eventsPerSecond).toBeGreaterThanOrEqual(0.9 * 5_000);
    expect(afterDrop.throttledShare).toBeLessThanOrEqual(0.05);
    const afterRise = receiver.between(180_000, 240_000);
    expect(afterRise.eventsPerSecond).toBeGreaterThanOrEqual(0.9 * 40_000);
    expect(afterRise.throttledShare).toBeLessThanOrEqual(0.05);
  });

  it('follows a raised limit within 30 s even right after a 429 at the old one', async () => {
    // The worst case for waiting on accepted requests: a probe has just found 5 000 events/s, and the limit rises.
    const clock = new VirtualClock();
    const receiver = new ThrottlingReceiver(clock, 5_000);
    const senders = startSenders(clock, receiver, new AdaptiveSendRate({ clock, random: seeded(11) }));
    await clock.runUntil(60_000);
    const last429 = Math.max(...receiver.log.filter((r) => r.status === 429).map((r) => r.at));
    await clock.runUntil(last429 + 1_000);
    receiver.setRate(40_000);
    const raisedAt = clock.now();
    await clock.runUntil(raisedAt + 30_000);
    senders.stop();
    expect(receiver.between(raisedAt + 15_000, raisedAt + 30_000).eventsPerSecond).toBeGreaterThanOrEqual(0.9 * 40_000);
  });

  it('honours Retry-After: no request goes out before it has passed', async () => {
    const clock = new VirtualClock();
    const receiver = new ThrottlingReceiver(clock, 5_000);
    receiver.retryAfterMs = 3_000;
    const senders = startSenders(clock, receiver, new AdaptiveSendRate({ clock, random: seeded(3) }));
    await clock.runUntil(60_000);
    senders.stop();
    const throttledAt = receiver.log.filter((r) => r.status === 429).map((r) => r.at);
    expect(throttledAt.length).toBeGreaterThan(0);
    const first = throttledAt[0];
    // Requests sent after the first 429 was answered reach the receiver only once Retry-After has passed.
    const sentDuringPause = receiver.log.filter((r) => r.at > first + LATENCY_MS && r.at < first + 3_000);
    expect(sentDuringPause).toEqual([]);
  });

  it('sets no limit while nothing is throttled (throughput never drops without 429s)', async () => {
    const clock = new VirtualClock();
    const rate = new AdaptiveSendRate({ clock });
    for (let i = 0; i < 1000; i++) {
      await rate.acquire(BATCH);
      rate.onAccepted(BATCH);
    }
    expect(clock.now()).toBe(0);
    expect(rate.eventsPerSecond).toBe(Infinity);
  });

  it('a 429 with nothing accepted yet sets no limit (the batch backs off the classic way); later ones halve it', async () => {
    const clock = new VirtualClock();
    const rate = new AdaptiveSendRate({ clock });
    expect(rate.onThrottled()).toBe(false);
    expect(rate.eventsPerSecond).toBe(Infinity);
    rate.onAccepted(BATCH);
    expect(rate.onThrottled()).toBe(true);
    const first = rate.eventsPerSecond;
    expect(first).toBeLessThan(BATCH);
    await clock.runUntil(10_000); // nothing accepted in the last 5 s
    const before = rate.eventsPerSecond;
    expect(rate.onThrottled()).toBe(true);
    expect(rate.eventsPerSecond).toBeCloseTo(before / 2, 5);
  });
});

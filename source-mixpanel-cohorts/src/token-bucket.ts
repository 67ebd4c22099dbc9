/**
 * Query pacing: a token bucket refilled at `perHour` tokens per hour. Its capacity (the burst) is a tenth of the
 * hourly rate, between 1 and 5, so that in any hour at most `perHour` + burst queries start: with the default 50
 * that is 55, inside Mixpanel's 60.
 */
import type { Clock } from './clock';

const HOUR_MS = 3_600_000;

export class TokenBucket {
  private tokens: number;
  private last: number;
  readonly capacity: number;
  private readonly perMs: number;

  constructor(readonly perHour: number, private readonly clock: Clock) {
    this.capacity = Math.min(5, Math.max(1, Math.floor(perHour / 10)));
    this.perMs = perHour / HOUR_MS;
    this.tokens = this.capacity;
    this.last = clock.now();
  }

  /** Milliseconds until the next token (0 when one is available now). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.perMs);
  }

  /** Takes a token, waiting for it if needed; resolves with how long it waited. */
  async take(): Promise<number> {
    let waited = 0;
    for (;;) {
      const wait = this.waitMs();
      if (wait === 0) {
        this.tokens -= 1;
        return waited;
      }
      await this.clock.sleep(wait);
      waited += wait;
    }
  }

  /** How long `queries` more queries take at this rate, counting the tokens available now. */
  durationMs(queries: number): number {
    this.refill();
    return Math.max(0, queries - Math.floor(this.tokens)) / this.perMs;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, now - this.last) * this.perMs);
    this.last = now;
  }
}

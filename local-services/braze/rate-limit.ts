/**
 * Braze's request budget (reference/braze_rest_cohorts.md §1.4–1.5): a number of requests per fixed window
 * (3 000 per 3 s for /users/track), announced on every reply as `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
 * `X-RateLimit-Reset` (UTC epoch seconds when the window ends); over budget → 429.
 * The clock is injectable so tests can move time instead of waiting.
 */

export interface RateLimitOptions {
  /** Requests per window. */
  limit: number;
  windowMs: number;
  /** Milliseconds since the epoch. Default Date.now. */
  now?: () => number;
}

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

export class RateLimiter {
  private windowStart = 0;
  private used = 0;
  private limit: number;
  private windowMs: number;
  private now: () => number;

  constructor(options: RateLimitOptions) {
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.now = options.now ?? Date.now;
    RateLimiter.check(this.limit, this.windowMs);
  }

  private static check(limit: number, windowMs: number): void {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`rate limit must be a positive integer, got ${limit}`);
    if (!(windowMs > 0)) throw new Error(`rate window must be positive, got ${windowMs} ms`);
  }

  /** Changes the budget (and optionally the clock); the current window starts over. */
  configure(limit: number, windowMs: number, now?: () => number): void {
    RateLimiter.check(limit, windowMs);
    this.limit = limit;
    this.windowMs = windowMs;
    if (now) this.now = now;
    this.windowStart = 0;
    this.used = 0;
  }

  /** Counts one request against the window it falls in. */
  take(): RateDecision {
    const now = this.now();
    const start = Math.floor(now / this.windowMs) * this.windowMs;
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.used = 0;
    }
    const allowed = this.used < this.limit;
    if (allowed) this.used++;
    return { allowed, headers: this.headers(start) };
  }

  /** The headers without counting a request (for answers that never reached the budget check). */
  peek(): Record<string, string> {
    const now = this.now();
    const start = Math.floor(now / this.windowMs) * this.windowMs;
    if (start !== this.windowStart) return this.headersFor(start, 0);
    return this.headers(start);
  }

  private headers(start: number): Record<string, string> {
    return this.headersFor(start, this.used);
  }

  private headersFor(start: number, used: number): Record<string, string> {
    return {
      'X-RateLimit-Limit': String(this.limit),
      'X-RateLimit-Remaining': String(Math.max(0, this.limit - used)),
      'X-RateLimit-Reset': String(Math.ceil((start + this.windowMs) / 1000)),
    };
  }
}

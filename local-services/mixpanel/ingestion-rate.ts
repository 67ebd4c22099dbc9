/**
 * Mixpanel's per-project ingestion rate limit, as the local /import receiver plays it: a token bucket of
 * `eventsPerSecond`, holding one second of it (at least one full request), refilled continuously. A request whose
 * events do not fit is answered 429 and takes nothing from the bucket. Tests and the bench can change the rate
 * in the middle of a run.
 */
export class IngestionRateLimit {
  private tokens: number;
  private filledAt: number;

  constructor(private eventsPerSecond: number, private readonly minCapacity: number, private readonly now: () => number = Date.now) {
    this.tokens = this.capacity();
    this.filledAt = now();
  }

  setRate(eventsPerSecond: number): void {
    this.refill();
    this.eventsPerSecond = eventsPerSecond;
    this.tokens = Math.min(this.tokens, this.capacity());
  }

  /** Takes `events` from the bucket if they fit; otherwise returns the seconds until they would. */
  admit(events: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    this.refill();
    if (this.tokens >= events) {
      this.tokens -= events;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.ceil((events - this.tokens) / this.eventsPerSecond) };
  }

  private capacity(): number {
    return Math.max(this.eventsPerSecond, this.minCapacity);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.capacity(), this.tokens + ((now - this.filledAt) / 1000) * this.eventsPerSecond);
    this.filledAt = now;
  }
}

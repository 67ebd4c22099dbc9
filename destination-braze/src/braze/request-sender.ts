/**
 * Sends one Braze request until it gets an answer the caller must interpret (2xx, 4xx other than 408/423/429):
 * - 429: waits until `X-RateLimit-Reset` (plus a little jitter), else backs off 2 s → 60 s with jitter;
 * - 5xx, 408, 423 (partner "Resource locked") and network failures: backs off and retries;
 * - every request waits while a previous answer said the window is used up (`X-RateLimit-Remaining: 0`), so
 *   several requests in flight do not all run into 429;
 * - when a request has been retried for longer than `maxRetryMs`, the sync stops with a transient_error.
 */
import type { Logger } from '../../../connector-kit/logger';
import { transientError } from '../../../connector-kit/errors';
import { backoffDelayMs, sleep } from '../../../connector-kit/backoff';
import type { BrazeClient, BrazeReply } from './braze-client';

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  /** Budget per request. */
  maxRetryMs: number;
}

export interface Answer {
  status: number;
  body: unknown;
}

/** Thrown when the writer was stopped while a request was pending; carries no outcome. */
export class Aborted extends Error {
  constructor() {
    super('delivery stopped');
    this.name = 'Aborted';
  }
}

const RETRYABLE = new Set([408, 423, 429]);

export class RequestSender {
  private pausedUntil = 0;

  constructor(private readonly client: BrazeClient, private readonly policy: RetryPolicy, private readonly log: Logger) {}

  get host(): string {
    return this.client.host;
  }

  /** `what` names the request in messages (e.g. "a /users/track request of 75 objects"); it holds no ids. */
  async send(path: string, body: string, withApiKey: boolean, what: string, signal: AbortSignal): Promise<Answer> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      await this.waitForWindow(signal);
      const reply = await this.client.post(path, body, withApiKey, signal);
      if (signal.aborted) throw new Aborted();
      if (reply.kind === 'http') this.noteWindow(reply);
      if (reply.kind === 'http' && !isRetryable(reply.status)) return { status: reply.status, body: reply.body };
      const delay = this.delayFor(reply, attempt);
      const why = describeRetry(reply);
      if (Date.now() - started + delay > this.policy.maxRetryMs) {
        throw transientError(
          `Braze did not accept ${what} within the retry budget of ${this.policy.maxRetryMs / 1000} s ` +
            `(${attempt} attempts; last: ${why}). Changes already acknowledged are safe; a re-run sends the rest.`,
        );
      }
      this.log.warn(`Braze request failed (${why}); retry ${attempt} in ${(delay / 1000).toFixed(1)} s.`);
      await sleep(delay, signal).catch(() => undefined);
      if (signal.aborted) throw new Aborted();
    }
  }

  private delayFor(reply: BrazeReply, attempt: number): number {
    // 2 s → 60 s by default, plus 0.5–2.5× base of jitter (as for Mixpanel ingestion).
    const backoff = { baseMs: this.policy.baseMs, maxMs: this.policy.maxMs, jitter: { baseFrom: 0.5, baseRange: 2 } };
    if (reply.kind === 'http' && reply.status === 429 && reply.rateLimit.resetAtMs !== undefined) {
      // Braze's reset is whole epoch seconds; a little jitter keeps parallel requests from retrying in lock step.
      const untilReset = Math.max(0, reply.rateLimit.resetAtMs - Date.now());
      return untilReset + Math.round(Math.random() * Math.min(this.policy.baseMs, 1000));
    }
    return backoffDelayMs(attempt, backoff);
  }

  private noteWindow(reply: Extract<BrazeReply, { kind: 'http' }>): void {
    const { remaining, resetAtMs } = reply.rateLimit;
    if ((remaining === 0 || reply.status === 429) && resetAtMs !== undefined && resetAtMs > this.pausedUntil) this.pausedUntil = resetAtMs;
  }

  private async waitForWindow(signal: AbortSignal): Promise<void> {
    const wait = this.pausedUntil - Date.now();
    // Bounded: a clock far off from Braze's must not stall a request beyond the retry budget.
    if (wait > 0) await sleep(Math.min(wait, this.policy.maxRetryMs), signal).catch(() => undefined);
    if (signal.aborted) throw new Aborted();
  }
}

function isRetryable(status: number): boolean {
  return RETRYABLE.has(status) || status >= 500;
}

function describeRetry(reply: BrazeReply): string {
  if (reply.kind === 'network') return reply.message;
  return `HTTP ${reply.status}${reply.status === 429 ? ' Rate Limited' : ''}`;
}

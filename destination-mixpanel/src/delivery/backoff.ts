/**
 * Retry timing per Mixpanel's advice: start at the base (2 s), double up to the cap (60 s), add 0.5–2.5× base
 * of jitter (1–5 s at the defaults) so parallel requests do not retry in lock step; a Retry-After wins.
 * The arithmetic is the shared one in connector-kit/backoff.ts; these are Mixpanel ingestion's numbers.
 */
import { backoffDelayMs, sleep } from '../../../connector-kit/backoff';

export { sleep };

/** The server knows best; only an absurd value is bounded (the retry budget still applies on top). */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  random?: () => number;
}

export function retryDelayMs(attempt: number, policy: BackoffPolicy, retryAfterMs?: number): number {
  return backoffDelayMs(attempt, { ...policy, jitter: { baseFrom: 0.5, baseRange: 2 }, retryAfter: { capMs: MAX_RETRY_AFTER_MS } }, retryAfterMs);
}

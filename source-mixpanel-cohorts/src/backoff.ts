/**
 * How long to wait before retrying a query: Mixpanel's `Retry-After` when it sends one (even below the base
 * delay), plus up to 10 % jitter; otherwise base (30 s) doubling per attempt up to max (300 s), ±20 % jitter.
 * The arithmetic is the shared one in connector-kit/backoff.ts; these are the Query API's jitter rules.
 */
import { backoffDelayMs } from '../../connector-kit/backoff';
import { parseRetryAfter } from '../../connector-kit/http-client';

export { parseRetryAfter };

export interface BackoffPolicy { baseMs: number; maxMs: number; random?: () => number }

export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, policy: BackoffPolicy): number {
  return backoffDelayMs(attempt, { ...policy, jitter: { stepSpread: 0.2 }, retryAfter: { spread: 0.1 } }, retryAfterMs);
}

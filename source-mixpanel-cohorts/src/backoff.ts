/**
 * How long to wait before retrying a query: Mixpanel's `Retry-After` when it sends one (even below the base
 * delay), plus up to 10 % jitter; otherwise base (30 s) doubling per attempt up to max (300 s), ±20 % jitter.
 */
export interface BackoffPolicy { baseMs: number; maxMs: number; random?: () => number }

export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, policy: BackoffPolicy): number {
  const random = policy.random ?? Math.random;
  if (retryAfterMs !== undefined) return Math.round(retryAfterMs * (1 + 0.1 * random()));
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step * (0.8 + 0.4 * random()));
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

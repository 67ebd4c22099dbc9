/**
 * Retry timing per Mixpanel's advice: start at the base (2 s), double up to the cap (60 s), add 0.5–2.5× base
 * of jitter (1–5 s at the defaults) so parallel requests do not retry in lock step; a Retry-After wins.
 */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  random?: () => number;
}

export function retryDelayMs(attempt: number, policy: BackoffPolicy, retryAfterMs?: number): number {
  // The server knows best; only an absurd value is bounded (the retry budget still applies on top).
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
  const random = policy.random ?? Math.random;
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential + policy.baseMs * (0.5 + 2 * random()));
}

/** Waits, but wakes early (rejecting) when the signal aborts so a failing sync can exit at once. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

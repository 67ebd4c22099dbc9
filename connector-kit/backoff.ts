/**
 * Retry timing shared by the connectors: the delay doubles from `baseMs` per attempt up to `maxMs`, with jitter so
 * parallel requests do not retry in lock step; a server's Retry-After wins. Each connector sets its own numbers
 * and jitter (Mixpanel ingestion and Braze: 2 s → 60 s plus 0.5–2.5× base; Mixpanel Query API: 30 s → 300 s ±20 %).
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Jitter: the step scaled by 1 ± `stepSpread`, plus `baseMs` × (`baseFrom` + `baseRange` × random). All default 0. */
  jitter?: { stepSpread?: number; baseFrom?: number; baseRange?: number };
  /** A Retry-After is bounded by `capMs` and stretched by up to `spread` (a fraction) of itself. */
  retryAfter?: { capMs?: number; spread?: number };
  random?: () => number;
}

export function backoffDelayMs(attempt: number, policy: BackoffPolicy, retryAfterMs?: number): number {
  const random = policy.random ?? Math.random;
  if (retryAfterMs !== undefined) {
    const { capMs = Infinity, spread = 0 } = policy.retryAfter ?? {};
    const bounded = Math.min(retryAfterMs, capMs);
    return spread > 0 ? Math.round(bounded * (1 + spread * random())) : bounded;
  }
  const { stepSpread = 0, baseFrom = 0, baseRange = 0 } = policy.jitter ?? {};
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const r = random();
  return Math.round(step * (1 - stepSpread + 2 * stepSpread * r) + policy.baseMs * (baseFrom + baseRange * r));
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

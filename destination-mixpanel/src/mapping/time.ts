/** Event times → integer epoch milliseconds, the unit we always send (Mixpanel accepts seconds or ms). */

/**
 * Numbers below this are epoch seconds, above it epoch milliseconds. 1e11 s is the year 5138 and 1e11 ms is
 * 1973-03-03, so every time Mixpanel accepts (1971 … now + 1 h) is read correctly except ms values in 1971–1973.
 */
export const SECONDS_MS_BOUNDARY = 1e11;

/** Epoch seconds or milliseconds (heuristic above) → integer ms; undefined when not a finite number. */
export function epochMsFromNumber(value: number): number | undefined {
  if (!Number.isFinite(value)) return undefined;
  return Math.round(Math.abs(value) < SECONDS_MS_BOUNDARY ? value * 1000 : value);
}

const DIGITS = /^-?\d+(\.\d+)?$/;

/**
 * A configurable time field of a non-Currents record → integer ms: a number (seconds or ms), a string of digits
 * (same rule) or a date string Date.parse understands (ISO 8601). Anything else → undefined (rejected later).
 */
export function epochMsFromValue(value: unknown): number | undefined {
  if (typeof value === 'number') return epochMsFromNumber(value);
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return undefined;
    if (DIGITS.test(text)) return epochMsFromNumber(Number(text));
    const parsed = Date.parse(text);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/**
 * A cheap upper bound of a value's JSON size in UTF-8 bytes, so that validation serializes an event only when
 * it might really be too large (almost never).
 */

/** Worst case per UTF-16 unit: a control character written as `\u00XX` (6 bytes; non-ASCII is at most 3). */
export const MAX_BYTES_PER_CHAR = 6;
/** Longest JSON number text, e.g. `-1.2345678901234567e-308`. */
const MAX_NUMBER_BYTES = 24;
/** Deeper than any event Mixpanel accepts (nesting ≤ 3); past it we stop estimating. */
const MAX_DEPTH = 16;

/**
 * Returns a number ≥ the byte length of JSON.stringify(value), or Infinity once the bound passes `budget`
 * (or the value is too deep or of a kind we don't estimate), meaning "measure exactly".
 */
export function jsonSizeUpperBound(value: unknown, budget: number): number {
  return bound(value, budget, 0);
}

/** Upper bound of one `"key":value` member of an object (without the comma). */
export function memberSizeUpperBound(key: string, value: unknown, budget: number): number {
  return key.length * MAX_BYTES_PER_CHAR + 3 + bound(value, budget, 1);
}

function bound(value: unknown, budget: number, depth: number): number {
  switch (typeof value) {
    case 'string':
      return value.length * MAX_BYTES_PER_CHAR + 2;
    case 'number':
      return MAX_NUMBER_BYTES;
    case 'boolean':
      return 5;
    case 'undefined':
    case 'function':
    case 'symbol':
      return 4; // omitted or written as null
    case 'object':
      break;
    default:
      return Infinity; // bigint: JSON.stringify throws; let the exact path report it
  }
  if (value === null) return 4;
  if (depth >= MAX_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function') return Infinity;
  let total = 2;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      total += bound(value[i], budget, depth + 1) + 1;
      if (total >= budget) return Infinity;
    }
    return total;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    total += key.length * MAX_BYTES_PER_CHAR + 4 + bound(record[key], budget, depth + 1);
    if (total >= budget) return Infinity;
  }
  return total;
}

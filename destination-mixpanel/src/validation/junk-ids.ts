/**
 * Values Mixpanel refuses as `distinct_id` (and as `$insert_id`), compared case-insensitively
 * (DESIGN §5.3, mixpanel.md §1.8–1.9).
 */
const JUNK_IDS = new Set([
  '00000000-0000-0000-0000-000000000000',
  'anon',
  'anonymous',
  'nil',
  'none',
  'null',
  'n/a',
  'na',
  'undefined',
  'unknown',
  '<nil>',
  '0',
  '-1',
  'true',
  'false',
  '[]',
  '{}',
]);

/** Longest junk value; longer ids skip the lower-casing (the common case for real ids stays allocation-free). */
const LONGEST_JUNK = 36;

export function isJunkId(id: string): boolean {
  return id.length <= LONGEST_JUNK && JUNK_IDS.has(id.toLowerCase());
}

/**
 * Values Mixpanel refuses as `distinct_id` (and as `$insert_id`), compared case-insensitively
 * (DESIGN §5.3, mixpanel.md §1.8–1.9).
 */
const JUNK_IDS = new Set([
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

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
/** Longest junk value apart from the zero UUID (which has no letters, so needs no lower-casing). */
const LONGEST_WORD = 9;

/** Real ids (UUIDs, long strings) are decided without allocating a lower-cased copy. */
export function isJunkId(id: string): boolean {
  if (id.length > LONGEST_WORD) return id === ZERO_UUID;
  return JUNK_IDS.has(id.toLowerCase());
}

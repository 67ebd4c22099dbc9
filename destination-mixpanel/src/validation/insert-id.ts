/** Mixpanel `$insert_id`s: the format /import accepts and a deterministic fallback for ids that don't fit it. */
import { createHash } from 'crypto';
import { isJunkId } from './junk-ids';

/** What /import accepts as `$insert_id` (mixpanel.md §1.9): 1–36 ASCII letters, digits or hyphens. */
export const INSERT_ID_PATTERN = /^[A-Za-z0-9-]{1,36}$/;

/**
 * A 36-character, UUID-shaped (8-4-4-4-12 hex) SHA-256 digest of `text`. Deterministic, so a replayed event
 * gets the same insert id and Mixpanel de-duplicates it.
 */
export function hashInsertId(text: string): string {
  const hex = createHash('sha256').update(text, 'utf8').digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The id itself when Mixpanel accepts it as an insert id, else its deterministic 36-character hash. Ids of the
 * right shape that Mixpanel still refuses as junk (`0`, `null`, the zero UUID, …) are hashed too, so that a real
 * event is never rejected only because of its id.
 */
export function insertIdFor(id: string): string {
  return INSERT_ID_PATTERN.test(id) && !isJunkId(id) ? id : hashInsertId(id);
}

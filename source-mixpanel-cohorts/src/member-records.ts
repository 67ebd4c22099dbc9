/**
 * One engage page → member records: each distinct id once per snapshot (repeats are counted, not emitted), the
 * Braze user id from `user_id_property` (null when the profile lacks it, counted), and the requested properties.
 */
import { DISTINCT_ID_PROPERTY } from './config';
import type { EngageMember } from './query-client';
import type { CurrentCohort } from './round-state';
import type { SeenSet } from './seen-set';

export interface MemberRecord {
  cohort_id: number;
  cohort_name: string;
  distinct_id: string;
  user_id: string | null;
  properties: Record<string, unknown>;
  snapshot_id: string;
}

/** A property value usable as a Braze external id: a non-empty string, or a finite number as text. */
function userIdOf(value: unknown): string | null {
  if (typeof value === 'string') return value.length > 0 ? value : null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

export function* memberRecords(results: EngageMember[], current: CurrentCohort, seen: SeenSet, userIdProperty: string, outputProperties: string[]): Generator<MemberRecord> {
  const none: Record<string, unknown> = {};
  for (const member of results) {
    const distinctId = String(member.$distinct_id);
    if (!seen.add(distinctId)) {
      current.duplicates++;
      continue;
    }
    const profile = member.$properties ?? none;
    const userId = userIdProperty === DISTINCT_ID_PROPERTY ? distinctId : userIdOf(profile[userIdProperty]);
    if (userId === null) current.without_user_id++;
    const properties: Record<string, unknown> = {};
    for (const p of outputProperties) if (p in profile) properties[p] = profile[p];
    current.members_so_far++;
    yield { cohort_id: current.cohort_id, cohort_name: current.cohort_name, distinct_id: distinctId, user_id: userId, properties, snapshot_id: current.snapshot_id };
  }
}

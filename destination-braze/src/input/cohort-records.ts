/**
 * Reads the records of source-mixpanel-cohorts (DESIGN §10.2) into what the diff needs. Problems are named by
 * stream and field, never by value: a record's values are personal data.
 */
import type { JsonObject } from '../../../connector-kit/protocol';
import { MAX_VALUE_CHARS } from '../config';

export const COHORT_STREAMS = ['cohorts', 'cohort_members', 'cohort_snapshots'] as const;

export type CohortRecord =
  | { kind: 'cohort'; cohortId: number; name?: string; createdAt?: string }
  | { kind: 'member'; cohortId: number; cohortName: string; snapshotId: string; userId: string | undefined; skipReason?: string }
  | { kind: 'snapshot'; cohortId: number; cohortName: string; snapshotId: string; memberCount: number; reason?: string }
  | { kind: 'rejected'; reason: string; detail: string };

const reject = (reason: string, detail: string): CohortRecord => ({ kind: 'rejected', reason, detail });

/** Cohort ids are integers; a digit string is read as one. */
function cohortIdOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined);

export function readCohortRecord(stream: string, data: JsonObject): CohortRecord {
  switch (stream) {
    case 'cohort_members': {
      const cohortId = cohortIdOf(data.cohort_id);
      if (cohortId === undefined) return reject(data.cohort_id === undefined || data.cohort_id === null ? 'missing_cohort_id' : 'invalid_cohort_id', 'cohort_members record without an integer cohort_id');
      const snapshotId = text(data.snapshot_id);
      if (!snapshotId) return reject('missing_snapshot_id', `cohort_members record of cohort ${cohortId} without snapshot_id`);
      const cohortName = text(data.cohort_name) ?? String(cohortId);
      const raw = data.user_id;
      if (raw === null || raw === undefined || raw === '') return { kind: 'member', cohortId, cohortName, snapshotId, userId: undefined, skipReason: 'no_braze_user_id' };
      const userId = text(raw);
      // A newline cannot be stored (one id per line) and is no valid Braze external id anyway.
      if (userId === undefined || /[\n\r]/.test(userId) || userId.trim() === '') return { kind: 'member', cohortId, cohortName, snapshotId, userId: undefined, skipReason: 'invalid_braze_user_id' };
      return { kind: 'member', cohortId, cohortName, snapshotId, userId };
    }
    case 'cohort_snapshots': {
      const cohortId = cohortIdOf(data.cohort_id);
      if (cohortId === undefined) return reject(data.cohort_id === undefined || data.cohort_id === null ? 'missing_cohort_id' : 'invalid_cohort_id', 'cohort_snapshots record without an integer cohort_id');
      const snapshotId = text(data.snapshot_id);
      if (!snapshotId) return reject('missing_snapshot_id', `cohort_snapshots record of cohort ${cohortId} without snapshot_id`);
      const memberCount = data.member_count;
      if (typeof memberCount !== 'number' || !Number.isInteger(memberCount) || memberCount < 0) {
        return reject('invalid_member_count', `cohort_snapshots record of cohort ${cohortId} without a whole member_count`);
      }
      return { kind: 'snapshot', cohortId, cohortName: text(data.cohort_name) ?? String(cohortId), snapshotId, memberCount, reason: text(data.reason) };
    }
    case 'cohorts': {
      const cohortId = cohortIdOf(data.id);
      if (cohortId === undefined) return reject('missing_cohort_id', 'cohorts record without an integer id');
      return { kind: 'cohort', cohortId, name: text(data.name), createdAt: isoTime(data.created) };
    }
    default:
      return reject('not_a_cohort_stream', `records of stream "${stream}" are not Mixpanel cohort records (expected ${COHORT_STREAMS.join(', ')})`);
  }
}

/**
 * Mixpanel lists cohorts with `created` as "2024-01-02 03:04:05" (UTC); the partner API wants ISO-8601.
 * Undefined when the value is no recognisable time (the delivery layer then uses the sync's start).
 */
export function isoTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const spaced = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
  const ms = Date.parse(spaced);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * The value written to Braze for a cohort name: at most 255 characters (Braze's limit for a string value),
 * cut without splitting a surrogate pair.
 */
export function cohortValue(name: string): { value: string; cut: boolean } {
  if (name.length <= MAX_VALUE_CHARS) return { value: name, cut: false };
  let end = MAX_VALUE_CHARS;
  const last = name.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return { value: name.slice(0, end), cut: true };
}

/**
 * The source's state: one "round" refreshes every selected cohort once. It is the `stream_state` of
 * `cohort_members` (or of `cohort_snapshots` when members are not selected), checkpointed after every page:
 *
 *   { "version": 1,
 *     "round_id": "…", "round_started_at": "2026-12-06T02:00:00.000Z",
 *     "round_cohorts": [{ "id": 7, "name": "Churn risk" }, …],     the cohorts this round reads, fixed at its start
 *     "finished": [7, …],        cohorts with a complete snapshot this round (including empty deleted/deselected ones)
 *     "failed": [9],             cohorts Mixpanel refused to query this round (no snapshot; retried next round)
 *     "current": { "cohort_id": 8, "cohort_name": "…", "snapshot_id": "…", "session_id": "…", "next_page": 12,
 *                  "page_size": 1000, "members_so_far": 12000, "without_user_id": 3, "duplicates": 0,
 *                  "taken_at": "…", "restarts": 0 } | null,
 *     "round_complete": false,
 *     "previous_round_cohorts": [{ "id": 5, "name": "…" }] }     the cohorts of the round before, for deleted/deselected snapshots
 *
 * No member id is ever part of the state (it is not personal data-free otherwise, and must stay small).
 */
import { configError } from '../../connector-kit/errors';
import type { JsonObject } from '../../connector-kit/protocol';

export interface CohortRef { id: number; name: string }

export interface CurrentCohort {
  cohort_id: number;
  cohort_name: string;
  snapshot_id: string;
  session_id: string | null;
  next_page: number;
  page_size: number | null;
  members_so_far: number;
  without_user_id: number;
  duplicates: number;
  taken_at: string | null;
  restarts: number;
}

export interface RoundState {
  version: 1;
  round_id: string;
  round_started_at: string;
  round_cohorts: CohortRef[];
  finished: number[];
  failed: number[];
  current: CurrentCohort | null;
  round_complete: boolean;
  previous_round_cohorts: CohortRef[];
}

const isObj = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRefs = (v: unknown): v is CohortRef[] => Array.isArray(v) && v.every((r) => isObj(r) && Number.isInteger(r.id) && typeof r.name === 'string');
const isIds = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x));

/** The round in an input state blob; undefined for none. A blob this source did not write is a config error. */
export function parseRoundState(blob: JsonObject | undefined, stream: string): RoundState | undefined {
  // No state, or the small marker kept under cohort_snapshots while cohort_members held the round.
  if (!blob || Object.keys(blob).length === 0 || (blob.version === undefined && 'last_snapshot_id' in blob)) return undefined;
  const s = blob as Partial<RoundState>;
  const ok = s.version === 1 && typeof s.round_id === 'string' && isRefs(s.round_cohorts) && isIds(s.finished) && isIds(s.failed ?? [])
    && isRefs(s.previous_round_cohorts ?? []) && (s.current === null || s.current === undefined || isCurrent(s.current));
  if (!ok) throw configError(`The input state for stream ${stream} is not one this source wrote (expected version 1 with round_id, round_cohorts and finished). Reset the stream's state to start a fresh round.`);
  return { ...s, failed: s.failed ?? [], previous_round_cohorts: s.previous_round_cohorts ?? [], current: s.current ?? null, round_complete: s.round_complete === true } as RoundState;
}

function isCurrent(c: unknown): c is CurrentCohort {
  if (!isObj(c)) return false;
  return Number.isInteger(c.cohort_id) && typeof c.snapshot_id === 'string' && (c.session_id === null || typeof c.session_id === 'string')
    && Number.isInteger(c.next_page) && Number.isInteger(c.members_so_far);
}

export function newRound(id: string, startedAt: string, cohorts: CohortRef[], previous: CohortRef[]): RoundState {
  return { version: 1, round_id: id, round_started_at: startedAt, round_cohorts: cohorts, finished: [], failed: [], current: null, round_complete: false, previous_round_cohorts: previous };
}

export function freshCohort(ref: CohortRef, snapshotId: string, restarts = 0): CurrentCohort {
  return { cohort_id: ref.id, cohort_name: ref.name, snapshot_id: snapshotId, session_id: null, next_page: 0, page_size: null, members_so_far: 0, without_user_id: 0, duplicates: 0, taken_at: null, restarts };
}

/**
 * The seam between the destination's diffing (what changed since the last complete snapshot) and Braze
 * delivery (how a change reaches Braze: attribute arrays through /users/track, or the partner cohort API).
 * The diffing side never knows which mode is configured; the delivery side never knows about snapshots.
 */

/** A cohort as the destination knows it during one sync. */
export interface CohortRef {
  cohortId: number;
  /** The value written to Braze: the cohort name, already cut to Braze's 255-character limit. */
  value: string;
  /** ISO-8601, for the partner API's `created_at`; absent → the time of the sync. */
  createdAt?: string;
}

/** One membership change of one Braze user (by external id) for one cohort. */
export interface MembershipChange {
  cohort: CohortRef;
  userId: string;
  op: 'add' | 'remove';
  /** Attribute mode: the array value to add or remove (normally cohort.value; the old name for a rename's removal). */
  value: string;
}

/** What became of one change. `rejected` carries Braze's reason (never a field value). */
export type ChangeOutcome = { change: MembershipChange; status: 'written' } | { change: MembershipChange; status: 'rejected'; reason: string };

export interface MembershipWriter {
  /**
   * Called once per cohort per sync before its first change (partner mode creates or renames the cohort
   * there; attribute mode does nothing). Awaited.
   */
  beginCohort(cohort: CohortRef): Promise<void>;
  /**
   * Queues one change. Resolves when the writer can take more (backpressure), not when Braze answered.
   * Throws a ConnectorError (config_error on 401/403, transient_error once retries are exhausted) when delivery
   * cannot go on; after that no outcome is reported for unanswered changes.
   */
  enqueue(change: MembershipChange): Promise<void>;
  /** Sends what is buffered and resolves once every change queued so far has an outcome. */
  flush(): Promise<void>;
  /** flush() and release connections. */
  close(): Promise<void>;
}

/** Receives every change's outcome exactly once, in no particular order (several requests are in flight). */
export type OutcomeListener = (outcome: ChangeOutcome) => void;

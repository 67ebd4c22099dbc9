/**
 * Partner mode: Braze's partner cohort import. `beginCohort` creates (or renames) the cohort through
 * `POST /partners/<partner_name>/cohorts`; changes go through `…/cohorts/users` as
 * `cohort_changes: [{"user_ids": [...], "should_remove": false}, {"user_ids": [...], "should_remove": true}]`,
 * at most 1 000 ids per request, one request per cohort. Credentials travel in the body, so bodies are never
 * logged. A cohort Braze refused to create has every change rejected with Braze's reason.
 */
import type { Logger } from '../../../connector-kit/logger';
import { describeAnswer, stopError } from './braze-answers';
import { ChangeGroup, ReleasingWriter } from './change-group';
import type { InFlightPool } from './in-flight-pool';
import type { CohortRef, MembershipChange, MembershipWriter, OutcomeListener } from './membership-writer';
import { PartnerCredentials, PARTNER_IDS_PER_REQUEST } from './options';
import type { Answer, RequestSender } from './request-sender';

/** One cohort's pending changes, keyed by user id. */
interface CohortBuffer {
  cohort: CohortRef;
  changes: ChangeGroup;
}

export class PartnerWriter extends ReleasingWriter implements MembershipWriter {
  private readonly begun = new Map<number, { rejected?: string }>();
  private readonly buffers = new Map<number, CohortBuffer>();
  private readonly base: string;
  private readonly syncStartedAt = new Date().toISOString();

  constructor(
    private readonly sender: RequestSender,
    private readonly pool: InFlightPool,
    private readonly partner: PartnerCredentials,
    private readonly onOutcome: OutcomeListener,
    private readonly log: Logger,
    release: () => void,
  ) {
    super(release);
    this.base = `/partners/${encodeURIComponent(partner.partnerName)}/cohorts`;
  }

  async beginCohort(cohort: CohortRef): Promise<void> {
    this.pool.check();
    const state: { rejected?: string } = {};
    this.begun.set(cohort.cohortId, state);
    await this.pool.run(async (signal) => {
      const body = this.body({ cohort_id: String(cohort.cohortId), name: cohort.value, created_at: cohort.createdAt ?? this.syncStartedAt });
      const answer = await this.sender.send(this.base, body, false, `the creation of cohort ${cohort.cohortId}`, signal);
      this.stopIfNeeded(answer, this.base);
      if (answer.status < 200 || answer.status >= 300) {
        state.rejected = `Braze refused to create or rename cohort ${cohort.cohortId}: ${describeAnswer(answer)}`;
        this.log.warn(`${state.rejected}; its changes are rejected.`);
      }
    });
  }

  async enqueue(change: MembershipChange): Promise<void> {
    this.pool.check();
    const id = change.cohort.cohortId;
    if (!this.begun.has(id)) await this.beginCohort(change.cohort);
    const rejected = this.begun.get(id)!.rejected;
    if (rejected) return this.onOutcome({ change, status: 'rejected', reason: rejected });
    let buffer = this.buffers.get(id);
    if (buffer && buffer.changes.conflicts(change, change.userId)) {
      // An add and a remove of one user in one request: Braze's order is unknown, so send what came first.
      await this.dispatch(buffer);
      await this.pool.drain();
      buffer = undefined;
    }
    if (!buffer) {
      buffer = { cohort: change.cohort, changes: new ChangeGroup() };
      this.buffers.set(id, buffer);
    }
    buffer.changes.put(change, change.userId);
    if (buffer.changes.size >= PARTNER_IDS_PER_REQUEST) await this.dispatch(buffer);
  }

  async flush(): Promise<void> {
    for (const buffer of [...this.buffers.values()]) await this.dispatch(buffer);
    await this.pool.drain();
  }

  private async dispatch(buffer: CohortBuffer): Promise<void> {
    if (this.buffers.get(buffer.cohort.cohortId) === buffer) this.buffers.delete(buffer.cohort.cohortId);
    if (buffer.changes.size === 0) return;
    await this.pool.submit((signal) => this.send(buffer, signal));
  }

  private async send(buffer: CohortBuffer, signal: AbortSignal): Promise<void> {
    const changes: Array<{ user_ids: string[]; should_remove: boolean }> = [];
    const { add, remove } = buffer.changes;
    if (add.size > 0) changes.push({ user_ids: [...add.keys()], should_remove: false });
    if (remove.size > 0) changes.push({ user_ids: [...remove.keys()], should_remove: true });
    const path = `${this.base}/users`;
    const count = buffer.changes.size;
    const answer = await this.sender.send(path, this.body({ cohort_id: String(buffer.cohort.cohortId), cohort_changes: changes }), false,
      `a cohort change of ${count} ids for cohort ${buffer.cohort.cohortId}`, signal);
    this.stopIfNeeded(answer, path);
    const ok = answer.status >= 200 && answer.status < 300;
    const reason = ok ? undefined : `Braze rejected the cohort change: ${describeAnswer(answer)}`;
    if (reason) this.log.warn(`${reason} (${count} ids of cohort ${buffer.cohort.cohortId} rejected; the sync goes on).`);
    buffer.changes.report(this.onOutcome, reason);
  }

  private body(fields: Record<string, unknown>): string {
    return JSON.stringify({ partner_api_key: this.partner.partnerApiKey, client_secret: this.partner.clientSecret, ...fields });
  }

  private stopIfNeeded(answer: Answer, path: string): void {
    const stop = stopError(answer, 'partner', this.sender.host, path);
    if (stop) throw stop;
  }
}

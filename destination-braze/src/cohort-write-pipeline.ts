/**
 * One sync of destination-braze: reads cohort records, decides every member's change with its cohort's diff,
 * and runs "cycles" one after the other, each over what arrived since the previous one:
 *   1. write-ahead: the new members of every touched cohort go into a progress chunk of the store;
 *   2. the changes (adds, and the removals of completed snapshots) go to the MembershipWriter, which is flushed;
 *   3. done markers record that Braze answered those chunks (with the users whose add it rejected);
 *   4. completed snapshots replace the old ones atomically and their progress is deleted;
 *   5. the STATEs received before the cycle started are echoed, in order, with destinationStats.
 * So a STATE is echoed only after the records before it are written to Braze and recorded in the store, and
 * at any kill point the store says who may hold a value (see membership/membership-store.ts).
 * Input keeps being read while a cycle runs; a cycle starts as soon as the previous one ends and there is a
 * STATE or enough changes waiting, or `flushIntervalMs` has passed with changes waiting.
 */
import type { DestinationOutput } from '../../connector-kit/connector';
import type { AirbyteMessage, AirbyteStateMessage, JsonObject } from '../../connector-kit/protocol';
import { CohortLedger, summaryTable, type LedgerSummary } from './accounting/cohort-ledger';
import type { ChangeOutcome, CohortRef, MembershipChange, MembershipWriter, OutcomeListener } from './braze/membership-writer';
import { cohortValue, readCohortRecord, type CohortRecord } from './input/cohort-records';
import type { CohortInput, MemberBlock } from './input/raw-lines';
import { CohortDiff } from './membership/cohort-diff';
import { linesOf } from './membership/id-file';
import { usersOverArrayLimit } from './membership/array-limit';
import type { MembershipStore } from './membership/membership-store';

export interface PipelineSettings {
  flushIntervalMs: number;
  mode: 'attribute' | 'partner';
  arrayLimit: number;
  /** Changes waiting before input pauses for a cycle (memory bound); default 20 000. */
  maxPendingChanges?: number;
}

export interface PipelineDeps {
  store: MembershipStore;
  /** Creates the delivery layer; every change's outcome must reach `onOutcome`. */
  createWriter: (onOutcome: OutcomeListener) => MembershipWriter;
  out: DestinationOutput;
  /** Told of every skipped or rejected member record (the sync runner's progress display counts them). */
  onSkipped?: (stream: string, reason: string) => void;
  /** Level of the end-of-run table in the log: the sync runner prints its own, so it asks for debug. Default info. */
  accountingLogLevel?: 'info' | 'debug';
}

/** A change with the input interval of the record that caused it (removals: -1). */
type TrackedChange = MembershipChange & { interval: number };

/** Pause between write cycles while input keeps coming (see kick()); far below flush_interval_seconds. */
const CYCLE_GAP_MS = 250;

/** The diff's membership key in partner mode, where Braze keys membership by cohort id, not by a value. */
const PARTNER_MEMBERSHIP = '(partner cohort)';

interface Completion {
  diff: CohortDiff;
  memberCount: number;
  reason?: string;
}

interface Batch {
  states: Array<{ state: AirbyteStateMessage; interval: number }>;
  changes: TrackedChange[];
  touched: Set<CohortDiff>;
  completions: Completion[];
}

const newBatch = (): Batch => ({ states: [], changes: [], touched: new Set(), completions: [] });
const isEmpty = (b: Batch) => b.states.length === 0 && b.changes.length === 0 && b.touched.size === 0 && b.completions.length === 0;

export class CohortWritePipeline {
  private readonly ledger = new CohortLedger();
  private readonly writer: MembershipWriter;
  private readonly diffs = new Map<number, CohortDiff>();
  /** Cohorts whose snapshot completed in this sync: cohort id → snapshot id (later copies of it are replays). */
  private readonly finished = new Map<number, string>();
  private readonly begun = new Map<number, string>();
  private readonly createdAt = new Map<number, string>();
  /** The value written for each cohort (its name, cut to 255 characters). */
  private readonly names = new Map<number, string>();
  private readonly intervals = new Map<number, { received: number; rejected: number }>([[0, { received: 0, rejected: 0 }]]);
  private interval = 0;
  private batch = newBatch();
  private cycle: Promise<void> | undefined;
  private failure: unknown;
  private readonly runId = `${Date.now().toString(36)}-${process.pid.toString(36)}`;
  private chunkSeq = 0;
  private lastCycleEnd = Date.now();
  private readonly warnedStreams = new Set<string>();
  private readonly maxPending: number;
  private readonly cycleGapMs: number;

  constructor(private readonly settings: PipelineSettings, private readonly deps: PipelineDeps) {
    this.writer = deps.createWriter((outcome) => this.onOutcome(outcome));
    this.maxPending = settings.maxPendingChanges ?? 20_000;
    this.cycleGapMs = Math.min(CYCLE_GAP_MS, settings.flushIntervalMs / 4);
  }

  private get log() {
    return this.deps.out.log;
  }

  /** Input comes in arrays (the CLI hands on one chunk of lines at a time); member blocks are the CLI's fast path. */
  async run(input: AsyncIterable<CohortInput[]>): Promise<LedgerSummary> {
    if (await this.deps.store.isEmpty()) {
      this.log.warn(
        `The membership store (${this.deps.store.location}) holds no cohort yet: this is the first sync, or the store was lost. ` +
          'Every member will be added (adds are idempotent), and users who left a cohort since an earlier sync cannot be removed this time. ' +
          'In Airbyte keep membership_store in S3, GCS or Azure: each sync runs in a fresh container.',
      );
    }
    const timer = setInterval(() => this.onTimer(), Math.max(10, this.cycleGapMs / 2));
    timer.unref();
    const iterator = input[Symbol.asyncIterator]();
    // One race for the whole run (a race per message would pile reactions onto a promise that may never
    // settle): a delivery failure such as a 401 ends the sync even while the source is quiet.
    const consuming = this.consume(iterator);
    await Promise.race([consuming, this.failed]);
    clearInterval(timer);
    if (this.failure) {
      void iterator.return?.();
      await this.cycle?.catch(() => undefined);
      await this.writer.close().catch(() => undefined);
      await this.report(false);
      throw this.failure;
    }
    await this.writer.close();
    await this.checkArrayLimit();
    return this.report(true);
  }

  // ---- input ---------------------------------------------------------------------------------------------

  private async consume(iterator: AsyncIterator<CohortInput[]>): Promise<void> {
    try {
      for (;;) {
        const next = await iterator.next();
        if (this.failure || next.done) break;
        for (const item of next.value) {
          const pending = this.onInput(item);
          if (pending) await pending;
          if (this.failure) break;
          if (this.batch.changes.length >= this.maxPending) await this.settleCycles(false);
        }
      }
      if (!this.failure) await this.settleCycles(true);
    } catch (err) {
      this.fail(err);
    }
  }

  private onInput(item: CohortInput): Promise<void> | void {
    switch (item.type) {
      case 'MEMBERS':
        return this.onMemberBlock(item);
      case 'RECORD':
        return this.onRecord(item.record.stream, item.record.data);
      case 'STATE':
        this.batch.states.push({ state: item.state, interval: this.interval });
        this.interval++;
        this.intervals.set(this.interval, { received: 0, rejected: 0 });
        this.kick();
    }
  }

  private onRecord(stream: string, data: JsonObject): Promise<void> | void {
    this.intervals.get(this.interval)!.received++;
    const record = readCohortRecord(stream, data);
    switch (record.kind) {
      case 'member':
        return this.onMember(record);
      case 'snapshot':
        return this.onSnapshot(record);
      case 'cohort':
        this.ledger.otherRecords++;
        if (record.createdAt) this.createdAt.set(record.cohortId, record.createdAt);
        return;
      case 'rejected':
        this.intervals.get(this.interval)!.rejected++;
        this.ledger.recordRejected(record.reason);
        this.deps.onSkipped?.(stream, record.reason);
        if (record.reason !== 'not_a_cohort_stream' || !this.warnedStreams.has(stream)) {
          if (record.reason === 'not_a_cohort_stream') this.warnedStreams.add(stream);
          this.log.warn(`Rejected a record (${record.reason}): ${record.detail}.`);
        }
    }
  }

  private onMember(record: Extract<CohortRecord, { kind: 'member' }>): Promise<void> | void {
    const row = this.ledger.row(record.cohortId);
    row.members++;
    return this.withDiff(record.cohortId, record.snapshotId, record.cohortName, (diff) => this.decide(diff, record, row), () => this.unchangedOrSkipped(record, row));
  }

  /**
   * Runs `decide` with the cohort's diff for this snapshot, opened from the store the first time; runs `settled`
   * instead when the snapshot is already complete (pages re-sent after a resume: nothing to write).
   */
  private withDiff(cohortId: number, snapshotId: string, cohortName: string, decide: (diff: CohortDiff) => void, settled: () => void): Promise<void> | void {
    if (this.finished.get(cohortId) === snapshotId) return settled();
    const diff = this.diffs.get(cohortId);
    if (diff && diff.snapshotId === snapshotId) return decide(diff);
    return this.openDiff(cohortId, snapshotId, cohortName).then((opened) => (opened ? decide(opened) : settled()));
  }

  /** Member records read by the CLI's byte scanner: all of one snapshot, all with a Braze id. */
  private onMemberBlock(block: MemberBlock): Promise<void> | void {
    const count = block.starts.length;
    this.intervals.get(this.interval)!.received += count;
    const row = this.ledger.row(block.cohortId);
    row.members += count;
    return this.withDiff(block.cohortId, block.snapshotId, block.cohortName, (diff) => this.decideBlock(diff, block, row), () => {
      row.unchanged += count;
    });
  }

  private decideBlock(diff: CohortDiff, block: MemberBlock, row: ReturnType<CohortLedger['row']>): void {
    const { bytes, starts, ends } = block;
    diff.countReceived(starts.length);
    this.batch.touched.add(diff);
    const cohort = this.refOf(diff);
    for (let k = 0; k < starts.length; k++) {
      const userId = diff.memberBytes(bytes, starts[k], ends[k]);
      if (userId === undefined) row.unchanged++;
      else this.batch.changes.push({ cohort, userId, op: 'add', value: diff.value, interval: this.interval });
    }
  }

  private unchangedOrSkipped(record: Extract<CohortRecord, { kind: 'member' }>, row: ReturnType<CohortLedger['row']>): void {
    if (record.userId === undefined) this.skip(record, row.cohortId);
    else row.unchanged++;
  }

  private skip(record: Extract<CohortRecord, { kind: 'member' }>, cohortId: number): void {
    this.ledger.skipped(cohortId, record.skipReason!);
    this.deps.onSkipped?.('cohort_members', record.skipReason!);
  }

  private decide(diff: CohortDiff, record: Extract<CohortRecord, { kind: 'member' }>, row: ReturnType<CohortLedger['row']>): void {
    diff.countReceived();
    this.batch.touched.add(diff);
    if (record.userId === undefined) return this.skip(record, diff.cohortId);
    if (diff.member(record.userId) === 'unchanged') {
      row.unchanged++;
      return;
    }
    this.batch.changes.push({ cohort: this.refOf(diff), userId: record.userId, op: 'add', value: diff.value, interval: this.interval });
  }

  private async onSnapshot(record: Extract<CohortRecord, { kind: 'snapshot' }>): Promise<void> {
    this.ledger.otherRecords++;
    this.ledger.row(record.cohortId, cohortValue(record.cohortName).value);
    if (this.finished.get(record.cohortId) === record.snapshotId) return;
    let diff = this.diffs.get(record.cohortId);
    if (!diff || diff.snapshotId !== record.snapshotId) diff = await this.openDiff(record.cohortId, record.snapshotId, record.cohortName);
    if (!diff) return;
    this.finished.set(record.cohortId, record.snapshotId);
    this.batch.touched.add(diff);
    this.batch.completions.push({ diff, memberCount: record.memberCount, reason: record.reason });
  }

  /**
   * The diff for a snapshot seen for the first time in this sync, from the store. Undefined when the store's last
   * complete snapshot is this very one (a replay after a resume: nothing left to do).
   */
  private async openDiff(cohortId: number, snapshotId: string, cohortName: string): Promise<CohortDiff | undefined> {
    const previous = this.diffs.get(cohortId);
    if (previous && this.finished.get(cohortId) !== previous.snapshotId) {
      // The source started this cohort over with a new snapshot: what the old one wrote stays in the store as
      // progress (users who may hold the value), so the store must have it before the new diff reads it.
      this.log.warn(`Cohort ${cohortId}: a new snapshot began before the previous one completed; the unfinished one is kept as "may hold the value" and settled by the next complete snapshot.`);
      this.diffs.delete(cohortId);
    }
    // The store must be up to date with this cohort (progress written, a completed snapshot committed) before it is read.
    if (previous || this.finished.has(cohortId)) await this.settleCycles(true);
    const stored = await this.deps.store.loadCohort(cohortId);
    if (stored.snapshot?.header.snapshot_id === snapshotId) {
      this.finished.set(cohortId, snapshotId);
      if (stored.progressKeys.length) await this.deps.store.deleteProgress(stored.progressKeys);
      return undefined;
    }
    const { value, cut } = cohortValue(cohortName);
    if (cut) {
      this.ledger.warn('cohort_name_cut_to_255_characters');
      this.log.warn(`Cohort ${cohortId}: its name is longer than Braze's 255 characters; the value written is its first 255 characters.`);
    }
    // In partner mode membership is keyed by the cohort id, so a rename is no change of membership.
    const diff = new CohortDiff(stored, cohortId, snapshotId, this.settings.mode === 'partner' ? PARTNER_MEMBERSHIP : value);
    this.names.set(cohortId, value);
    this.ledger.row(cohortId, value);
    if (diff.storeProblems.length) {
      this.ledger.warn('membership_store_unreadable');
      this.log.error(
        `Cohort ${cohortId}: the membership store cannot be trusted (${diff.storeProblems.join('; ')}). Removals for this cohort are refused. ` +
          `To rebuild it, delete cohorts/${cohortId}/ in the membership store (${this.deps.store.location}), or the whole store: the next sync adds every member again ` +
          '(adds are idempotent) and records a fresh snapshot; users who left the cohort meanwhile keep the value until removed by hand.',
      );
    }
    if (diff.renamed) this.log.info(`Cohort ${cohortId} was renamed: its members move from the old value to the new one.`);
    this.diffs.set(cohortId, diff);
    return diff;
  }

  private refOf(diff: CohortDiff): CohortRef {
    const createdAt = this.createdAt.get(diff.cohortId);
    return { cohortId: diff.cohortId, value: this.names.get(diff.cohortId) ?? diff.value, ...(createdAt ? { createdAt } : {}) };
  }

  // ---- cycles --------------------------------------------------------------------------------------------

  /**
   * Starts a cycle over the waiting batch unless one is running. Unless `now`, cycles keep a short gap
   * (CYCLE_GAP_MS) after the previous one, so a fast source's many STATEs share one store write and one Braze
   * round trip instead of one each; the timer starts the cycle once the gap has passed.
   */
  private kick(now = false): void {
    if (this.cycle || this.failure || isEmpty(this.batch)) return;
    if (!now && Date.now() - this.lastCycleEnd < this.cycleGapMs && this.batch.changes.length < this.maxPending / 2) return;
    const batch = this.batch;
    this.batch = newBatch();
    this.cycle = this.runCycle(batch).then(
      () => {
        this.cycle = undefined;
        this.lastCycleEnd = Date.now();
        // What arrived meanwhile goes after the gap (the timer), or at once when the batch is full.
        if (this.batch.changes.length >= this.maxPending) this.kick(true);
      },
      (err) => {
        this.fail(err);
        this.cycle = undefined;
      },
    );
  }

  private signalFailure: (() => void) | undefined;
  private readonly failed = new Promise<void>((resolve) => {
    this.signalFailure = resolve;
  });

  private fail(err: unknown): void {
    this.failure ??= err;
    this.signalFailure?.();
  }

  /** States and completed snapshots go once the gap has passed; changes alone wait up to flush_interval_seconds. */
  private onTimer(): void {
    if (this.cycle) return;
    if (this.batch.states.length > 0 || this.batch.completions.length > 0) this.kick();
    else if (Date.now() - this.lastCycleEnd >= this.settings.flushIntervalMs) this.kick(true);
  }

  /** Waits for the running cycle, and with `all` until everything received so far went through a cycle. */
  private async settleCycles(all: boolean): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.cycle) {
        await this.cycle;
        continue;
      }
      if (isEmpty(this.batch)) return;
      this.kick(true);
      if (!all) {
        await this.cycle;
        return;
      }
    }
  }

  private cycles = { count: 0, ms: 0, storeMs: 0, brazeMs: 0 };

  private async runCycle(batch: Batch): Promise<void> {
    const started = Date.now();
    this.cycles.count++;
    try {
      await this.runCycleSteps(batch);
    } finally {
      this.cycles.ms += Date.now() - started;
    }
  }

  private async runCycleSteps(batch: Batch): Promise<void> {
    const cycleRejected = new Map<CohortDiff, string[]>();
    this.currentRejections = cycleRejected;
    // 1. Write-ahead.
    const chunks: Array<{ diff: CohortDiff; chunk: string }> = [];
    let mark = Date.now();
    await Promise.all([...batch.touched].map(async (diff) => {
      const pending = diff.takePending();
      if (!pending) return;
      const chunk = `${this.runId}-${String(++this.chunkSeq).padStart(6, '0')}`;
      await this.deps.store.writeProgress(diff.cohortId, chunk, {
        kind: 'progress', cohort_id: diff.cohortId, snapshot_id: diff.snapshotId, value: diff.value, received: pending.received,
        ...(diff.oldSnapshotId !== undefined ? { base_snapshot_id: diff.oldSnapshotId } : {}), old_count: pending.oldIndexes.length,
      }, linesOf(pending.ids), pending.oldIndexes);
      chunks.push({ diff, chunk });
    }));
    this.cycles.storeMs += Date.now() - mark;
    mark = Date.now();
    // 2. Changes.
    for (const change of batch.changes) {
      const beginning = this.begin(change.cohort);
      if (beginning) await beginning;
      await this.writer.enqueue(change);
    }
    const completing = batch.completions.map((c) => ({ ...c, removable: this.removalsAllowed(c) }));
    for (const c of completing) {
      if (!c.removable) continue;
      const ref = this.refOf(c.diff);
      await this.begin(ref);
      for (const removal of c.diff.removals()) await this.writer.enqueue({ cohort: ref, userId: removal.userId, op: 'remove', value: removal.value, interval: -1 } as TrackedChange);
    }
    await this.writer.flush();
    this.cycles.brazeMs += Date.now() - mark;
    mark = Date.now();
    // 3. Done markers.
    await Promise.all(chunks.map(({ diff, chunk }) =>
      this.deps.store.markDone(diff.cohortId, chunk, { kind: 'done', cohort_id: diff.cohortId, snapshot_id: diff.snapshotId }, linesOf(cycleRejected.get(diff) ?? []))));
    // 4. Completed snapshots.
    for (const c of completing) await this.complete(c.diff, c.removable, c.memberCount);
    this.cycles.storeMs += Date.now() - mark;
    // 5. States.
    for (const { state, interval } of batch.states) {
      const counts = this.intervals.get(interval) ?? { received: 0, rejected: 0 };
      this.intervals.delete(interval);
      await this.deps.out.state(state, { recordCount: counts.received, rejectedRecordCount: counts.rejected });
    }
  }

  private currentRejections = new Map<CohortDiff, string[]>();

  /** beginCohort once per cohort (and value) per sync; undefined when already done (no await per change). */
  private begin(cohort: CohortRef): Promise<void> | undefined {
    if (this.begun.get(cohort.cohortId) === cohort.value) return undefined;
    this.begun.set(cohort.cohortId, cohort.value);
    return this.writer.beginCohort(cohort);
  }

  /** Whether a completed snapshot may remove anyone; says why not otherwise. */
  private removalsAllowed(c: Completion): boolean {
    const { diff } = c;
    if (diff.storeProblems.length) return false;
    if (diff.received !== c.memberCount) {
      this.ledger.warn('member_count_mismatch');
      this.log.warn(
        `Cohort ${diff.cohortId}: the snapshot says ${c.memberCount} members but ${diff.received} member records arrived; no removals this time ` +
          '(the snapshot is not recorded as complete, the next complete one settles it).',
      );
      return false;
    }
    if (c.reason) this.log.info(`Cohort ${diff.cohortId} is ${c.reason} in Mixpanel: its value is removed from its former members.`);
    return true;
  }

  private async complete(diff: CohortDiff, removable: boolean, memberCount: number): Promise<void> {
    const stored = await this.deps.store.blobs.list(`cohorts/${diff.cohortId}/progress/`);
    if (!removable) {
      if (this.diffs.get(diff.cohortId) === diff) this.diffs.delete(diff.cohortId);
      // A store that cannot be trusted keeps its files for the user to inspect; only this snapshot's progress goes.
      if (diff.storeProblems.length) await this.deps.store.deleteProgress(stored.filter((k) => k.includes(`/${this.runId}-`)));
      return;
    }
    await this.deps.store.commitSnapshot(
      { kind: 'snapshot', cohort_id: diff.cohortId, snapshot_id: diff.snapshotId, value: diff.value, member_count: memberCount, committed_at: new Date().toISOString(), sorted: true },
      diff.snapshotBlocks(),
    );
    await this.deps.store.deleteProgress(stored);
    if (this.diffs.get(diff.cohortId) === diff) this.diffs.delete(diff.cohortId);
    this.log.debug(`Cohort ${diff.cohortId}: snapshot recorded.`);
  }

  /** attribute mode, after a complete sync: users in more cohorts than the workspace keeps values (array_limit). */
  private async checkArrayLimit(): Promise<void> {
    if (this.settings.mode !== 'attribute') return;
    const finding = await usersOverArrayLimit(this.deps.store, this.settings.arrayLimit);
    if (!finding || finding.usersOver === 0) return;
    this.ledger.warn('users_in_more_cohorts_than_array_limit', finding.usersOver);
    this.log.warn(
      `${finding.usersOver} users are in more than ${this.settings.arrayLimit} of the ${finding.cohorts} cohorts kept in the membership store: Braze keeps at most ` +
        `array_limit (${this.settings.arrayLimit}) values per array attribute and drops the oldest, so these users lose some cohort names. ` +
        'Raise the limit in Braze (Data Settings → Custom Attributes) and array_limit, or select fewer cohorts.',
    );
  }

  // ---- outcomes ------------------------------------------------------------------------------------------

  private onOutcome(outcome: ChangeOutcome): void {
    const change = outcome.change as TrackedChange;
    const row = this.ledger.row(change.cohort.cohortId);
    const diff = this.diffOf(change.cohort.cohortId);
    if (outcome.status === 'written') {
      if (change.op === 'add') row.added++;
      else row.removed++;
      return;
    }
    this.ledger.brazeRejected(withoutId(outcome.reason, change.userId));
    if (change.op === 'add') {
      row.rejected++;
      const counts = this.intervals.get(change.interval);
      if (counts) counts.rejected++;
      if (diff) {
        diff.addRejected(change.userId);
        const list = this.currentRejections.get(diff) ?? [];
        list.push(change.userId);
        this.currentRejections.set(diff, list);
      }
    } else {
      row.removalRejected++;
      diff?.removalRejected(change.userId, change.value);
    }
  }

  private diffOf(cohortId: number): CohortDiff | undefined {
    return this.diffs.get(cohortId);
  }

  // ---- end -----------------------------------------------------------------------------------------------

  /** The accounting so far (complete once run() resolved). */
  summary(): LedgerSummary {
    return this.ledger.summary();
  }

  private async report(complete: boolean): Promise<LedgerSummary> {
    const summary = this.ledger.summary();
    this.log.debug(`${this.cycles.count} write cycles, ${this.cycles.ms} ms in them (store ${this.cycles.storeMs} ms, Braze ${this.cycles.brazeMs} ms).`);
    const lines = summaryTable(summary);
    if (!complete) lines[0] += ' (sync stopped early: a re-run resumes from the last echoed state)';
    const logLine = this.deps.accountingLogLevel === 'debug' ? this.log.debug : this.log.info;
    for (const line of lines) logLine(line);
    await this.deps.out.emit({
      type: 'TRACE',
      trace: { type: 'ANALYTICS', emitted_at: Date.now(), analytics: { type: 'braze_destination_accounting', value: JSON.stringify({ ...summary, complete }) } },
    });
    return summary;
  }
}

/** Braze's reason without the user id, should it quote it (logs must hold no personal data). */
function withoutId(reason: string, userId: string): string {
  const text = userId.length >= 3 ? reason.split(userId).join('<user id>') : reason;
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}


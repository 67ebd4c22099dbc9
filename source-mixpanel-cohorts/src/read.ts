/**
 * `read`: list the cohorts, then run (or continue) a round: page through each selected cohort's members,
 * emitting members, a checkpoint after every page and one cohort_snapshots record after each cohort's last page.
 * State shape and round rules: round-state.ts. Each distinct id is emitted once per snapshot within a run;
 * repeats are counted (duplicates_skipped). After a resume, an id seen both before and after the checkpoint is
 * emitted again (the destination keys members by cohort and id, so the repeat is harmless).
 */
import { randomUUID } from 'crypto';
import type { SourceOutput, StreamStates } from '../../connector-kit/connector';
import { ConnectorError, configError } from '../../connector-kit/errors';
import type { ConfiguredAirbyteCatalog, JsonObject } from '../../connector-kit/protocol';
import { COHORTS, COHORT_MEMBERS, COHORT_SNAPSHOTS, STREAM_NAMES } from './catalog';
import type { Clock } from './clock';
import { isVisible, selectCohorts } from './cohort-selection';
import { DISTINCT_ID_PROPERTY, type CohortSettings } from './config';
import { memberRecords } from './member-records';
import { formatCount, formatDuration, plural, ProgressReporter, queriesFor } from './progress';
import { QueryClient, QueryRejected, type EngagePage, type RawCohort } from './query-client';
import { freshCohort, newRound, parseRoundState, type CohortRef, type CurrentCohort, type RoundState } from './round-state';
import { SeenSet } from './seen-set';

export interface ReadDeps {
  clock: Clock;
  userAgent: string;
  newId?: () => string;
}

const DEFAULT_PAGE_SIZE = 1000;
const MAX_SESSION_RESTARTS = 2;

export async function readCohorts(settings: CohortSettings, catalog: ConfiguredAirbyteCatalog, states: StreamStates, out: SourceOutput, deps: ReadDeps): Promise<void> {
  const wanted = new Set(catalog.streams.map((s) => s.stream.name));
  for (const name of wanted) {
    if (!STREAM_NAMES.includes(name)) throw configError(`The catalog names stream "${name}", which this source does not have (its streams: ${STREAM_NAMES.join(', ')}).`);
  }
  const runner = new RoundRunner(settings, out, deps, wanted);
  await runner.run(states);
}

class RoundRunner {
  private readonly client: QueryClient;
  private readonly running = new Set<string>();
  private readonly failures: string[] = [];
  private readonly holder: string;
  private readonly newId: () => string;
  private round!: RoundState;
  private snapshotsEmitted = 0;

  constructor(private readonly settings: CohortSettings, private readonly out: SourceOutput, private readonly deps: ReadDeps, private readonly wanted: Set<string>) {
    this.client = new QueryClient(settings, deps.clock, out.log, deps.userAgent);
    this.holder = wanted.has(COHORT_MEMBERS) ? COHORT_MEMBERS : COHORT_SNAPSHOTS;
    this.newId = deps.newId ?? randomUUID;
  }

  private get log() {
    return this.out.log;
  }

  async run(states: StreamStates): Promise<void> {
    for (const name of STREAM_NAMES) if (this.wanted.has(name)) await this.out.streamStatus(name, 'STARTED');
    const paging = this.wanted.has(COHORT_MEMBERS) || this.wanted.has(COHORT_SNAPSHOTS);
    const previous = paging ? parseRoundState(states.get(this.holder), this.holder) : undefined;

    const listing = await this.client.listCohorts();
    this.log.info(`Project ${this.settings.auth.projectId}: ${plural(listing.length, 'cohort')} (${listing.filter(isVisible).length} visible).`);
    const resuming = previous !== undefined && !previous.round_complete;
    const selection = paging && !resuming ? this.selection(listing, previous) : [];

    if (this.wanted.has(COHORTS)) await this.emitCohortList(listing);
    if (!paging) return;

    if (previous && !previous.round_complete) {
      this.round = previous;
      this.log.info(`Continuing round ${previous.round_id} (started ${previous.round_started_at}): ${previous.finished.length + previous.failed.length} of ${previous.round_cohorts.length} cohorts done.`);
    } else {
      await this.startRound(selection, listing, previous);
    }
    for (const ref of this.round.round_cohorts) {
      if (this.round.finished.includes(ref.id) || this.round.failed.includes(ref.id)) continue;
      const live = listing.find((c) => c.id === ref.id);
      if (!live) {
        this.log.warn(`cohort '${ref.name}' (id ${ref.id}) was deleted in Mixpanel since this round started: it gets an empty snapshot (reason deleted).`);
        await this.emptySnapshot(ref, 'deleted');
        continue;
      }
      await this.readCohort(live);
    }
    this.round.round_complete = true;
    this.round.current = null;
    await this.checkpoint();
    if (this.failures.length > 0) {
      throw new ConnectorError(
        `${this.failures.length} cohort(s) could not be read this round: ${this.failures.join('; ')}. The other cohorts' snapshots are complete; the next sync tries again.`,
        'system_error',
      );
    }
    for (const name of [COHORT_MEMBERS, COHORT_SNAPSHOTS]) if (this.wanted.has(name)) await this.out.streamStatus(name, 'COMPLETE');
    this.log.info(`Round ${this.round.round_id} complete: ${this.snapshotsEmitted} snapshots, ${this.client.queriesSent} queries.`);
  }

  /** The cohorts of a new round; a configured cohort that does not exist stops the read before any paging. */
  private selection(listing: RawCohort[], previous: RoundState | undefined): RawCohort[] {
    const { selected, problems } = selectCohorts(listing, this.settings.cohorts);
    const wasRead = (wanted: string) => (previous?.round_cohorts ?? []).some((r) => String(r.id) === wanted || r.name === wanted);
    const real = problems.filter((p) => !wasRead(p.wanted));
    for (const p of problems.filter((p) => wasRead(p.wanted))) {
      this.log.warn(`cohorts: "${p.wanted}" was read in the previous round but is gone from Mixpanel; it gets an empty snapshot (reason deleted). Remove it from the config.`);
    }
    if (real.length > 0) throw configError(`cohorts: ${real.map((p) => p.message).join('; ')}.`);
    return selected;
  }

  private async emitCohortList(listing: RawCohort[]): Promise<void> {
    if (listing.length) await this.out.streamStatus(COHORTS, 'RUNNING');
    for (const c of listing) {
      await this.out.record(COHORTS, {
        id: c.id, name: c.name, description: c.description ?? null, count: c.count ?? null,
        is_visible: c.is_visible === undefined || c.is_visible === null ? null : Number(c.is_visible), created: c.created ?? null, project_id: c.project_id ?? null,
      });
    }
    await this.out.state(COHORTS, { listed_at: new Date(this.deps.clock.now()).toISOString() });
    await this.out.streamStatus(COHORTS, 'COMPLETE');
  }

  private async startRound(selected: RawCohort[], listing: RawCohort[], previous: RoundState | undefined): Promise<void> {
    const refs = selected.map((c) => ({ id: c.id, name: c.name }));
    this.round = newRound(this.newId(), new Date(this.deps.clock.now()).toISOString(), refs, previous?.round_cohorts ?? []);
    const members = selected.reduce((n, c) => n + (c.count ?? 0), 0);
    const queries = selected.reduce((n, c) => n + queriesFor(c.count ?? 0, DEFAULT_PAGE_SIZE), 0);
    this.log.info(
      `Round ${this.round.round_id}: ${plural(refs.length, 'cohort')}, about ${formatCount(members)} members, about ${plural(queries, 'query', 'queries')}; ` +
      `at ${formatCount(this.settings.queriesPerHour)} queries/hour that takes about ${formatDuration(this.client.bucket.durationMs(queries))}.`,
    );
    // Cohorts of the previous round that this round does not read: an empty snapshot lets the destination remove them.
    for (const ref of this.round.previous_round_cohorts) {
      if (refs.some((r) => r.id === ref.id)) continue;
      const reason = listing.some((c) => c.id === ref.id) ? 'deselected' : 'deleted';
      this.log.info(`cohort '${ref.name}' (id ${ref.id}) was read in the previous round and is ${reason === 'deleted' ? 'now deleted in Mixpanel' : 'no longer selected'}: empty snapshot (reason ${reason}).`);
      await this.emptySnapshot(ref, reason);
    }
    await this.checkpoint();
  }

  private async readCohort(live: RawCohort): Promise<void> {
    const ref = { id: live.id, name: live.name };
    let current = this.round.current?.cohort_id === live.id ? this.round.current : freshCohort(ref, this.newId());
    let resumedSession = current.session_id !== null;
    this.round.current = current;
    this.logStart(current, live);
    for (;;) {
      try {
        await this.pageThrough(current, live);
        break;
      } catch (err) {
        if (!(err instanceof QueryRejected)) throw err;
        const label = `cohort '${current.cohort_name}' (id ${live.id})`;
        const stillThere = (await this.client.listCohorts(`the cohort list (checking ${label})`)).some((c) => c.id === live.id);
        if (!stillThere) {
          this.log.warn(`${label} was deleted in Mixpanel while its members were being read (page ${current.next_page}): it gets an empty snapshot (reason deleted) instead.`);
          this.round.current = null;
          await this.emptySnapshot(ref, 'deleted');
          return;
        }
        const sessionRefused = current.session_id !== null && (resumedSession || /session/i.test(err.mixpanelMessage));
        if (sessionRefused && current.restarts < MAX_SESSION_RESTARTS) {
          const restarted = freshCohort({ id: live.id, name: live.name }, this.newId(), current.restarts + 1);
          this.log.warn(
            `${label}: Mixpanel no longer accepts the paging session at page ${current.next_page} ("${err.mixpanelMessage}"); ` +
            `restarting the cohort from its first page with a new snapshot_id ${restarted.snapshot_id} (the ${formatCount(current.members_so_far)} members read under snapshot ${current.snapshot_id} get no snapshot record).`,
          );
          current = this.round.current = restarted;
          resumedSession = false;
          await this.checkpoint();
          continue;
        }
        this.log.error(`${label}: Mixpanel refused the query (page ${current.next_page}): "${err.mixpanelMessage}". No snapshot for it this round; the other cohorts go on.`);
        this.failures.push(`${label}: ${err.mixpanelMessage}`);
        this.round.failed.push(live.id);
        this.round.current = null;
        await this.checkpoint();
        return;
      }
    }
    const snapshot = {
      cohort_id: current.cohort_id, cohort_name: current.cohort_name, snapshot_id: current.snapshot_id, member_count: current.members_so_far,
      taken_at: current.taken_at ?? new Date(this.deps.clock.now()).toISOString(), reason: null,
      members_without_user_id: current.without_user_id, duplicates_skipped: current.duplicates,
    };
    this.round.finished.push(live.id);
    this.round.current = null;
    await this.emitSnapshot(snapshot);
    const without = current.without_user_id ? `, ${formatCount(current.without_user_id)} without ${this.settings.userIdProperty} (user_id null)` : '';
    const dupes = current.duplicates ? `, ${formatCount(current.duplicates)} repeated distinct ids skipped` : '';
    this.log.info(`cohort '${current.cohort_name}' (id ${live.id}): snapshot complete, ${formatCount(current.members_so_far)} members${without}${dupes}.`);
  }

  private logStart(current: CurrentCohort, live: RawCohort): void {
    const label = `cohort '${current.cohort_name}' (id ${live.id})`;
    const expected = live.count ?? undefined;
    const pageSize = current.page_size ?? DEFAULT_PAGE_SIZE;
    const queries = expected === undefined ? undefined : Math.max(1, queriesFor(expected, pageSize) - current.next_page);
    const duration = queries === undefined ? undefined : this.client.bucket.durationMs(queries);
    const estimate = queries === undefined ? '' : `; about ${plural(queries, 'query', 'queries')}${duration! >= 60_000 ? `, which at ${formatCount(this.settings.queriesPerHour)} queries/hour take about ${formatDuration(duration!)}` : ''}`;
    const big = duration !== undefined && duration >= 3_600_000 ? ' A big cohort: progress is logged and every page is checkpointed, so an interrupted sync resumes.' : '';
    if (current.next_page > 0) {
      this.log.info(`${label}: resuming snapshot ${current.snapshot_id} at page ${current.next_page} (${formatCount(current.members_so_far)} members read before)${estimate}.${big}`);
    } else {
      this.log.info(`${label}: about ${formatCount(expected ?? 0)} members${estimate}.${big}`);
    }
  }

  /** Pages through the cohort from `current.next_page`; returns after its last (short) page. */
  private async pageThrough(current: CurrentCohort, live: RawCohort): Promise<void> {
    const seen = new SeenSet();
    const includeAll = this.settings.userIdProperty === DISTINCT_ID_PROPERTY;
    const requested = [...new Set([...(includeAll ? [] : [this.settings.userIdProperty]), ...this.settings.outputProperties])];
    const progress = new ProgressReporter(this.log, this.deps.clock, `cohort '${current.cohort_name}'`, live.count ?? undefined);
    const inFlight = new Map<number, Promise<EngagePage>>();
    const request = (page: number) => {
      const sessionId = current.session_id ?? undefined;
      const pending = this.client.engage({ cohortId: live.id, includeAllUsers: includeAll, outputProperties: requested, sessionId, page }, `cohort '${current.cohort_name}' page ${page}`);
      pending.catch(() => undefined); // awaited below; a prefetched page nobody awaits must not crash the process
      inFlight.set(page, pending);
    };
    try {
      for (;;) {
        const page = current.next_page;
        if (current.session_id === null) current.taken_at = new Date(this.deps.clock.now()).toISOString();
        if (!inFlight.has(page)) request(page);
        // With a session, the next pages can be asked for already (up to the concurrency limit), as far as the
        // cohort's listed count says they exist, so a lifted budget is never waiting on one page at a time.
        if (current.session_id !== null && current.page_size && live.count) {
          const last = queriesFor(live.count, current.page_size) - 1;
          for (let p = page + 1; p < page + this.settings.maxConcurrentQueries && p <= last; p++) if (!inFlight.has(p)) request(p);
        }
        const result = await inFlight.get(page)!;
        inFlight.delete(page);
        if (current.session_id === null) {
          current.session_id = result.sessionId;
          current.page_size = result.pageSize;
        }
        if (this.wanted.has(COHORT_MEMBERS) && result.results.length > 0 && !this.running.has(COHORT_MEMBERS)) {
          this.running.add(COHORT_MEMBERS);
          await this.out.streamStatus(COHORT_MEMBERS, 'RUNNING');
        }
        await this.emitMembers(result, current, seen);
        current.next_page++;
        // A page shorter than page_size ends the cohort (total is not a completion signal).
        if (result.results.length < result.pageSize) return;
        await this.checkpoint();
        progress.afterPage(current.members_so_far, this.client.bucket.waitMs(), true);
      }
    } finally {
      await Promise.allSettled(inFlight.values());
    }
  }

  /**
   * One page's members, record by record. (The kit's pre-built line path, RecordLineWriter, gains nothing here:
   * with a secret in the config, which this source always has, the kit turns those bytes back into text to mask
   * them, and measured slower.)
   */
  private async emitMembers(page: EngagePage, current: CurrentCohort, seen: SeenSet): Promise<void> {
    const emit = this.wanted.has(COHORT_MEMBERS);
    for (const record of memberRecords(page.results, current, seen, this.settings.userIdProperty, this.settings.outputProperties)) {
      if (!emit) continue; // still counted: cohort_snapshots needs member_count
      const wait = this.out.record(COHORT_MEMBERS, record as unknown as JsonObject);
      if (wait) await wait;
    }
  }

  private async emptySnapshot(ref: CohortRef, reason: 'deleted' | 'deselected'): Promise<void> {
    const now = new Date(this.deps.clock.now()).toISOString();
    this.round.finished.push(ref.id);
    await this.emitSnapshot({ cohort_id: ref.id, cohort_name: ref.name, snapshot_id: this.newId(), member_count: 0, taken_at: now, reason, members_without_user_id: 0, duplicates_skipped: 0 });
  }

  /** The snapshot record, then the checkpoint that marks its cohort finished. */
  private async emitSnapshot(snapshot: JsonObject): Promise<void> {
    this.snapshotsEmitted++;
    if (this.wanted.has(COHORT_SNAPSHOTS)) {
      if (!this.running.has(COHORT_SNAPSHOTS)) {
        this.running.add(COHORT_SNAPSHOTS);
        await this.out.streamStatus(COHORT_SNAPSHOTS, 'RUNNING');
      }
      await this.out.record(COHORT_SNAPSHOTS, snapshot);
    }
    await this.checkpoint();
    if (this.wanted.has(COHORT_SNAPSHOTS) && this.holder !== COHORT_SNAPSHOTS) {
      await this.out.state(COHORT_SNAPSHOTS, { round_id: this.round.round_id, last_snapshot_id: snapshot.snapshot_id as string });
    }
  }

  private async checkpoint(): Promise<void> {
    await this.out.state(this.holder, structuredClone(this.round) as unknown as JsonObject);
  }
}

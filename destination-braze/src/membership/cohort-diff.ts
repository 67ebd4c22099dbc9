/**
 * One cohort's diff during one sync: the last complete snapshot (what Braze holds), the members of the
 * snapshot being received, and who may hold a value from an interrupted earlier attempt. It decides for every
 * member whether an add is needed, yields the removals once the snapshot is complete, and builds the new
 * snapshot file. Never more than one (user, op, value) per sync: a member seen twice is unchanged the second time.
 */
import { BitSet, IdSet, Utf8Scratch } from './id-set';
import type { StoredCohort } from './membership-store';

export interface Removal {
  userId: string;
  value: string;
}

export class CohortDiff {
  /** The value held by the last complete snapshot's members; differs from `value` after a rename. */
  readonly oldValue?: string;
  readonly oldSnapshotId?: string;
  /** Why removals must be refused for this cohort (unreadable store files); empty when they are safe. */
  readonly storeProblems: string[] = [];
  /** The store held no snapshot for this cohort (new cohort, or a lost store). */
  readonly firstSnapshot: boolean;
  private readonly old: IdSet | undefined;
  private readonly oldSorted: boolean;
  private readonly seenOld: BitSet | undefined;
  private readonly added: IdSet;
  /** Users who may hold a value (key) from progress that never completed. */
  private readonly maybe = new Map<string, IdSet>();
  private readonly rejectedAdds = new Set<string>();
  private readonly rejectedRemovals = new Set<string>();
  private receivedBefore = 0;
  private receivedNow = 0;
  private pendingIds: string[] = [];
  private pendingOld: number[] = [];
  private pendingReceived = 0;
  private readonly scratch = new Utf8Scratch();

  constructor(stored: StoredCohort, readonly cohortId: number, readonly snapshotId: string, readonly value: string, expectedMembers = 0) {
    if (stored.snapshotProblem) this.storeProblems.push(stored.snapshotProblem);
    this.storeProblems.push(...stored.chunkProblems);
    this.firstSnapshot = !stored.snapshot && !stored.snapshotProblem;
    if (stored.snapshot) {
      this.old = stored.snapshot.ids;
      this.oldSorted = stored.snapshot.sorted;
      this.oldValue = stored.snapshot.header.value;
      this.oldSnapshotId = stored.snapshot.header.snapshot_id;
      this.seenOld = new BitSet(this.old.size);
    } else {
      this.oldSorted = true;
    }
    this.added = new IdSet(Math.max(16, this.old ? Math.min(expectedMembers, this.old.size >> 3) : expectedMembers));
    for (const chunk of stored.chunks) {
      // Positions in another snapshot than the stored one cannot be read (the store was changed by hand).
      if (chunk.oldIndexes.length && (chunk.header.base_snapshot_id !== this.oldSnapshotId || !this.old || chunk.oldIndexes.some((i) => i >= this.old!.size))) {
        this.storeProblems.push(`a progress file of cohort ${cohortId} refers to another snapshot than the stored one`);
        continue;
      }
      const sameSnapshot = chunk.header.snapshot_id === snapshotId && chunk.header.value === value;
      if (sameSnapshot && chunk.done) {
        // Written and answered before a resume: these members are seen, their adds done.
        for (let i = 0; i < chunk.ids.size; i++) this.markSeen(chunk.ids.get(i));
        for (const i of chunk.oldIndexes) this.seenOld!.set(i);
        for (let i = 0; i < chunk.done.size; i++) this.rejectedAdds.add(chunk.done.get(i));
        this.receivedBefore += chunk.header.received;
      } else {
        let set = this.maybe.get(chunk.header.value);
        if (!set) this.maybe.set(chunk.header.value, (set = new IdSet(chunk.ids.size)));
        for (let i = 0; i < chunk.ids.size; i++) set.add(chunk.ids.get(i));
        // Old members got this value only if it is not the old value (a rename); otherwise the old snapshot covers them.
        if (chunk.header.value !== this.oldValue) for (const i of chunk.oldIndexes) set.add(this.old!.get(i));
      }
    }
  }

  get renamed(): boolean {
    return this.oldValue !== undefined && this.oldValue !== this.value;
  }

  /** Member records of this snapshot so far, including earlier runs' answered chunks and skipped members. */
  get received(): number {
    return this.receivedBefore + this.receivedNow;
  }

  /** Counts member records of this snapshot (with or without a Braze id). */
  countReceived(records = 1): void {
    this.receivedNow += records;
    this.pendingReceived += records;
  }

  /** A member with Braze id `userId`: does Braze need an add? Members new to the snapshot go into the next progress chunk. */
  member(userId: string): 'add' | 'unchanged' {
    const length = this.scratch.write(userId);
    return this.memberBytes(this.scratch.bytes, 0, length) === undefined ? 'unchanged' : 'add';
  }

  /**
   * member() for a Braze id given as its UTF-8 bytes `bytes[start, end)` (the CLI's member blocks): the id as a
   * string when Braze needs an add, undefined when the member is unchanged. Unchanged members, most of a big
   * cohort, never become strings.
   */
  memberBytes(bytes: Buffer, start: number, end: number): string | undefined {
    const i = this.old ? this.old.indexOfBytes(bytes, start, end) : -1;
    if (i >= 0) {
      if (this.seenOld!.get(i)) return undefined;
      this.seenOld!.set(i);
      this.pendingOld.push(i);
      return this.renamed ? bytes.toString('utf8', start, end) : undefined;
    }
    if (!this.added.addBytes(bytes, start, end).added) return undefined;
    const userId = bytes.toString('utf8', start, end);
    this.pendingIds.push(userId);
    return userId;
  }

  /**
   * The members and record count since the last call, for the next progress chunk: members new to the cohort by
   * id, members of the last complete snapshot by position in it.
   */
  takePending(): { ids: string[]; oldIndexes: Uint32Array; received: number } | undefined {
    if (this.pendingIds.length === 0 && this.pendingOld.length === 0 && this.pendingReceived === 0) return undefined;
    const taken = { ids: this.pendingIds, oldIndexes: Uint32Array.from(this.pendingOld), received: this.pendingReceived };
    this.pendingIds = [];
    this.pendingOld = [];
    this.pendingReceived = 0;
    return taken;
  }

  addRejected(userId: string): void {
    this.rejectedAdds.add(userId);
  }

  /** A removal Braze refused: the user stays in the new snapshot, so the next sync tries again. */
  removalRejected(userId: string, value: string): void {
    if (value === this.value) this.rejectedRemovals.add(userId);
  }

  /**
   * Everyone who holds a value this cohort put in Braze and is not in the completed snapshot: members of the
   * last complete snapshot not seen now (all of them, with the old value, after a rename), and users from
   * interrupted progress who are not members now. Generated lazily: an emptied million-member cohort must not
   * build a million objects at once.
   */
  *removals(): Generator<Removal> {
    const old = this.old;
    if (old) {
      for (let i = 0; i < old.size; i++) {
        if (this.renamed) yield { userId: old.get(i), value: this.oldValue! };
        else if (!this.seenOld!.get(i)) yield { userId: old.get(i), value: this.value };
      }
    }
    for (const [value, set] of this.maybe) {
      for (let i = 0; i < set.size; i++) {
        const userId = set.get(i);
        if (value === this.oldValue && old && old.indexOf(userId) >= 0) continue; // handled above
        if (value === this.value && this.isMember(userId)) continue;
        yield { userId, value };
      }
    }
  }

  private isMember(userId: string): boolean {
    const i = this.old ? this.old.indexOf(userId) : -1;
    return i >= 0 ? this.seenOld!.get(i) : this.added.has(userId);
  }

  private markSeen(userId: string): void {
    const i = this.old ? this.old.indexOf(userId) : -1;
    if (i >= 0) this.seenOld!.set(i);
    else this.added.add(userId);
  }

  /**
   * The completed snapshot's members as sorted lines, in blocks of about 1 MB (each compressed as it comes, so
   * a million-member snapshot is never held uncompressed twice): old members seen again, plus new members
   * whose add was not rejected, plus users whose removal was rejected (so it is retried). Merges two sorted runs.
   */
  *snapshotBlocks(blockBytes = 1 << 20): Generator<Buffer> {
    const old = this.old;
    for (const userId of this.rejectedRemovals) this.added.add(userId);
    if (old && !this.oldSorted) {
      for (let i = 0; i < old.size; i++) if (this.seenOld!.get(i)) this.added.add(old.get(i));
    }
    const useOld = old && this.oldSorted ? old : undefined;
    const order = this.added.sortedIndexes();
    const keepAdded = (j: number) => this.rejectedAdds.size === 0 || !this.rejectedAdds.has(this.added.get(j));
    let out = Buffer.allocUnsafe(blockBytes);
    let at = 0;
    let i = 0;
    let k = 0;
    const nextOld = () => {
      while (useOld && i < useOld.size && !this.seenOld!.get(i)) i++;
      return useOld && i < useOld.size ? i : -1;
    };
    const nextAdded = () => {
      while (k < order.length && !keepAdded(order[k])) k++;
      return k < order.length ? order[k] : -1;
    };
    for (;;) {
      const a = nextOld();
      const b = nextAdded();
      if (a < 0 && b < 0) break;
      // An id is never both an old member and an added one (added holds only ids not in old).
      const fromOld = b < 0 || (a >= 0 && useOld!.compareWith(a, this.added, b) < 0);
      const length = fromOld ? useOld!.lineLength(a) : this.added.lineLength(b);
      if (at + length > out.length) {
        yield out.subarray(0, at);
        out = Buffer.allocUnsafe(Math.max(blockBytes, length));
        at = 0;
      }
      if (fromOld) {
        // Most of a big cohort is old members kept: take the whole run of them before the next added id at once.
        let to = a + 1;
        let room = out.length - at - length;
        while (to < useOld!.size && this.seenOld!.get(to) && useOld!.lineLength(to) <= room && (b < 0 || useOld!.compareWith(to, this.added, b) < 0)) {
          room -= useOld!.lineLength(to);
          to++;
        }
        at = useOld!.copyLines(a, to, out, at);
        i = to;
      } else {
        at = this.added.copyLine(b, out, at);
        k++;
      }
    }
    if (at > 0) yield out.subarray(0, at);
  }
}

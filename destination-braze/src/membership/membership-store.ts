/**
 * The membership store (DESIGN §10.4), per cohort under `cohorts/<cohort id>/`:
 * - `snapshot.ids`: the last complete snapshot written to Braze (sorted user ids, with the cohort value and
 *   snapshot id in its header). Replaced whole by one atomic put when a new snapshot completes.
 * - `progress/<chunk>.ids` (+ `.old`): members of a snapshot in progress, written BEFORE their changes go to
 *   Braze (a write-ahead record: these users may hold the value in Braze from now on). Members new to the cohort
 *   are listed by id; members of the last complete snapshot by their position in it (`.old`, 4 bytes each
 *   instead of a whole id, which is most of a big cohort);
 * - `progress/<chunk>.done`: written once Braze answered every change of that chunk and before the STATEs
 *   after it are echoed; its body lists the users whose add Braze rejected.
 * A chunk with its done marker is "seen and written"; one without is only "may hold the value" (a kill came
 * in between), which makes those users candidates for removal until a later snapshot sees them again.
 */
import type { BlobStore } from '../store/blob-store';
import { CorruptIdFile, decodeIdFile, encodeIdFile } from './id-file';
import type { IdSet } from './id-set';

export interface SnapshotHeader {
  kind: 'snapshot';
  cohort_id: number;
  snapshot_id: string;
  /** The value the members hold in Braze (the cohort name as written, after the 255-character cut). */
  value: string;
  member_count: number;
  committed_at: string;
  /** The ids are in ascending byte order (always, for files this connector writes). */
  sorted?: boolean;
}

export interface ProgressHeader {
  kind: 'progress';
  cohort_id: number;
  snapshot_id: string;
  value: string;
  /** Member records of the snapshot covered by this chunk, including those skipped (for the member_count check). */
  received: number;
  /** The last complete snapshot the `.old` positions refer to, and how many there are. */
  base_snapshot_id?: string;
  old_count: number;
}

export interface DoneHeader {
  kind: 'done';
  cohort_id: number;
  snapshot_id: string;
}

export interface StoredSnapshot {
  header: SnapshotHeader;
  ids: IdSet;
  sorted: boolean;
}

export interface StoredChunk {
  header: ProgressHeader;
  ids: IdSet;
  /** Positions in the last complete snapshot of the chunk's members that were in it. */
  oldIndexes: Uint32Array;
  /** Present once Braze answered every change of the chunk: the users whose add was rejected. */
  done?: IdSet;
}

export interface StoredCohort {
  snapshot?: StoredSnapshot;
  /** Why the last complete snapshot cannot be trusted (unreadable, corrupt); removals are then refused. */
  snapshotProblem?: string;
  chunks: StoredChunk[];
  /** Unreadable progress files: what they held is unknown, so removals are refused for this cohort. */
  chunkProblems: string[];
  /** Every progress key found, to delete once a snapshot completes. */
  progressKeys: string[];
}

const SNAPSHOT = 'snapshot.ids';
const cohortFolder = (cohortId: number) => `cohorts/${cohortId}/`;

export class MembershipStore {
  constructor(readonly blobs: BlobStore) {}

  get location(): string {
    return this.blobs.location;
  }

  /** True when the store holds no cohort at all: a first sync, or a lost store. */
  async isEmpty(): Promise<boolean> {
    return (await this.blobs.list('cohorts/')).length === 0;
  }

  /** Ids of the cohorts that have a last complete snapshot. */
  async cohortsWithSnapshot(): Promise<number[]> {
    const keys = await this.blobs.list('cohorts/');
    return keys.map((k) => /^cohorts\/(\d+)\/snapshot\.ids$/.exec(k)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1]));
  }

  async loadCohort(cohortId: number): Promise<StoredCohort> {
    const folder = cohortFolder(cohortId);
    const keys = await this.blobs.list(folder);
    const result: StoredCohort = { chunks: [], chunkProblems: [], progressKeys: keys.filter((k) => k.startsWith(`${folder}progress/`)) };
    if (keys.includes(folder + SNAPSHOT)) {
      try {
        const file = decodeIdFile<SnapshotHeader>((await this.blobs.get(folder + SNAPSHOT)) ?? Buffer.alloc(0), `${folder}${SNAPSHOT}`);
        if (file.header?.kind !== 'snapshot' || file.header.cohort_id !== cohortId || typeof file.header.value !== 'string') {
          throw new CorruptIdFile(`${folder}${SNAPSHOT} has a header of another kind or cohort`);
        }
        result.snapshot = file;
      } catch (err) {
        if (!(err instanceof CorruptIdFile)) throw err;
        result.snapshotProblem = err.message;
      }
    }
    const doneByChunk = new Map<string, IdSet>();
    for (const key of result.progressKeys.filter((k) => k.endsWith('.done'))) {
      const file = await this.readChunkFile<DoneHeader>(key, result);
      if (file) doneByChunk.set(key.slice(0, -'.done'.length), file.ids);
    }
    for (const key of result.progressKeys.filter((k) => k.endsWith('.ids'))) {
      const file = await this.readChunkFile<ProgressHeader>(key, result);
      if (!file) continue;
      if (file.header?.kind !== 'progress' || typeof file.header.snapshot_id !== 'string' || typeof file.header.value !== 'string') {
        result.chunkProblems.push(`${key} has a header of another kind`);
        continue;
      }
      const name = key.slice(0, -'.ids'.length);
      const oldIndexes = await this.readIndexes(`${name}.old`, file.header.old_count ?? 0, result);
      if (!oldIndexes) continue;
      result.chunks.push({ header: file.header, ids: file.ids, oldIndexes, done: doneByChunk.get(name) });
    }
    return result;
  }

  /** Write-ahead: these members' changes are about to be sent. */
  async writeProgress(cohortId: number, chunk: string, header: ProgressHeader, lines: Buffer, oldIndexes: Uint32Array): Promise<void> {
    const base = `${cohortFolder(cohortId)}progress/${chunk}`;
    await Promise.all([
      this.blobs.put(`${base}.ids`, encodeIdFile(header, lines)),
      oldIndexes.length ? this.blobs.put(`${base}.old`, Buffer.from(oldIndexes.buffer, oldIndexes.byteOffset, oldIndexes.byteLength)) : undefined,
    ]);
  }

  /** Braze answered every change of the chunk; `rejectedLines` are the users whose add it refused. */
  async markDone(cohortId: number, chunk: string, header: DoneHeader, rejectedLines: Buffer): Promise<string> {
    const key = `${cohortFolder(cohortId)}progress/${chunk}.done`;
    await this.blobs.put(key, encodeIdFile(header, rejectedLines));
    return key;
  }

  /** Replaces the cohort's last complete snapshot in one atomic put. */
  async commitSnapshot(header: SnapshotHeader, sortedLines: Buffer | Iterable<Buffer>): Promise<void> {
    await this.blobs.put(cohortFolder(header.cohort_id) + SNAPSHOT, encodeIdFile(header, sortedLines), true);
  }

  /** Deletes progress files (after the snapshot they belong to was committed or given up). */
  async deleteProgress(keys: string[]): Promise<void> {
    if (keys.length) await this.blobs.delete(keys);
  }

  /** A chunk's `.old` positions (little-endian uint32), or undefined (with a problem noted) when unusable. */
  private async readIndexes(key: string, count: number, into: StoredCohort): Promise<Uint32Array | undefined> {
    if (count === 0) return new Uint32Array(0);
    const bytes = await this.blobs.get(key);
    if (!bytes || bytes.length !== count * 4) {
      into.chunkProblems.push(`${key} is missing or cut short`);
      return undefined;
    }
    const indexes = new Uint32Array(count);
    Buffer.from(indexes.buffer).set(bytes);
    return indexes;
  }

  private async readChunkFile<H>(key: string, into: StoredCohort) {
    try {
      return decodeIdFile<H>((await this.blobs.get(key)) ?? Buffer.alloc(0), key);
    } catch (err) {
      if (!(err instanceof CorruptIdFile)) throw err;
      into.chunkProblems.push(err.message);
      return undefined;
    }
  }
}

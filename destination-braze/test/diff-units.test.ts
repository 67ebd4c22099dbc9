/**
 * Units of the diff: the compact id set, the per-cohort diff (adds, removals, rename, resume from the store's
 * progress, the new snapshot in order).
 */
import { randomUUID } from 'crypto';
import { cohortValue, isoTime } from '../src/input/cohort-records';
import { CohortDiff } from '../src/membership/cohort-diff';
import { decodeIdFile, encodeIdFile, linesOf } from '../src/membership/id-file';
import { IdSet } from '../src/membership/id-set';
import type { StoredCohort } from '../src/membership/membership-store';

const setOf = (ids: string[]) => IdSet.fromLines(linesOf(ids)).set;
const idsOf = (set: IdSet) => Array.from({ length: set.size }, (_, i) => set.get(i));
const stored = (old: string[] | undefined, value = 'A', chunks: StoredCohort['chunks'] = []): StoredCohort => ({
  snapshot: old ? { header: { kind: 'snapshot', cohort_id: 1, snapshot_id: 'old', value, member_count: old.length, committed_at: '' }, ids: setOf([...old].sort()), sorted: true } : undefined,
  chunks,
  chunkProblems: [],
  progressKeys: [],
});
const snapshotIds = (diff: CohortDiff) => Buffer.concat([...diff.snapshotBlocks(64)]).toString().split('\n').filter(Boolean);

describe('IdSet', () => {
  test('adds, finds and keeps ids of any length and script, growing past its first size', () => {
    const ids = [...Array.from({ length: 5000 }, () => randomUUID()), 'ü-ユーザー-🙂', 'a', 'x'.repeat(3000)];
    const set = new IdSet(4);
    for (const id of ids) expect(set.add(id).added).toBe(true);
    for (const id of ids) expect(set.add(id).added).toBe(false);
    expect(set.size).toBe(ids.length);
    expect(ids.every((id) => set.has(id))).toBe(true);
    expect(set.has('not-there')).toBe(false);
    expect(idsOf(set)).toEqual(ids);
  });

  test('fromLines: duplicates kept once, order reported, sortedIndexes in byte order', () => {
    const { set, sorted } = IdSet.fromLines(Buffer.from('b\na\nb\nc\n'));
    expect(idsOf(set)).toEqual(['b', 'a', 'c']);
    expect(sorted).toBe(false);
    expect([...set.sortedIndexes()].map((i) => set.get(i))).toEqual(['a', 'b', 'c']);
    expect(IdSet.fromLines(Buffer.from('a\nb\nc\n')).sorted).toBe(true);
  });
});

describe('CohortDiff on many random members, by string and by bytes', () => {
  /** A small deterministic generator, so a failure can be replayed. */
  const random = (seed: number) => () => ((seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
  const ALPHABET = ['a', 'b', 'Z', '0', '-', 'ü', 'ユ', '🙂'];

  test.each([1, 2, 3])('seed %d: adds, removals and the new snapshot are those of plain sets', (seed) => {
    const next = random(seed);
    const id = () => Array.from({ length: 1 + Math.floor(next() * 12) }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join('');
    const old = [...new Set(Array.from({ length: 3000 }, id))];
    const current = [...old.filter(() => next() < 0.9), ...Array.from({ length: 400 }, id)].sort(() => next() - 0.5);
    const diff = new CohortDiff(stored(old), 1, 's2', 'A');
    const adds: string[] = [];
    current.forEach((userId, n) => {
      // Half the members as strings (the parsed path), half as UTF-8 bytes inside a bigger buffer (the CLI path).
      if (n % 2 === 0) {
        if (diff.member(userId) === 'add') adds.push(userId);
      } else {
        const bytes = Buffer.from(`xx${userId}yy`, 'utf8');
        const added = diff.memberBytes(bytes, 2, bytes.length - 2);
        if (added !== undefined) adds.push(added);
      }
    });
    const oldSet = new Set(old);
    const currentSet = new Set(current);
    expect(adds.sort()).toEqual([...currentSet].filter((u) => !oldSet.has(u)).sort());
    expect([...diff.removals()].map((r) => r.userId).sort()).toEqual(old.filter((u) => !currentSet.has(u)).sort());
    const byteOrder = [...currentSet].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const blockBytes of [7, 64, 1 << 20]) expect(Buffer.concat([...diff.snapshotBlocks(blockBytes)]).toString().split('\n').filter(Boolean)).toEqual(byteOrder);
  });
});

describe('id files', () => {
  test('round trip; a cut-short or foreign file is reported as corrupt', () => {
    const bytes = Buffer.concat(encodeIdFile({ kind: 'x', n: 2 }, linesOf(['u1', 'u2'])));
    const file = decodeIdFile<{ n: number }>(bytes, 'f');
    expect(file.header.n).toBe(2);
    expect(idsOf(file.ids)).toEqual(['u1', 'u2']);
    expect(() => decodeIdFile(bytes.subarray(0, bytes.length - 1), 'f')).toThrow(/cut short/);
    expect(() => decodeIdFile(Buffer.from('garbage\n'), 'f')).toThrow(/header/);
  });
});

describe('CohortDiff', () => {
  test('first snapshot: everyone is an add, once', () => {
    const diff = new CohortDiff(stored(undefined), 1, 's1', 'A');
    expect(['u1', 'u2', 'u1'].map((u) => diff.member(u))).toEqual(['add', 'add', 'unchanged']);
    expect([...diff.removals()]).toEqual([]);
    expect(snapshotIds(diff)).toEqual(['u1', 'u2']);
  });

  test('joins, leaves and stayers; the new snapshot is sorted and leaves out a rejected add', () => {
    const diff = new CohortDiff(stored(['u1', 'u2', 'u3']), 1, 's2', 'A');
    expect(['u3', 'u4', 'u2', 'u0'].map((u) => diff.member(u))).toEqual(['unchanged', 'add', 'unchanged', 'add']);
    expect([...diff.removals()]).toEqual([{ userId: 'u1', value: 'A' }]);
    diff.addRejected('u0');
    expect(snapshotIds(diff)).toEqual(['u2', 'u3', 'u4']);
  });

  test('a rename adds the new value to current members and removes the old one from all old members', () => {
    const diff = new CohortDiff(stored(['u1', 'u2'], 'Old'), 1, 's2', 'New');
    expect(diff.renamed).toBe(true);
    expect(['u2', 'u3'].map((u) => diff.member(u))).toEqual(['add', 'add']);
    expect([...diff.removals()]).toEqual([{ userId: 'u1', value: 'Old' }, { userId: 'u2', value: 'Old' }]);
  });

  test('resume: answered progress of the same snapshot counts as seen; unanswered or other snapshots may hold the value', () => {
    // Members new to the cohort by id, old members by their position in the stored snapshot (u1, u2, u3).
    const chunk = (snapshot: string, ids: string[], old: number[], done: boolean) => ({
      header: { kind: 'progress' as const, cohort_id: 1, snapshot_id: snapshot, value: 'A', received: ids.length + old.length, base_snapshot_id: 'old', old_count: old.length },
      ids: setOf(ids), oldIndexes: Uint32Array.from(old), done: done ? new IdSet() : undefined,
    });
    const diff = new CohortDiff(stored(['u1', 'u2', 'u3'], 'A', [chunk('s2', ['u9'], [1], true), chunk('s2', ['u8'], [], false), chunk('s1b', ['u7'], [], true)]), 1, 's2', 'A');
    expect(diff.received).toBe(2);
    expect(diff.member('u2')).toBe('unchanged'); // seen before the kill
    expect(diff.member('u9')).toBe('unchanged'); // its add was answered before the kill
    expect(diff.member('u8')).toBe('add'); // sent but never answered: sent again
    expect([...diff.removals()].map((r) => r.userId).sort()).toEqual(['u1', 'u3', 'u7']);
  });

  test('a progress file that refers to another stored snapshot makes the store untrusted (no removals)', () => {
    const chunk = { header: { kind: 'progress' as const, cohort_id: 1, snapshot_id: 's2', value: 'A', received: 1, base_snapshot_id: 'older', old_count: 1 }, ids: setOf([]), oldIndexes: Uint32Array.from([0]), done: new IdSet() };
    expect(new CohortDiff(stored(['u1'], 'A', [chunk]), 1, 's2', 'A').storeProblems).toHaveLength(1);
  });

  test('takePending hands over the members new to the snapshot since the last call, with the record count', () => {
    const diff = new CohortDiff(stored(['u1']), 1, 's2', 'A');
    diff.countReceived();
    diff.member('u1');
    diff.countReceived(); // a member without a Braze id
    diff.member('u5');
    expect(diff.takePending()).toEqual({ ids: ['u5'], oldIndexes: Uint32Array.from([0]), received: 2 });
    expect(diff.takePending()).toBeUndefined();
  });
});

test('cohort values are cut to 255 characters without splitting a character; Mixpanel times become ISO-8601', () => {
  expect(cohortValue('x'.repeat(255))).toEqual({ value: 'x'.repeat(255), cut: false });
  expect(cohortValue('x'.repeat(300)).value).toHaveLength(255);
  expect(cohortValue(`${'x'.repeat(254)}🙂`).value).toBe('x'.repeat(254));
  expect(isoTime('2024-01-02 03:04:05')).toBe('2024-01-02T03:04:05.000Z');
  expect(isoTime('not a time')).toBeUndefined();
});

/**
 * Braze keeps at most N values per array attribute (25 to 500 depending on the workspace) and drops the oldest
 * beyond it. This counts, over every cohort's last complete snapshot in the store, the users who are in more
 * cohorts than that. It reads the snapshots only when the store holds more cohorts than the limit: with fewer,
 * nobody can be over it.
 */
import { IdSet } from './id-set';
import type { MembershipStore } from './membership-store';

export interface ArrayLimitFinding {
  cohorts: number;
  usersOver: number;
}

export async function usersOverArrayLimit(store: MembershipStore, limit: number): Promise<ArrayLimitFinding | undefined> {
  const cohortIds = await store.cohortsWithSnapshot();
  if (cohortIds.length <= limit) return undefined;
  const users = new IdSet(1024);
  let counts = new Uint16Array(1024);
  for (const cohortId of cohortIds) {
    const snapshot = (await store.loadCohort(cohortId)).snapshot;
    if (!snapshot) continue;
    for (let i = 0; i < snapshot.ids.size; i++) {
      const { index } = users.add(snapshot.ids.get(i));
      if (index >= counts.length) {
        const grown = new Uint16Array(counts.length * 2);
        grown.set(counts);
        counts = grown;
      }
      if (counts[index] < 0xffff) counts[index]++;
    }
  }
  let usersOver = 0;
  for (let i = 0; i < users.size; i++) if (counts[i] > limit) usersOver++;
  return { cohorts: cohortIds.length, usersOver };
}

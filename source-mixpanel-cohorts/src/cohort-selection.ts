/**
 * Which cohorts a config selects: by id (a value of digits) or by exact name, mixed; none listed means every
 * visible cohort. A name nobody has gets the closest existing names; a name two cohorts share asks for the id.
 */
import { editDistance } from '../../connector-kit/did-you-mean';
import type { RawCohort } from './query-client';

export interface Selection {
  selected: RawCohort[];
  /** Entries that match no cohort, each with the problem stated for the user. */
  problems: Array<{ wanted: string; message: string }>;
}

export const isVisible = (c: RawCohort): boolean => c.is_visible === 1 || c.is_visible === true;

export function selectCohorts(listing: RawCohort[], wanted: string[]): Selection {
  if (wanted.length === 0) return { selected: listing.filter(isVisible), problems: [] };
  const selected = new Map<number, RawCohort>();
  const problems: Selection['problems'] = [];
  for (const entry of wanted) {
    const byId = /^\d+$/.test(entry) ? listing.find((c) => c.id === Number(entry)) : undefined;
    const exact = listing.filter((c) => c.name === entry);
    const folded = exact.length ? exact : listing.filter((c) => c.name.toLowerCase() === entry.toLowerCase());
    const found = byId ? [byId] : folded;
    if (found.length === 1) selected.set(found[0].id, found[0]);
    else if (found.length > 1) problems.push({ wanted: entry, message: `cohort name "${entry}" is shared by cohorts ${found.map((c) => c.id).join(', ')}: list the one you mean by id` });
    else problems.push({ wanted: entry, message: notFound(entry, listing) });
  }
  return { selected: [...selected.values()], problems };
}

function notFound(entry: string, listing: RawCohort[]): string {
  const what = /^\d+$/.test(entry) ? `no cohort has id ${entry} or the name "${entry}"` : `no cohort is named "${entry}"`;
  const names = closestNames(entry, listing.map((c) => c.name));
  return `${what}; ${names.length ? `closest names: ${names.map((n) => `"${n}"`).join(', ')}` : 'the project has no cohorts'}`;
}

/** Up to three names nearest to `entry` (case-insensitive edit distance, then length). */
export function closestNames(entry: string, names: string[]): string[] {
  const unique = [...new Set(names)];
  return unique
    .map((name) => ({ name, d: editDistance(entry.toLowerCase(), name.toLowerCase()) }))
    .sort((a, b) => a.d - b.d || a.name.length - b.name.length)
    .slice(0, 3)
    .map((x) => x.name);
}

/**
 * Progress lines a person can read, without personal data: cohorts are named by name and id (not personal),
 * members only by counts. "cohort 'Churn risk' 12 000 of 48 000 members, next page in 58 s (query budget)".
 */
import type { Logger } from '../../connector-kit/logger';
import type { Clock } from './clock';

/** 48000 → "48 000" (spaces between thousands, as in the README's examples). */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/** 58 000 → "58 s", 72 000 → "72 s", 600 000 → "10 min", 3 720 000 → "1 h 2 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return ms > 0 && s === 0 ? `${Math.max(1, Math.round(ms))} ms` : `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
}

export const plural = (n: number, word: string, many = `${word}s`): string => `${formatCount(n)} ${n === 1 ? word : many}`;

/** Queries one snapshot costs: one per page, and one more, empty, page when the last page is full. */
export const queriesFor = (members: number, pageSize: number): number => Math.floor(Math.max(0, members) / pageSize) + 1;

/** Logs a cohort's progress after a page: always when the next page waits long, else at most every 30 s. */
export class ProgressReporter {
  private lastLogAt: number;

  constructor(private readonly log: Logger, private readonly clock: Clock, private readonly label: string, private readonly expected: number | undefined) {
    this.lastLogAt = clock.now();
  }

  afterPage(membersSoFar: number, nextWaitMs: number, more: boolean): void {
    if (!more) return;
    const now = this.clock.now();
    if (nextWaitMs < 10_000 && now - this.lastLogAt < 30_000) return;
    this.lastLogAt = now;
    const of = this.expected !== undefined ? ` of ${formatCount(this.expected)}` : '';
    const next = nextWaitMs > 0 ? `next page in ${formatDuration(nextWaitMs)} (query budget)` : 'next page now';
    this.log.info(`${this.label} ${formatCount(membersSoFar)}${of} members, ${next}`);
  }
}

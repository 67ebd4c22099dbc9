/**
 * The rate-limit part of `npm run bench`: for N = 5 000, 20 000 and 40 000 events/s, our destination and
 * mixpanel-import (default and tuned settings) against the receiver's token bucket, then one run whose limit
 * changes every 30 s. Returns the rows and renders them as Markdown for BENCHMARKS.md.
 */
import {
  benchDestinationAtLimit, benchMixpanelImportAtLimit, cachedRateTranscript, meetsRateTargets, RATE_LIMIT_TARGETS, RATE_ROW_SECONDS,
  type PhaseFigures, type RateLimitRow,
} from './rate-limit-bench';

export const RATE_LIMITS = [5_000, 20_000, 40_000];
export const LIMIT_PHASES = [{ limit: 20_000, seconds: 30 }, { limit: 5_000, seconds: 30 }, { limit: 40_000, seconds: 30 }];

export interface RateLimitTable { rows: RateLimitRow[]; phases?: PhaseFigures[]; phaseRow?: RateLimitRow }

/**
 * Runs every row. mixpanel-import gets min(N, its own unthrottled rate) × RATE_ROW_SECONDS events so that its run
 * lasts about as long as ours (at its default settings it sends far below every N).
 */
export async function benchRateLimits(mpiDefaultRate: number, mpiTunedRate: number, log = (l: string) => process.stderr.write(`${l}\n`)): Promise<RateLimitTable> {
  const transcript = await cachedRateTranscript(log);
  const rows: RateLimitRow[] = [];
  for (const limit of RATE_LIMITS) {
    log(`rate limit ${limit} events/s: destination-mixpanel (${limit * RATE_ROW_SECONDS} records) …`);
    rows.push((await benchDestinationAtLimit(limit, { transcript, log })).row);
    const defaultEvents = Math.round(Math.min(limit, mpiDefaultRate) * RATE_ROW_SECONDS);
    log(`rate limit ${limit} events/s: mixpanel-import, default settings (${defaultEvents} events) …`);
    rows.push(await benchMixpanelImportAtLimit(limit, defaultEvents, 'mixpanel-import, default settings', {}, log));
    const tunedEvents = Math.round(Math.min(limit, mpiTunedRate) * RATE_ROW_SECONDS);
    log(`rate limit ${limit} events/s: mixpanel-import, tuned (${tunedEvents} events) …`);
    rows.push(await benchMixpanelImportAtLimit(limit, tunedEvents, 'mixpanel-import, tuned (highWater 16384)', { highWater: 16384 }, log));
  }
  log(`limit changing mid-run: ${LIMIT_PHASES.map((p) => `${p.limit} for ${p.seconds} s`).join(' → ')} …`);
  // Enough records for ~90 % of every phase's budget, so the run lasts about as long as the phases.
  const records = Math.round(LIMIT_PHASES.reduce((n, p) => n + p.limit * p.seconds, 0) * 0.9);
  const changing = await benchDestinationAtLimit(LIMIT_PHASES[0].limit, { transcript, phases: LIMIT_PHASES, records, log });
  return { rows, phases: changing.phases, phaseRow: changing.row };
}

const pct = (x: number, digits = 0) => `${(x * 100).toFixed(digits)} %`;
const num = (x: number) => Math.round(x).toLocaleString('en-US');

export function rateLimitSection(t: RateLimitTable): string {
  const lines = [
    `## At Mixpanel's rate limit`,
    '',
    `The receiver admits N events/s (a token bucket holding one second of N; a request whose events do not fit is answered 429 and takes nothing). ` +
      `Each row lasts about ${RATE_ROW_SECONDS} s at the limit. Delivered events/s = events admitted ÷ (first request → last answer + the one second the bucket starts with). ` +
      `Target for destination-mixpanel: ≥ ${pct(RATE_LIMIT_TARGETS.shareOfLimit)} of N delivered, ≤ ${pct(RATE_LIMIT_TARGETS.throttledShare)} of requests answered 429, nothing lost ` +
      `(the receiver's stored events, counted by distinct $insert_id, equal what the destination reported imported). ` +
      `mixpanel-import sends min(N, its unthrottled rate) × ${RATE_ROW_SECONDS} small sample events, so its runs last about as long.`,
    '',
    '| Sender | N (events/s) | Delivered events/s | % of N | Requests answered 429 | Imported / offered | CPU per million events | Target |',
    '|---|---|---|---|---|---|---|---|',
    ...t.rows.map((r) => `| ${r.who} | ${num(r.limit)} | ${num(r.deliveredPerSecond)} | ${pct(r.shareOfLimit)} | ${r.throttled} of ${r.requests} (${pct(r.throttledShare, 1)}) | ${num(r.imported)} / ${num(r.offered)} | ${r.cpuSeconds === undefined ? '–' : `${((r.cpuSeconds / r.imported) * 1e6).toFixed(1)} s`} | ${target(r)} |`),
  ];
  if (t.phases && t.phaseRow) {
    lines.push(
      '',
      `Limit changing mid-run (destination-mixpanel, ${num(t.phaseRow.imported)} of ${num(t.phaseRow.offered)} records' events imported, ` +
        `${t.phaseRow.throttled} of ${t.phaseRow.requests} requests answered 429 overall${t.phaseRow.problems.length ? `; PROBLEMS: ${t.phaseRow.problems.join('; ')}` : ', nothing lost'}). ` +
        'Delivered = events admitted in the phase ÷ its length; "settled" = the same over the phase\'s second half (target: follows the new limit within 30 s, i.e. ≥ 90 % settled).',
      '',
      '| Phase | From | N (events/s) | Delivered events/s | % of N | Settled (second half) | Requests answered 429 |',
      '|---|---|---|---|---|---|---|',
      ...t.phases.map((p, i) => `| ${i + 1} | ${p.startSecond.toFixed(0)} s | ${num(p.limit)} | ${num(p.deliveredPerSecond)} | ${pct(p.shareOfLimit)} | ${num(p.settledPerSecond)} (${pct(p.settledShareOfLimit)}) | ${pct(p.throttledShare, 1)} |`),
    );
  }
  return lines.join('\n');
}

function target(r: RateLimitRow): string {
  if (r.who !== 'destination-mixpanel') return r.problems.length ? `lost or duplicated: ${r.problems.join('; ')}` : '';
  return meetsRateTargets(r) ? 'meets' : `MISSES${r.problems.length ? ` (${r.problems.join('; ')})` : ''}`;
}

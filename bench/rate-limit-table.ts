/**
 * The rate-limit part of `npm run bench`: for N = 5 000, 20 000 and 40 000 events/s, our destination and
 * mixpanel-import (default and tuned settings) against the receiver's token bucket, then one run whose limit
 * changes every 30 s. Returns the rows and renders them as Markdown for BENCHMARKS.md.
 */
import {
  benchDestinationAtLimit, benchMixpanelImportAtLimit, cachedRateTranscript, meetsRateTargets, RATE_LIMIT_TARGETS, RATE_ROW_MIN_REQUESTS,
  RATE_ROW_SECONDS, rowSecondsAt, type PhaseFigures, type RateLimitRow,
} from './rate-limit-bench';

export const RATE_LIMITS = [5_000, 20_000, 40_000];
export const LIMIT_PHASES = [{ limit: 20_000, seconds: 30 }, { limit: 5_000, seconds: 30 }, { limit: 40_000, seconds: 30 }];

export interface RateLimitTable {
  rows: RateLimitRow[];
  rowSeconds?: number;
  /** Rows at a low N last longer, to hold at least this many requests. */
  rowMinRequests?: number;
  /** The destination's unthrottled rate in this run (destination alone, realistic): above it no limit can be reached. */
  destinationRate?: number;
  phases?: PhaseFigures[];
  phaseRow?: RateLimitRow;
}

/**
 * Runs every row. mixpanel-import gets min(N, its own unthrottled rate) × RATE_ROW_SECONDS events so that its run
 * lasts about as long as ours (at its default settings it sends far below every N).
 */
export async function benchRateLimits(
  rates: { destination: number; mpiDefault: number; mpiTuned: number },
  opts: { rowSeconds?: number; rowMinRequests?: number; phaseSeconds?: number; log?: (line: string) => void } = {},
): Promise<RateLimitTable> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const rowSeconds = opts.rowSeconds ?? RATE_ROW_SECONDS;
  const rowMinRequests = opts.rowMinRequests ?? RATE_ROW_MIN_REQUESTS;
  const phases = LIMIT_PHASES.map((p) => ({ ...p, seconds: opts.phaseSeconds ?? p.seconds }));
  const transcript = await cachedRateTranscript(log);
  const rows: RateLimitRow[] = [];
  // Each sender gets min(N, its unthrottled rate measured earlier in this run) × rowSeconds, so a row lasts about
  // rowSeconds even where the machine (not the limit) holds the sender back; the row then shows it below N.
  const sized = (limit: number, rate: number, seconds: number) => Math.round(Math.min(limit, rate) * seconds);
  for (const limit of RATE_LIMITS) {
    const seconds = rowSecondsAt(limit, rowSeconds, rowMinRequests);
    const records = sized(limit, rates.destination, seconds);
    log(`rate limit ${limit} events/s: destination-mixpanel (${records} records) …`);
    rows.push((await benchDestinationAtLimit(limit, { transcript, records, log })).row);
    const defaultEvents = sized(limit, rates.mpiDefault, seconds);
    log(`rate limit ${limit} events/s: mixpanel-import, default settings (${defaultEvents} events) …`);
    rows.push(await benchMixpanelImportAtLimit(limit, defaultEvents, 'mixpanel-import, default settings', {}, log));
    const tunedEvents = sized(limit, rates.mpiTuned, seconds);
    log(`rate limit ${limit} events/s: mixpanel-import, tuned (${tunedEvents} events) …`);
    rows.push(await benchMixpanelImportAtLimit(limit, tunedEvents, 'mixpanel-import, tuned (highWater 16384)', { highWater: 16384 }, log));
  }
  log(`limit changing mid-run: ${phases.map((p) => `${p.limit} for ${p.seconds} s`).join(' → ')} …`);
  // Enough records for ~90 % of every phase's budget, so the run lasts about as long as the phases.
  const records = Math.round(phases.reduce((n, p) => n + sized(p.limit, rates.destination, p.seconds), 0) * 0.9);
  const changing = await benchDestinationAtLimit(phases[0].limit, { transcript, phases, records, log });
  return { rows, rowSeconds, rowMinRequests, destinationRate: rates.destination, phases: changing.phases, phaseRow: changing.row };
}

const pct = (x: number, digits = 0) => `${(x * 100).toFixed(digits)} %`;
const num = (x: number) => Math.round(x).toLocaleString('en-US');

export function rateLimitSection(t: RateLimitTable): string {
  const lines = [
    `## At Mixpanel's rate limit`,
    '',
    `The receiver admits N events/s (a token bucket holding one second of N; a request whose events do not fit is answered 429 and takes nothing). ` +
      `Each row lasts about ${t.rowSeconds ?? RATE_ROW_SECONDS} s at the limit, longer at a low N so that it holds at least ${t.rowMinRequests ?? RATE_ROW_MIN_REQUESTS} requests of 2 000 events ` +
      `(${rowSecondsAt(5_000, t.rowSeconds ?? RATE_ROW_SECONDS, t.rowMinRequests ?? RATE_ROW_MIN_REQUESTS)} s at 5 000 events/s; the burst of requests already in flight when the first 429 comes back would otherwise weigh several per cent of a short row). Delivered events/s = events admitted ÷ (first request → last answer + the one second the bucket starts with). ` +
      `Target for destination-mixpanel: ≥ ${pct(RATE_LIMIT_TARGETS.shareOfLimit)} of N delivered, ≤ ${pct(RATE_LIMIT_TARGETS.throttledShare)} of requests answered 429, nothing lost ` +
      `(the receiver's stored events, counted by distinct $insert_id, equal what the destination reported imported). ` +
      `Each sender is given min(N, its own unthrottled rate measured above) × the row's length in events, so a row lasts about as long even when the sender cannot reach N` +
      `${t.destinationRate ? ` (destination-mixpanel alone ran at ${num(t.destinationRate)} events/s in this run: a limit above that is out of its reach on this machine, whatever the sender does)` : ''}. ` +
      'destination-mixpanel reads the realistic transcript (about 5 % of its records are from anonymous users and skipped by rule, so imported < offered); mixpanel-import sends small sample events.',
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
  if (r.who !== 'destination-mixpanel') return r.problems.join('; ');
  return meetsRateTargets(r) ? 'meets' : `MISSES${r.problems.length ? ` (${r.problems.join('; ')})` : ''}`;
}

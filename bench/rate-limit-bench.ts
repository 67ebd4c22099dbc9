/**
 * Rate-limit benchmark (DESIGN §6, issue 10): how much of Mixpanel's per-project ingestion limit the destination
 * uses, and how often it is answered 429, against the local receiver's token bucket of N events/s (`rateLimit`).
 *
 * Each row pipes the first records of a realistic transcript (see destination-bench) into
 * `bin/destination-mixpanel write`, sized so the run lasts about 25 s at the limit (N × 25 records), so the
 * sender reaches its steady state, and longer at a low N so that it holds at least 150 requests (60 s at 5 000). The receiver runs in fast mode (the bucket still applies: it is checked on the
 * event count before anything is stored) and appends every admitted body to a file, from which the distinct
 * `$insert_id`s are counted afterwards: nothing may be lost or sent twice.
 *
 * Delivered events/s = events admitted ÷ (transfer window + the bucket's initial fill in seconds): the receiver's
 * bucket starts full (one second of N), which a short run would otherwise count as extra throughput.
 *
 * Run: `node dist/bench/rate-limit-bench.js [--limit N] [--seconds S] [--phases 20000,5000,40000] [--phase-seconds 30]`
 */
import { createHash } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import readline from 'readline';
import { Readable } from 'stream';
import { parseArgs } from 'util';
import { startMixpanelReceiver, type RequestRecord } from '../local-services/mixpanel/import-api';
import { cachedTranscript, repoRoot, writeDestinationConfig } from './destination-bench';
import { benchMixpanelImport, type MixpanelImportSettings } from './mixpanel-import-bench';
import { spawnMeasuredNode } from './support/measured-process';
import { watchDestinationAccounting } from './support/destination-accounting';
import { writeSampleEvents } from './support/sample-events';

export const RATE_LIMIT_TARGETS = { shareOfLimit: 0.9, throttledShare: 0.05 };
/** A row's length at the limit: long enough for the sender to settle, short enough for `npm run bench`. */
export const RATE_ROW_SECONDS = 25;
/**
 * ... and at least this many requests at the limit, so that the share answered 429 is measured over enough of them:
 * at 5 000 events/s a 25 s row holds only about 64 requests, where the one unavoidable burst at the start (every
 * request in flight when the first 429 comes back) already weighs several per cent.
 */
export const RATE_ROW_MIN_REQUESTS = 150;
/** Records in the cached transcript the rows take their prefix from (enough for the 90 s phase row). */
export const RATE_TRANSCRIPT_RECORDS = 1_800_000;
/** The receiver's per-request cap (it is also the bucket's minimum capacity). */
const MAX_EVENTS_PER_REQUEST = 2000;

export interface RequestSummary {
  requests: number;
  throttled: number;
  imported: number;
  /** First request received → last answer, seconds. */
  transferSeconds: number;
}

/** Counts the /import requests of a receiver's log: all, those answered 429 by the rate limit, admitted events. */
export function summarizeRequests(requests: RequestRecord[]): RequestSummary {
  const imports = requests.filter((r) => r.path === '/import');
  if (imports.length === 0) return { requests: 0, throttled: 0, imported: 0, transferSeconds: 0 };
  const first = Math.min(...imports.map((r) => r.receivedAt));
  const last = Math.max(...imports.map((r) => r.answeredAt ?? r.receivedAt));
  return {
    requests: imports.length,
    throttled: imports.filter((r) => r.throttled).length,
    imported: imports.reduce((n, r) => n + r.imported, 0),
    transferSeconds: (last - first) / 1000,
  };
}

/** A row's length at this limit: RATE_ROW_SECONDS, or longer where that holds fewer than RATE_ROW_MIN_REQUESTS requests. */
export function rowSecondsAt(limit: number, seconds = RATE_ROW_SECONDS, minRequests = RATE_ROW_MIN_REQUESTS): number {
  return Math.max(seconds, Math.ceil((minRequests * MAX_EVENTS_PER_REQUEST) / limit));
}

/** Events/s delivered at a limit, the bucket's initial fill (max(N, one request) events) counted as time. */
export function deliveredPerSecond(imported: number, transferSeconds: number, limit: number): number {
  const initialFillSeconds = Math.max(limit, MAX_EVENTS_PER_REQUEST) / limit;
  return imported / (transferSeconds + initialFillSeconds);
}

export interface RateLimitRow {
  who: string;
  limit: number;
  /** Records (ours) or events (mixpanel-import) offered. */
  offered: number;
  imported: number;
  requests: number;
  throttled: number;
  transferSeconds: number;
  deliveredPerSecond: number;
  shareOfLimit: number;
  throttledShare: number;
  cpuSeconds?: number;
  /** Problems with the accounting: lost or duplicated events, a failed exit. Empty when everything arrived once. */
  problems: string[];
}

function row(who: string, limit: number, offered: number, s: RequestSummary, problems: string[], cpuSeconds?: number): RateLimitRow {
  const delivered = deliveredPerSecond(s.imported, s.transferSeconds, limit);
  return {
    who, limit, offered, imported: s.imported, requests: s.requests, throttled: s.throttled, transferSeconds: s.transferSeconds,
    deliveredPerSecond: delivered, shareOfLimit: delivered / limit, throttledShare: s.requests ? s.throttled / s.requests : 0,
    cpuSeconds, problems,
  };
}

export function meetsRateTargets(r: RateLimitRow): boolean {
  return r.problems.length === 0 && r.shareOfLimit >= RATE_LIMIT_TARGETS.shareOfLimit && r.throttledShare <= RATE_LIMIT_TARGETS.throttledShare;
}

/** The first `maxLines` lines of a file, streamed (the last one with its newline). */
export function firstLines(file: string, maxLines: number): Readable {
  async function* take(): AsyncGenerator<Buffer> {
    let left = maxLines;
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      let cut = -1;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) {
        if (--left === 0) {
          cut = i + 1;
          break;
        }
      }
      if (cut !== -1) {
        yield chunk.subarray(0, cut);
        return;
      }
      yield chunk;
    }
  }
  return Readable.from(take(), { objectMode: false });
}

/** Distinct `$insert_id` values and event lines in an NDJSON file of Mixpanel events (streamed). */
export async function countInsertIds(file: string): Promise<{ events: number; distinct: number }> {
  const ids = new Set<string>();
  let events = 0;
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    events++;
    const m = /"\$insert_id":\s*"((?:[^"\\]|\\.)*)"/.exec(line);
    // A digest, not the match: V8 keeps a regex match as a slice of its whole line, and a million lines of events
    // held alive that way fill the heap.
    ids.add(m ? createHash('md5').update(m[1]).digest('base64') : `(no insert id) ${events}`);
  }
  return { events, distinct: ids.size };
}

export interface Phase { limit: number; seconds: number }

export interface PhaseFigures {
  limit: number;
  startSecond: number;
  seconds: number;
  deliveredPerSecond: number;
  shareOfLimit: number;
  /** The same over the phase's second half: the rate it settled at. */
  settledPerSecond: number;
  settledShareOfLimit: number;
  throttledShare: number;
}

/**
 * Per-phase delivery from a receiver's log: events admitted in requests answered during each phase ÷ its length.
 * Phases start at `startMs` one after another; the last one ends with the last answer.
 */
export function phaseFigures(requests: RequestRecord[], phases: Phase[], startMs: number): PhaseFigures[] {
  const imports = requests.filter((r) => r.path === '/import');
  const end = Math.max(startMs, ...imports.map((r) => r.answeredAt ?? r.receivedAt));
  let from = startMs;
  return phases.map((phase, i) => {
    const to = i === phases.length - 1 ? Math.max(end, from + 1) : from + phase.seconds * 1000;
    const inWindow = (a: number, b: number) => imports.filter((r) => { const t = r.answeredAt ?? r.receivedAt; return t >= a && t < b; });
    const all = inWindow(from, i === phases.length - 1 ? to + 1 : to);
    const half = inWindow(from + (to - from) / 2, i === phases.length - 1 ? to + 1 : to);
    const sum = (rs: RequestRecord[]) => rs.reduce((n, r) => n + r.imported, 0);
    const seconds = (to - from) / 1000;
    const figures: PhaseFigures = {
      limit: phase.limit, startSecond: (from - startMs) / 1000, seconds,
      deliveredPerSecond: sum(all) / seconds, shareOfLimit: sum(all) / seconds / phase.limit,
      settledPerSecond: sum(half) / (seconds / 2), settledShareOfLimit: sum(half) / (seconds / 2) / phase.limit,
      throttledShare: all.length ? all.filter((r) => r.throttled).length / all.length : 0,
    };
    from = to;
    return figures;
  });
}

/** The realistic transcript the rows take their first records from (built once, cached). */
export function cachedRateTranscript(log?: (line: string) => void): Promise<string> {
  return cachedTranscript(RATE_TRANSCRIPT_RECORDS, { log });
}

export interface DestinationAtLimitOptions {
  /** Records to send; default N × rowSecondsAt(N). */
  records?: number;
  /** Change the limit on a schedule instead (the first phase's limit is the starting one). */
  phases?: Phase[];
  retryAfter?: boolean;
  transcript?: string;
  log?: (line: string) => void;
}

export interface DestinationAtLimitResult { row: RateLimitRow; phases?: PhaseFigures[] }

/** One row for our destination: the first records of the transcript piped in, against a receiver admitting `limit` events/s. */
export async function benchDestinationAtLimit(limit: number, opts: DestinationAtLimitOptions = {}): Promise<DestinationAtLimitResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const records = opts.records ?? limit * rowSecondsAt(limit);
  const transcript = opts.transcript ?? await cachedRateTranscript(log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rate-limit-bench-'));
  const store = path.join(dir, 'admitted.ndjson');
  const receiver = await startMixpanelReceiver({ fast: true, rateLimit: limit, rateLimitRetryAfter: opts.retryAfter, storeFile: store });
  const timers: NodeJS.Timeout[] = [];
  try {
    const { config, catalog } = writeDestinationConfig(dir, receiver.url, { gzipLevel: 1, batchSize: 2000, concurrency: 10 });
    const startMs = Date.now();
    const dest = spawnMeasuredNode([path.join(repoRoot(), 'bin', 'destination-mixpanel'), 'write', '--config', config, '--catalog', catalog]);
    // The transcript has a STATE line after every 5 000 records.
    firstLines(transcript, records + Math.floor((records - 1) / 5000)).pipe(dest.child.stdin!);
    dest.child.stdin!.on('error', () => undefined); // the exit code reports a failed destination
    let at = 0;
    for (const phase of opts.phases?.slice(1) ?? []) {
      at += opts.phases![opts.phases!.indexOf(phase) - 1].seconds * 1000;
      timers.push(setTimeout(() => { receiver.setRateLimit(phase.limit); log(`  limit now ${phase.limit} events/s`); }, at));
    }
    const progress = setInterval(() => {
      const s = summarizeRequests(receiver.requests());
      log(`  ${((Date.now() - startMs) / 1000).toFixed(0)} s: ${s.imported} events admitted, ${s.throttled} of ${s.requests} requests answered 429`);
    }, 10_000);
    timers.push(progress);
    const watched = watchDestinationAccounting(dest.child.stdout!);
    const figures = await dest.finished;
    const accounting = watched.get();
    timers.forEach(clearTimeout);
    const requests = receiver.requests();
    const stats = receiver.stats();
    await receiver.close();
    const summary = summarizeRequests(requests);
    const problems: string[] = [];
    if (figures.code !== 0) problems.push(`destination exited ${figures.code}: ${figures.stderrTail.slice(-500)}`);
    if (!accounting) problems.push('the destination reported no accounting');
    const acc = accounting ?? {};
    if (acc.received !== records) problems.push(`the destination received ${acc.received} records of ${records} piped`);
    if (acc.received !== acc.imported + acc.skipped + acc.rejected) problems.push(`received ${acc.received} ≠ imported ${acc.imported} + skipped ${acc.skipped} + rejected ${acc.rejected}`);
    if (stats.eventsImported !== acc.imported) problems.push(`the receiver admitted ${stats.eventsImported} events, the destination reported ${acc.imported}`);
    const stored = await countInsertIds(store);
    if (stored.distinct !== acc.imported || stored.events !== acc.imported) {
      problems.push(`the receiver stored ${stored.events} events with ${stored.distinct} distinct insert ids for ${acc.imported} imported`);
    }
    const result: DestinationAtLimitResult = {
      row: row('destination-mixpanel', limit, records, summary, problems, figures.cpuSeconds),
      ...(opts.phases ? { phases: phaseFigures(requests, opts.phases, startMs) } : {}),
    };
    log(`  ${formatRow(result.row)}`);
    return result;
  } finally {
    timers.forEach(clearTimeout);
    await receiver.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One row for mixpanel-import with these settings: `events` sample events against a receiver admitting `limit` events/s. */
export async function benchMixpanelImportAtLimit(limit: number, events: number, label: string, settings: Partial<MixpanelImportSettings> = {}, log?: (l: string) => void): Promise<RateLimitRow> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rate-limit-mpi-'));
  try {
    const file = path.join(dir, 'events.ndjson');
    await writeSampleEvents(file, events);
    let r: Awaited<ReturnType<typeof benchMixpanelImport>>;
    try {
      r = await benchMixpanelImport({ events: file, settings, rateLimit: limit, timeoutMs: 180_000, log: () => undefined });
    } catch (err) {
      // Another tool failing (or hanging past 3 minutes) at the limit is a finding for the table, not the end of the bench.
      const failed = row(label, limit, events, { requests: 0, throttled: 0, imported: 0, transferSeconds: 0 }, [`failed: ${(err as Error).message.slice(0, 300)}`]);
      log?.(`  ${formatRow(failed)}`);
      return failed;
    }
    const summary: RequestSummary = { requests: r.requests, throttled: r.throttledRequests, imported: r.eventsImported, transferSeconds: r.transferMs / 1000 };
    // Say plainly what the receiver's counts mean for the user: events that never arrived.
    const lost = events - r.eventsImported;
    const problems = lost > 0 ? [`${lost} events never arrived (mixpanel-import reported ${r.toolReport.success} imported, ${r.toolReport.failed} failed, and exited 0)`] : r.problems;
    const result = row(label, limit, events, summary, problems, r.toolReport.cpuSeconds);
    log?.(`  ${formatRow(result)}`);
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatRow(r: RateLimitRow): string {
  return `${r.who} at ${r.limit} events/s: ${Math.round(r.deliveredPerSecond)} events/s delivered (${(r.shareOfLimit * 100).toFixed(0)} % of N), ` +
    `${r.throttled} of ${r.requests} requests answered 429 (${(r.throttledShare * 100).toFixed(1)} %), ${r.imported} of ${r.offered} imported in ${r.transferSeconds.toFixed(1)} s` +
    `${r.problems.length ? `; PROBLEMS: ${r.problems.join('; ')}` : ''}`;
}

if (require.main === module) {
  const { values } = parseArgs({ options: { limit: { type: 'string' }, seconds: { type: 'string' }, phases: { type: 'string' }, 'phase-seconds': { type: 'string' }, 'retry-after': { type: 'boolean' } } });
  (async () => {
    const seconds = Number(values.seconds ?? RATE_ROW_SECONDS);
    if (values.phases) {
      const phases = values.phases.split(',').map((n) => ({ limit: Number(n), seconds: Number(values['phase-seconds'] ?? 30) }));
      const records = Math.round(phases.reduce((n, p) => n + p.limit * p.seconds, 0) * 0.95);
      const r = await benchDestinationAtLimit(phases[0].limit, { phases, records, retryAfter: values['retry-after'] });
      for (const p of r.phases!) process.stdout.write(`phase ${p.limit} events/s from ${p.startSecond} s: ${Math.round(p.deliveredPerSecond)} events/s (${(p.shareOfLimit * 100).toFixed(0)} %), settled ${(p.settledShareOfLimit * 100).toFixed(0)} %, 429 ${(p.throttledShare * 100).toFixed(1)} %\n`);
    } else {
      const limit = Number(values.limit ?? 20_000);
      const r = await benchDestinationAtLimit(limit, { records: limit * rowSecondsAt(limit, seconds), retryAfter: values['retry-after'] });
      process.stdout.write(formatRow(r.row) + '\n');
      if (!meetsRateTargets(r.row)) process.exitCode = 1;
    }
  })().catch((err) => {
    process.stderr.write(`rate-limit bench failed: ${(err as Error).stack}\n`);
    process.exitCode = 1;
  });
}

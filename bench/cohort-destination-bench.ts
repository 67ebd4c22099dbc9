/**
 * destination-braze on a 1 000 000-member cohort (UUID-like Braze ids) with 5 % churn (DESIGN §10.5):
 * 1. The membership store is seeded with the previous complete snapshot (1 000 000 ids), as a first sync leaves it.
 * 2. A transcript of the new snapshot is written: 950 000 members kept, 50 000 new ones, a STATE per 1 000-member
 *    page (as the source pages), then the cohort_snapshots record.
 * 3. bin/destination-braze writes it to the local Braze-compatible server (every id exists; Braze's own rate limit
 *    of 3 000 requests per 3 s), measured: members/s = member records ÷ wall time (start-up included), peak RSS.
 *    Diffing alone (no Braze, no process) is timed in-process too, so the writing cost can be told apart.
 * Targets: ≥ 200 000 members/s through the destination, peak RSS ≤ 256 MB.
 */
import { randomUUID } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { CohortDiff } from '../destination-braze/src/membership/cohort-diff';
import { linesOf } from '../destination-braze/src/membership/id-file';
import { MembershipStore } from '../destination-braze/src/membership/membership-store';
import { LocalBlobStore } from '../destination-braze/src/store/local-blob-store';
import { startLocalBraze } from '../local-services/braze/server';
import { spawnMeasured } from './support/measured-process';

export const COHORT_TARGETS = { membersPerSecond: 200_000, peakRssMb: 256 };

export interface CohortBenchFigures {
  members: number;
  added: number;
  removed: number;
  wallSeconds: number;
  membersPerSecond: number;
  peakRssMb: number;
  rssMethod: string;
  diffMembersPerSecond: number;
  brazeRequests: number;
  rateLimited: number;
  /** The destination's own account of its write cycles (LOG_LEVEL=debug). */
  cycles: string;
  meets: boolean;
}

const PAGE = 1000;

export async function benchCohortDestination(options: { members?: number; churn?: number; print?: boolean } = {}): Promise<CohortBenchFigures> {
  const total = options.members ?? 1_000_000;
  const churn = Math.round(total * (options.churn ?? 0.05));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohort-bench-'));
  try {
    const old = Array.from({ length: total }, () => randomUUID()).sort();
    const joiners = Array.from({ length: churn }, () => randomUUID());
    const current = [...old.slice(churn), ...joiners]; // the first `churn` old members left
    const storeDir = path.join(dir, 'store');
    const store = new MembershipStore(new LocalBlobStore(storeDir));
    await store.commitSnapshot({ kind: 'snapshot', cohort_id: 1, snapshot_id: 'previous', value: 'Bench cohort', member_count: total, committed_at: new Date().toISOString(), sorted: true }, linesOf(old));

    const diffMembersPerSecond = await timeDiff(store, current);
    const input = path.join(dir, 'input.jsonl');
    writeTranscript(input, current);
    old.length = 0;

    // Count-only: the server validates every request but keeps no user data, so it is not what is measured.
    const braze = await startLocalBraze({ anyExternalIdExists: true, countOnly: true, recordBodies: false, apiKeys: [{ key: 'bench-key', permissions: ['users.track'] }] });
    try {
      const config = path.join(dir, 'config.json');
      const catalog = path.join(dir, 'catalog.json');
      fs.writeFileSync(config, JSON.stringify({ rest_endpoint: braze.url, api_key: 'bench-key', membership_store: { type: 'local', path: storeDir }, concurrency: 8 }));
      fs.writeFileSync(catalog, JSON.stringify({ streams: ['cohort_members', 'cohort_snapshots'].map((name) => ({ stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh'] }, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' })) }));
      const bin = path.resolve(__dirname, '..', '..', 'bin', 'destination-braze');
      // Run as users do (the bin's shebang sets the heap cap); BENCH_CPU_PROF=dir adds a V8 CPU profile.
      const profile = process.env.BENCH_CPU_PROF ? ['--max-old-space-size=96', '--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, bin] : [];
      const run = spawnMeasured(profile.length ? process.execPath : bin, [...profile, 'write', '--config', config, '--catalog', catalog], [fs.openSync(input, 'r'), 'pipe', 'pipe'], { ...process.env, LOG_LEVEL: 'debug' });
      let cycles = '';
      let summary: { total: { added: number; removed: number; members: number } } | undefined;
      let rest = '';
      run.child.stdout!.on('data', (d: Buffer) => {
        const lines = (rest + d.toString('utf8')).split('\n');
        rest = lines.pop()!;
        for (const line of lines) {
          if (line.includes('braze_destination_accounting')) summary = JSON.parse(JSON.parse(line).trace.analytics.value);
          else if (line.includes('write cycles')) cycles = JSON.parse(line).log.message;
        }
      });
      const figures = await run.finished;
      if (figures.code !== 0 || !summary) throw new Error(`destination-braze failed (exit ${figures.code}): ${figures.stderrTail}`);
      const stats = braze.stats();
      const result: CohortBenchFigures = {
        members: summary.total.members,
        added: summary.total.added,
        removed: summary.total.removed,
        wallSeconds: figures.wallSeconds,
        membersPerSecond: summary.total.members / figures.wallSeconds,
        peakRssMb: figures.peakRssMb,
        rssMethod: figures.rssMethod,
        diffMembersPerSecond,
        brazeRequests: stats.requests,
        rateLimited: stats.rateLimited,
        cycles,
        meets: summary.total.members / figures.wallSeconds >= COHORT_TARGETS.membersPerSecond && figures.peakRssMb <= COHORT_TARGETS.peakRssMb,
      };
      if (options.print !== false) process.stdout.write(describeCohortBench(result) + '\n');
      return result;
    } finally {
      await braze.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The diff alone: load the stored snapshot, classify every member, produce the removals and the new snapshot. */
async function timeDiff(store: MembershipStore, current: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  const diff = new CohortDiff(await store.loadCohort(1), 1, 'timing', 'Bench cohort');
  for (const id of current) {
    diff.countReceived();
    diff.member(id);
    if (diff.received % PAGE === 0) diff.takePending();
  }
  let removals = 0;
  for (const _ of diff.removals()) removals++;
  for (const _ of diff.snapshotBlocks()) void _;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (removals !== current.length - (current.length - removals)) throw new Error('unreachable');
  return current.length / seconds;
}

function writeTranscript(file: string, members: string[]): void {
  const fd = fs.openSync(file, 'w');
  const parts: string[] = [];
  const flush = () => {
    fs.writeSync(fd, parts.join(''));
    parts.length = 0;
  };
  members.forEach((userId, i) => {
    parts.push(`{"type":"RECORD","record":{"stream":"cohort_members","data":{"cohort_id":1,"cohort_name":"Bench cohort","distinct_id":"d${i}","user_id":"${userId}","properties":{},"snapshot_id":"s2"},"emitted_at":1700000000000}}\n`);
    if ((i + 1) % PAGE === 0 || i === members.length - 1) {
      parts.push(`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"cohort_members"},"stream_state":{"cohort_id":1,"snapshot_id":"s2","next_page":${Math.ceil((i + 1) / PAGE)}}}}}\n`);
      flush();
    }
  });
  parts.push(`{"type":"RECORD","record":{"stream":"cohort_snapshots","data":{"cohort_id":1,"cohort_name":"Bench cohort","snapshot_id":"s2","member_count":${members.length},"taken_at":"2024-05-01T00:00:00Z"},"emitted_at":1700000000000}}\n`);
  parts.push(`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"cohort_snapshots"},"stream_state":{"finished":[1]}}}}\n`);
  flush();
  fs.closeSync(fd);
}

export function describeCohortBench(r: CohortBenchFigures): string {
  return [
    `destination-braze, one cohort of ${r.members.toLocaleString('en-US')} members with ${r.added.toLocaleString('en-US')} joins and ${r.removed.toLocaleString('en-US')} leaves:`,
    `  through the destination: ${Math.round(r.membersPerSecond).toLocaleString('en-US')} members/s (${r.wallSeconds.toFixed(1)} s wall, start-up included; target ≥ ${COHORT_TARGETS.membersPerSecond.toLocaleString('en-US')}), ${r.brazeRequests} Braze requests, ${r.rateLimited} answered 429`,
    ...(r.cycles ? [`  ${r.cycles}`] : []),
    `  diffing alone (in-process): ${Math.round(r.diffMembersPerSecond).toLocaleString('en-US')} members/s`,
    `  peak RSS ${r.peakRssMb.toFixed(0)} MB (${r.rssMethod}; target ≤ ${COHORT_TARGETS.peakRssMb} MB) → ${r.meets ? 'meets' : 'MISSES'} the targets`,
  ].join('\n');
}

if (require.main === module) {
  const members = Number(process.argv[2] ?? 1_000_000);
  benchCohortDestination({ members }).catch((err) => {
    process.stderr.write(`cohort bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}

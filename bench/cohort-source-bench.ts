/**
 * Cohort source benchmark (DESIGN §10.5): how fast `bin/source-mixpanel-cohorts read` pages a 1 000 000-member
 * cohort (UUID-like ids) out of the local Mixpanel server with the query budget lifted, and its peak RSS.
 *
 * The server runs in this process and builds each page lazily (a synthetic cohort); the source is a child
 * process whose stdout is consumed by counting newlines only (no parsing), so the measurement is the source's.
 * Members/s = the snapshot's member_count ÷ wall time (spawn → exit, start-up included).
 * Targets: ≥ 100 000 members/s (the real limit is Mixpanel's budget: 60 queries/hour), ≤ 256 MB peak RSS.
 * Run: `node dist/bench/cohort-source-bench.js [--members 1000000] [--json]`
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { parseArgs } from 'util';
import { startMixpanelServer } from '../local-services/mixpanel/server';
import { spawnMeasured } from './support/measured-process';

export const COHORT_SOURCE_TARGETS = { membersPerSecond: 100_000, peakRssMb: 256 };

export interface CohortSourceFigures {
  members: number;
  lines: number;
  wallSeconds: number;
  membersPerSecond: number;
  peakRssMb: number;
  rssMethod: string;
  meetsThroughput: boolean;
  meetsMemory: boolean;
}

/** A UUID-shaped id (36 characters, the shape of real distinct ids) for member i, cheap to build. */
const uuidLike = (prefix: string, i: number) => `${prefix}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

export async function benchCohortSource(options: { members?: number; print?: boolean } = {}): Promise<CohortSourceFigures> {
  const members = options.members ?? 1_000_000;
  const server = await startMixpanelServer({ query: { queriesPerHour: Infinity } });
  server.query.defineSyntheticCohort({
    id: 1, name: 'Bench cohort', size: members,
    profileAt: (i) => ({ distinct_id: uuidLike('5eed0000', i), properties: { $braze_external_id: uuidLike('b4a2e000', i), $email: `member${i}@example.test`, plan: 'pro' } }),
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohort-bench-'));
  const config = path.join(dir, 'config.json');
  const catalog = path.join(dir, 'catalog.json');
  fs.writeFileSync(config, JSON.stringify({
    credentials: { auth_type: 'service_account', username: 'local-service-account', secret: 'local-service-secret', project_id: '1' },
    api_host: server.url, queries_per_hour: 1_000_000_000, output_properties: ['$email'],
  }));
  const { cohortCatalog } = await import('../source-mixpanel-cohorts/src/catalog');
  fs.writeFileSync(catalog, JSON.stringify({ streams: cohortCatalog().streams.map((stream) => ({ stream, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' })) }));
  const bin = path.resolve(__dirname, '..', '..', 'bin', 'source-mixpanel-cohorts');
  try {
    const run = spawnMeasured(bin, ['read', '--config', config, '--catalog', catalog]);
    let lines = 0;
    // Only the last chunks are kept (the snapshot record and final states are at the end), decoded once.
    const tail: Buffer[] = [];
    let tailBytes = 0;
    run.child.stdout!.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
      tail.push(chunk);
      tailBytes += chunk.length;
      while (tailBytes - tail[0].length >= 262_144) tailBytes -= tail.shift()!.length;
    });
    const figures = await run.finished;
    if (figures.code !== 0) throw new Error(`the source exited ${figures.code}: ${figures.stderrTail}`);
    const snapshot = Buffer.concat(tail).toString('utf8').split('\n').filter((l) => l.includes('"stream":"cohort_snapshots"') && l.startsWith('{"type":"RECORD"')).map((l) => JSON.parse(l).record.data).pop();
    if (!snapshot || snapshot.member_count !== members) throw new Error(`expected a snapshot of ${members} members, got ${JSON.stringify(snapshot)}`);
    const result: CohortSourceFigures = {
      members, lines, wallSeconds: figures.wallSeconds, membersPerSecond: members / figures.wallSeconds, peakRssMb: figures.peakRssMb, rssMethod: figures.rssMethod,
      meetsThroughput: members / figures.wallSeconds >= COHORT_SOURCE_TARGETS.membersPerSecond, meetsMemory: figures.peakRssMb <= COHORT_SOURCE_TARGETS.peakRssMb,
    };
    if (options.print !== false) {
      process.stdout.write(`cohort source: ${members.toLocaleString('en-US')} members in ${result.wallSeconds.toFixed(1)} s = ${Math.round(result.membersPerSecond).toLocaleString('en-US')} members/s ` +
        `(target ≥ ${COHORT_SOURCE_TARGETS.membersPerSecond.toLocaleString('en-US')}), peak RSS ${result.peakRssMb.toFixed(0)} MB (target ≤ ${COHORT_SOURCE_TARGETS.peakRssMb} MB, ${result.rssMethod})\n`);
    }
    return result;
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const { values } = parseArgs({ options: { members: { type: 'string' }, json: { type: 'boolean' } } });
  benchCohortSource({ members: values.members ? Number(values.members) : undefined, print: !values.json })
    .then((r) => { if (values.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n'); })
    .catch((err) => { process.stderr.write(`cohort bench failed: ${(err as Error).stack}\n`); process.exit(1); });
}

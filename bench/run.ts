/**
 * `npm run bench`: the source alone, the destination alone, and end to end (piped and the sync runner) side
 * by side with mixpanel-import on the same events. Prints the figures and writes them, with a description
 * of the machine, to BENCHMARKS.md.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { benchDestination, DESTINATION_TARGETS, type DestinationBenchResult } from './destination-bench';
import { benchEndToEnd, END_TO_END_TARGETS, type EndToEndResult } from './end-to-end-bench';
import { benchRateLimits, rateLimitSection } from './rate-limit-table';
import { REALISTIC_TEXT } from '../tools/sample-export/options';
import { benchSource, SOURCE_TARGETS } from './source-bench';
import { benchCohortDestination, COHORT_TARGETS } from './cohort-destination-bench';
import { benchCohortSource, COHORT_SOURCE_TARGETS } from './cohort-source-bench';
import { medianRun } from './support/median-run';

const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')} events/s`;
const mb = (n: number) => `${n.toFixed(0)} MB`;
const verdict = (ok: boolean) => (ok ? 'meets' : 'MISSES');
type Row = [string, string, string, string, string];
/** The realistic corpus may be at most this much slower than the all-ASCII one (DESIGN §6). */
const REALISTIC_WITHIN = 0.15;

/** CPU seconds (user + system) per million events, or '–' when GNU time was not there to measure it. */
const cpuPerMillion = (cpuSeconds: number | undefined, events: number) => (cpuSeconds === undefined ? '–' : `${((cpuSeconds / events) * 1e6).toFixed(1)} s`);
const benchStarted = Date.now();
/** `npm run bench -- --quick`: every run small (a minute or two), to check the whole flow; writes <tmp>/BENCHMARKS.quick.md. */
const quick = process.argv.includes('--quick');
const size = (full: number, small: number) => (quick ? small : full);
/** Progress for the person watching: `npm run bench` takes a quarter of an hour. */
const progress = (step: string) => process.stderr.write(`[bench ${((Date.now() - benchStarted) / 60_000).toFixed(1)} min] ${step}\n`);

async function main(): Promise<void> {
  const started = new Date();
  const load = os.loadavg()[0];
  progress('source alone (median of 3) …');
  const source = await benchSource({ print: false, ...(quick ? { events: 20_000, singleFileEvents: 10_000, runs: 1 } : {}) });
  // Judged on the median of 3 runs, like the source (see support/median-run.ts). Realistic corpus by default.
  const destinationRuns = [];
  for (let i = 0; i < 3; i++) {
    progress(`destination alone, realistic corpus, run ${i + 1} of 3 …`);
    destinationRuns.push(await benchDestination({ print: false, events: size(300_000, 20_000) }));
  }
  const destination = medianRun(destinationRuns);
  progress('destination alone, ASCII corpus …');
  const destinationAscii = await benchDestination({ print: false, corpus: 'ascii', events: size(300_000, 20_000) });
  progress("destination alone, another producer's transcript …");
  const destinationOther = await benchDestination({ print: false, producer: 'other', events: size(300_000, 20_000) });
  progress('end to end on the realistic export (piped, sync, mixpanel-import) …');
  const e2e = await benchEndToEnd({ events: size(300_000, 20_000) });
  progress('end to end on the ASCII export (piped, sync) …');
  const e2eAscii = await benchEndToEnd({ corpus: 'ascii', mixpanelImport: false, events: size(300_000, 20_000) });
  progress('cohort source …');
  const cohorts = await benchCohortSource({ print: false, members: size(1_000_000, 20_000) });
  progress('cohort destination (1 000 000 members, 5 % churn) …');
  const cohortDestination = await benchCohortDestination({ print: false, members: size(1_000_000, 20_000) });
  progress('rate-limit rows (about 25 s each, 60 s at 5 000 events/s) and the limit changing mid-run (90 s) …');
  const rateLimit = await benchRateLimits(
    { destination: destination.eventsPerSecond, mpiDefault: e2e.mixpanelImport!.eventsPerSecondDuringTransfer, mpiTuned: e2e.mixpanelImportTuned!.eventsPerSecondDuringTransfer },
    quick ? { rowSeconds: 3, rowMinRequests: 0, phaseSeconds: 3 } : {});

  const p = e2e.piped;
  const mpi = e2e.mixpanelImport!;
  const mpiTuned = e2e.mixpanelImportTuned!;
  const destinationRow = (label: string, d: DestinationBenchResult, median = false): Row => [
    `${label}: ${d.records.toLocaleString('en-US')} records on stdin → receiver${median && d.runsEventsPerSecond ? ` (median of ${d.runsEventsPerSecond.length} runs: ${d.runsEventsPerSecond.map((v) => Math.round(v / 1000) + 'k').join(', ')})` : ''}`,
    rate(d.eventsPerSecond), cpuPerMillion(d.cpuSeconds, d.records), mb(d.peakRssMb),
    `≥ ${rate(DESTINATION_TARGETS.eventsPerSecond)}, ≤ ${DESTINATION_TARGETS.peakRssMb} MB: ${verdict(d.meetsThroughput && d.peakRssMb <= DESTINATION_TARGETS.peakRssMb)}`,
  ];
  const endToEndRows = (label: string, run: EndToEndResult): Row[] => [
    [`End to end, piped (source \\| destination, two processes), ${label} export, ${run.piped.records.toLocaleString('en-US')} events`, rate(run.piped.eventsPerSecond), `${cpuPerMillion(run.piped.cpuSeconds, run.piped.records)} (source ${cpuPerMillion(run.piped.processes.source.cpuSeconds, run.piped.records)} + destination ${cpuPerMillion(run.piped.processes.destination.cpuSeconds, run.piped.records)})`, `${mb(run.piped.processes.source.peakRssMb)} + ${mb(run.piped.processes.destination.peakRssMb)}`, `≥ ${rate(END_TO_END_TARGETS.eventsPerSecond)}: ${verdict(run.piped.eventsPerSecond >= END_TO_END_TARGETS.eventsPerSecond)}`],
    [`End to end, \`sync\` runner (one process), ${label} export`, rate(run.sync.eventsPerSecond), cpuPerMillion(run.sync.cpuSeconds, run.sync.records), mb(run.sync.processes.sync.peakRssMb), `≥ ${rate(END_TO_END_TARGETS.eventsPerSecond)}: ${verdict(run.sync.eventsPerSecond >= END_TO_END_TARGETS.eventsPerSecond)}`],
  ];
  const rows: Row[] = [
    [`Source alone: 500k events, all 100 types, local Avro → stdout${source.full.runsEventsPerSecond ? ` (median of ${source.full.runsEventsPerSecond.length} runs: ${source.full.runsEventsPerSecond.map((v) => Math.round(v / 1000) + 'k').join(', ')})` : ''}`, rate(source.full.eventsPerSecond), '–', mb(source.full.peakRssMb), `≥ ${rate(SOURCE_TARGETS.eventsPerSecond)}: ${verdict(source.meetsThroughput)}`],
    ...(source.singleFile ? [['Source alone: one file of 100k events', rate(source.singleFile.eventsPerSecond), '–', mb(source.singleFile.peakRssMb), `≤ ${SOURCE_TARGETS.peakRssMb} MB: ${verdict(source.singleFile.peakRssMb <= SOURCE_TARGETS.peakRssMb)}`] as Row] : []),
    destinationRow('Destination alone, realistic corpus', destination, true),
    destinationRow('Destination alone, ASCII corpus (same events, ASCII text)', destinationAscii),
    destinationRow("Destination alone, realistic corpus written by another producer (sorted keys, \", \" separators, \\u escapes, a STATE every 500 records)", destinationOther),
    ...endToEndRows('realistic', e2e),
    ...endToEndRows('ASCII', e2eAscii),
    [`${mpi.tool}, default settings, same ${mpi.eventsSent.toLocaleString('en-US')} events (realistic)`, rate(mpi.eventsPerSecond), cpuPerMillion(mpi.toolReport.cpuSeconds, mpi.eventsSent), mb(mpi.peakRssMb), ''],
    ['mixpanel-import, tuned (highWater 16384)', rate(mpiTuned.eventsPerSecond), cpuPerMillion(mpiTuned.toolReport.cpuSeconds, mpiTuned.eventsSent), mb(mpiTuned.peakRssMb), ''],
    [`Cohort source: ${cohorts.members.toLocaleString('en-US')}-member cohort from the local Mixpanel server, budget lifted`, `${Math.round(cohorts.membersPerSecond).toLocaleString('en-US')} members/s`, '–', mb(cohorts.peakRssMb), `≥ ${COHORT_SOURCE_TARGETS.membersPerSecond.toLocaleString('en-US')} members/s, ≤ ${COHORT_SOURCE_TARGETS.peakRssMb} MB: ${verdict(cohorts.meetsThroughput && cohorts.meetsMemory)}`],
    [`destination-braze: ${cohortDestination.members.toLocaleString('en-US')}-member cohort, ${cohortDestination.added.toLocaleString('en-US')} joins + ${cohortDestination.removed.toLocaleString('en-US')} leaves → local Braze (diffing alone ${Math.round(cohortDestination.diffMembersPerSecond).toLocaleString('en-US')} members/s)`, `${Math.round(cohortDestination.membersPerSecond).toLocaleString('en-US')} members/s`, '–', mb(cohortDestination.peakRssMb), `≥ ${COHORT_TARGETS.membersPerSecond.toLocaleString('en-US')} members/s, ≤ ${COHORT_TARGETS.peakRssMb} MB: ${verdict(cohortDestination.meets)}`],
  ];
  const delivered = (f: { imported: number; wallSeconds: number }) => f.imported / f.wallSeconds;
  const times = (f: { imported: number; wallSeconds: number }) => delivered(f) / mpi.eventsPerSecond;
  const ratio = [
    `Events delivered to the receiver per second, compared with mixpanel-import (default settings) on the same events (target ≥ ${END_TO_END_TARGETS.timesMixpanelImport} ×):`,
    `- piped: ${rate(delivered(p))}, ${times(p).toFixed(1)} × (${verdict(times(p) >= END_TO_END_TARGETS.timesMixpanelImport)})`,
    `- sync runner: ${rate(delivered(e2e.sync))}, ${times(e2e.sync).toFixed(1)} × (${verdict(times(e2e.sync) >= END_TO_END_TARGETS.timesMixpanelImport)})`,
    `- against mixpanel-import tuned: piped ${(delivered(p) / mpiTuned.eventsPerSecond).toFixed(1)} ×, sync runner ${(delivered(e2e.sync) / mpiTuned.eventsPerSecond).toFixed(1)} ×`,
  ].join('\n');
  const within = (realistic: number, ascii: number) => `${((realistic / ascii) * 100).toFixed(0)} % of ASCII (${verdict(realistic >= ascii * (1 - REALISTIC_WITHIN))})`;
  const realisticRatio = [
    `Realistic corpus against the all-ASCII one (target: within ${REALISTIC_WITHIN * 100} %, i.e. ≥ ${(1 - REALISTIC_WITHIN) * 100} % of the ASCII figure):`,
    `- destination alone: ${within(destination.eventsPerSecond, destinationAscii.eventsPerSecond)}; another producer's transcript: ${within(destinationOther.eventsPerSecond, destinationAscii.eventsPerSecond)}`,
    `- end to end, piped: ${within(p.eventsPerSecond, e2eAscii.piped.eventsPerSecond)}; sync runner: ${within(e2e.sync.eventsPerSecond, e2eAscii.sync.eventsPerSecond)}`,
  ].join('\n');
  const table = ['| Run | Throughput | CPU per million events | Peak RSS | Target |', '|---|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}; load average ${load.toFixed(2)} at start`;
  const text = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${started.toISOString()}.`,
    '',
    `Machine: ${machine}.`,
    '',
    table,
    '',
    realisticRatio,
    '',
    ratio,
    '',
    rateLimitSection(rateLimit),
    '',
    'Events/s = records read by the source ÷ wall time, process start-up included. mixpanel-import rows: events it delivered ÷ its wall time.',
    'CPU per million events = user + system CPU seconds of the measured process(es) (GNU time; both processes for piped) × 10⁶ ÷ records; mixpanel-import: its own process.resourceUsage(). The source rows do not measure CPU (–).',
    `Realistic corpus: ${Math.round((REALISTIC_TEXT.internationalFraction ?? 0) * 100)} % of users, campaigns, Canvases and custom events with non-ASCII text (CJK, Cyrillic, accented Latin, emoji in names, device models, event names and property keys), ${Math.round((REALISTIC_TEXT.jsonEscapesFraction ?? 0) * 100)} % of custom/purchase properties with JSON escapes, ${Math.round((REALISTIC_TEXT.nestedPropertiesFraction ?? 0) * 100)} % nested, custom events ${Math.round((REALISTIC_TEXT.customEventShare ?? 0) * 100)} % of the export (the largest type). The ASCII corpus is the same mix with ASCII text.`,
    `End to end, of ${p.records} events ${p.imported} were sent, ${p.skipped} skipped (anonymous users, as Braze does) and ${p.rejected} rejected.`,
    'The receiver runs in fast mode (counts events without validating) so that it is not what is measured; the capture run that feeds mixpanel-import validates every event.',
    '',
  ].join('\n');
  process.stdout.write(`\n${text}`);
  const out = quick ? path.join(os.tmpdir(), 'BENCHMARKS.quick.md') : path.resolve(__dirname, '..', '..', 'BENCHMARKS.md');
  fs.writeFileSync(out, text);
  progress(`wrote ${out}`);
  progress('done');
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});

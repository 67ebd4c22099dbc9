/**
 * `npm run bench`: the source alone, the destination alone, and end to end (piped and the sync runner) side
 * by side with mixpanel-import on the same events. Prints the figures and writes them, with a description
 * of the machine, to BENCHMARKS.md.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { benchCohortDestination, COHORT_TARGETS } from './cohort-destination-bench';
import { benchDestination, DESTINATION_TARGETS } from './destination-bench';
import { benchEndToEnd, END_TO_END_TARGETS } from './end-to-end-bench';
import { benchSource, SOURCE_TARGETS } from './source-bench';
import { benchCohortSource, COHORT_SOURCE_TARGETS } from './cohort-source-bench';
import { medianRun } from './support/median-run';

const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')} events/s`;
const mb = (n: number) => `${n.toFixed(0)} MB`;
const verdict = (ok: boolean) => (ok ? 'meets' : 'MISSES');

async function main(): Promise<void> {
  const started = new Date();
  const load = os.loadavg()[0];
  const source = await benchSource({ print: false });
  // Judged on the median of 3 runs, like the source (see support/median-run.ts).
  const destinationRuns = [];
  for (let i = 0; i < 3; i++) destinationRuns.push(await benchDestination({ print: false }));
  const destination = medianRun(destinationRuns);
  const e2e = await benchEndToEnd();
  const cohortSource = await benchCohortSource({ print: false });
  const cohortDestination = await benchCohortDestination({ print: false });

  const p = e2e.piped;
  const rows: Array<[string, string, string, string]> = [
    [`Source alone: 500k events, all 100 types, local Avro → stdout${source.full.runsEventsPerSecond ? ` (median of ${source.full.runsEventsPerSecond.length} runs: ${source.full.runsEventsPerSecond.map((v) => Math.round(v / 1000) + 'k').join(', ')})` : ''}`, rate(source.full.eventsPerSecond), mb(source.full.peakRssMb), `≥ ${rate(SOURCE_TARGETS.eventsPerSecond)}: ${verdict(source.meetsThroughput)}`],
    ...(source.singleFile ? [['Source alone: one file of 100k events', rate(source.singleFile.eventsPerSecond), mb(source.singleFile.peakRssMb), `≤ ${SOURCE_TARGETS.peakRssMb} MB: ${verdict(source.singleFile.peakRssMb <= SOURCE_TARGETS.peakRssMb)}`] as [string, string, string, string]] : []),
    [`Destination alone: ${destination.records.toLocaleString('en-US')} records on stdin → receiver${destination.runsEventsPerSecond ? ` (median of ${destination.runsEventsPerSecond.length} runs: ${destination.runsEventsPerSecond.map((v) => Math.round(v / 1000) + 'k').join(', ')})` : ''}`, rate(destination.eventsPerSecond), mb(destination.peakRssMb), `≥ ${rate(DESTINATION_TARGETS.eventsPerSecond)}, ≤ ${DESTINATION_TARGETS.peakRssMb} MB: ${verdict(destination.meetsThroughput && destination.peakRssMb <= DESTINATION_TARGETS.peakRssMb)}`],
    [`End to end, piped (source \\| destination, two processes), ${p.records.toLocaleString('en-US')} events`, rate(p.eventsPerSecond), `${mb(p.processes.source.peakRssMb)} + ${mb(p.processes.destination.peakRssMb)}`, `≥ ${rate(END_TO_END_TARGETS.eventsPerSecond)}: ${verdict(p.eventsPerSecond >= END_TO_END_TARGETS.eventsPerSecond)}`],
    ['End to end, `sync` runner (one process)', rate(e2e.sync.eventsPerSecond), mb(e2e.sync.processes.sync.peakRssMb), `≥ ${rate(END_TO_END_TARGETS.eventsPerSecond)}: ${verdict(e2e.sync.eventsPerSecond >= END_TO_END_TARGETS.eventsPerSecond)}`],
    [`${e2e.mixpanelImport.tool}, default settings, same ${e2e.mixpanelImport.eventsSent.toLocaleString('en-US')} events`, rate(e2e.mixpanelImport.eventsPerSecond), mb(e2e.mixpanelImport.peakRssMb), ''],
    ['mixpanel-import, tuned (highWater 16384)', rate(e2e.mixpanelImportTuned.eventsPerSecond), mb(e2e.mixpanelImportTuned.peakRssMb), ''],
    [`Cohort source: ${cohortSource.members.toLocaleString('en-US')}-member cohort from the local Mixpanel server, budget lifted`, `${Math.round(cohortSource.membersPerSecond).toLocaleString('en-US')} members/s`, mb(cohortSource.peakRssMb), `≥ ${COHORT_SOURCE_TARGETS.membersPerSecond.toLocaleString('en-US')} members/s, ≤ ${COHORT_SOURCE_TARGETS.peakRssMb} MB: ${verdict(cohortSource.meetsThroughput && cohortSource.meetsMemory)}`],
    [`destination-braze: ${cohortDestination.members.toLocaleString('en-US')}-member cohort, ${cohortDestination.added.toLocaleString('en-US')} joins + ${cohortDestination.removed.toLocaleString('en-US')} leaves → local Braze (diffing alone ${Math.round(cohortDestination.diffMembersPerSecond).toLocaleString('en-US')} members/s)`, `${Math.round(cohortDestination.membersPerSecond).toLocaleString('en-US')} members/s`, mb(cohortDestination.peakRssMb), `≥ ${COHORT_TARGETS.membersPerSecond.toLocaleString('en-US')} members/s, ≤ ${COHORT_TARGETS.peakRssMb} MB: ${verdict(cohortDestination.meets)}`],
  ];
  const delivered = (f: { imported: number; wallSeconds: number }) => f.imported / f.wallSeconds;
  const times = (f: { imported: number; wallSeconds: number }) => delivered(f) / e2e.mixpanelImport.eventsPerSecond;
  const ratio = [
    `Events delivered to the receiver per second, compared with mixpanel-import (default settings) on the same events (target ≥ ${END_TO_END_TARGETS.timesMixpanelImport} ×):`,
    `- piped: ${rate(delivered(p))}, ${times(p).toFixed(1)} × (${verdict(times(p) >= END_TO_END_TARGETS.timesMixpanelImport)})`,
    `- sync runner: ${rate(delivered(e2e.sync))}, ${times(e2e.sync).toFixed(1)} × (${verdict(times(e2e.sync) >= END_TO_END_TARGETS.timesMixpanelImport)})`,
    `- against mixpanel-import tuned: piped ${(delivered(p) / e2e.mixpanelImportTuned.eventsPerSecond).toFixed(1)} ×, sync runner ${(delivered(e2e.sync) / e2e.mixpanelImportTuned.eventsPerSecond).toFixed(1)} ×`,
  ].join('\n');
  const table = ['| Run | Throughput | Peak RSS | Target |', '|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
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
    ratio,
    '',
    'Events/s = records read by the source ÷ wall time, process start-up included. mixpanel-import rows: events it delivered ÷ its wall time.',
    `End to end, of ${p.records} events ${p.imported} were sent, ${p.skipped} skipped (anonymous users, as Braze does) and ${p.rejected} rejected.`,
    'The receiver runs in fast mode (counts events without validating) so that it is not what is measured; the capture run that feeds mixpanel-import validates every event.',
    '',
  ].join('\n');
  process.stdout.write(`\n${text}`);
  fs.writeFileSync(path.resolve(__dirname, '..', '..', 'BENCHMARKS.md'), text);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});

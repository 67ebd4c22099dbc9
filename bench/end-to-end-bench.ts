/**
 * End-to-end benchmark (DESIGN §6): a generated Avro export → Mixpanel-compatible receiver on loopback,
 *  1. piped like Airbyte runs it: `source-braze-currents read | destination-mixpanel write`, two processes;
 *  2. the one-process `sync` runner;
 *  3. `mixpanel-import` (npm) sending exactly the events our destination sent (captured in a validating run).
 * Events/s = source records ÷ wall time (start of the first process → exit of the last). Peak RSS per process.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { DEFAULT_CREDENTIALS, startMixpanelReceiver, type MixpanelReceiver } from '../local-services/mixpanel/import-api';
import { generateSampleExport } from '../tools/sample-export';
import { benchMixpanelImport, type MixpanelImportBenchResult } from './mixpanel-import-bench';
import { configuredCatalogFromDiscover } from './source-bench';
import { spawnMeasured, spawnMeasuredNode, type ProcessFigures } from './support/measured-process';
import { watchDestinationAccounting } from './support/destination-accounting';
import { REALISTIC_TEXT } from '../tools/sample-export/options';
import type { BenchCorpus } from './destination-bench';

export const END_TO_END_TARGETS = { eventsPerSecond: 30_000, timesMixpanelImport: 5, peakRssMb: 256 };

/** A messaging workspace's common types (all exported to Mixpanel by Braze). */
const TYPES = [
  'users.messages.email.Send', 'users.messages.email.Delivery', 'users.messages.email.Open', 'users.messages.email.Click',
  'users.messages.pushnotification.Send', 'users.messages.pushnotification.Open', 'users.behaviors.CustomEvent',
  'users.behaviors.Purchase', 'users.behaviors.app.SessionStart', 'users.messages.inappmessage.Impression',
];

export interface EndToEndOptions {
  events?: number;
  /** The export's text: an international workspace's (default, REALISTIC_TEXT) or the same mix in ASCII only. */
  corpus?: BenchCorpus;
  /** Also run mixpanel-import (default and tuned) on the events our destination sent. Default true. */
  mixpanelImport?: boolean;
  cacheDir?: string;
  fresh?: boolean;
  log?: (line: string) => void;
}

export interface PipelineFigures {
  records: number;
  imported: number;
  skipped: number;
  rejected: number;
  wallSeconds: number;
  eventsPerSecond: number;
  /** User + system CPU seconds of all the run's processes (undefined without GNU time). */
  cpuSeconds?: number;
  processes: Record<string, ProcessFigures>;
}

export interface EndToEndResult {
  events: number;
  corpus: BenchCorpus;
  piped: PipelineFigures;
  sync: PipelineFigures;
  /** Absent when the run was asked not to include mixpanel-import. */
  mixpanelImport?: MixpanelImportBenchResult;
  mixpanelImportTuned?: MixpanelImportBenchResult;
  /** The events our destination sent (NDJSON, captured by a validating receiver), for further mixpanel-import runs. */
  eventsFile?: string;
}

const repo = path.resolve(__dirname, '..', '..');
const bin = (name: string) => path.join(repo, 'bin', name);

export async function benchEndToEnd(opts: EndToEndOptions = {}): Promise<EndToEndResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const events = opts.events ?? 300_000;
  const corpus = opts.corpus ?? 'realistic';
  const exportDir = await cachedEndToEndExport(events, { ...opts, corpus, log });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-bench-'));
  const sourceConfig = writeJson(work, 'source.json', { storage: { type: 'local', path: exportDir }, prefix: 'currents' });
  const discovered = spawnSync(process.execPath, [bin('source-braze-currents'), 'discover', '--config', sourceConfig], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const catalog = writeJson(work, 'catalog.json', configuredCatalogFromDiscover(discovered.stdout));
  const destination = (url: string) => ({
    credentials: { auth_type: 'api_secret', api_secret: DEFAULT_CREDENTIALS.apiSecrets[0] },
    project_token: DEFAULT_CREDENTIALS.projectTokens[0],
    api_host: url,
  });

  const fast = await startMixpanelReceiver({ fast: true });
  let piped: PipelineFigures;
  let sync: PipelineFigures;
  try {
    log(`piped run (${corpus} export): source | destination …`);
    piped = await pipedRun(sourceConfig, catalog, writeJson(work, 'destination.json', destination(fast.url)), fast);
    log(`sync runner (${corpus} export) …`);
    const syncConfig = writeJson(work, 'sync.json', { source: JSON.parse(fs.readFileSync(sourceConfig, 'utf8')), destination: destination(fast.url), state_file: 'sync-state.json' });
    sync = await syncRun(syncConfig, fast);
  } finally {
    await fast.close();
  }

  if (opts.mixpanelImport === false) return { events, corpus, piped, sync };
  // The same events for mixpanel-import: what our destination sent, captured by a validating receiver.
  const eventsFile = path.join(work, 'events.ndjson');
  const capture = await startMixpanelReceiver({ storeFile: eventsFile });
  try {
    log('capturing the sent events for mixpanel-import …');
    const captured = await pipedRun(sourceConfig, catalog, writeJson(work, 'capture.json', destination(capture.url)), capture);
    if (captured.imported !== piped.imported) throw new Error(`capture run imported ${captured.imported}, the timed run ${piped.imported}`);
  } finally {
    await capture.close();
  }
  log('mixpanel-import, default settings …');
  const mixpanelImport = await benchMixpanelImport({ events: eventsFile, log });
  log('mixpanel-import, tuned (highWater 16384) …');
  const mixpanelImportTuned = await benchMixpanelImport({ events: eventsFile, settings: { highWater: 16384 }, log });
  return { events, corpus, piped, sync, mixpanelImport, mixpanelImportTuned, eventsFile };
}

/** The generated Avro export for `events` and `corpus`, built once and kept under `cacheDir`. Returns its folder. */
export async function cachedEndToEndExport(events: number, opts: Pick<EndToEndOptions, 'corpus' | 'cacheDir' | 'fresh' | 'log'> = {}): Promise<string> {
  const corpus = opts.corpus ?? 'realistic';
  const cache = path.join(opts.cacheDir ?? path.join(os.tmpdir(), 'braze-currents-bench'), `e2e-${corpus}-${events}`);
  const exportDir = path.join(cache, 'export');
  if (opts.fresh || !fs.existsSync(path.join(cache, '.complete'))) {
    fs.rmSync(cache, { recursive: true, force: true });
    opts.log?.(`generating a ${events}-event export (${corpus} text) into ${exportDir} …`);
    // The ASCII export has the same types, custom-event share and nesting: only the text differs.
    const text = corpus === 'realistic' ? REALISTIC_TEXT : { ...REALISTIC_TEXT, internationalFraction: 0, jsonEscapesFraction: 0 };
    await generateSampleExport({ out: exportDir, totalEvents: events, types: TYPES, seed: 'e2e-bench', hours: 6, eventsPerFile: 15_000, ...text });
    fs.writeFileSync(path.join(cache, '.complete'), '');
  }
  return exportDir;
}

async function pipedRun(sourceConfig: string, catalog: string, destinationConfig: string, receiver: MixpanelReceiver): Promise<PipelineFigures> {
  const before = receiver.stats().eventsImported;
  const started = process.hrtime.bigint();
  const source = spawnMeasuredNode([bin('source-braze-currents'), 'read', '--config', sourceConfig, '--catalog', catalog], ['ignore', 'pipe', 'pipe']);
  const dest = spawnMeasuredNode([bin('destination-mixpanel'), 'write', '--config', destinationConfig, '--catalog', catalog], ['pipe', 'pipe', 'pipe']);
  source.child.stdout!.pipe(dest.child.stdin!);
  const watched = watchDestinationAccounting(dest.child.stdout!);
  const [sourceFigures, destFigures] = await Promise.all([source.finished, dest.finished]);
  const accounting = watched.get();
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const [name, f] of [['source', sourceFigures], ['destination', destFigures]] as const) {
    if (f.code !== 0) throw new Error(`${name} exited ${f.code}: ${f.stderrTail}`);
  }
  if (!accounting) throw new Error('the destination reported no accounting');
  const imported = receiver.stats().eventsImported - before;
  if (imported !== accounting.imported) throw new Error(`receiver counted ${imported} events, the destination ${accounting.imported}`);
  return {
    records: accounting.received, imported, skipped: accounting.skipped, rejected: accounting.rejected,
    wallSeconds, eventsPerSecond: accounting.received / wallSeconds,
    cpuSeconds: totalCpuSeconds([sourceFigures, destFigures]),
    processes: { source: sourceFigures, destination: destFigures },
  };
}

async function syncRun(syncConfig: string, receiver: MixpanelReceiver): Promise<PipelineFigures> {
  const before = receiver.stats().eventsImported;
  // Run as users do (./bin/sync), so the heap cap in its shebang applies.
  const run = spawnMeasured(bin('sync'), ['--config', syncConfig], ['ignore', 'pipe', 'pipe']);
  let stdout = '';
  run.child.stdout!.on('data', (d) => (stdout += d));
  const figures = await run.finished;
  if (figures.code !== 0) throw new Error(`sync exited ${figures.code}: ${figures.stderrTail}`);
  const m = /Received (\d+) = sent (\d+) \+ rejected (\d+) \+ skipped (\d+)/.exec(stdout);
  if (!m) throw new Error(`sync printed no totals: ${stdout.slice(-1000)}`);
  const [records, sent, rejected, skipped] = m.slice(1).map(Number);
  const imported = receiver.stats().eventsImported - before;
  if (imported !== sent) throw new Error(`receiver counted ${imported} events, the sync runner ${sent}`);
  return { records, imported, skipped, rejected, wallSeconds: figures.wallSeconds, eventsPerSecond: records / figures.wallSeconds, cpuSeconds: figures.cpuSeconds, processes: { sync: figures } };
}

/** The processes' CPU seconds added up, or undefined when one of them was not measured. */
export function totalCpuSeconds(figures: ProcessFigures[]): number | undefined {
  return figures.every((f) => f.cpuSeconds !== undefined) ? figures.reduce((sum, f) => sum + f.cpuSeconds!, 0) : undefined;
}

function writeJson(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

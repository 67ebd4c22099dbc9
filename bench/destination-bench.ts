/**
 * Destination benchmark (DESIGN §6): how fast `bin/destination-mixpanel write` turns Airbyte RECORD messages
 * of Currents-shaped data into gzip'd /import requests, and how much memory it needs.
 *
 * 1. Builds (once, cached) a transcript of N RECORD messages (default 300 000) from our sample-export record
 *    generator — ten common Currents types, Braze-like field values — with a STATE every 5 000 records, as a
 *    source checkpointing per file would.
 * 2. Starts the local receiver in fast mode (it only counts events, so it is not what is measured) in this
 *    process and pipes the transcript into the destination as a child process.
 * 3. Reports events/s = records ÷ wall time (spawn → exit, start-up included) and the child's peak RSS (from
 *    `/usr/bin/time -v` when present, else by polling VmHWM in /proc/<pid>/status).
 *
 * Targets: ≥ 50 000 events/s, ≤ 256 MB. Run: `node dist/bench/destination-bench.js [--events N] [--gzip-level L]
 *   [--batch-size B] [--concurrency C] [--workers W] [--corpus realistic|ascii] [--producer ours|other] [--fresh] [--json]`
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { loadCatalogue } from '../tools/sample-export/catalogue';
import { Prng } from '../tools/sample-export/prng';
import { RecordFactory } from '../tools/sample-export/record-factory';
import { buildWorld } from '../tools/sample-export/world';
import { REALISTIC_TEXT, streamName } from '../tools/sample-export/options';
import { asciiOnly } from '../tools/sample-export/international';
import { startMixpanelReceiver, DEFAULT_CREDENTIALS } from '../local-services/mixpanel/import-api';
import { gnuTimeCpuSeconds } from './support/measured-process';

export const DESTINATION_TARGETS = { eventsPerSecond: 50_000, peakRssMb: 256 };

/** Ten common types, weighted roughly like a messaging workspace's traffic. */
const TYPE_MIX: Array<[string, number]> = [
  ['users.messages.email.Send', 20],
  ['users.messages.email.Delivery', 18],
  ['users.messages.email.Open', 12],
  ['users.messages.email.Click', 4],
  ['users.messages.pushnotification.Send', 14],
  ['users.messages.pushnotification.Open', 3],
  ['users.behaviors.CustomEvent', 14],
  ['users.behaviors.Purchase', 3],
  ['users.behaviors.app.SessionStart', 9],
  ['users.messages.inappmessage.Impression', 3],
];

export interface DestinationBenchOptions {
  events?: number;
  gzipLevel?: number;
  batchSize?: number;
  concurrency?: number;
  /** Encoder threads in the destination (its DESTINATION_MIXPANEL_WORKERS; 0 = all on the main thread). Default: its own choice. */
  workers?: number;
  stateEvery?: number;
  /** The transcript's text (default realistic) and its producer (default ours). */
  corpus?: BenchCorpus;
  producer?: BenchProducer;
  cacheDir?: string;
  fresh?: boolean;
  print?: boolean;
  log?: (line: string) => void;
}

export interface DestinationBenchResult {
  records: number;
  imported: number;
  skipped: number;
  rejected: number;
  statesEchoed: number;
  wallSeconds: number;
  eventsPerSecond: number;
  peakRssMb: number;
  /** The destination's CPU time (user + system, all threads) and records per CPU second: comparable even when other processes load the machine. */
  cpuSeconds?: number;
  eventsPerCpuSecond?: number;
  rssMethod: '/usr/bin/time -v' | '/proc VmHWM polling';
  transcriptMb: number;
  requests: number;
  settings: { gzipLevel: number; batchSize: number; concurrency: number };
  exitCode: number | null;
  targets: typeof DESTINATION_TARGETS;
  meetsThroughput: boolean;
  meetsMemory: boolean;
  /** When the figures are the median of several runs (see bench/run.ts): every run's events/s, in run order. */
  runsEventsPerSecond?: number[];
}

export function repoRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'bin'))) return dir;
  }
  throw new Error('repository root not found');
}

/** What the transcript holds: an international workspace's text (the default) or the same events in ASCII only. */
export type BenchCorpus = 'realistic' | 'ascii';

/**
 * Who wrote the transcript: our source (compact JSON, its key order, a STATE per file), or another program
 * (Python's json.dumps spelling: ", " and ": " separators, every non-ASCII character \u-escaped, keys in another
 * order, a STATE every 500 records). The destination must be as fast on both.
 */
export type BenchProducer = 'ours' | 'other';

export interface TranscriptOptions {
  stateEvery?: number;
  seed?: string;
  corpus?: BenchCorpus;
  producer?: BenchProducer;
}

/** Realistic mix: at least half the records with non-ASCII text, custom events about a fifth (DESIGN §6). */
const REALISTIC_MIX: Array<[string, number]> = TYPE_MIX.map(([type, weight]) => [type, type === 'users.behaviors.CustomEvent' ? 25 : weight]);

/**
 * Writes `count` RECORD lines (with a STATE every `stateEvery`) to `file`, streaming. Event times fall in the
 * last two days so Mixpanel's time window accepts them; ids are deterministic per seed.
 */
export async function writeCurrentsTranscript(file: string, count: number, options: TranscriptOptions = {}): Promise<void> {
  const corpus = options.corpus ?? 'realistic';
  const producer = options.producer ?? 'ours';
  const stateEvery = options.stateEvery ?? (producer === 'other' ? 500 : 5000);
  // The ASCII corpus has the same types, custom-event share and nesting: only the text differs.
  const text = corpus === 'realistic' ? REALISTIC_TEXT : { ...REALISTIC_TEXT, internationalFraction: 0, jsonEscapesFraction: 0 };
  const catalogue = new Map(loadCatalogue().map((t) => [t.type, t]));
  const rng = new Prng(options.seed ?? 'destination-bench');
  const world = buildWorld(rng.fork('world'), { users: 20_000, anonymousFraction: 0.05, internationalFraction: text.internationalFraction });
  const factories = REALISTIC_MIX.map(([type, weight]) => {
    const spec = catalogue.get(type);
    if (!spec) throw new Error(`catalogue has no ${type}`);
    const factory = new RecordFactory(spec, world, rng.fork(type), { invalidPropertiesFraction: 0.01, ...text });
    return { type, weight, stream: streamName(type), factory };
  });
  const serialize = producer === 'other' ? otherProducerLine : (message: object) => JSON.stringify(message);
  const totalWeight = factories.reduce((n, f) => n + f.weight, 0);
  const idRng = rng.fork('ids');
  const nowSec = Math.floor(Date.now() / 1000);
  const out = fs.createWriteStream(file);
  let lines: string[] = [];
  let states = 0;
  const emittedAt = Date.now();
  for (let i = 0; i < count; i++) {
    let pick = idRng.next() % totalWeight;
    const f = factories.find((x) => (pick -= x.weight) < 0)!;
    const time = nowSec - 2 * 86_400 + Math.floor((i / count) * 2 * 86_400);
    const data = f.factory.make(idRng.uuid(), time, 1) as Record<string, unknown>;
    data._event_type = f.type;
    data._source_key = `currents/dataexport.prod-01.S3.integration.bench/event_type=${f.type}/date=bench/${Math.floor(i / stateEvery)}.avro`;
    lines.push(serialize({ type: 'RECORD', record: { stream: f.stream, data, emitted_at: emittedAt } }));
    if ((i + 1) % stateEvery === 0 || i === count - 1) {
      lines.push(serialize({ type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: f.stream }, stream_state: { files_done: ++states } } } }));
    }
    if (lines.length >= 1000) {
      if (!out.write(lines.join('\n') + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
      lines = [];
    }
  }
  if (lines.length) out.write(lines.join('\n') + '\n');
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** One message as Python's json.dumps(message, sort_keys=True) writes it. */
export function otherProducerLine(message: object): string {
  const write = (value: unknown): string => {
    if (value === null || typeof value !== 'object') return asciiOnly(JSON.stringify(value));
    if (Array.isArray(value)) return `[${value.map(write).join(', ')}]`;
    const entries = Object.keys(value as object).sort().map((k) => `${asciiOnly(JSON.stringify(k))}: ${write((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(', ')}}`;
  };
  return write(message);
}

export const DESTINATION_BENCH_CACHE = path.join(os.tmpdir(), 'mixpanel-destination-bench');

/** The transcript of `events` records for these options, built once and kept in `cacheDir` (they take a while). */
export async function cachedTranscript(
  events: number,
  opts: TranscriptOptions & { cacheDir?: string; fresh?: boolean; log?: (line: string) => void } = {},
): Promise<string> {
  const cacheDir = opts.cacheDir ?? DESTINATION_BENCH_CACHE;
  fs.mkdirSync(cacheDir, { recursive: true });
  const corpus = opts.corpus ?? 'realistic';
  const producer = opts.producer ?? 'ours';
  const transcript = path.join(cacheDir, `currents-${corpus}-${producer}-${events}-v3.jsonl`);
  if (opts.fresh || !fs.existsSync(transcript)) {
    const t0 = Date.now();
    opts.log?.(`building a transcript of ${events} records (${corpus} text, written like ${producer === 'ours' ? 'our source' : 'another producer'}) into ${transcript} ...`);
    await writeCurrentsTranscript(transcript + '.tmp', events, { stateEvery: opts.stateEvery, corpus, producer, seed: opts.seed });
    fs.renameSync(transcript + '.tmp', transcript);
    opts.log?.(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return transcript;
}

/** Writes the destination's config (local receiver at `url`) and an empty catalog into `dir`. */
export function writeDestinationConfig(dir: string, url: string, settings: { gzipLevel: number; batchSize: number; concurrency: number }): { config: string; catalog: string } {
  const config = path.join(dir, 'config.json');
  const catalog = path.join(dir, 'catalog.json');
  fs.writeFileSync(config, JSON.stringify({
    credentials: { auth_type: 'api_secret', api_secret: DEFAULT_CREDENTIALS.apiSecrets[0] },
    project_token: DEFAULT_CREDENTIALS.projectTokens[0],
    api_host: url,
    gzip_level: settings.gzipLevel,
    batch_size: settings.batchSize,
    concurrency: settings.concurrency,
  }));
  fs.writeFileSync(catalog, JSON.stringify({ streams: [] }));
  return { config, catalog };
}

function hasGnuTime(): boolean {
  const p = spawnSync('/usr/bin/time', ['-v', 'true'], { encoding: 'utf8' });
  return p.status === 0 && /Maximum resident set size/.test(p.stderr);
}

function readVmHwmKb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export async function benchDestination(opts: DestinationBenchOptions = {}): Promise<DestinationBenchResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const events = opts.events ?? 300_000;
  const settings = { gzipLevel: opts.gzipLevel ?? 1, batchSize: opts.batchSize ?? 2000, concurrency: opts.concurrency ?? 10 };
  const root = repoRoot();
  const cacheDir = opts.cacheDir ?? DESTINATION_BENCH_CACHE;
  const transcript = await cachedTranscript(events, { corpus: opts.corpus, producer: opts.producer, stateEvery: opts.stateEvery, cacheDir, fresh: opts.fresh, log });
  const transcriptMb = fs.statSync(transcript).size / 1048576;

  const receiver = await startMixpanelReceiver({ fast: true });
  const { config, catalog } = writeDestinationConfig(cacheDir, receiver.url, settings);

  try {
    const gnuTime = hasGnuTime();
    const bin = path.join(root, 'bin', 'destination-mixpanel');
    const args = ['write', '--config', config, '--catalog', catalog];
    const started = process.hrtime.bigint();
    const env = opts.workers === undefined ? process.env : { ...process.env, DESTINATION_MIXPANEL_WORKERS: String(opts.workers) };
    const child = gnuTime
      ? spawn('/usr/bin/time', ['-v', process.execPath, bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env })
      : spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    fs.createReadStream(transcript).pipe(child.stdin);
    let statesEchoed = 0;
    let accountingLine = '';
    let rest = '';
    let errorText = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const text = rest + chunk;
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('{"type":"STATE"')) statesEchoed++;
        else if (line.includes('mixpanel_destination_accounting')) accountingLine = line;
        else if (line.includes('"ERROR"')) errorText += line + '\n';
      }
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let peakKb = 0;
    const poll = gnuTime ? undefined : setInterval(() => (peakKb = Math.max(peakKb, readVmHwmKb(child.pid!) ?? 0)), 50);
    const exitCode: number | null = await new Promise((resolve) => child.on('close', resolve));
    if (poll) clearInterval(poll);
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    let cpuSeconds: number | undefined;
    if (gnuTime) {
      const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(stderr);
      peakKb = m ? Number(m[1]) : 0;
      cpuSeconds = gnuTimeCpuSeconds(stderr);
    }
    if (exitCode !== 0) throw new Error(`destination exited ${exitCode}: ${(errorText || stderr).slice(-1500)}`);
    const acc = accountingLine ? JSON.parse(JSON.parse(accountingLine).trace.analytics.value) : {};
    const result: DestinationBenchResult = {
      records: acc.received ?? events,
      imported: acc.imported ?? 0,
      skipped: acc.skipped ?? 0,
      rejected: acc.rejected ?? 0,
      statesEchoed,
      wallSeconds,
      eventsPerSecond: events / wallSeconds,
      peakRssMb: peakKb / 1024,
      ...(cpuSeconds ? { cpuSeconds, eventsPerCpuSecond: events / cpuSeconds } : {}),
      rssMethod: gnuTime ? '/usr/bin/time -v' : '/proc VmHWM polling',
      transcriptMb,
      requests: receiver.stats().requests,
      settings,
      exitCode,
      targets: DESTINATION_TARGETS,
      meetsThroughput: events / wallSeconds >= DESTINATION_TARGETS.eventsPerSecond,
      meetsMemory: peakKb / 1024 <= DESTINATION_TARGETS.peakRssMb,
    };
    if (receiver.stats().eventsImported !== result.imported) {
      throw new Error(`the receiver counted ${receiver.stats().eventsImported} events but the destination reported ${result.imported} imported`);
    }
    if (opts.print ?? true) printResult(result);
    return result;
  } finally {
    await receiver.close();
  }
}

function printResult(r: DestinationBenchResult): void {
  const lines = [
    `destination-mixpanel write: ${r.records} records (${r.transcriptMb.toFixed(0)} MB transcript) → ${r.imported} imported, ${r.skipped} skipped, ${r.rejected} rejected; ${r.statesEchoed} states echoed; ${r.requests} requests`,
    `  settings: gzip level ${r.settings.gzipLevel}, batch ${r.settings.batchSize}, concurrency ${r.settings.concurrency}`,
    `  ${Math.round(r.eventsPerSecond).toLocaleString('en-US')} events/s (${r.wallSeconds.toFixed(2)} s wall, start-up included; target ≥ ${r.targets.eventsPerSecond.toLocaleString('en-US')}) ${r.meetsThroughput ? 'OK' : 'BELOW TARGET'}`,
    ...(r.cpuSeconds ? [`  CPU ${r.cpuSeconds.toFixed(2)} s (all threads) = ${Math.round(r.eventsPerCpuSecond!).toLocaleString('en-US')} events per CPU second`] : []),
    `  peak RSS ${r.peakRssMb.toFixed(0)} MB (${r.rssMethod}; target ≤ ${r.targets.peakRssMb}) ${r.meetsMemory ? 'OK' : 'ABOVE TARGET'}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      'gzip-level': { type: 'string' },
      'batch-size': { type: 'string' },
      concurrency: { type: 'string' },
      workers: { type: 'string' },
      corpus: { type: 'string' },
      producer: { type: 'string' },
      fresh: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  benchDestination({
    events: num(values.events),
    gzipLevel: num(values['gzip-level']),
    batchSize: num(values['batch-size']),
    concurrency: num(values.concurrency),
    workers: num(values.workers),
    corpus: values.corpus as BenchCorpus | undefined,
    producer: values.producer as BenchProducer | undefined,
    fresh: values.fresh,
    print: !values.json,
  }).then(
    (r) => {
      if (values.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    },
    (err) => {
      process.stderr.write(`destination bench failed: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}

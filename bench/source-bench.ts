/**
 * Source benchmark (DESIGN §6): how fast `bin/source-braze-currents read` turns a Currents export on local
 * storage into Airbyte RECORD messages, and how much memory it needs.
 *
 * 1. Generates (once, cached) an export with our sample-export generator: by default 500 000 events over all
 *    100 types, plus a second export that is ONE file of 100 000 events.
 * 2. Runs `discover`, builds a configured catalog with every stream incremental, then runs `read` as a child
 *    process whose stdout is piped into a line counter (the parent never JSON-parses RECORD lines, so it
 *    does not slow the child down).
 * 3. Reports events/s = RECORD lines ÷ wall time (spawn → exit, start-up included, as a user sees it) and
 *    the child's peak RSS: from `/usr/bin/time -v` when present (kernel maxrss of exactly that process),
 *    else by polling VmHWM (the kernel's own high-water mark) in /proc/<pid>/status until exit.
 *
 * Targets: ≥ 200 000 events/s, ≤ 256 MB peak RSS.
 * The multi-file read runs 3 times (`--runs`) and the median run is reported, with every run's rate; peak RSS is
 * the highest of all runs.
 * Run: `node dist/bench/source-bench.js [--events 500000] [--single-file-events 100000] [--runs 3] [--codec null]
 *       [--cache-dir DIR] [--fresh] [--json]`
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { generateSampleExport } from '../tools/sample-export/generate';
import { AvroCodecName, CODEC_NAMES } from '../tools/sample-export/codecs';
import { hasGnuTime, readVmHwmKb } from './support/measured-process';
import { medianRun } from './support/median-run';

export const SOURCE_TARGETS = { eventsPerSecond: 200_000, peakRssMb: 256 };

export interface SourceBenchOptions {
  /** Events in the multi-file export. Default 500 000. */
  events?: number;
  /** Events in the single-file export. Default 100 000 (Braze's largest file). 0 skips that run. */
  singleFileEvents?: number;
  codec?: AvroCodecName;
  seed?: string | number;
  /** Where generated exports are cached between runs. Default `<tmp>/braze-currents-bench`. */
  cacheDir?: string;
  /** Regenerate even when a cached export exists. */
  fresh?: boolean;
  /** Repository root (holds bin/ and dist/). Default: found from this file. */
  repoRoot?: string;
  /** Timed reads of the multi-file export; the median one is reported (default 3: this machine's neighbours make single runs vary by ±20%). */
  runs?: number;
  /** Print the table (default true). */
  print?: boolean;
  /** Progress lines on stderr (default true). */
  log?: (line: string) => void;
}

export interface SourceRunFigures {
  label: string;
  /** Records the generator wrote (the source does not de-duplicate, so it must emit exactly these). */
  expectedRecords: number;
  records: number;
  files: number;
  stateMessages: number;
  /** Sum of the last `sourceStats.recordCount` per stream (cross-check of the line counter). */
  stateRecordCount: number;
  wallSeconds: number;
  eventsPerSecond: number;
  peakRssMb: number;
  rssMethod: '/usr/bin/time -v' | '/proc VmHWM polling' | 'unavailable';
  exitCode: number | null;
  /** When the figures are the median of several runs: every run's events/s, in run order. */
  runsEventsPerSecond?: number[];
}

export interface SourceBenchResult {
  full: SourceRunFigures;
  singleFile?: SourceRunFigures;
  targets: typeof SOURCE_TARGETS;
  meetsThroughput: boolean;
  meetsMemory: boolean;
}

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'bin'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`cannot find the repository root above ${start}`);
  }
}

interface CachedExport {
  dir: string;
  events: number;
  files: number;
}

/** Generates an export once per parameter set; a marker file written last makes half-written caches invisible. */
async function cachedExport(
  cacheDir: string,
  name: string,
  params: Parameters<typeof generateSampleExport>[0],
  fresh: boolean,
  log: (l: string) => void,
): Promise<CachedExport> {
  const dir = path.join(cacheDir, name);
  const marker = path.join(dir, '.complete.json');
  if (!fresh && fs.existsSync(marker)) {
    const m = JSON.parse(fs.readFileSync(marker, 'utf8')) as CachedExport;
    log(`using cached export ${dir} (${m.events} events, ${m.files} files)`);
    return { ...m, dir };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const t0 = Date.now();
  log(`generating ${name} into ${dir} ...`);
  const r = await generateSampleExport({ ...params, out: dir });
  const summary: CachedExport = { dir, events: r.events, files: r.files.length };
  fs.writeFileSync(marker, JSON.stringify(summary));
  log(`generated ${r.events} events in ${r.files.length} files in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return summary;
}

/** Runs a source verb to completion and returns its stdout (for `discover`). */
function runVerb(repo: string, args: string[]): string {
  const p = spawnSync(process.execPath, [path.join(repo, 'bin', 'source-braze-currents'), ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (p.status !== 0) {
    throw new Error(`source-braze-currents ${args[0]} exited ${p.status}: ${tail(p.stderr || p.stdout)}`);
  }
  return p.stdout;
}

function tail(text: string, n = 1500): string {
  return text.length > n ? '…' + text.slice(-n) : text;
}

/** Configured catalog from `discover`: every stream, incremental where supported, append. */
export function configuredCatalogFromDiscover(stdout: string): object {
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const msg = JSON.parse(line);
    if (msg.type !== 'CATALOG') continue;
    return {
      streams: msg.catalog.streams.map((s: any) => {
        const incremental = (s.supported_sync_modes ?? []).includes('incremental');
        return {
          stream: s,
          sync_mode: incremental ? 'incremental' : 'full_refresh',
          destination_sync_mode: 'append',
          ...(incremental && s.default_cursor_field ? { cursor_field: s.default_cursor_field } : {}),
          ...(s.source_defined_primary_key ? { primary_key: s.source_defined_primary_key } : {}),
        };
      }),
    };
  }
  throw new Error('discover printed no CATALOG message');
}

/** How every Airbyte RECORD line the kit prints begins. */
const RECORD_LINE_START = Buffer.from('{"type":"RECORD"', 'latin1');

/** Whether `buf[start, end)` begins like a RECORD line; compares bytes so no string or view is made per line. */
function startsAsRecord(buf: Buffer, start: number, end: number): boolean {
  const n = RECORD_LINE_START.length;
  if (end - start < n) return false;
  for (let i = 0; i < n; i++) if (buf[start + i] !== RECORD_LINE_START[i]) return false;
  return true;
}

/**
 * Counts RECORD lines without parsing them; other messages (STATE, TRACE, LOG; few) are parsed to
 * cross-check the counts and to catch a TRACE ERROR. The counter shares the machine's two cores with the
 * source it measures, so a RECORD line costs it one byte comparison and no allocation.
 */
export class MessageCounter {
  records = 0;
  states = 0;
  errors: string[] = [];
  private readonly recordCountByStream = new Map<string, number>();
  private partial: Buffer[] = [];

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      if (this.partial.length) {
        this.partial.push(chunk.subarray(start, nl));
        this.line(Buffer.concat(this.partial));
        this.partial = [];
      } else if (startsAsRecord(chunk, start, nl)) {
        this.records++;
      } else {
        this.line(chunk.subarray(start, nl));
      }
      start = nl + 1;
    }
    if (start < chunk.length) this.partial.push(chunk.subarray(start));
  }

  end(): void {
    if (this.partial.length) this.line(Buffer.concat(this.partial));
    this.partial = [];
  }

  get stateRecordCount(): number {
    let n = 0;
    for (const v of this.recordCountByStream.values()) n += v;
    return n;
  }

  private line(buf: Buffer): void {
    if (buf.length === 0) return;
    if (startsAsRecord(buf, 0, buf.length)) {
      this.records++;
      return;
    }
    let msg: any;
    try {
      msg = JSON.parse(buf.toString('utf8'));
    } catch {
      this.errors.push(`non-JSON stdout line: ${buf.toString('utf8', 0, 200)}`);
      return;
    }
    if (msg.type === 'RECORD') this.records++;
    else if (msg.type === 'STATE') {
      this.states++;
      const s = msg.state;
      const name = s?.stream?.stream_descriptor?.name ?? s?.type ?? 'global';
      if (typeof s?.sourceStats?.recordCount === 'number') {
        // Per-state counts are records since the previous state of that stream (Airbyte semantics).
        this.recordCountByStream.set(name, (this.recordCountByStream.get(name) ?? 0) + s.sourceStats.recordCount);
      }
    } else if (msg.type === 'TRACE' && msg.trace?.type === 'ERROR') {
      this.errors.push(`${msg.trace.error?.failure_type}: ${msg.trace.error?.message}`);
    }
  }
}

async function timedRead(
  repo: string,
  workDir: string,
  exportDir: string,
  label: string,
  expected: CachedExport,
): Promise<SourceRunFigures> {
  const config = path.join(workDir, `${label}-config.json`);
  const catalog = path.join(workDir, `${label}-catalog.json`);
  fs.writeFileSync(config, JSON.stringify({ storage: { type: 'local', path: exportDir }, prefix: 'currents' }));
  fs.writeFileSync(catalog, JSON.stringify(configuredCatalogFromDiscover(runVerb(repo, ['discover', '--config', config]))));

  const bin = path.join(repo, 'bin', 'source-braze-currents');
  const sourceArgs = [bin, 'read', '--config', config, '--catalog', catalog];
  const gnuTime = hasGnuTime();
  const timeOut = path.join(workDir, `${label}-time.txt`);
  const [cmd, args] = gnuTime
    ? ['/usr/bin/time', ['-v', '-o', timeOut, process.execPath, ...sourceArgs]]
    : [process.execPath, sourceArgs];

  const counter = new MessageCounter();
  let stderrTail = '';
  const t0 = process.hrtime.bigint();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let polledKb: number | undefined;
  const poll = gnuTime
    ? undefined
    : setInterval(() => {
        const kb = child.pid ? readVmHwmKb(child.pid) : undefined;
        if (kb !== undefined) polledKb = kb;
      }, 20);
  child.stdout.on('data', (c: Buffer) => counter.push(c));
  child.stderr.on('data', (c: Buffer) => {
    stderrTail = (stderrTail + c.toString('utf8')).slice(-4000);
  });
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (poll) clearInterval(poll);
  counter.end();

  let peakKb: number | undefined;
  let rssMethod: SourceRunFigures['rssMethod'] = 'unavailable';
  if (gnuTime && fs.existsSync(timeOut)) {
    const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(fs.readFileSync(timeOut, 'utf8'));
    if (m) {
      peakKb = Number(m[1]);
      rssMethod = '/usr/bin/time -v';
    }
  } else if (polledKb !== undefined) {
    peakKb = polledKb;
    rssMethod = '/proc VmHWM polling';
  }

  if (exitCode !== 0 || counter.errors.length) {
    throw new Error(
      `source-braze-currents read (${label}) exited ${exitCode}` +
        (counter.errors.length ? `; errors: ${counter.errors.slice(0, 3).join(' | ')}` : '') +
        `; stderr: ${tail(stderrTail)}`,
    );
  }
  return {
    label,
    expectedRecords: expected.events,
    records: counter.records,
    files: expected.files,
    stateMessages: counter.states,
    stateRecordCount: counter.stateRecordCount,
    wallSeconds,
    eventsPerSecond: counter.records / wallSeconds,
    peakRssMb: peakKb === undefined ? NaN : peakKb / 1024,
    rssMethod,
    exitCode,
  };
}

export function formatSourceBenchTable(r: SourceBenchResult): string {
  const rows = [r.full, ...(r.singleFile ? [r.singleFile] : [])];
  const head = ['run', 'records', 'expected', 'files', 'states', 'wall s', 'events/s', 'peak RSS MB'];
  const body = rows.map((x) => [
    x.label,
    String(x.records),
    String(x.expectedRecords),
    String(x.files),
    String(x.stateMessages),
    x.wallSeconds.toFixed(2),
    Math.round(x.eventsPerSecond).toLocaleString('en-US'),
    Number.isFinite(x.peakRssMb) ? x.peakRssMb.toFixed(1) : 'n/a',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  return [
    'Source benchmark: bin/source-braze-currents read, local storage, all streams incremental',
    fmt(head),
    ...body.map(fmt),
    `targets: >= ${r.targets.eventsPerSecond.toLocaleString('en-US')} events/s (${r.full.label}): ${verdict(r.meetsThroughput)}; ` +
      `peak RSS <= ${r.targets.peakRssMb} MB (every run): ${verdict(r.meetsMemory)}` +
      (r.full.runsEventsPerSecond ? `; events/s is the median of ${r.full.runsEventsPerSecond.length} runs (${r.full.runsEventsPerSecond.map((v) => Math.round(v).toLocaleString('en-US')).join(', ')})` : '') +
      `; RSS measured with ${r.full.rssMethod}`,
    ...rows.filter((x) => x.records !== x.expectedRecords).map((x) => `WARNING: ${x.label} emitted ${x.records} records, expected ${x.expectedRecords}`),
    ...rows
      .filter((x) => x.stateRecordCount !== x.records)
      .map((x) => `WARNING: ${x.label}: STATE sourceStats.recordCount adds up to ${x.stateRecordCount}, but ${x.records} RECORD lines were emitted`),
  ].join('\n');
}

export async function benchSource(opts: SourceBenchOptions = {}): Promise<SourceBenchResult> {
  const repo = opts.repoRoot ?? findRepoRoot(__dirname);
  const log = opts.log ?? ((l: string) => process.stderr.write(`[source-bench] ${l}\n`));
  const events = opts.events ?? 500_000;
  const single = opts.singleFileEvents ?? 100_000;
  const codec = opts.codec ?? 'null';
  const seed = opts.seed ?? 'bench';
  const cacheDir = opts.cacheDir ?? path.join(os.tmpdir(), 'braze-currents-bench');
  for (const f of ['bin/source-braze-currents', 'dist/source-braze-currents/src/main.js']) {
    if (!fs.existsSync(path.join(repo, f))) throw new Error(`${f} is missing under ${repo}; build first (npx tsc -p tsconfig.json).`);
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'source-bench-'));
  try {
    const fullExport = await cachedExport(
      cacheDir,
      `export-${events}-${codec}-${seed}-v1`,
      { out: '', totalEvents: events, codec, seed, eventsPerFile: 15_000, hours: 6 },
      !!opts.fresh,
      log,
    );
    const runCount = Math.max(1, opts.runs ?? 3);
    const fullRuns: SourceRunFigures[] = [];
    for (let i = 1; i <= runCount; i++) {
      log(`reading ${fullExport.events} events (run ${i} of ${runCount}) ...`);
      fullRuns.push(await timedRead(repo, workDir, fullExport.dir, `${events} events, all types`, fullExport));
    }
    const full = medianRun(fullRuns);

    let singleFile: SourceRunFigures | undefined;
    if (single > 0) {
      const oneFile = await cachedExport(
        cacheDir,
        `onefile-${single}-${codec}-${seed}-v1`,
        { out: '', totalEvents: single, codec, seed, types: ['users.behaviors.CustomEvent'], eventsPerFile: single, hours: 1, minFilesPerHour: 1, duplicateFraction: 0 },
        !!opts.fresh,
        log,
      );
      if (oneFile.files !== 1) throw new Error(`expected one file for the single-file run, got ${oneFile.files}`);
      log(`reading one file of ${oneFile.events} events ...`);
      singleFile = await timedRead(repo, workDir, oneFile.dir, `one file, ${single} events`, oneFile);
    }

    const runs = [...fullRuns, ...(singleFile ? [singleFile] : [])];
    const result: SourceBenchResult = {
      full,
      singleFile,
      targets: SOURCE_TARGETS,
      meetsThroughput: full.eventsPerSecond >= SOURCE_TARGETS.eventsPerSecond,
      meetsMemory: runs.every((x) => x.peakRssMb <= SOURCE_TARGETS.peakRssMb),
    };
    if (opts.print !== false) process.stdout.write(formatSourceBenchTable(result) + '\n');
    return result;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

async function cli(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' },
      'single-file-events': { type: 'string' },
      runs: { type: 'string' },
      codec: { type: 'string' },
      seed: { type: 'string' },
      'cache-dir': { type: 'string' },
      fresh: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (v.help) {
    process.stdout.write('Usage: node dist/bench/source-bench.js [--events N] [--single-file-events N] [--runs N] [--codec null|deflate|snappy] [--seed S] [--cache-dir DIR] [--fresh] [--json]\n');
    return 0;
  }
  if (v.codec !== undefined && !CODEC_NAMES.includes(v.codec as AvroCodecName)) throw new Error(`--codec must be one of ${CODEC_NAMES.join(', ')}`);
  const int = (name: string, s?: string) => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  const r = await benchSource({
    events: int('events', v.events),
    singleFileEvents: int('single-file-events', v['single-file-events']),
    runs: int('runs', v.runs),
    codec: v.codec as AvroCodecName | undefined,
    seed: v.seed,
    cacheDir: v['cache-dir'],
    fresh: v.fresh,
    print: !v.json,
  });
  if (v.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  return 0;
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err) => {
      process.stderr.write(`source-bench: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * Benchmark of the `mixpanel-import` npm tool against our local receiver (DESIGN §6), so its figures can be
 * printed side by side with our destination's in the same run.
 *
 * mixpanel-import always talks HTTPS to api.mixpanel.com. We run it in a child process with a `node -r` preload
 * (support/mixpanel-host-redirect) that answers 127.0.0.1 for *.mixpanel.com and moves port 443 to our receiver's
 * port; the receiver serves TLS with a throw-away self-signed certificate that the child trusts through
 * NODE_EXTRA_CA_CERTS (verification stays on). The receiver runs in `fast` mode by default so it is not the
 * bottleneck; `fast: false` validates every event under strict=1 instead.
 *
 * Figures: events/s = events the receiver imported ÷ wall time of the child (spawn → exit, so start-up and
 * module loading count, as they do for a user), plus the transfer window alone (first request → last answer),
 * and the child's peak RSS (getrusage maxRSS).
 *
 * Run: `node dist/bench/mixpanel-import-bench.js [--events 200000 | --file events.ndjson] [--workers 10] [--validate]`
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startMixpanelReceiver } from '../local-services/mixpanel/import-api';
import { makeSelfSignedCert } from './support/self-signed-cert';
import { countNdjsonLines, writeSampleEvents } from './support/sample-events';
import type { ChildConfig, ChildReport } from './support/mixpanel-import-child';

export interface MixpanelImportSettings {
  /** Concurrent requests. Default 10: the tool's CLI/README default and Mixpanel's advice (10–20 clients). */
  workers: number;
  /** Events per request (the tool caps it at 2000). */
  recordsPerBatch: number;
  /** Uncompressed bytes per request: the tool's own default, 9.8 MiB. */
  bytesPerBatch: number;
  /** Gzip request bodies (the module default; the CLI default is off). */
  compress: boolean;
  /** Gzip level (the tool replaces 0 by 6 in this version). */
  compressionLevel: number;
  /** HTTP client: the tool's default undici pool. */
  transport: 'undici' | 'got';
  strict: boolean;
  /**
   * The tool's stream high-water mark; absent = its default min(workers×10, 500). It is used both as an object
   * count and as the byte chunk size of its file reader, so the default reads a local file 100 bytes at a time.
   */
  highWater?: number;
}

export const DEFAULT_MIXPANEL_IMPORT_SETTINGS: MixpanelImportSettings = {
  workers: 10, recordsPerBatch: 2000, bytesPerBatch: 9.8 * 1024 * 1024, compress: true, compressionLevel: 6, transport: 'undici', strict: true,
};

export interface MixpanelImportBenchOptions {
  /** An NDJSON file of Mixpanel events, or the events themselves. */
  events: string | object[];
  settings?: Partial<MixpanelImportSettings>;
  /** Validate every event in the receiver (slower) instead of the fast counting path. */
  validate?: boolean;
  /** The receiver admits at most this many events/s (token bucket; 429 when a batch does not fit), as Mixpanel does per project. */
  rateLimit?: number;
  /** Give up after this long. Default 10 minutes. */
  timeoutMs?: number;
  /** Extra node flags for the child, e.g. ['--cpu-prof'] to see where its time goes. */
  childNodeArgs?: string[];
  /** Where progress lines go. Default stderr. */
  log?: (line: string) => void;
}

export interface MixpanelImportBenchResult {
  tool: string;
  settings: MixpanelImportSettings;
  eventsSent: number;
  eventsReceived: number;
  eventsImported: number;
  eventsRejected: number;
  requests: number;
  /** Requests answered 429 by the receiver's rate limit (`rateLimit`). */
  throttledRequests: number;
  wallMs: number;
  eventsPerSecond: number;
  transferMs: number;
  eventsPerSecondDuringTransfer: number;
  peakRssMb: number;
  toolReport: ChildReport;
  /** All events arrived exactly once and the tool reported them all imported. */
  verified: boolean;
  problems: string[];
}

/** Local-only credentials: a service account (mixpanel-import then adds project_id, like our destination). */
const BENCH_ACCOUNT = { username: 'bench-service-account', secret: 'bench-service-secret', projectId: '777' };
const MIXPANEL_NAMES = ['api.mixpanel.com', 'api-eu.mixpanel.com', 'api-in.mixpanel.com', '*.mixpanel.com'];

function compiledSibling(relative: string): string {
  const file = path.join(__dirname, relative);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: the benchmark runs from the compiled dist/ folder (npx tsc -p tsconfig.json)`);
  }
  return file;
}

async function eventsFile(events: string | object[], dir: string): Promise<{ file: string; count: number }> {
  if (typeof events === 'string') {
    if (!fs.existsSync(events)) throw new Error(`events file ${events} does not exist; pass an NDJSON file of Mixpanel events`);
    return { file: events, count: await countNdjsonLines(events) };
  }
  // mixpanel-import picks its parser from the extension: .ndjson is read line by line (streamed).
  const file = path.join(dir, 'events.ndjson');
  fs.writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return { file, count: events.length };
}

interface ChildOutcome { report: ChildReport; wallMs: number; stderrTail: string }

function runChild(env: NodeJS.ProcessEnv, timeoutMs: number, nodeArgs: string[]): Promise<ChildOutcome> {
  const preload = compiledSibling('support/mixpanel-host-redirect.js');
  const script = compiledSibling('support/mixpanel-import-child.js');
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [...nodeArgs, '-r', preload, script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_REPORT '));
      if (code !== 0 || !line) {
        reject(new Error(`mixpanel-import child ${signal ? `was killed (${signal}${signal === 'SIGKILL' ? `, timeout ${timeoutMs} ms` : ''})` : `exited with ${code}`}: ${stderr.trim().slice(-1500)}`));
        return;
      }
      resolve({ report: JSON.parse(line.slice('BENCH_REPORT '.length)) as ChildReport, wallMs, stderrTail: stderr });
    });
  });
}

export async function benchMixpanelImport(opts: MixpanelImportBenchOptions): Promise<MixpanelImportBenchResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const settings: MixpanelImportSettings = { ...DEFAULT_MIXPANEL_IMPORT_SETTINGS, ...opts.settings };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mixpanel-import-bench-'));
  const receiverTls = makeSelfSignedCert(dir, MIXPANEL_NAMES);
  const receiver = await startMixpanelReceiver({
    tls: { key: receiverTls.key, cert: receiverTls.cert }, fast: !opts.validate, credentials: { serviceAccounts: [BENCH_ACCOUNT] },
    ...(opts.rateLimit ? { rateLimit: opts.rateLimit } : {}),
  });
  try {
    const { file, count } = await eventsFile(opts.events, dir);
    const childConfig: ChildConfig = {
      file,
      creds: { acct: BENCH_ACCOUNT.username, pass: BENCH_ACCOUNT.secret, project: BENCH_ACCOUNT.projectId },
      options: {
        recordType: 'event', region: 'US', ...settings,
        // Quiet and lean: no progress bars, no log files, our events are already well-formed.
        verbose: false, showProgress: false, logs: false, fixData: false,
      },
    };
    log(`mixpanel-import: ${count} events from ${file} → ${receiver.url} (${opts.validate ? 'validating' : 'fast'} receiver${opts.rateLimit ? `, admitting ${opts.rateLimit} events/s` : ''}), ` +
      `workers=${settings.workers} batch=${settings.recordsPerBatch} gzip=${settings.compress ? `level ${settings.compressionLevel}` : 'off'} transport=${settings.transport} highWater=${settings.highWater ?? 'default'}`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MIXPANEL_REDIRECT_PORT: String(receiver.port),
      NODE_EXTRA_CA_CERTS: receiverTls.certPath,
      MP_IMPORT_BENCH_CONFIG: JSON.stringify(childConfig),
    };
    const { report, wallMs } = await runChild(env, opts.timeoutMs ?? 10 * 60_000, opts.childNodeArgs ?? []);
    const stats = receiver.stats();
    const requests = receiver.requests();
    const first = Math.min(...requests.map((r) => r.receivedAt));
    const last = Math.max(...requests.map((r) => r.answeredAt ?? r.receivedAt));
    const transferMs = requests.length > 0 ? Math.max(1, last - first) : 0;

    const problems: string[] = [];
    if (stats.eventsImported !== count) problems.push(`receiver imported ${stats.eventsImported} of ${count} events`);
    if (stats.eventsReceived !== count) problems.push(`receiver received ${stats.eventsReceived} events for ${count} sent (duplicates or losses)`);
    if (report.success !== count) problems.push(`mixpanel-import reported ${report.success} imported of ${count}`);
    // A 429 from the rate limit is the service doing its job; the tool must retry it, which the counts above check.
    const refused = requests.filter((r) => r.status !== 200 && !r.throttled);
    if (refused.length > 0) problems.push(`${refused.length} requests were not answered 200 (e.g. ${refused[0].status})`);

    const result: MixpanelImportBenchResult = {
      tool: `mixpanel-import ${report.version}`, settings, eventsSent: count, eventsReceived: stats.eventsReceived,
      eventsImported: stats.eventsImported, eventsRejected: stats.eventsRejected, requests: requests.length,
      throttledRequests: requests.filter((r) => r.throttled).length,
      wallMs: Math.round(wallMs), eventsPerSecond: Math.round(stats.eventsImported / (wallMs / 1000)),
      transferMs, eventsPerSecondDuringTransfer: transferMs > 0 ? Math.round(stats.eventsImported / (transferMs / 1000)) : 0,
      peakRssMb: Math.round(report.peakRssBytes / 1024 / 1024), toolReport: report, verified: problems.length === 0, problems,
    };
    log(formatResult(result));
    return result;
  } finally {
    await receiver.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatResult(r: MixpanelImportBenchResult): string {
  return [
    `${r.tool}: ${r.eventsImported}/${r.eventsSent} events in ${(r.wallMs / 1000).toFixed(2)} s wall → ${r.eventsPerSecond} events/s`,
    `  transfer window ${(r.transferMs / 1000).toFixed(2)} s → ${r.eventsPerSecondDuringTransfer} events/s; ${r.requests} requests; peak RSS ${r.peakRssMb} MB`,
    `  tool's own figure: ${r.toolReport.toolEps} eps over ${r.toolReport.toolDurationMs} ms, ${r.toolReport.retries} retries`,
    `  ${r.verified ? 'verified: every event arrived exactly once' : `NOT verified: ${r.problems.join('; ')}`}`,
  ].join('\n');
}

function parseArgs(argv: string[]): { count: number; file?: string; workers?: number; highWater?: number; validate: boolean } {
  const out = { count: 200_000, file: undefined as string | undefined, workers: undefined as number | undefined, highWater: undefined as number | undefined, validate: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--validate') { out.validate = true; continue; }
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === '--events') out.count = Number(value);
    else if (flag === '--file') out.file = value;
    else if (flag === '--workers') out.workers = Number(value);
    else if (flag === '--high-water') out.highWater = Number(value);
    else throw new Error(`unknown option '${flag}' (use --events N, --file F, --workers N, --high-water N, --validate)`);
  }
  if (!Number.isInteger(out.count) || out.count <= 0) throw new Error('--events must be a positive integer');
  return out;
}

async function cli(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  let file = args.file;
  let tmp: string | undefined;
  if (!file) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mixpanel-import-events-'));
    file = path.join(tmp, 'events.ndjson');
    await writeSampleEvents(file, args.count);
  }
  try {
    const result = await benchMixpanelImport({ events: file, validate: args.validate, settings: {
      ...(args.workers ? { workers: args.workers } : {}), ...(args.highWater ? { highWater: args.highWater } : {}),
    } });
    if (!result.verified) process.exitCode = 1;
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  cli(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`mixpanel-import bench: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}

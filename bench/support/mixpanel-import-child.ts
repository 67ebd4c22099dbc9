/**
 * Runs in the benchmark's child process: imports one NDJSON file with the `mixpanel-import` package's API and
 * prints one JSON line with its own result and the process's peak RSS. Settings and credentials come in the
 * MP_IMPORT_BENCH_CONFIG environment variable (never on the command line, where `ps` would show them).
 */
export interface ChildConfig {
  file: string;
  creds: Record<string, string>;
  options: Record<string, unknown>;
}

export interface ChildReport {
  success: number;
  failed: number;
  total: number;
  retries: number;
  requests: number;
  batches: number;
  toolEps: number;
  toolDurationMs: number;
  peakRssBytes: number;
  /** The child's user + system CPU seconds (all threads). */
  cpuSeconds?: number;
  version: string;
}

async function run(): Promise<void> {
  const cfg = JSON.parse(process.env.MP_IMPORT_BENCH_CONFIG ?? '{}') as ChildConfig;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mpImport = require('mixpanel-import') as (c: unknown, d: unknown, o: unknown) => Promise<Record<string, number>>;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const version = (require('mixpanel-import/package.json') as { version: string }).version;
  const result = await mpImport(cfg.creds, cfg.file, cfg.options);
  const report: ChildReport = {
    success: result.success, failed: result.failed, total: result.total, retries: result.retries,
    requests: result.requests, batches: result.batches, toolEps: result.eps, toolDurationMs: result.duration,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuSeconds: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6, version,
  };
  // The tool's HTTP pool keeps idle sockets open; exit once the report is flushed.
  process.stdout.write('BENCH_REPORT ' + JSON.stringify(report) + '\n', () => process.exit(0));
}

run().catch((err) => {
  process.stderr.write(`mixpanel-import child failed: ${(err as Error).message}\n`);
  process.exit(1);
});

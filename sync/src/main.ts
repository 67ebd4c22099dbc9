/**
 * `sync --config sync.json`: the cron-friendly runner. Reads a Currents export and sends it to Mixpanel in one
 * process, keeping progress in a local state file.
 */
import path from 'path';
import { ConnectorError } from '../../connector-kit/errors';
import { logLevelOf } from '../../connector-kit/logger';
import { safeErrorMessage } from '../../connector-kit/privacy';
import { consoleLogger } from './console-log';
import { syncAndReport } from './sync-command';
import { loadSyncConfig, redactorFor, resolveSyncSettings } from './sync-config';

const USAGE = 'Usage: sync --config sync.json\n  The config has a "source" and a "destination" section (see spec.json and the README).';

export async function main(argv: string[]): Promise<void> {
  const configIndex = argv.indexOf('--config');
  if (argv.includes('--help') || configIndex === -1 || !argv[configIndex + 1]) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(argv.includes('--help') ? 0 : 2);
  }
  const file = argv[configIndex + 1];
  let code = 1;
  let log = consoleLogger((t) => t);
  try {
    const raw = loadSyncConfig(file);
    log = consoleLogger(redactorFor(raw), logLevelOf((raw as { log_level?: unknown } | null)?.log_level));
    const settings = resolveSyncSettings(raw, path.dirname(path.resolve(file)));
    code = (await syncAndReport(settings, log, (text) => process.stdout.write(`${text}\n`))).code;
  } catch (err) {
    log.error(err instanceof ConnectorError ? err.message : `Unexpected error: ${safeErrorMessage(err)}`);
  }
  process.stdout.write('', () => process.exit(code));
}

if (require.main === module) void main(process.argv.slice(2));

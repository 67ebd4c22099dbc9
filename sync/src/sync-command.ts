/** Runs one sync from a validated config and prints the summary; returns the process exit code. */
import { ConnectorError } from '../../connector-kit/errors';
import type { Logger } from '../../connector-kit/logger';
import { safeErrorMessage, safeStack } from '../../connector-kit/privacy';
import { Progress } from './progress';
import { runSync, type SyncResult } from './run-sync';
import type { SyncSettings } from './sync-config';

export async function syncAndReport(settings: SyncSettings, log: Logger, print: (text: string) => void): Promise<{ code: number; result?: SyncResult }> {
  const progress = new Progress(process.stderr, undefined, settings.pair.units);
  progress.start();
  try {
    const result = await runSync(settings, log, progress);
    progress.stop();
    print(`\n${settings.pair.summary(result.accounting)}\n`);
    print(`Progress saved in ${settings.stateFile}; rejected records (if any) in ${settings.rejectedFile}.`);
    return { code: 0, result };
  } catch (err) {
    progress.stop();
    const known = err instanceof ConnectorError;
    log.error(`Sync failed${known ? ` (${err.failureType})` : ''}: ${known ? err.message : safeErrorMessage(err)}`);
    log.error(`Progress up to the last acknowledged record is saved in ${settings.stateFile}; run the same command again to resume.`);
    if (!known) log.debug(String(safeStack(err)));
    return { code: 1 };
  }
}

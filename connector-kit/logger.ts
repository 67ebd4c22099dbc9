/**
 * Logging for connectors. Rules every connector on this kit follows (DESIGN §7):
 * - One INFO line per phase of a run (what was found, where it goes and with which settings, the summary);
 *   per-stream and per-file detail at DEBUG. The level comes from `--debug` / `LOG_LEVEL` (which win, so an
 *   operator can turn on debug without touching the config) or from the config's `log_level` setting
 *   (hidden in each spec, default `info`). See `logLevelOf`.
 * - No field value of a record in any log line, TRACE message, error message or summary: name a record by
 *   stream, id, reason and field names (`describeRecord` in privacy.ts); pass texts from outside (a server's
 *   error body, a parser's message) through `withoutQuotedValues` first. Whole records go only to a file the
 *   user chose (e.g. the destination's `rejected_records_file`).
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevelName[] = ['debug', 'info', 'warn', 'error'];

const isLevel = (value: unknown): value is LogLevelName => typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value.toLowerCase());

/**
 * The level in force: `LOG_LEVEL` (or `--debug`, passed as `flagDebug`) over the config's `log_level`, else info.
 * Unknown values are ignored (the spec's enum already refuses them in configs).
 */
export function logLevelOf(configLevel: unknown, env: NodeJS.ProcessEnv = process.env, flagDebug = false): LogLevelName {
  if (flagDebug) return 'debug';
  if (isLevel(env.LOG_LEVEL)) return env.LOG_LEVEL.toLowerCase() as LogLevelName;
  if (isLevel(configLevel)) return configLevel.toLowerCase() as LogLevelName;
  return 'info';
}

/** True when a message at `level` is shown under the threshold `threshold`. */
export function levelShown(level: LogLevelName, threshold: LogLevelName): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

/** Human-readable, redacted log lines on stderr for the sync runner and the demo. */
import { levelShown, logLevelOf, type Logger, type LogLevelName } from '../../connector-kit/logger';
import type { Redactor } from '../../connector-kit/redact';

// On a terminal the progress line sits on the last row: clear it first so a log line never lands inside it
// (the progress display redraws itself on its next tick).
const CLEAR_LINE = '\r\x1b[2K';

/** `level`: LOG_LEVEL, else the config's `log_level`, else info (see logLevelOf). */
export function consoleLogger(redact: Redactor, level: LogLevelName = logLevelOf(undefined)): Logger {
  const prefix = process.stderr.isTTY ? CLEAR_LINE : '';
  const write = (name: LogLevelName) => (message: string) => {
    if (levelShown(name, level)) process.stderr.write(prefix + redact(`${new Date().toISOString()} ${name.toUpperCase()} ${message}\n`));
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** Human-readable, redacted log lines on stderr for the sync runner and the demo. */
import type { Logger } from '../../connector-kit/logger';
import type { Redactor } from '../../connector-kit/redact';

// On a terminal the progress line sits on the last row: clear it first so a log line never lands inside it
// (the progress display redraws itself on its next tick).
const CLEAR_LINE = '\r\x1b[2K';

export function consoleLogger(redact: Redactor, debug = process.env.LOG_LEVEL === 'debug'): Logger {
  const prefix = process.stderr.isTTY ? CLEAR_LINE : '';
  const write = (level: string) => (message: string) => process.stderr.write(prefix + redact(`${new Date().toISOString()} ${level} ${message}\n`));
  return { debug: debug ? write('DEBUG') : () => undefined, info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}

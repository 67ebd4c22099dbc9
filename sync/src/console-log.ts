/** Human-readable, redacted log lines on stderr for the sync runner and the demo. */
import type { Logger } from '../../connector-kit/logger';
import type { Redactor } from '../../connector-kit/redact';

export function consoleLogger(redact: Redactor, debug = process.env.LOG_LEVEL === 'debug'): Logger {
  const write = (level: string) => (message: string) => process.stderr.write(redact(`${new Date().toISOString()} ${level} ${message}\n`));
  return { debug: debug ? write('DEBUG') : () => undefined, info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}

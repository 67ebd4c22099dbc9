/**
 * One connector run's output channels: stdout for protocol messages, stderr for plain logs, both redacted.
 * Airbyte mode logs as LOG messages on stdout (the platform shows them); Singer mode logs to stderr,
 * because a Singer stdout holds only Singer messages.
 */
import { LineWriter } from './output';
import { makeRedactor, type Redactor } from './redact';
import { levelShown, type Logger, type LogLevelName } from './logger';
import type { AirbyteMessage, LogLevel } from './protocol';

export class Session {
  readonly stdout: LineWriter;
  readonly stderr: LineWriter;
  readonly log: Logger;
  private redactor: Redactor = (text) => text;

  constructor(readonly protocol: 'airbyte' | 'singer', public level: LogLevelName) {
    const redact: Redactor = (text) => this.redactor(text);
    this.stdout = new LineWriter(process.stdout, redact);
    this.stderr = new LineWriter(process.stderr, redact);
    const at = (name: LogLevelName, level: LogLevel) => (message: string) => levelShown(name, this.level) && this.logLine(level, message);
    this.log = { debug: at('debug', 'DEBUG'), info: at('info', 'INFO'), warn: at('warn', 'WARN'), error: at('error', 'ERROR') };
  }

  get debug(): boolean {
    return this.level === 'debug';
  }

  /** Installs redaction once the config (and so its secrets) is known. */
  setSecrets(secrets: Set<string>): void {
    this.redactor = makeRedactor(secrets);
    this.stdout.mustRedact = this.stderr.mustRedact = secrets.size > 0;
  }

  emit(message: AirbyteMessage): Promise<void> | void {
    return this.stdout.writeLine(JSON.stringify(message));
  }

  private logLine(level: LogLevel, message: string): void | true {
    if (this.protocol === 'airbyte') void this.emit({ type: 'LOG', log: { level, message } });
    else void this.stderr.writeLine(`${level} ${message}`);
  }

  async close(): Promise<void> {
    await this.stdout.close();
    await this.stderr.close();
  }
}

/**
 * One connector run's output channels: stdout for protocol messages, stderr for plain logs, both redacted.
 * Airbyte mode logs as LOG messages on stdout (the platform shows them); Singer mode logs to stderr,
 * because a Singer stdout holds only Singer messages.
 */
import { LineWriter } from './output';
import { makeRedactor, type Redactor } from './redact';
import type { Logger } from './logger';
import type { AirbyteMessage, LogLevel } from './protocol';

export class Session {
  readonly stdout: LineWriter;
  readonly stderr: LineWriter;
  readonly log: Logger;
  private redactor: Redactor = (text) => text;

  constructor(readonly protocol: 'airbyte' | 'singer', readonly debug: boolean) {
    const redact: Redactor = (text) => this.redactor(text);
    this.stdout = new LineWriter(process.stdout, redact);
    this.stderr = new LineWriter(process.stderr, redact);
    const at = (level: LogLevel) => (message: string) => this.logLine(level, message);
    this.log = { debug: (m) => this.debug && at('DEBUG')(m), info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
  }

  /** Installs redaction once the config (and so its secrets) is known. */
  setSecrets(secrets: Set<string>): void {
    this.redactor = makeRedactor(secrets);
    this.stdout.mustRedact = this.stderr.mustRedact = secrets.size > 0;
  }

  emit(message: AirbyteMessage): Promise<void> | void {
    return this.stdout.writeLine(JSON.stringify(message));
  }

  private logLine(level: LogLevel, message: string): void {
    if (this.protocol === 'airbyte') void this.emit({ type: 'LOG', log: { level, message } });
    else void this.stderr.writeLine(`${level} ${message}`);
  }

  async close(): Promise<void> {
    await this.stdout.close();
    await this.stderr.close();
  }
}

/**
 * Progress while a sync runs: an updating status line on a terminal, a log line every `intervalMs` otherwise
 * (cron, CI, pipes), so long syncs never look stuck.
 */
export interface ProgressCounts {
  /** Files finished by the source (one source state each). */
  files: number;
  events: number;
  /** Records with a final verdict (sent, rejected or skipped) covered by a saved state. */
  acknowledged: number;
  rejected: number;
  skipped: number;
}

/** What the counted things are called: Currents syncs read "events" and checkpoint per "files"; cohort syncs "members" per "pages". */
export interface ProgressUnits { record: string; checkpoint: string }

export class Progress {
  readonly counts: ProgressCounts = { files: 0, events: 0, acknowledged: 0, rejected: 0, skipped: 0 };
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private lastLineLength = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly intervalMs = stream.isTTY ? 250 : 10_000,
    private readonly units: ProgressUnits = { record: 'events', checkpoint: 'files' },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.render(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.stream.isTTY && this.lastLineLength > 0) this.stream.write(`\r${' '.repeat(this.lastLineLength)}\r`);
  }

  line(): string {
    const seconds = Math.max(0.001, (Date.now() - this.started) / 1000);
    const c = this.counts;
    const { record, checkpoint } = this.units;
    return `${checkpoint} ${c.files} | ${record} read ${c.events} | done ${c.acknowledged} | rejected ${c.rejected} | skipped ${c.skipped} | ${Math.round(c.events / seconds)} ${record}/s | ${seconds.toFixed(0)} s`;
  }

  private render(): void {
    const text = this.line();
    if (this.stream.isTTY) {
      this.stream.write(`\r${text.padEnd(this.lastLineLength)}`);
      this.lastLineLength = text.length;
    } else {
      this.stream.write(`${new Date().toISOString()} progress: ${text}\n`);
    }
  }
}

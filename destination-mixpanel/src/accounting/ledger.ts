/**
 * Counts what happened to every received record (imported, rejected per reason, skipped per reason) and
 * keeps a few samples per reason, so a run can prove received = imported + rejected + skipped. Samples are
 * value-free (stream, id, detail, field names: connector-kit/privacy.ts): they end up in logs and traces.
 */
import { describeRecord, type RecordSample } from '../../../connector-kit/privacy';

const SAMPLES_PER_REASON = 3;

export interface ReasonTally {
  count: number;
  samples: RecordSample[];
}

export interface AccountingSummary {
  received: number;
  imported: number;
  rejected: number;
  skipped: number;
  rejectedByReason: Record<string, ReasonTally>;
  skippedByReason: Record<string, ReasonTally>;
  warnings: Record<string, number>;
  /** Per Mixpanel event name (skipped records, which have none, under their stream name). */
  byEvent: Record<string, EventOutcome>;
}

export interface EventOutcome {
  imported: number;
  rejected: number;
  skipped: number;
}

/** Distinct warning texts kept; later ones are counted under one key so a noisy input cannot grow memory. */
const MAX_WARNING_KINDS = 50;
const MAX_EVENT_NAMES = 10_000;

export class Ledger {
  received = 0;
  imported = 0;
  private rejectedTotal = 0;
  private skippedTotal = 0;
  private readonly rejected = new Map<string, ReasonTally>();
  private readonly skipped = new Map<string, ReasonTally>();
  private readonly warnings = new Map<string, number>();
  private readonly byEvent = new Map<string, EventOutcome>();

  recordImported(n: number): void {
    this.imported += n;
  }

  /** `sample` is called only while the reason still needs samples. */
  recordRejected(reason: string, detail: string | undefined, stream: string | undefined, sample: () => RecordSample): void {
    this.rejectedTotal++;
    note(this.rejected, reason, detail, stream, sample);
  }

  recordSkipped(reason: string, detail: string | undefined, stream: string | undefined, sample: () => RecordSample): void {
    this.skippedTotal++;
    note(this.skipped, reason, detail, stream, sample);
  }

  recordWarning(warning: string, n = 1): void {
    const key = this.warnings.has(warning) || this.warnings.size < MAX_WARNING_KINDS ? warning : '(other warnings)';
    this.warnings.set(key, (this.warnings.get(key) ?? 0) + n);
  }

  /** Per-event-name tally for the end-of-sync table. */
  countEvent(name: string, outcome: keyof EventOutcome, n = 1): void {
    let tally = this.byEvent.get(name);
    if (!tally) {
      if (this.byEvent.size >= MAX_EVENT_NAMES) name = '(other event names)';
      tally = this.byEvent.get(name);
      if (!tally) this.byEvent.set(name, (tally = { imported: 0, rejected: 0, skipped: 0 }));
    }
    tally[outcome] += n;
  }

  get rejectedCount(): number {
    return this.rejectedTotal;
  }

  get skippedCount(): number {
    return this.skippedTotal;
  }

  summary(): AccountingSummary {
    return {
      received: this.received,
      imported: this.imported,
      rejected: this.rejectedTotal,
      skipped: this.skippedTotal,
      rejectedByReason: Object.fromEntries(this.rejected),
      skippedByReason: Object.fromEntries(this.skipped),
      warnings: Object.fromEntries(this.warnings),
      byEvent: Object.fromEntries(this.byEvent),
    };
  }
}

function note(map: Map<string, ReasonTally>, reason: string, detail: string | undefined, stream: string | undefined, sample: () => RecordSample): void {
  let tally = map.get(reason);
  if (!tally) {
    tally = { count: 0, samples: [] };
    map.set(reason, tally);
  }
  tally.count++;
  if (tally.samples.length < SAMPLES_PER_REASON) tally.samples.push({ ...sample(), ...(stream ? { stream } : {}), ...(detail ? { detail } : {}) });
}

/** Human-readable lines for the end-of-run log. */
export function summaryLines(s: AccountingSummary): string[] {
  const lines = [
    `Mixpanel destination accounting: received ${s.received} = imported ${s.imported} + rejected ${s.rejected} + skipped ${s.skipped}` +
      (s.received === s.imported + s.rejected + s.skipped ? '' : ' (MISMATCH: please report this as a bug)'),
  ];
  for (const [label, byReason] of [['rejected', s.rejectedByReason], ['skipped', s.skippedByReason]] as const) {
    for (const [reason, tally] of Object.entries(byReason)) {
      lines.push(`  ${label} ${reason}: ${tally.count}`);
      for (const sample of tally.samples) lines.push(`    e.g. ${describeRecord(sample)}`);
    }
  }
  for (const [warning, count] of Object.entries(s.warnings)) lines.push(`  warning ${warning}: ${count}`);
  return lines;
}

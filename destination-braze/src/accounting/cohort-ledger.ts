/**
 * Counts per cohort and in total: members received = added + unchanged + skipped + rejected (once every change
 * has its outcome), removals on their own. Also rejected records (not cohort data) and warnings, by reason.
 * Holds no user id: only counts, cohort ids and names, and reasons.
 */
export interface CohortRow {
  cohortId: number;
  name: string;
  members: number;
  added: number;
  unchanged: number;
  skipped: number;
  rejected: number;
  removed: number;
  removalRejected: number;
}

export interface LedgerSummary {
  cohorts: CohortRow[];
  total: Omit<CohortRow, 'cohortId' | 'name'>;
  /** Records that are no cohort data (other streams, missing cohort_id, …), by reason. */
  rejectedRecords: Record<string, number>;
  skippedByReason: Record<string, number>;
  brazeRejections: Record<string, number>;
  warnings: Record<string, number>;
  otherRecords: number;
}

const MAX_KINDS = 50;

export class CohortLedger {
  private readonly rows = new Map<number, CohortRow>();
  private readonly rejectedRecords = new Map<string, number>();
  private readonly skippedByReason = new Map<string, number>();
  private readonly brazeRejections = new Map<string, number>();
  private readonly warnings = new Map<string, number>();
  otherRecords = 0;

  row(cohortId: number, name?: string): CohortRow {
    let row = this.rows.get(cohortId);
    if (!row) this.rows.set(cohortId, (row = { cohortId, name: name ?? String(cohortId), members: 0, added: 0, unchanged: 0, skipped: 0, rejected: 0, removed: 0, removalRejected: 0 }));
    else if (name !== undefined) row.name = name;
    return row;
  }

  skipped(cohortId: number, reason: string): void {
    this.row(cohortId).skipped++;
    bump(this.skippedByReason, reason);
  }

  recordRejected(reason: string): void {
    bump(this.rejectedRecords, reason);
  }

  brazeRejected(reason: string): void {
    bump(this.brazeRejections, reason);
  }

  warn(kind: string, n = 1): void {
    bump(this.warnings, kind, n);
  }

  get rejectedRecordCount(): number {
    return [...this.rejectedRecords.values()].reduce((a, b) => a + b, 0);
  }

  summary(): LedgerSummary {
    const cohorts = [...this.rows.values()].sort((a, b) => a.cohortId - b.cohortId);
    const total = { members: 0, added: 0, unchanged: 0, skipped: 0, rejected: 0, removed: 0, removalRejected: 0 };
    for (const row of cohorts) for (const key of Object.keys(total) as Array<keyof typeof total>) total[key] += row[key];
    return {
      cohorts,
      total,
      rejectedRecords: Object.fromEntries(this.rejectedRecords),
      skippedByReason: Object.fromEntries(this.skippedByReason),
      brazeRejections: Object.fromEntries(this.brazeRejections),
      warnings: Object.fromEntries(this.warnings),
      otherRecords: this.otherRecords,
    };
  }
}

function bump(map: Map<string, number>, key: string, n = 1): void {
  const k = map.has(key) || map.size < MAX_KINDS ? key : '(other)';
  map.set(k, (map.get(k) ?? 0) + n);
}

const COLUMNS = ['members', 'added', 'removed', 'unchanged', 'skipped', 'rejected'] as const;

/** The end-of-run table: one row per cohort and a total, then reasons. */
export function summaryTable(s: LedgerSummary): string[] {
  const rows = [
    ['cohort', ...COLUMNS],
    ...s.cohorts.map((r) => [`${r.cohortId} ${clip(r.name)}`, ...COLUMNS.map((c) => String(r[c]))]),
    ['total', ...COLUMNS.map((c) => String(s.total[c]))],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
  const t = s.total;
  const balanced = t.members === t.added + t.unchanged + t.skipped + t.rejected;
  lines.unshift(`Braze destination: members ${t.members} = added ${t.added} + unchanged ${t.unchanged} + skipped ${t.skipped} + rejected ${t.rejected}${balanced ? '' : ' (NOT BALANCED: changes without an answer from Braze)'}; removed ${t.removed}${t.removalRejected ? `, removals rejected ${t.removalRejected}` : ''}`);
  for (const [reason, n] of Object.entries(s.skippedByReason)) lines.push(`  skipped ${reason}: ${n}`);
  for (const [reason, n] of Object.entries(s.brazeRejections)) lines.push(`  rejected by Braze (${reason}): ${n}`);
  for (const [reason, n] of Object.entries(s.rejectedRecords)) lines.push(`  record rejected ${reason}: ${n}`);
  for (const [warning, n] of Object.entries(s.warnings)) lines.push(`  warning ${warning}: ${n}`);
  return lines;
}

const clip = (name: string) => (name.length > 40 ? `${name.slice(0, 39)}…` : name);

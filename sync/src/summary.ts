/** The end-of-sync report: one row per Mixpanel event name (sent, rejected, skipped), then the reasons. */
export interface EventOutcome { imported: number; rejected: number; skipped: number }

export interface DestinationAccounting {
  received: number;
  imported: number;
  rejected: number;
  skipped: number;
  rejectedByReason: Record<string, { count: number }>;
  skippedByReason: Record<string, { count: number }>;
  warnings?: Record<string, number>;
  byEvent?: Record<string, EventOutcome>;
  complete?: boolean;
}

/** Streams listed under "Skipped, by stream"; the rest are summed on one line (a workspace has ~100 streams). */
const SKIPPED_STREAMS_SHOWN = 8;

function skippedByStream(streams: Array<[string, EventOutcome]>): string[] {
  if (streams.length === 0) return [];
  const sorted = [...streams].sort(([a, x], [b, y]) => y.skipped - x.skipped || a.localeCompare(b));
  const shown = sorted.length > SKIPPED_STREAMS_SHOWN + 1 ? sorted.slice(0, SKIPPED_STREAMS_SHOWN) : sorted;
  const rest = sorted.slice(shown.length);
  const restCount = rest.reduce((n, [, o]) => n + o.skipped, 0);
  return [
    '',
    'Skipped, by stream:',
    ...shown.map(([name, o]) => `  ${name}: ${o.skipped}`),
    ...(rest.length ? [`  … ${rest.length} more stream(s): ${restCount}`] : []),
  ];
}

export function summaryTable(accounting: DestinationAccounting): string {
  // Rows that reached Mixpanel's side (sent or rejected) form the table; skipped records have no event name
  // (they never got one), so they are listed per stream below it.
  const all = Object.entries(accounting.byEvent ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const rows = all.filter(([, o]) => o.imported + o.rejected > 0);
  const skippedOnly = all.filter(([, o]) => o.imported + o.rejected === 0 && o.skipped > 0);
  const header = ['Mixpanel event', 'sent', 'rejected', 'skipped'];
  const body = rows.map(([name, o]) => [name, String(o.imported), String(o.rejected), String(o.skipped)]);
  body.push(['TOTAL', String(accounting.imported), String(accounting.rejected), String(accounting.skipped)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const format = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const lines = [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.slice(0, -1).map(format), widths.map((w) => '-'.repeat(w)).join('  '), format(body[body.length - 1])];
  const reasons = (title: string, map: Record<string, { count: number }>) =>
    Object.keys(map).length ? [``, `${title}:`, ...Object.entries(map).map(([reason, t]) => `  ${reason}: ${t.count}`)] : [];
  return [
    ...lines,
    ...skippedByStream(skippedOnly),
    ...reasons('Rejected, by reason', accounting.rejectedByReason),
    ...reasons('Skipped, by reason', accounting.skippedByReason),
    ...(accounting.warnings && Object.keys(accounting.warnings).length ? ['', 'Warnings (events still sent):', ...Object.entries(accounting.warnings).map(([w, n]) => `  ${w}: ${n}`)] : []),
    '',
    `Received ${accounting.received} = sent ${accounting.imported} + rejected ${accounting.rejected} + skipped ${accounting.skipped}`,
  ].join('\n');
}

/**
 * Canary values for privacy tests (option `canaryValues`): every string in a record (except its `id`, which
 * logs may name, and a custom event's `name`, which becomes the Mixpanel event name shown in summaries) is
 * replaced by a unique fake value of the field's kind: email, phone number, IP address, person name or a
 * property value. Strings inside the `properties` JSON get canaries too (keys stay: they are field names).
 * Every canary matches CANARY_PATTERN, so a test can prove that none reached a log line.
 */

/** Matches any canary: marker words, the canary email domain, the reserved 555-01xx phone range, TEST-NET-2. */
export const CANARY_PATTERN = /cnry|canary\.example|\+1555010\d|198\.51\.100\.\d/i;

/** Fields left as generated: the record id (logs may name it) and the custom event name (an event name). */
const KEPT = new Set(['id', 'name']);

export class CanaryMaker {
  private n = 0;

  /** `tag` keeps canaries of different event types apart (e.g. a short type index). */
  constructor(private readonly tag: string) {}

  /** Replaces every string value of `record` (in place) by a canary of the field's kind. */
  apply(record: Record<string, unknown>): void {
    for (const field of Object.keys(record)) {
      if (KEPT.has(field)) continue;
      const value = record[field];
      if (field === 'properties' && typeof value === 'string') record[field] = this.properties(value);
      else if (typeof value === 'string') record[field] = this.value(field);
      else if (Array.isArray(value)) record[field] = value.map((v) => (typeof v === 'string' ? this.value(field) : v));
    }
  }

  /** A canary for a field, shaped like what the field holds. */
  value(field: string): string {
    const n = `${this.tag}${++this.n}`;
    if (/email|channel_identifier/.test(field)) return `cnry.${n}@canary.example`;
    if (/phone/.test(field)) return `+1555010${String(this.n % 100).padStart(2, '0')}${n}`;
    if (/(^|_)ip$/.test(field)) return `198.51.100.${this.n % 255}`;
    if (/name$/.test(field)) return `Cnry${n} Canaryson`;
    return `cnry-${n}`;
  }

  /** Valid JSON objects keep their keys with canary values; broken JSON stays broken but carries a canary. */
  private properties(text: string): string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return `{"note": "${this.value('property')}", "quantity": 2`;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return text;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(parsed as Record<string, unknown>)) out[key] = typeof v === 'string' ? this.value('property') : v;
    out.note = this.value('property');
    return JSON.stringify(out);
  }
}

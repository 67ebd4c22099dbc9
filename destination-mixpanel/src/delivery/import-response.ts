/**
 * Reads Mixpanel's answer to a strict /import of `count` events into per-record outcomes.
 * A 400 is a partial success: the listed records failed, the others were stored. `failed_records` entries
 * are matched by `index` (insert id spelled `insert_id` or `$insert_id` as a fallback); plain-string entries
 * carry only a message.
 */
import { withoutQuotedValues } from '../../../connector-kit/privacy';

export interface RecordRejection {
  index: number;
  /** Mixpanel's message with quoted values removed (they may be personal data; see connector-kit/privacy.ts). */
  message: string;
  /** The field Mixpanel named, when it did. */
  field?: string;
}

export interface ImportVerdict {
  rejections: RecordRejection[];
  /** Set when the answer could not be attributed record by record (logged by the caller). */
  note?: string;
}

interface FailedRecordObject {
  index?: unknown;
  insert_id?: unknown;
  $insert_id?: unknown;
  field?: unknown;
  message?: unknown;
}

export function parseJsonBody(body: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(body);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The human message of an error answer, kept short (bodies can be HTML from a proxy). */
export function errorMessageOf(body: string, status: number): string {
  const json = parseJsonBody(body);
  const text = typeof json?.error === 'string' ? json.error : body.trim().replace(/\s+/g, ' ');
  return text ? `HTTP ${status}: ${withoutQuotedValues(text.slice(0, 300))}` : `HTTP ${status}`;
}

/**
 * @param insertIdAt gives the $insert_id of the record at an index (used when an entry lacks `index`).
 */
export function interpretBadRequest(body: string, count: number, insertIdAt: (index: number) => string | undefined): ImportVerdict {
  const json = parseJsonBody(body);
  const failed = Array.isArray(json?.failed_records) ? (json!.failed_records as unknown[]) : undefined;
  const fallbackMessage = errorMessageOf(body, 400);
  if (!failed || failed.length === 0) {
    return { rejections: allRecords(count, fallbackMessage) };
  }

  const rejected = new Map<number, { message: string; field?: string }>();
  const unattributed: string[] = [];
  let byInsertId: Map<string, number> | undefined;
  for (const entry of failed) {
    if (typeof entry === 'string') {
      unattributed.push(withoutQuotedValues(entry));
      continue;
    }
    if (!entry || typeof entry !== 'object') continue;
    const item = entry as FailedRecordObject;
    const message = describeFailure(item) ?? fallbackMessage;
    let index = typeof item.index === 'number' && Number.isInteger(item.index) && item.index >= 0 && item.index < count ? item.index : undefined;
    if (index === undefined) {
      const insertId = typeof item.insert_id === 'string' ? item.insert_id : typeof item.$insert_id === 'string' ? item.$insert_id : undefined;
      if (insertId !== undefined) {
        byInsertId ??= indexByInsertId(count, insertIdAt);
        index = byInsertId.get(insertId);
      }
    }
    if (index === undefined) unattributed.push(message);
    else if (!rejected.has(index)) rejected.set(index, { message, field: fieldNameOf(item) });
  }

  if (unattributed.length > 0) {
    const imported = typeof json?.num_records_imported === 'number' ? json.num_records_imported : undefined;
    const remaining = count - rejected.size;
    const message = unattributed[0].startsWith('HTTP ') ? unattributed[0] : `HTTP 400: ${unattributed[0].slice(0, 300)}`;
    if (imported === undefined || imported === 0) {
      // Nothing (else) was stored: every record not listed by index failed for the unattributed reason.
      for (let i = 0; i < count; i++) if (!rejected.has(i)) rejected.set(i, { message });
    } else if (imported < remaining) {
      return {
        rejections: toList(rejected),
        note: `Mixpanel reported ${remaining - imported} failed record(s) without saying which (${message}); they cannot be told apart and are counted as imported.`,
      };
    }
  }
  return { rejections: toList(rejected) };
}

/** A field name as Mixpanel reports it (`properties.time`); anything that does not look like one is dropped. */
function fieldNameOf(item: FailedRecordObject): string | undefined {
  return typeof item.field === 'string' && /^[\w$.\- ]{1,100}$/.test(item.field) ? item.field : undefined;
}

function describeFailure(item: FailedRecordObject): string | undefined {
  const message = typeof item.message === 'string' ? withoutQuotedValues(item.message) : undefined;
  const field = fieldNameOf(item);
  if (!message && !field) return undefined;
  return `HTTP 400: ${message ?? 'invalid'}${field && !(message ?? '').includes(field) ? ` (field ${field})` : ''}`.slice(0, 320);
}

function indexByInsertId(count: number, insertIdAt: (index: number) => string | undefined): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const id = insertIdAt(i);
    if (id !== undefined && !map.has(id)) map.set(id, i);
  }
  return map;
}

function allRecords(count: number, message: string): RecordRejection[] {
  return Array.from({ length: count }, (_, index) => ({ index, message }));
}

function toList(map: Map<number, { message: string; field?: string }>): RecordRejection[] {
  return [...map.entries()].sort((a, b) => a[0] - b[0]).map(([index, r]) => ({ index, ...r }));
}

/**
 * Personal data stays out of logs (DESIGN §7). Connector records hold email addresses, phone numbers,
 * names, IPs, device ids, member ids and free-text properties, while connector logs are kept where more
 * people can read them than can read the data. So a log line, TRACE message, error message or summary
 * names a record only by its stream, its id, the reason and the field names involved — never by a field
 * value. These helpers build such descriptions; whole records go only to a file the user chose.
 */

/** A record as logs may show it: no values except the record's own id. */
export interface RecordSample {
  stream?: string;
  /** The record's id (Currents `id`, the event's `$insert_id`), only when it looks like a plain id. */
  id?: string;
  detail?: string;
  /** Names of the fields involved in the reason. */
  fields?: string[];
}

/** An id logs may show: letters, digits and - _ . : up to 64 characters (a UUID, a hash). Anything else is left out. */
const PLAIN_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

const asPlainId = (value: unknown): string | undefined =>
  (typeof value === 'string' || typeof value === 'number') && PLAIN_ID.test(String(value)) ? String(value) : undefined;

/**
 * The id of a record or of a mapped event: `id`, else `$insert_id` (top level or in `properties`), else
 * `insert_id`. Undefined when none looks like a plain id (a free-text "id" might hold anything).
 */
export function recordIdOf(record: unknown): string | undefined {
  if (!record || typeof record !== 'object' || Array.isArray(record)) return undefined;
  const r = record as Record<string, unknown>;
  const props = r.properties && typeof r.properties === 'object' ? (r.properties as Record<string, unknown>) : {};
  return asPlainId(r.id) ?? asPlainId(r.$insert_id) ?? asPlainId(props.$insert_id) ?? asPlainId(r.insert_id);
}

/** The value-free sample of a record for a reason's detail (the detail must itself be value-free). */
export function sampleOf(record: unknown, stream?: string, detail?: string, fields?: string[]): RecordSample {
  const id = recordIdOf(record);
  return { ...(stream ? { stream } : {}), ...(id ? { id } : {}), ...(detail ? { detail } : {}), ...(fields?.length ? { fields } : {}) };
}

/** `[stream] id 1234: detail (fields: a, b)` — one readable line. */
export function describeRecord(sample: RecordSample): string {
  const parts = [sample.stream ? `[${sample.stream}]` : '', sample.id ? `id ${sample.id}` : 'id not shown'].filter(Boolean).join(' ');
  const fields = sample.fields?.length ? ` (field${sample.fields.length > 1 ? 's' : ''}: ${sample.fields.join(', ')})` : '';
  return `${parts}${sample.detail ? `: ${sample.detail}` : ''}${fields}`;
}

/** Quoted fragments ('…', "…", `…`) that name a field are kept: a dotted path or a $-property, nothing else. */
const FIELD_PATH = /^\$?[a-z_][a-z0-9_$]*(\.[a-z0-9_$]+)+$|^\$[a-z_][a-z0-9_]*$/i;

/**
 * A text from outside (a server's error message, a parser's message) with every quoted fragment replaced by
 * `'…'`, except fragments that are field paths (`'properties.time'`, `'$insert_id'`) or listed in `keep`.
 * Servers and parsers quote the offending value ("'x@y.com' is not a valid distinct_id",
 * `Unexpected token 'a', "abc" is not valid JSON`); the message stays readable without it.
 */
export function withoutQuotedValues(text: string, keep: ReadonlySet<string> = new Set()): string {
  return text.replace(/'[^'\n]*'|"(?:[^"\\\n]|\\.)*"|`[^`\n]*`/g, (quoted) => {
    const inner = quoted.slice(1, -1);
    return FIELD_PATH.test(inner) || keep.has(inner) ? quoted : `${quoted[0]}…${quoted[0]}`;
  });
}

/**
 * `text` with every string value of `record` (at any depth, 3+ characters) masked: for messages that may echo
 * a value unquoted, when the record they are about is at hand.
 */
export function withoutValuesOf(record: unknown, text: string): string {
  const values = new Set<string>();
  collectStrings(record, values, 0);
  let out = text;
  for (const value of [...values].sort((a, b) => b.length - a.length)) if (out.includes(value)) out = out.split(value).join('…');
  return out;
}

function collectStrings(value: unknown, into: Set<string>, depth: number): void {
  if (depth > 8 || value === null || value === undefined) return;
  if (typeof value === 'string') {
    if (value.length >= 3) into.add(value);
  } else if (typeof value === 'number') {
    if (String(value).length >= 6) into.add(String(value)); // short numbers (counts, status codes) would mask the message itself
  } else if (typeof value === 'object') {
    for (const v of Object.values(value as Record<string, unknown>)) collectStrings(v, into, depth + 1);
  }
}

/** An unexpected error's message for logs and traces: quoted fragments removed (see withoutQuotedValues). */
export function safeErrorMessage(err: unknown): string {
  return withoutQuotedValues((err as Error)?.message ?? String(err));
}

/** A stack trace whose first line (the message) is made safe; the frames are code locations only. */
export function safeStack(err: unknown): string | undefined {
  const stack = (err as Error)?.stack;
  if (!stack) return undefined;
  const message = (err as Error).message ?? '';
  return message && stack.includes(message) ? stack.replace(message, safeErrorMessage(err)) : withoutQuotedValues(stack);
}

/**
 * Pre-send validation (DESIGN §5.3): an event Mixpanel's /import would refuse is rejected here, with a stable
 * reason code and a detail for the user, instead of being sent. Details name fields and kinds of values,
 * never the values themselves: they are logged (DESIGN §7).
 */
import type { MixpanelEvent } from '../mapping/types';
import { INSERT_ID_PATTERN } from './insert-id';
import { isJunkId } from './junk-ids';
import { MAX_BYTES_PER_CHAR, memberSizeUpperBound } from './size';

export { insertIdFor, hashInsertId, INSERT_ID_PATTERN } from './insert-id';
export { isJunkId } from './junk-ids';

/** Stable rejection codes (counted per reason by the destination). */
export type RejectionReason = string;
export const REJECTION_REASONS = {
  missingEventName: 'missing_event_name',
  missingDistinctId: 'missing_distinct_id',
  invalidDistinctId: 'invalid_distinct_id',
  missingTime: 'missing_time',
  invalidTime: 'invalid_time',
  timeOutOfRange: 'time_out_of_range',
  missingInsertId: 'missing_insert_id',
  invalidInsertId: 'invalid_insert_id',
  tooManyProperties: 'too_many_properties',
  eventTooLarge: 'event_too_large',
  unserializableEvent: 'unserializable_event',
} as const;

export interface Rejection {
  reason: RejectionReason;
  detail: string;
}

/** /import refuses events before 1971-01-01T00:00:00Z … */
export const MIN_TIME_MS = Date.UTC(1971, 0, 1);
/** … and more than one hour in Mixpanel's future. */
export const MAX_FUTURE_MS = 60 * 60 * 1000;
/** Mixpanel: "fewer than 255" / "up to 255" properties; we allow up to 255. */
export const MAX_PROPERTIES = 255;
/** Mixpanel: an event must be under 1 MB of uncompressed JSON (decimal MB, the cautious reading). */
export const MAX_EVENT_BYTES = 1_000_000;

const R = REJECTION_REASONS;
/** `{"event":"","properties":{}}` plus quotes: the bytes around the name and the members. */
const EVENT_ENVELOPE_BYTES = 32;

/** Null when Mixpanel would accept the event, else why not. `nowMs` is the current time (injected for tests). */
export function validateEvent(event: MixpanelEvent, nowMs: number): Rejection | null {
  if (typeof event.event !== 'string' || event.event.trim() === '') {
    return { reason: R.missingEventName, detail: 'the event has no name (empty or missing event name field)' };
  }
  const props = event.properties;
  return checkDistinctId(props.distinct_id) ?? checkTime(props.time, nowMs) ?? checkInsertId(props.$insert_id) ?? checkShape(event);
}

function checkDistinctId(value: unknown): Rejection | null {
  if (value === undefined || value === null) {
    return { reason: R.missingDistinctId, detail: 'the event has no distinct_id' };
  }
  if (typeof value !== 'string' && typeof value !== 'number') {
    return { reason: R.invalidDistinctId, detail: `distinct_id must be a string or number, got ${describe(value)}` };
  }
  const id = typeof value === 'string' ? value : String(value);
  if (id.trim() === '') return { reason: R.invalidDistinctId, detail: 'distinct_id is empty' };
  if (isJunkId(id)) {
    return { reason: R.invalidDistinctId, detail: 'distinct_id is a placeholder value Mixpanel refuses (such as "anon", "null", "0")' };
  }
  return null;
}

function checkTime(value: unknown, nowMs: number): Rejection | null {
  if (value === undefined || value === null) return { reason: R.missingTime, detail: 'the event has no time' };
  // The mappers always write integer epoch milliseconds, so no seconds/ms guessing here.
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return { reason: R.invalidTime, detail: `time must be epoch milliseconds (a number), got ${describe(value)}` };
  }
  const ms = value;
  if (ms < MIN_TIME_MS) return { reason: R.timeOutOfRange, detail: 'time is before 1971-01-01, which Mixpanel refuses' };
  if (ms > nowMs + MAX_FUTURE_MS) return { reason: R.timeOutOfRange, detail: 'time is more than 1 hour in the future, which Mixpanel refuses' };
  return null;
}

function checkInsertId(value: unknown): Rejection | null {
  if (value === undefined || value === null || value === '') {
    return { reason: R.missingInsertId, detail: 'the event has no $insert_id (source record without id?)' };
  }
  if (typeof value !== 'string' || !INSERT_ID_PATTERN.test(value) || isJunkId(value)) {
    return {
      reason: R.invalidInsertId,
      detail: `$insert_id must be 1-36 letters, digits or '-', and not a placeholder; got ${describe(value)}`,
    };
  }
  return null;
}

/**
 * Property count and serialized size in one pass: a cheap upper bound of the size first, the exact size (one
 * JSON.stringify) only when the bound reaches the limit, which real events almost never do.
 */
function checkShape(event: MixpanelEvent): Rejection | null {
  const props = event.properties;
  let count = 0;
  let bound = EVENT_ENVELOPE_BYTES + event.event.length * MAX_BYTES_PER_CHAR;
  // Object.keys + an indexed loop, with strings (most values) inlined: about twice as fast as for-in here.
  const keys = Object.keys(props);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const value = props[key];
    if (value === undefined) continue;
    count++;
    bound +=
      typeof value === 'string'
        ? (key.length + value.length) * MAX_BYTES_PER_CHAR + 6
        : memberSizeUpperBound(key, value, MAX_EVENT_BYTES) + 1;
  }
  if (count > MAX_PROPERTIES) {
    return { reason: R.tooManyProperties, detail: `${count} properties; Mixpanel accepts at most ${MAX_PROPERTIES}` };
  }
  if (bound < MAX_EVENT_BYTES) return null;
  let bytes: number;
  try {
    bytes = Buffer.byteLength(JSON.stringify(event), 'utf8');
  } catch (err) {
    return { reason: R.unserializableEvent, detail: `the event cannot be written as JSON: ${(err as Error).message}` };
  }
  if (bytes >= MAX_EVENT_BYTES) {
    return { reason: R.eventTooLarge, detail: `${bytes} bytes of JSON; Mixpanel accepts events under ${MAX_EVENT_BYTES}` };
  }
  return null;
}

/** The kind of a value, for details: never the value itself. */
function describe(value: unknown): string {
  if (typeof value === 'string') return `a ${value.length}-character string`;
  if (typeof value === 'number') return Number.isFinite(value) ? 'a number' : String(value);
  if (typeof value === 'boolean') return 'a boolean';
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

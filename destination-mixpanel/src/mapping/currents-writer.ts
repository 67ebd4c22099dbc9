/**
 * The fast path for Currents records: a per-type compiled writer that produces the event's JSON text straight
 * from the record, without building the event object, checking it and JSON.stringify-ing it (which together
 * were about half of the per-record CPU). Event name, property keys and constant values are escaped once per
 * type; each record's values are written with JSON.stringify one by one.
 *
 * It only takes the common case: a record the general path (currents-mapper → validation → JSON.stringify)
 * would accept as is. Anything else — skips, anything validation would refuse, pass-through types, exotic
 * values — returns undefined and goes the general path, so reasons, details and samples stay those of the
 * general path. The JSON is the general path's, byte for byte (same members, same order; see
 * test/currents-writer.test.ts).
 */
import { isJunkId, MAX_EVENT_BYTES, MAX_FUTURE_MS, MAX_PROPERTIES, MIN_TIME_MS } from '../validation';
import { insertIdFor } from '../validation/insert-id';
import { BRAZE_PARTNER_ID, distinctIdOf, eventTimeMs, WARNINGS, type TypePlan } from './currents-mapper';
import { propertiesObject } from './custom-properties';
import { CUSTOM_EVENT_PREFIX } from './event-names';
import type { MappingConfig } from './types';

export interface WrittenEvent {
  json: string;
  eventName: string;
  warnings?: string[];
}

/** `nowMs` for the time range; `maxEventBytes`: the largest line a request may carry. */
export type CurrentsWriter = (data: Record<string, unknown>, nowMs: number, maxEventBytes: number) => WrittenEvent | undefined;

/** Writes `,"key":value` for each copied field present; returns the text and, via `counter`, how many. */
type MemberWriter = (source: Record<string, unknown>, counter: { n: number }) => string | undefined;

/** What JSON.stringify escapes in a string: quote, backslash, control characters, (lone) surrogates. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Keys an object orders before all others (array indexes): a member order we don't reproduce, so no fast path. */
const INDEX_LIKE = /^(0|[1-9]\d*)$/;

/** Null when the type cannot take the fast path at all (see the module comment). */
export function compileCurrentsWriter(plan: TypePlan, config: MappingConfig): CurrentsWriter | null {
  if (!plan.exported || plan.passThrough) return null;
  if (plan.eventName !== null && plan.eventName.trim() === '') return null;
  const keys = plan.copies.map(([to]) => to);
  // Duplicate, index-like or '['-prefixed keys (which could meet the prefixed properties) would change member order.
  if (new Set(keys).size !== keys.length || keys.some((k) => INDEX_LIKE.test(k) || k.startsWith('['))) return null;

  const writeCopies = compileMemberWriter(plan.copies);
  const fixedName = plan.eventName;
  const head = fixedName === null ? null : `{"event":${JSON.stringify(fixedName)},"properties":{"distinct_id":`;
  const tokenMember = config.project_token !== undefined ? `,"token":${JSON.stringify(config.project_token)}` : '';
  const partnerMember = `,"$partner_id":${JSON.stringify(BRAZE_PARTNER_ID)}`;
  const fixedCount = 4 + (tokenMember ? 1 : 0);
  const prefix = plan.prefixedProperties;
  const counter = { n: 0 };

  return (data, nowMs, maxEventBytes) => {
    const name = fixedName ?? customEventName(data);
    if (name === undefined) return undefined;
    const distinctId = distinctIdOf(data, config);
    if (distinctId === undefined || distinctId.trim() === '' || isJunkId(distinctId)) return undefined;
    const time = eventTimeMs(data);
    if (time === undefined || time < MIN_TIME_MS || time > nowMs + MAX_FUTURE_MS) return undefined;
    const id = data.id;
    if (typeof id !== 'string' && typeof id !== 'number') return undefined;

    let count = fixedCount;
    let json =
      (head ?? `{"event":${JSON.stringify(name)},"properties":{"distinct_id":`) +
      JSON.stringify(distinctId) +
      ',"time":' +
      time +
      ',"$insert_id":' +
      JSON.stringify(insertIdFor(String(id))) +
      partnerMember +
      tokenMember;
    if (plan.device && data.device_model != null) {
      const value = valueJson(data.device_model);
      if (value === undefined) return undefined;
      json += ',"$device":' + value;
      count++;
    }
    if (plan.os && data.os_version != null) {
      const value = valueJson(data.os_version);
      if (value === undefined) return undefined;
      json += ',"$os":' + value;
      count++;
    }
    counter.n = 0;
    const copies = writeCopies(data, counter);
    if (copies === undefined) return undefined;
    json += copies;
    count += counter.n;

    let warnings: string[] | undefined;
    if (prefix !== null) {
      const prefixed = prefixedMembers(data.properties, prefix, counter);
      if (prefixed === undefined) return undefined;
      if (prefixed === false) warnings = [WARNINGS.invalidPropertiesJson];
      else {
        json += prefixed;
        count += counter.n;
      }
    }
    if (count > MAX_PROPERTIES) return undefined;
    json += '}}';
    // UTF-8 takes at most 3 bytes per UTF-16 unit: anything that might be too large goes the general path.
    if (json.length * 3 >= MAX_EVENT_BYTES || json.length * 3 > maxEventBytes) return undefined;
    return warnings ? { json, eventName: name, warnings } : { json, eventName: name };
  };
}

function customEventName(data: Record<string, unknown>): string | undefined {
  return typeof data.name === 'string' && data.name !== '' ? CUSTOM_EVENT_PREFIX + data.name : undefined;
}

/**
 * JSON of one property value as JSON.stringify writes it inside the event; undefined for values it would
 * leave out or cannot write (functions, BigInt, cycles), which the general path then handles.
 */
function valueJson(value: unknown): string | undefined {
  // Most values are plain strings: quoted directly unless something in them needs escaping.
  if (typeof value === 'string') return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : '"' + value + '"';
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/**
 * The prefixed members of a `properties` JSON string (see custom-properties.ts for the rules): their text
 * (count in `counter.n`), false when `raw` is not a JSON object (the warning case), undefined for values the
 * general path must handle.
 */
function prefixedMembers(raw: unknown, prefix: string, counter: { n: number }): string | false | undefined {
  counter.n = 0;
  const entries = propertiesObject(raw);
  if (!entries) return false;
  let out = '';
  for (const key in entries) {
    const value = entries[key];
    if (value === null || value === undefined) continue;
    const text = valueJson(value);
    if (text === undefined) return undefined;
    out += ',' + JSON.stringify(prefix + key) + ':' + text;
    counter.n++;
  }
  return out;
}

/**
 * One generated function per type (constant property names keep the loads named and fast, as in
 * field-copier.ts): for each [key, field] pair with a non-null value, `,"key":<JSON of the value>`.
 */
function compileMemberWriter(pairs: ReadonlyArray<readonly [string, string]>): MemberWriter {
  const body = pairs
    .map(([to, from]) => {
      const member = JSON.stringify(`,${JSON.stringify(to)}:`);
      return `v = s[${JSON.stringify(from)}]; if (v !== null && v !== undefined) { t = J(v); if (t === undefined) return undefined; o += ${member} + t; c.n++; }`;
    })
    .join('\n');
  const factory = new Function('J', `return function (s, c) { let v, t, o = '';\n${body}\nreturn o; };`);
  return factory(valueJson) as MemberWriter;
}

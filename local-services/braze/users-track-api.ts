/**
 * `POST /users/track` (reference/braze_rest_cohorts.md §1): body `{"attributes": [...], "events": [...],
 * "purchases": [...]}`, each array at most 75 objects (beyond: 400 "Max Input Length Exceeded", nothing applied).
 * Each object names exactly one identifier (external_id, user_alias, braze_id, email or phone); an object that
 * breaks a rule gets a minor error `{type, input_array, index}` and is skipped while the rest is applied
 * (201 `{"message":"success", ..., "errors":[...]}`).
 *
 * `_update_existing_only`: true → an unknown user is ignored (never created); false or absent → the user is
 * created (Braze's default for external ids; user_alias objects default to true).
 * Attribute arrays: `{"add": [...]}` / `{"remove": [...]}` (both allowed in one object) with the store's semantics;
 * every value is at most 255 characters (longer → minor error for that object).
 * Users are modelled by external id only; other identifiers never match a seeded user.
 */
import { AttributeValue, MAX_VALUE_LENGTH, UserStore } from './user-store';

export const MAX_OBJECTS_PER_ARRAY = 75;
const IDENTIFIERS = ['external_id', 'user_alias', 'braze_id', 'email', 'phone'] as const;
const INPUT_ARRAYS = ['attributes', 'events', 'purchases'] as const;
type InputArray = (typeof INPUT_ARRAYS)[number];

export interface MinorError {
  type: string;
  input_array: InputArray;
  index: number;
}

export interface TrackOutcome {
  status: number;
  body: Record<string, unknown>;
  /** Attribute objects received in a decodable body. */
  objectsReceived: number;
  /** Attribute objects applied to an existing (or created) user. */
  objectsApplied: number;
  /** Attribute objects skipped because their user does not exist and `_update_existing_only` was true. */
  objectsIgnored: number;
  /** Attribute updates applied (Braze bills one data point per attribute written). */
  dataPoints: number;
}

/** Minor errors forced on chosen attribute objects (a scripted fault). */
export interface ForcedMinorErrors {
  indexes: number[];
  message?: string;
}

class FatalError extends Error {
  constructor(readonly status: number, message: string, readonly errors: string[] = []) {
    super(message);
  }
}

function fatal(outcome: FatalError, objectsReceived: number): TrackOutcome {
  const body: Record<string, unknown> = { message: outcome.message };
  if (outcome.errors.length > 0) body.errors = outcome.errors;
  return { status: outcome.status, body, objectsReceived, objectsApplied: 0, objectsIgnored: 0, dataPoints: 0 };
}

function parseBody(raw: Buffer, contentType: string | undefined): Record<string, unknown[]> {
  const base = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (base !== 'application/json') throw new FatalError(400, 'Bad Request', [`Content-Type must be application/json, got '${base || '(none)'}'`]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new FatalError(400, 'Bad Request', ['request body is not valid JSON']);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new FatalError(400, 'Bad Request', ['request body must be a JSON object with attributes, events and/or purchases arrays']);
  }
  const body = parsed as Record<string, unknown>;
  const arrays: Record<string, unknown[]> = {};
  for (const key of Object.keys(body)) {
    if (!(INPUT_ARRAYS as readonly string[]).includes(key)) throw new FatalError(400, 'Bad Request', [`unknown top-level key '${key}'`]);
    const value = body[key];
    if (!Array.isArray(value)) throw new FatalError(400, 'Bad Request', [`'${key}' must be an array`]);
    if (value.length > MAX_OBJECTS_PER_ARRAY) {
      throw new FatalError(400, 'Max Input Length Exceeded', [`'${key}' holds ${value.length} objects; at most ${MAX_OBJECTS_PER_ARRAY} are allowed`]);
    }
    arrays[key] = value;
  }
  if (Object.keys(arrays).length === 0) throw new FatalError(400, 'Bad Request', ['no attributes, events or purchases given']);
  return arrays;
}

/** The single identifier of an object, or why there is none. */
function identifierOf(obj: Record<string, unknown>): { kind: (typeof IDENTIFIERS)[number]; key: string } | { problem: string } {
  const present = IDENTIFIERS.filter((id) => obj[id] !== undefined);
  if (present.length === 0) return { problem: "'external_id' or 'braze_id' or 'user_alias' or 'email' or 'phone' is required" };
  if (present.length > 1) return { problem: `exactly one identifier is allowed per object, got ${present.join(', ')}` };
  const kind = present[0];
  const value = obj[kind];
  if (kind === 'user_alias') {
    const alias = value as { alias_name?: unknown; alias_label?: unknown } | null;
    if (!alias || typeof alias !== 'object' || typeof alias.alias_name !== 'string' || typeof alias.alias_label !== 'string') {
      return { problem: "'user_alias' must be an object with string alias_name and alias_label" };
    }
    return { kind, key: `user_alias:${alias.alias_label}:${alias.alias_name}` };
  }
  if (typeof value !== 'string' || value.length === 0) return { problem: `'${kind}' must be a non-empty string` };
  return { kind, key: kind === 'external_id' ? value : `${kind}:${value}` };
}

function isArrayOperation(value: unknown): value is { add?: unknown; remove?: unknown } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k === 'add' || k === 'remove');
}

function valueProblem(attribute: string, value: unknown): string | null {
  if (typeof value === 'string' && value.length > MAX_VALUE_LENGTH) {
    return `value of custom attribute '${attribute}' exceeds the maximum length of ${MAX_VALUE_LENGTH} characters`;
  }
  return null;
}

/** Why an attribute object cannot be applied (null: it can). */
function attributeProblem(obj: Record<string, unknown>): string | null {
  if (obj._update_existing_only !== undefined && typeof obj._update_existing_only !== 'boolean') return "'_update_existing_only' must be a boolean";
  for (const [name, value] of Object.entries(obj)) {
    if ((IDENTIFIERS as readonly string[]).includes(name) || name === '_update_existing_only') continue;
    if (isArrayOperation(value)) {
      for (const op of ['add', 'remove'] as const) {
        const list = value[op];
        if (list === undefined) continue;
        if (!Array.isArray(list)) return `'${name}.${op}' must be an array`;
        for (const item of list) {
          const problem = valueProblem(name, item);
          if (problem) return problem;
        }
      }
      continue;
    }
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      const problem = valueProblem(name, item);
      if (problem) return problem;
    }
  }
  return null;
}

function asObject(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

export function handleUsersTrack(store: UserStore, raw: Buffer, contentType: string | undefined, forced?: ForcedMinorErrors): TrackOutcome {
  let arrays: Record<string, unknown[]>;
  try {
    arrays = parseBody(raw, contentType);
  } catch (err) {
    if (err instanceof FatalError) return fatal(err, 0);
    throw err;
  }
  const errors: MinorError[] = [];
  const attributes = arrays.attributes ?? [];
  const forcedIndexes = new Set(forced?.indexes ?? []);
  const outcome: TrackOutcome = { status: 201, body: {}, objectsReceived: attributes.length, objectsApplied: 0, objectsIgnored: 0, dataPoints: 0 };
  let processed = 0;
  attributes.forEach((item, index) => {
    const obj = asObject(item);
    const id = obj ? identifierOf(obj) : { problem: 'each attribute object must be a JSON object' };
    const problem = 'problem' in id ? id.problem : attributeProblem(obj!);
    if (problem || forcedIndexes.has(index)) {
      errors.push({ type: problem ?? forced?.message ?? 'injected minor error', input_array: 'attributes', index });
      return;
    }
    processed++;
    const { kind, key } = id as { kind: string; key: string };
    const updateOnly = (obj!._update_existing_only as boolean | undefined) ?? kind === 'user_alias';
    // Only external ids are modelled as existing users; any other identifier is an unknown user here.
    const exists = kind === 'external_id' && store.exists(key);
    if (!exists && updateOnly) {
      outcome.objectsIgnored++;
      return;
    }
    outcome.dataPoints += applyAttributes(store, store.attributesFor(key, !exists), obj!);
    outcome.objectsApplied++;
  });
  let eventsProcessed = 0;
  for (const name of ['events', 'purchases'] as const) {
    (arrays[name] ?? []).forEach((item, index) => {
      const obj = asObject(item);
      const id = obj ? identifierOf(obj) : { problem: `each ${name} object must be a JSON object` };
      if ('problem' in id) errors.push({ type: id.problem, input_array: name, index });
      else if (name === 'events') eventsProcessed++;
    });
  }
  const body: Record<string, unknown> = { message: 'success' };
  if (arrays.attributes) body.attributes_processed = processed;
  if (arrays.events) body.events_processed = eventsProcessed;
  if (arrays.purchases) body.purchases_processed = (arrays.purchases ?? []).length - errors.filter((e) => e.input_array === 'purchases').length;
  if (errors.length > 0) body.errors = errors;
  outcome.body = body;
  return outcome;
}

/** Writes every attribute of the object; returns the number of attributes written (data points). */
function applyAttributes(store: UserStore, user: Map<string, AttributeValue>, obj: Record<string, unknown>): number {
  let written = 0;
  for (const [name, value] of Object.entries(obj)) {
    if ((IDENTIFIERS as readonly string[]).includes(name) || name === '_update_existing_only') continue;
    if (isArrayOperation(value)) store.applyArrayOperation(user, name, value as { add?: AttributeValue[]; remove?: AttributeValue[] });
    else store.setAttribute(user, name, value as AttributeValue);
    written++;
  }
  return written;
}

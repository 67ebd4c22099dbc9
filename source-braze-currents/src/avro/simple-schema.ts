/**
 * Building an avsc Type costs about 1.4 ms per writer schema (it generates code for every record), and an
 * export has a few hundred distinct ones. Braze's schemas are nearly always flat records of primitives and
 * ["null", X] unions; for exactly that shape this module describes the resolved types itself, so the JSON
 * transcoder can be compiled without avsc, and avsc's Type is built only if a block needs the object path.
 *
 * Only schemas avsc certainly accepts, and resolves as described here, qualify: every rule avsc checks for
 * this shape is checked (names, duplicate fields, defaults); anything else returns undefined and the caller
 * builds the avsc Type at once, as before (so an invalid schema is still reported when the header is read).
 */

/** The part of a resolved type the transcoder reads (avsc's Type has the same properties). */
export interface ResolvedType {
  readonly typeName: string;
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
/** Record attributes avsc acts on beyond type/name/namespace/doc/fields; others (Braze adds `owner`) it ignores. */
const RECORD_KEYS_AVSC_READS = new Set(['aliases', 'logicalType']);
const FIELD_KEYS = new Set(['name', 'type', 'doc', 'default']);

/** The resolved type of a flat record schema, or undefined when only avsc may resolve it. */
export function resolveFlatRecord(schema: Record<string, unknown>): ResolvedType | undefined {
  if (Object.keys(schema).some((k) => RECORD_KEYS_AVSC_READS.has(k)) || schema.type !== 'record' || !validRecordName(schema.name, schema.namespace)) return undefined;
  const rawFields = schema.fields;
  if (!Array.isArray(rawFields)) return undefined;
  const seen = new Set<string>();
  const fields: { name: string; type: ResolvedType }[] = [];
  for (const f of rawFields as unknown[]) {
    if (!f || typeof f !== 'object' || Array.isArray(f) || !onlyKeys(f as Record<string, unknown>, FIELD_KEYS)) return undefined;
    const { name, type, default: dflt } = f as { name?: unknown; type?: unknown; default?: unknown };
    if (typeof name !== 'string' || !NAME_PATTERN.test(name) || seen.has(name)) return undefined;
    seen.add(name);
    const resolved = fieldType(type, dflt);
    if (!resolved) return undefined;
    fields.push({ name, type: resolved });
  }
  return { typeName: 'record', fields } as ResolvedType;
}

/** A primitive without default, or a ["null", X] / [X, "null"] union (X a non-null primitive) with at most a null default on a null-first union. */
function fieldType(type: unknown, dflt: unknown): ResolvedType | undefined {
  if (typeof type === 'string') return PRIMITIVES.has(type) && dflt === undefined ? { typeName: type } : undefined;
  if (!Array.isArray(type) || type.length !== 2 || !type.every((t) => typeof t === 'string' && PRIMITIVES.has(t))) return undefined;
  const nulls = type.filter((t) => t === 'null').length;
  if (nulls !== 1) return undefined;
  if (dflt !== undefined && !(dflt === null && type[0] === 'null')) return undefined;
  return { typeName: 'union:unwrapped', types: type.map((t: string) => ({ typeName: t })) } as ResolvedType;
}

/** avsc's rule: the full name (namespace + name unless the name is dotted) has valid parts and is no primitive name. */
function validRecordName(name: unknown, namespace: unknown): boolean {
  if (typeof name !== 'string' || (namespace !== undefined && typeof namespace !== 'string')) return false;
  const parts = name.split('.');
  if (PRIMITIVES.has(parts[parts.length - 1])) return false;
  const full = name.includes('.') ? name.replace(/^\./, '') : namespace ? `${namespace}.${name}` : name;
  return full.split('.').every((part) => NAME_PATTERN.test(part));
}

function onlyKeys(obj: Record<string, unknown>, allowed: Set<string>): boolean {
  for (const k of Object.keys(obj)) if (!allowed.has(k)) return false;
  return true;
}

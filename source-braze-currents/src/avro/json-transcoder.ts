/**
 * Avro binary → JSON text, compiled once per writer schema into a tree of small closures: each record is
 * read from the block and its JSON written straight into a byte buffer, with no intermediate object and
 * no per-field JS string for plain ASCII values.
 *
 * The output must be byte-for-byte what the object path produces (avsc `decode` with unwrapped unions,
 * then `planRecordFix`, then `JSON.stringify`). So the compiler accepts only schema shapes whose object
 * path it mirrors exactly, and refuses the rest (maps, wrapped unions, named-type references, …): for
 * those `compileJsonTranscoder` returns undefined and the caller stays on the object path.
 */
import { AvroCursor, NotTranscodable } from './binary-cursor';
import { ByteLiteral, JsonByteWriter } from './json-writer';
import { shortestFloat32 } from './json-values';
import type { ResolvedType } from './simple-schema';

type Emit = (cursor: AvroCursor, out: JsonByteWriter) => void;
type RawSchema = unknown;

/** The schema uses something the fast path does not mirror; the object path handles it. */
class UnsupportedSchema extends Error {}

const NULL = ByteLiteral.of('null');
const TRUE = ByteLiteral.of('true');
const FALSE = ByteLiteral.of('false');

/** Field names the object path itself assigns on every record; a writer field of that name would change key order. */
const RESERVED_FIELDS = new Set(['_event_type', '_source_key', '__proto__']);

export interface RecordJsonTranscoder {
  /**
   * Transcodes up to `max` records from `cursor`, writing for each `open`, the record's fields, then
   * `close` to `out`; stops early once `out` holds `softLimitBytes`. Returns how many records it wrote.
   * Throws NotTranscodable when unsure. `open` must end with `{` and `close` must start with `closingText`.
   */
  transcode(cursor: AvroCursor, out: JsonByteWriter, max: number, open: ByteLiteral, close: ByteLiteral, softLimitBytes: number): number;
  /** The text after the last field: `,"_event_type":…,"_source_key":…}` (no comma when there are no fields). */
  closingText(extra: Record<string, string>): string;
}

/** Compiles a transcoder for records of this writer schema, or undefined when only the object path can read them faithfully. */
export function compileJsonTranscoder(schema: Record<string, unknown>, type: ResolvedType): RecordJsonTranscoder | undefined {
  if (schema.type !== 'record' || type.typeName !== 'record') return undefined;
  try {
    const fields = recordFields(schema, type);
    if (fields.some((f) => RESERVED_FIELDS.has(f.name))) return undefined;
    const body = fieldsEmitter(fields);
    return {
      transcode(cursor, out, max, open, close, softLimitBytes) {
        for (let i = 0; i < max; i++) {
          out.literal(open);
          body(cursor, out);
          out.literal(close);
          if (out.pos >= softLimitBytes) return i + 1;
        }
        return max;
      },
      closingText(extra) {
        const parts = Object.entries(extra).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
        return `${fields.length && parts.length ? ',' : ''}${parts.join(',')}}`;
      },
    };
  } catch (err) {
    if (err instanceof UnsupportedSchema) return undefined;
    throw err;
  }
}

interface CompiledField { name: string; emit: Emit }

/** Pairs the raw field list (what the object path's fixer sees) with avsc's resolved field types. */
function recordFields(schema: Record<string, unknown>, type: ResolvedType): CompiledField[] {
  const rawFields = schema.fields as { name: string; type: RawSchema }[] | undefined;
  const typeFields = (type as unknown as { fields: { name: string; type: ResolvedType }[] }).fields;
  if (!Array.isArray(rawFields) || rawFields.length !== typeFields.length) throw new UnsupportedSchema();
  return rawFields.map((f, i) => {
    if (typeFields[i].name !== f.name || f.name === '__proto__') throw new UnsupportedSchema();
    return { name: f.name, emit: fieldEmitter(`${i ? ',' : ''}${JSON.stringify(f.name)}:`, f.type, typeFields[i].type) };
  });
}

/** Writes `"name":value`. */
function fieldEmitter(keyText: string, raw: RawSchema, type: ResolvedType): Emit {
  const key = ByteLiteral.of(keyText);
  const nullIndex = Array.isArray(raw) && raw.length === 2 ? raw.indexOf('null') : -1;
  if (nullIndex >= 0 && type.typeName === 'union:unwrapped') {
    // The commonest Braze field, ["null", X]: a null is one copy of `"name":null`, no branch dispatch.
    const keyAndNull = ByteLiteral.of(`${keyText}null`);
    const valueIndex = 1 - nullIndex;
    const value = emitterFor((raw as RawSchema[])[valueIndex], (type as unknown as { types: ResolvedType[] }).types[valueIndex]);
    return (c, out) => {
      const index = c.int();
      if (index === nullIndex) {
        out.literal(keyAndNull);
      } else if (index === valueIndex) {
        out.literal(key);
        value(c, out);
      } else {
        throw new NotTranscodable('invalid union index');
      }
    };
  }
  const value = emitterFor(raw, type);
  return (c, out) => {
    out.literal(key);
    value(c, out);
  };
}

function fieldsEmitter(fields: CompiledField[]): Emit {
  const emits = fields.map((f) => f.emit);
  const n = fields.length;
  return (cursor, out) => {
    for (let i = 0; i < n; i++) emits[i](cursor, out);
  };
}

/** Type name as the object path's fixer reads it: a primitive name, or the `type` of a definition object. */
function rawTypeName(raw: RawSchema): string {
  if (typeof raw === 'string') return raw;
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && typeof (raw as { type?: unknown }).type === 'string') return (raw as { type: string }).type;
  throw new UnsupportedSchema(); // nested type objects, named references inside objects, …
}

function emitterFor(raw: RawSchema, type: ResolvedType): Emit {
  if (Array.isArray(raw)) {
    if (type.typeName !== 'union:unwrapped') throw new UnsupportedSchema(); // wrapped unions keep {"branch": v}
    const branches = (type as unknown as { types: ResolvedType[] }).types;
    if (branches.length !== raw.length) throw new UnsupportedSchema();
    return unionEmitter(raw.map((r, i) => emitterFor(r, branches[i])));
  }
  const name = rawTypeName(raw);
  // A raw name that avsc resolved to something else is a reference to a named type: the object path's
  // fixer does not follow references, so leave those schemas to it.
  if (name !== type.typeName) throw new UnsupportedSchema();
  switch (name) {
    case 'null':
      return (_c, out) => out.literal(NULL);
    case 'boolean':
      return (c, out) => out.literal(c.boolean() ? TRUE : FALSE);
    case 'int':
      return (c, out) => out.number(c.int());
    case 'long':
      return (c, out) => out.number(c.long());
    case 'float':
      // Same rule as the object path: the shortest decimal that reads back as the same float32.
      return (c, out) => out.number(shortestFloat32(c.float()));
    case 'double':
      return (c, out) => out.number(c.double());
    case 'string':
      return (c, out) => {
        const len = c.length();
        out.utf8String(c.buf, c.view, c.pos, len);
        c.pos += len;
      };
    case 'bytes':
      return (c, out) => {
        const len = c.length();
        out.byte(0x22);
        out.ascii(c.buf.toString('base64', c.pos, c.pos + len));
        out.byte(0x22);
        c.pos += len;
      };
    case 'fixed': {
      const size = (type as unknown as { size: number }).size;
      return (c, out) => {
        if (c.pos + size > c.end) throw new NotTranscodable('fixed past the end of the block');
        out.byte(0x22);
        out.ascii(c.buf.toString('base64', c.pos, c.pos + size));
        out.byte(0x22);
        c.pos += size;
      };
    }
    case 'enum': {
      const symbols = (type as unknown as { symbols: string[] }).symbols.map((s) => ByteLiteral.of(JSON.stringify(s)));
      return (c, out) => {
        const symbol = symbols[c.int()];
        if (!symbol) throw new NotTranscodable('enum index out of range');
        out.literal(symbol);
      };
    }
    case 'array':
      return arrayEmitter(emitterFor((raw as { items: RawSchema }).items, (type as unknown as { itemsType: ResolvedType }).itemsType));
    case 'record': {
      const body = fieldsEmitter(recordFields(raw as Record<string, unknown>, type));
      return (c, out) => {
        out.byte(0x7b);
        body(c, out);
        out.byte(0x7d);
      };
    }
    default:
      throw new UnsupportedSchema(); // map, error, and anything newer
  }
}

function unionEmitter(branches: Emit[]): Emit {
  return (c, out) => {
    const branch = branches[c.int()];
    if (!branch) throw new NotTranscodable('invalid union index');
    branch(c, out);
  };
}

/** Avro arrays come in blocks of items (a negative count is followed by the block's byte size). */
function arrayEmitter(item: Emit): Emit {
  return (c, out) => {
    out.byte(0x5b); // [
    let first = true;
    for (let n = c.int(); n !== 0; n = c.int()) {
      if (n < 0) {
        n = -n;
        c.skipVarint();
      }
      // Every item we accept takes at least one byte, except arrays of nulls and of empty records, which
      // avsc decodes too; a count beyond the remaining bytes is corruption (or such an array): avsc decides.
      if (n > c.end - c.pos) throw new NotTranscodable('array count beyond the block');
      for (; n > 0; n--) {
        if (!first) out.byte(0x2c);
        first = false;
        item(c, out);
      }
    }
    out.byte(0x5d); // ]
  };
}

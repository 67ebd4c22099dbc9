type Rec = Record<string, unknown>;

const AVRO_BRANCHES = new Set(['string', 'int', 'long', 'float', 'double', 'boolean', 'bytes', 'array', 'map']);

/** Avro's JSON encoding wraps union values as {"<type>": value}; the source emits bare values (DESIGN §4.3). */
export function unwrapAvroJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapAvroJson);
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && AVRO_BRANCHES.has(keys[0])) return unwrapAvroJson((value as Rec)[keys[0]]);
    const out: Rec = {};
    for (const k of keys) out[k] = unwrapAvroJson((value as Rec)[k]);
    return out;
  }
  return value;
}

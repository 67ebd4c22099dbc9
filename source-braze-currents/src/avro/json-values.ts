/**
 * Makes decoded Avro values JSON-safe and faithful. avsc already gives bare union values and longs as
 * numbers; what remains is per field type, so it is planned once per writer schema and applied per record
 * only to the few fields that need it.
 */
type AvroSchema = unknown;

type Fix = (value: unknown) => unknown;

/**
 * Avro `float` is 32-bit; widened to a double it prints as 3.140000104904175. We emit the shortest decimal
 * that reads back as the same float32 (3.14), which is what the writer meant and what Mixpanel should see.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

function fixFor(schema: AvroSchema): Fix | undefined {
  if (Array.isArray(schema)) {
    // Union: fix whichever branch the value belongs to (branches are distinguishable when unwrapped).
    const fixes = schema.map(fixFor).filter((f): f is Fix => f !== undefined);
    if (fixes.length === 0) return undefined;
    return (v) => (v === null ? v : fixes.reduce<unknown>((acc, f) => f(acc), v));
  }
  const type = typeof schema === 'string' ? schema : (schema as { type?: unknown })?.type;
  switch (type) {
    case 'float':
      return (v) => (typeof v === 'number' ? shortestFloat32(v) : v);
    case 'bytes':
    case 'fixed':
      return (v) => (Buffer.isBuffer(v) ? v.toString('base64') : v);
    case 'array': {
      const item = fixFor((schema as { items: AvroSchema }).items);
      return item ? (v) => (Array.isArray(v) ? v.map(item) : v) : undefined;
    }
    case 'map': {
      const value = fixFor((schema as { values: AvroSchema }).values);
      return value ? (v) => mapValues(v, value) : undefined;
    }
    case 'record':
      return recordFixer((schema as { fields?: { name: string; type: AvroSchema }[] }).fields ?? []);
    default:
      return undefined;
  }
}

function mapValues(v: unknown, fix: Fix): unknown {
  if (v === null || typeof v !== 'object') return v;
  const obj = v as Record<string, unknown>;
  for (const k of Object.keys(obj)) obj[k] = fix(obj[k]);
  return obj;
}

function recordFixer(fields: { name: string; type: AvroSchema }[]): Fix | undefined {
  const plan = fields.map((f) => ({ name: f.name, fix: fixFor(f.type) })).filter((p): p is { name: string; fix: Fix } => p.fix !== undefined);
  if (plan.length === 0) return undefined;
  return (v) => {
    if (v === null || typeof v !== 'object') return v;
    const obj = v as Record<string, unknown>;
    for (const p of plan) obj[p.name] = p.fix(obj[p.name]);
    return obj;
  };
}

/** In-place fixer for records of this writer schema, or undefined when every field is JSON-safe as decoded. */
export function planRecordFix(writerSchema: Record<string, unknown>): ((record: Record<string, unknown>) => void) | undefined {
  const fix = fixFor(writerSchema);
  return fix ? (record) => { fix(record); } : undefined;
}

/**
 * JSON Schema (Draft-7) pieces for Currents streams, shared by the schema generator (from the field
 * catalogue) and by discover (from the Avro writer schemas it finds in the bucket).
 */
export type JsonSchema = Record<string, unknown>;

/** The two fields every record gets (DESIGN §4.3), so a destination never has to guess. */
export const ADDED_FIELDS: Record<string, JsonSchema> = {
  _event_type: { type: 'string', description: 'Dotted Braze Currents event type, e.g. users.messages.email.Open' },
  _source_key: { type: 'string', description: 'Key of the Avro object (file) the event was read from' },
};

const PRIMITIVE: Record<string, string> = {
  string: 'string',
  bytes: 'string',
  fixed: 'string',
  enum: 'string',
  int: 'integer',
  long: 'integer',
  float: 'number',
  double: 'number',
  boolean: 'boolean',
  null: 'null',
  map: 'object',
  record: 'object',
  array: 'array',
};

function nullable(schema: JsonSchema): JsonSchema {
  const t = schema.type;
  if (t === undefined) return schema;
  const types = Array.isArray(t) ? t : [t];
  return types.includes('null') ? schema : { ...schema, type: ['null', ...types] };
}

/** Catalogue type notation (`string`, `int`, `array<string>`, …) → JSON Schema. */
export function catalogueTypeToJsonSchema(type: string, optional: boolean): JsonSchema {
  const array = /^array<(.+)>$/.exec(type);
  const base: JsonSchema = array
    // Array items may be null in Braze's schemas (WhatsApp media_urls), so items are nullable.
    ? { type: 'array', items: nullable(catalogueTypeToJsonSchema(array[1], false)) }
    : { type: PRIMITIVE[type] ?? 'string' };
  return optional ? nullable(base) : base;
}

/** Avro schema of one field → JSON Schema. Unions with null become nullable; other unions accept any branch. */
export function avroTypeToJsonSchema(avroType: unknown): JsonSchema {
  if (Array.isArray(avroType)) {
    const branches = avroType.filter((b) => b !== 'null');
    const hasNull = branches.length < avroType.length;
    if (branches.length === 1) {
      const inner = avroTypeToJsonSchema(branches[0]);
      return hasNull ? nullable(inner) : inner;
    }
    const types = new Set<string>();
    for (const b of branches) {
      const t = avroTypeToJsonSchema(b).type;
      for (const x of Array.isArray(t) ? t : [t]) if (typeof x === 'string') types.add(x);
    }
    if (hasNull) types.add('null');
    return { type: [...types] };
  }
  if (typeof avroType === 'string') return { type: PRIMITIVE[avroType] ?? 'string' };
  const obj = (avroType ?? {}) as { type?: unknown; items?: unknown; logicalType?: string };
  if (obj.type === 'array') return { type: 'array', items: avroTypeToJsonSchema(obj.items) };
  if (typeof obj.type === 'string' && PRIMITIVE[obj.type] === undefined) {
    // A named type reference or an unknown logical wrapper: the primitive underneath decides.
    return avroTypeToJsonSchema(obj.type);
  }
  return { type: PRIMITIVE[String(obj.type)] ?? 'string' };
}

export interface AvroField { name: string; type: unknown; doc?: string }

/** A stream schema built only from a writer schema (event types the catalogue does not know). */
export function streamSchemaFromAvro(eventType: string, fields: AvroField[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const f of fields) {
    properties[f.name] = { ...avroTypeToJsonSchema(f.type), ...(f.doc ? { description: f.doc } : {}) };
    if (!(Array.isArray(f.type) && f.type.includes('null'))) required.push(f.name);
  }
  return wrapStreamSchema(eventType, `Braze Currents event type ${eventType} (schema read from the export's Avro files)`, properties, required);
}

export function wrapStreamSchema(eventType: string, description: string, properties: Record<string, JsonSchema>, required: string[]): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: eventType,
    description,
    type: 'object',
    additionalProperties: true,
    required: [...required, ...Object.keys(ADDED_FIELDS)],
    properties: { ...properties, ...ADDED_FIELDS },
  };
}

/** Adds fields found in a writer schema that the stream schema lacks (Braze adds fields over time). */
export function addMissingFields(schema: JsonSchema, fields: AvroField[]): { schema: JsonSchema; added: string[] } {
  const properties = { ...(schema.properties as Record<string, JsonSchema>) };
  const added: string[] = [];
  for (const f of fields) {
    if (properties[f.name]) continue;
    // Fields learnt from a file are never required: older files do not have them.
    properties[f.name] = { ...nullable(avroTypeToJsonSchema(f.type)), ...(f.doc ? { description: f.doc } : {}) };
    added.push(f.name);
  }
  return { schema: added.length ? { ...schema, properties } : schema, added };
}

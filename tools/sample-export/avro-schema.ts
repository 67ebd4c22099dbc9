/**
 * Builds the Avro writer schema of one Currents event type, shaped like Braze's own file headers:
 * record name = last segment of the type, namespace `dataexport.S3.inner.<dotted prefix>`,
 * optional fields as `["null", T]` with `default: null`, required fields as bare types.
 */
import { CatalogueEventType, CatalogueField, CatalogueFieldType } from './catalogue';

export interface AvroFieldSchema {
  name: string;
  type: unknown;
  doc?: string;
  default?: null;
}

export interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace: string;
  doc: string;
  fields: AvroFieldSchema[];
}

/** Braze puts the identifying fields first; the rest follow in catalogue order. */
const LEADING_FIELDS = ['id', 'user_id', 'external_user_id', 'time'];

function avroType(t: CatalogueFieldType): unknown {
  return t === 'array<string>' ? { type: 'array', items: 'string' } : t;
}

export function orderedFields(spec: CatalogueEventType): CatalogueField[] {
  const lead = LEADING_FIELDS.map((n) => spec.fields.find((f) => f.name === n)).filter((f): f is CatalogueField => !!f);
  return [...lead, ...spec.fields.filter((f) => !LEADING_FIELDS.includes(f.name))];
}

export function splitType(dotted: string): { namespace: string; name: string } {
  const i = dotted.lastIndexOf('.');
  return { namespace: `dataexport.S3.inner.${dotted.slice(0, i)}`, name: dotted.slice(i + 1) };
}

/**
 * The optional field that the *older* schema id of a type lacks. Braze only ever adds optional
 * fields in a backward-compatible change, so the older file version is the same schema minus one.
 */
export function fieldAddedInNewerSchema(spec: CatalogueEventType): string | undefined {
  const candidates = orderedFields(spec).filter((f) => f.optional && !LEADING_FIELDS.includes(f.name));
  return candidates.length ? candidates[candidates.length - 1].name : undefined;
}

/** `generation` 0 = older schema id (one optional field fewer), 1 = current catalogue schema. */
export function buildWriterSchema(spec: CatalogueEventType, generation: 0 | 1 = 1): AvroRecordSchema {
  const { namespace, name } = splitType(spec.type);
  const dropped = generation === 0 ? fieldAddedInNewerSchema(spec) : undefined;
  const fields = orderedFields(spec)
    .filter((f) => f.name !== dropped)
    .map((f): AvroFieldSchema => {
      const base: AvroFieldSchema = f.optional ? { name: f.name, type: ['null', avroType(f.type)] } : { name: f.name, type: avroType(f.type) };
      if (f.doc) base.doc = f.doc;
      if (f.optional) base.default = null;
      return base;
    });
  return { type: 'record', name, namespace, doc: `Braze Currents ${spec.type} event (sample generated from the catalogue)`, fields };
}

/**
 * Loads the Currents event catalogue (../shared/reference/currents_event_fields.json): the facts the
 * generator builds its Avro writer schemas and values from.
 */
import * as fs from 'fs';
import * as path from 'path';

export type CatalogueFieldType = 'string' | 'int' | 'long' | 'float' | 'boolean' | 'array<string>';

export interface CatalogueField {
  name: string;
  type: CatalogueFieldType;
  optional: boolean;
  doc?: string;
}

export interface CatalogueEventType {
  /** Dotted Currents type, e.g. `users.messages.email.Open`. */
  type: string;
  status: 'current' | 'removed';
  fields: CatalogueField[];
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(['string', 'int', 'long', 'float', 'boolean', 'array<string>']);

/** Where the catalogue lives in this workplace: `<repo>/../shared/reference/`. */
export function defaultCataloguePath(): string {
  if (process.env.CURRENTS_CATALOGUE) return process.env.CURRENTS_CATALOGUE;
  return path.resolve(findRepoRoot(__dirname), '..', 'shared', 'reference', 'currents_event_fields.json');
}

/** Walk up from `start` to the folder holding package.json (works from both tools/ and dist/tools/). */
function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

/**
 * The catalogue when none is named: the reference file if this workplace has it, else the checked-in
 * `schemas/*.json` (so the demo also runs in a fresh clone). The schemas keep field names, optionality
 * and JSON types but not Avro's int/long/float split: integers become `int` (`time_ms` and `*_ms` `long`),
 * numbers `float`.
 */
export function loadDefaultCatalogue(): { catalogue: CatalogueEventType[]; source: string } {
  const file = defaultCataloguePath();
  if (fs.existsSync(file) || process.env.CURRENTS_CATALOGUE) return { catalogue: loadCatalogue(file), source: file };
  const schemas = path.join(findRepoRoot(__dirname), 'schemas');
  if (fs.existsSync(schemas)) return { catalogue: loadCatalogueFromSchemas(schemas), source: schemas };
  return { catalogue: loadCatalogue(file), source: file }; // throws the "not found" error naming the file
}

export function loadCatalogueFromSchemas(dir: string): CatalogueEventType[] {
  const out: CatalogueEventType[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const schema = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    const type = schema.title;
    if (typeof type !== 'string' || !type.includes('.')) {
      throw new Error(`Schema ${path.join(dir, name)} has no dotted event type in "title"; regenerate schemas/.`);
    }
    const required = new Set<string>(schema.required ?? []);
    const fields: CatalogueField[] = [];
    for (const [field, prop] of Object.entries((schema.properties ?? {}) as Record<string, any>)) {
      if (field.startsWith('_')) continue; // connector-added (_event_type, _source_key), not Braze's
      const types: string[] = Array.isArray(prop.type) ? prop.type : [prop.type];
      const base = types.find((t) => t !== 'null');
      const t: CatalogueFieldType =
        base === 'integer' ? (/_ms$/.test(field) ? 'long' : 'int')
        : base === 'number' ? 'float'
        : base === 'boolean' ? 'boolean'
        : base === 'array' ? 'array<string>'
        : 'string';
      fields.push({ name: field, type: t, optional: !required.has(field), doc: prop.description });
    }
    const retired = /retired/i.test(String(schema.description ?? ''));
    out.push({ type, status: retired ? 'removed' : 'current', fields });
  }
  if (out.length === 0) throw new Error(`No schemas found in ${dir}.`);
  return out.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

export function loadCatalogue(file: string = defaultCataloguePath()): CatalogueEventType[] {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(
      `Currents event catalogue not found at ${file}. Pass --catalogue PATH (or set CURRENTS_CATALOGUE) ` +
        'to the currents_event_fields.json file.',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error(`Currents event catalogue ${file} is not valid JSON (${(err as Error).message}).`);
  }
  return parseCatalogue(parsed, file);
}

export function parseCatalogue(parsed: unknown, origin: string): CatalogueEventType[] {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`Currents event catalogue ${origin} must be an object keyed by event type.`);
  }
  const out: CatalogueEventType[] = [];
  for (const [type, entry] of Object.entries(parsed as Record<string, any>)) {
    const fields: CatalogueField[] = [];
    for (const [name, f] of Object.entries((entry?.fields ?? {}) as Record<string, any>)) {
      if (!KNOWN_TYPES.has(f?.type)) {
        throw new Error(`Catalogue ${origin}: field ${type}.${name} has unsupported type ${JSON.stringify(f?.type)}.`);
      }
      fields.push({ name, type: f.type, optional: Boolean(f.optional), doc: typeof f.doc === 'string' ? f.doc : undefined });
    }
    if (!fields.some((f) => f.name === 'id')) {
      throw new Error(`Catalogue ${origin}: event type ${type} has no "id" field.`);
    }
    out.push({ type, status: entry.status === 'removed' ? 'removed' : 'current', fields });
  }
  return out;
}

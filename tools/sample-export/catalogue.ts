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

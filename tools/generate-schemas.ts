/**
 * Writes schemas/<stream>.json (Draft-7) for every event type in the Currents field catalogue
 * (reference/currents_event_fields.json, facts taken from Braze's Avro writer schemas).
 *
 *   node dist/tools/generate-schemas.js [path/to/currents_event_fields.json]
 */
import fs from 'fs';
import path from 'path';
import { catalogueTypeToJsonSchema, wrapStreamSchema, type JsonSchema } from '../source-braze-currents/src/json-schema';
import { streamNameOf } from '../source-braze-currents/src/layout';
import { findPackageRoot } from '../source-braze-currents/src/package-root';

interface CatalogueField { type: string; optional: boolean; pii: boolean; doc?: string }
interface CatalogueEntry { status: string; fields: Record<string, CatalogueField>; notes?: unknown }

function describeType(eventType: string, entry: CatalogueEntry): string {
  const status = entry.status === 'removed' ? ' Retired by Braze; kept for reading older files.' : '';
  return `Braze Currents event type ${eventType}.${status}`;
}

function schemaFor(eventType: string, entry: CatalogueEntry): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, field] of Object.entries(entry.fields)) {
    const doc = field.doc ? `${field.doc}${field.pii ? ' [PII]' : ''}` : undefined;
    properties[name] = { ...catalogueTypeToJsonSchema(field.type, field.optional), ...(doc ? { description: doc } : {}) };
    if (!field.optional) required.push(name);
  }
  return wrapStreamSchema(eventType, describeType(eventType, entry), properties, required);
}

function main(): void {
  const root = findPackageRoot(__dirname);
  const cataloguePath = process.argv[2] ?? path.resolve(root, '../shared/reference/currents_event_fields.json');
  const catalogue = JSON.parse(fs.readFileSync(cataloguePath, 'utf8')) as Record<string, CatalogueEntry>;
  const outDir = path.join(root, 'schemas');
  fs.mkdirSync(outDir, { recursive: true });
  let count = 0;
  for (const eventType of Object.keys(catalogue).sort()) {
    const file = path.join(outDir, `${streamNameOf(eventType)}.json`);
    fs.writeFileSync(file, `${JSON.stringify(schemaFor(eventType, catalogue[eventType]), null, 2)}\n`);
    count++;
  }
  process.stdout.write(`wrote ${count} schemas to ${outDir}\n`);
}

main();

/** Airbyte's discovery rules for an AirbyteCatalog (reference/airbyte_singer.md §1.5, §2.4), as readable problems. */
import Ajv from 'ajv';

type Schema = Record<string, any>;

function walk(schema: unknown, visit: (node: Schema, path: string) => void, path = ''): void {
  if (Array.isArray(schema)) schema.forEach((s, i) => walk(s, visit, `${path}/${i}`));
  else if (schema && typeof schema === 'object') {
    visit(schema as Schema, path || '/');
    for (const [k, v] of Object.entries(schema)) {
      // Property *names* are data, not keywords: descend into their schemas only.
      if (k === 'properties' && v && typeof v === 'object') for (const [name, sub] of Object.entries(v)) walk(sub, visit, `${path}/properties/${name}`);
      else if (k !== 'enum' && k !== 'const' && k !== 'examples' && k !== 'default') walk(v, visit, `${path}/${k}`);
    }
  }
}

/** The schema at a field path (["a", "b"] → properties.a.properties.b), or undefined. */
export function schemaAt(schema: Schema, fieldPath: string[]): Schema | undefined {
  let node: Schema | undefined = schema;
  for (const field of fieldPath) node = node?.properties?.[field];
  return node;
}

export function streamProblems(stream: Schema): string[] {
  const problems: string[] = [];
  const where = `stream ${stream.name}`;
  const schema = stream.json_schema;
  const ajv = new Ajv({ strict: false });
  if (!ajv.validateSchema(schema)) problems.push(`${where}: json_schema is not a valid Draft-7 schema (${ajv.errorsText(ajv.errors)})`);
  walk(schema, (node, path) => {
    if ('$ref' in node) problems.push(`${where}${path}: $ref (schemas must be resolved)`);
    for (const k of ['allOf', 'not']) if (k in node) problems.push(`${where}${path}: forbidden keyword ${k}`);
    if ('additionalProperties' in node && node.additionalProperties !== true) problems.push(`${where}${path}: additionalProperties must be true when set`);
  });
  if (!Array.isArray(stream.supported_sync_modes) || stream.supported_sync_modes.length === 0) problems.push(`${where}: supported_sync_modes is empty`);
  for (const key of stream.source_defined_primary_key ?? []) {
    const field = schemaAt(schema, key);
    if (!field) problems.push(`${where}: primary key ${JSON.stringify(key)} is not in the schema's properties`);
    else if ([field.type].flat().some((t: string) => t === 'object' || t === 'array')) problems.push(`${where}: primary key ${JSON.stringify(key)} is an object or array`);
  }
  if (stream.default_cursor_field && !schemaAt(schema, stream.default_cursor_field)) problems.push(`${where}: cursor ${JSON.stringify(stream.default_cursor_field)} is not in the schema's properties`);
  if (stream.supported_sync_modes?.includes('incremental') && !stream.source_defined_cursor && !stream.default_cursor_field) {
    problems.push(`${where}: incremental without a source-defined or default cursor`);
  }
  return problems;
}

export function catalogProblems(catalog: Schema): string[] {
  const names = catalog.streams.map((s: Schema) => s.name);
  const duplicates = names.filter((n: string, i: number) => names.indexOf(n) !== i);
  return [...(duplicates.length ? [`duplicate stream names: ${[...new Set(duplicates)].join(', ')}`] : []), ...catalog.streams.flatMap(streamProblems)];
}

/**
 * Config loading and validation against a connector's spec. Messages name the field and say what to fix;
 * unknown keys (usually typos) are reported with the closest known key. Spec defaults are applied.
 */
import fs from 'fs';
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { closest } from './did-you-mean';
import { configError } from './errors';
import type { JsonObject } from './protocol';

type Schema = JsonObject & {
  type?: string | string[];
  properties?: Record<string, Schema>;
  oneOf?: Schema[];
  required?: string[];
  title?: string;
  const?: unknown;
  enum?: unknown[];
};

export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw configError(`Cannot read the ${what} file "${path}": ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}.`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw configError(`The ${what} file "${path}" is not valid JSON: ${(err as Error).message}.`);
  }
}

/** Validates `config` in place (applying defaults); throws a config_error listing every problem. */
export function validateConfig(connectionSpecification: JsonObject, config: unknown): JsonObject {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw configError('The config must be a JSON object.');
  }
  const schema = withDiscriminators(structuredClone(connectionSpecification) as Schema);
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, discriminator: true });
  addFormats(ajv);
  // Specs pair `format: date-time` with a `pattern` that also allows a bare date (Airbyte's convention);
  // the strict RFC 3339 check would contradict the pattern the UI shows.
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i);
  const validate = ajv.compile(schema);
  const problems: string[] = [];
  if (!validate(config)) problems.push(...dedupe((validate.errors ?? []).map((e) => describeError(e, schema))));
  problems.push(...unknownKeys(schema, config as JsonObject, 'config'));
  if (problems.length > 0) {
    throw configError(`Invalid config: ${problems.join('; ')}.`);
  }
  return config as JsonObject;
}

/** Marks every oneOf whose options share a const property as discriminated, so errors and defaults follow the chosen option. */
function withDiscriminators(schema: Schema): Schema {
  for (const sub of Object.values(schema.properties ?? {})) withDiscriminators(sub);
  if (schema.oneOf) {
    schema.oneOf.forEach(withDiscriminators);
    const key = discriminatorOf(schema.oneOf);
    if (key) {
      schema.discriminator = { propertyName: key };
      schema.required = [...new Set([...(schema.required ?? []), key])];
      for (const option of schema.oneOf) option.required = [...new Set([...(option.required ?? []), key])];
    }
  }
  return schema;
}

function discriminatorOf(options: Schema[]): string | undefined {
  const first = options[0]?.properties ?? {};
  return Object.keys(first).find((key) => options.every((o) => o.properties?.[key] && 'const' in o.properties[key]));
}

function describeError(error: ErrorObject, root: Schema): string {
  const field = ['config', ...error.instancePath.split('/').filter(Boolean)].join('.');
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return `${field}.${missing} is required${hint(root, error.schemaPath, missing)}`;
    }
    case 'discriminator': {
      const p = error.params as { tag: string; tagValue: unknown };
      const options = optionsAt(root, error.instancePath, p.tag);
      return `${field}.${p.tag} must be one of ${options} (got ${JSON.stringify(p.tagValue)})`;
    }
    case 'enum':
      return `${field} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type':
      return `${field} must be of type ${(error.params as { type: string }).type}`;
    case 'pattern':
      return `${field} has the wrong format (expected to match ${(error.params as { pattern: string }).pattern})`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}

function hint(root: Schema, schemaPath: string, missing: string): string {
  const parts = schemaPath.replace(/^#\//, '').split('/').slice(0, -1);
  let node: unknown = root;
  for (const part of parts) node = (node as JsonObject | undefined)?.[part];
  const prop = (node as Schema | undefined)?.properties?.[missing];
  return prop?.title ? ` (${prop.title})` : '';
}

function optionsAt(root: Schema, instancePath: string, tag: string): string {
  let node: Schema | undefined = root;
  for (const part of instancePath.split('/').filter(Boolean)) node = node?.properties?.[part];
  return (node?.oneOf ?? []).map((o) => JSON.stringify(o.properties?.[tag]?.const)).join(', ');
}

function unknownKeys(schema: Schema, value: JsonObject, path: string): string[] {
  const branch = chosenBranch(schema, value);
  const known = { ...(schema.properties ?? {}), ...(branch?.properties ?? {}) };
  if (Object.keys(known).length === 0) return [];
  const problems: string[] = [];
  for (const [key, sub] of Object.entries(value)) {
    const propSchema = known[key];
    if (!propSchema) {
      const guess = closest(key, Object.keys(known));
      problems.push(`${path}.${key} is not a known setting${guess ? ` (did you mean "${guess}"?)` : ''}`);
    } else if (sub && typeof sub === 'object' && !Array.isArray(sub)) {
      problems.push(...unknownKeys(propSchema, sub as JsonObject, `${path}.${key}`));
    }
  }
  return problems;
}

function chosenBranch(schema: Schema, value: JsonObject): Schema | undefined {
  if (!schema.oneOf) return undefined;
  const key = discriminatorOf(schema.oneOf);
  return key ? schema.oneOf.find((o) => o.properties?.[key]?.const === value[key]) : undefined;
}

const dedupe = (items: string[]) => [...new Set(items)];

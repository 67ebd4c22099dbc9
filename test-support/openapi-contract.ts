/**
 * Contract checks against Mixpanel's official OpenAPI descriptions (../shared/reference/mixpanel-openapi/):
 * does a request we send match an operation (required query parameters, parameter enums and types, content type,
 * body schema), and does an answer (ours, from the local services) match the documented response for its status?
 *
 * Only local `$ref`s exist in those files; they are inlined once at load. Parameters arrive as strings, so they
 * are checked with type coercion. Mixpanel's response schemas declare properties without `required`; with
 * `documentedPropertiesRequired` every documented top-level property must be present, so a check can fail.
 */
import fs from 'fs';
import path from 'path';
import Ajv, { type ValidateFunction } from 'ajv';
import yaml from 'js-yaml';
import { REPO_ROOT } from './run-cli';

type Schema = Record<string, any>;

export const OPENAPI_DIR = path.join(REPO_ROOT, '..', 'shared', 'reference', 'mixpanel-openapi');

export interface ContractRequest {
  method: string;
  /** Path relative to the file's server URL, e.g. `/import` or `/engage`. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed body: JSON value, the array of NDJSON lines, or the form fields. */
  body?: unknown;
}

export interface ResponseCheckOptions {
  /** Treat every documented top-level response property as required. */
  documentedPropertiesRequired?: boolean;
}

export class OpenApiContract {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly coercing = new Ajv({ strict: false, allErrors: true, coerceTypes: true });
  private readonly compiled = new Map<object, ValidateFunction>();

  private constructor(private readonly doc: Schema) {}

  /** `correct` applies documented corrections to the description (refs already inlined) before any check. */
  static load(file: string, correct?: (doc: Schema) => void): OpenApiContract {
    const raw = yaml.load(fs.readFileSync(file, 'utf8')) as Schema;
    const doc = inlineRefs(raw, raw) as Schema;
    correct?.(doc);
    return new OpenApiContract(doc);
  }

  static available(file: string): boolean {
    return fs.existsSync(file);
  }

  /** Operations documented for a path (keys such as `/engage#profile-set` count as `/engage`). */
  operations(method: string, requestPath: string): Schema[] {
    return Object.entries<Schema>(this.doc.paths ?? {})
      .filter(([key]) => key.split('#')[0] === requestPath)
      .map(([, item]) => item[method.toLowerCase()])
      .filter(Boolean);
  }

  /** Problems of a request against the first matching operation whose checks pass, or of the best candidate. */
  requestProblems(request: ContractRequest): string[] {
    const candidates = this.operations(request.method, request.path);
    if (candidates.length === 0) return [`no operation ${request.method.toUpperCase()} ${request.path} in the description`];
    let best: string[] | undefined;
    for (const operation of candidates) {
      const problems = this.operationProblems(operation, request);
      if (problems.length === 0) return [];
      if (!best || problems.length < best.length) best = problems;
    }
    return best!;
  }

  responseProblems(method: string, requestPath: string, status: number, body: unknown, options: ResponseCheckOptions = {}): string[] {
    const operation = this.operations(method, requestPath)[0];
    if (!operation) return [`no operation ${method.toUpperCase()} ${requestPath} in the description`];
    const response = operation.responses?.[String(status)] ?? operation.responses?.default;
    if (!response) return [`status ${status} is not documented for ${method.toUpperCase()} ${requestPath} (documented: ${Object.keys(operation.responses ?? {}).join(', ')})`];
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return [];
    const problems = this.schemaProblems(this.ajv, schema, body, `response ${status}`);
    if (options.documentedPropertiesRequired && body && typeof body === 'object') {
      for (const key of Object.keys(schema.properties ?? {})) {
        if (!(key in (body as object))) problems.push(`response ${status}: documented property "${key}" is missing`);
      }
    }
    return problems;
  }

  private operationProblems(operation: Schema, request: ContractRequest): string[] {
    const problems: string[] = [];
    const headers = lowerCaseKeys(request.headers);
    for (const parameter of operation.parameters ?? []) {
      const value = parameter.in === 'query' ? request.query[parameter.name] : parameter.in === 'header' ? headerValue(headers[parameter.name.toLowerCase()]) : undefined;
      if (parameter.in !== 'query' && parameter.in !== 'header') continue;
      if (value === undefined) {
        if (parameter.required) problems.push(`${parameter.in} parameter "${parameter.name}" is required`);
        continue;
      }
      const schema = parameter.in === 'header' && parameter.name.toLowerCase() === 'content-type' ? { ...parameter.schema, enum: undefined } : parameter.schema;
      if (schema) problems.push(...this.schemaProblems(this.coercing, schema, coerceParameter(value, schema), `${parameter.in} parameter "${parameter.name}"`));
      if (parameter.name.toLowerCase() === 'content-type' && parameter.schema?.enum && !parameter.schema.enum.includes(mediaType(value))) {
        problems.push(`header "Content-Type" ${mediaType(value)} is not one of ${parameter.schema.enum.join(', ')}`);
      }
    }
    const content = operation.requestBody?.content as Record<string, Schema> | undefined;
    if (content) {
      const type = mediaType(headerValue(headers['content-type']) ?? '');
      // NDJSON carries the same events as the JSON array, one per line.
      const entry = content[type] ?? (type === 'application/x-ndjson' ? content['application/json'] : undefined);
      if (!entry) problems.push(`request content type ${type || '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`);
      else if (entry.schema && request.body !== undefined) problems.push(...this.schemaProblems(this.coercing, entry.schema, request.body, 'request body'));
      else if (operation.requestBody?.required && request.body === undefined) problems.push('request body is required');
    }
    return problems;
  }

  private schemaProblems(ajv: Ajv, schema: Schema, value: unknown, where: string): string[] {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(withoutOpenApiKeywords(schema) as Schema);
      this.compiled.set(schema, validate);
    }
    if (validate(structuredClone(value))) return [];
    return (validate.errors ?? []).map((e) => `${where}${e.instancePath}: ${e.message}`);
  }
}

function inlineRefs(node: unknown, root: Schema, seen: string[] = []): unknown {
  if (Array.isArray(node)) return node.map((n) => inlineRefs(n, root, seen));
  if (!node || typeof node !== 'object') return node;
  const ref = (node as Schema).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    if (seen.includes(ref)) return {}; // a recursive schema: accept anything below the loop
    const target = ref.slice(2).split('/').reduce<any>((at, key) => at?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], root);
    return inlineRefs(target, root, [...seen, ref]);
  }
  return Object.fromEntries(Object.entries(node as Schema).map(([k, v]) => [k, inlineRefs(v, root, seen)]));
}

/** OpenAPI 3.0's `nullable` and examples are not JSON Schema; the rest validates as Draft-07. */
function withoutOpenApiKeywords(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutOpenApiKeywords);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema as Schema)) {
    if (key === 'example' || key === 'examples' || key.startsWith('x-')) continue;
    if (key === 'properties') out[key] = Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, withoutOpenApiKeywords(v)]));
    else out[key] = withoutOpenApiKeywords(value);
  }
  if (out.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  delete out.nullable;
  return out;
}

/** Query and header values are strings; a JSON-typed parameter (object/array) is sent as JSON text. */
function coerceParameter(value: string, schema: Schema): unknown {
  if ((schema.type === 'object' || schema.type === 'array') && /^[[{]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

function lowerCaseKeys(headers: ContractRequest['headers']): Record<string, string | string[] | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function mediaType(value: string): string {
  return value.split(';')[0].trim().toLowerCase();
}

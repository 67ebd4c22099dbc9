/**
 * Checks Query API traffic against Mixpanel's official OpenAPI description
 * (../shared/reference/mixpanel-openapi/query.openapi.yaml): requests (query parameters and the form body, each
 * field decoded by its declared type) and 200 responses, for `/cohorts/list` and `/engage`. Tests use it on both
 * sides: the local server's answers and every request the source sends.
 *
 * One documented correction: the file types `$distinct_id` as integer, yet Mixpanel distinct ids are strings
 * (UUIDs, emails, device ids; the file's own example uses 4); both are accepted here.
 */
import fs from 'fs';
import path from 'path';
import Ajv, { type ValidateFunction } from 'ajv';
import yaml from 'js-yaml';
import type { QueryRequestRecord } from './query-api';

type Json = Record<string, any>;

export function queryOpenApiPath(): string | undefined {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'reference', 'mixpanel-openapi', 'query.openapi.yaml');
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

interface Operation { parameters: Json[]; body?: Json; response: ValidateFunction; form?: ValidateFunction }

let operations: Map<string, Operation> | undefined;

function load(): Map<string, Operation> {
  if (operations) return operations;
  const file = queryOpenApiPath();
  if (!file) throw new Error('query.openapi.yaml not found (../shared/reference/mixpanel-openapi/)');
  const doc = yaml.load(fs.readFileSync(file, 'utf8')) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const resolve = (p: Json): Json => (p.$ref ? p.$ref.replace('#/', '').split('/').reduce((n: Json, k: string) => n[k], doc) : p);
  operations = new Map();
  for (const endpoint of ['cohorts/list', 'engage']) {
    const op = doc.paths[`/${endpoint}`].post;
    const responseSchema = structuredClone(op.responses['200'].content['application/json'].schema);
    const distinct = responseSchema.properties?.results?.items?.properties?.$distinct_id;
    if (distinct) distinct.type = ['string', 'integer']; // the correction described above
    const body = op.requestBody?.content?.['application/x-www-form-urlencoded']?.schema;
    operations.set(endpoint, {
      parameters: (op.parameters ?? []).map(resolve),
      body,
      response: ajv.compile(responseSchema),
      form: body ? ajv.compile(body) : undefined,
    });
  }
  return operations;
}

/** Problems with a 200 response body of `endpoint`; empty when it conforms. */
export function responseProblems(endpoint: 'cohorts/list' | 'engage', body: string): string[] {
  const op = load().get(endpoint)!;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return ['body is not JSON'];
  }
  return op.response(value) ? [] : (op.response.errors ?? []).map((e) => `${endpoint} response ${e.instancePath || '/'} ${e.message}`);
}

/** Problems with a request the server recorded; empty when it conforms. */
export function requestProblems(request: QueryRequestRecord): string[] {
  if (!request.endpoint) return [`${request.path} is not an endpoint of the Query API`];
  const op = load().get(request.endpoint)!;
  const problems: string[] = [];
  if (request.method !== 'POST') problems.push(`${request.endpoint}: method ${request.method}, the API declares POST`);
  for (const p of op.parameters.filter((p) => p.in === 'query')) {
    const value = request.query[p.name];
    if (value === undefined) {
      if (p.required) problems.push(`${request.endpoint}: query parameter ${p.name} is required`);
    } else if (p.schema?.type === 'integer' && !/^-?\d+$/.test(value)) {
      problems.push(`${request.endpoint}: query parameter ${p.name} must be an integer`);
    }
  }
  const declared = new Set(op.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  for (const name of Object.keys(request.query)) if (!declared.has(name)) problems.push(`${request.endpoint}: undeclared query parameter ${name}`);
  const fields = Object.keys(request.form);
  if (!op.body) {
    if (fields.length) problems.push(`${request.endpoint}: the API declares no request body, got fields ${fields.join(', ')}`);
    return problems;
  }
  if (!/^application\/x-www-form-urlencoded\b/.test(request.contentType ?? '')) problems.push(`${request.endpoint}: Content-Type must be application/x-www-form-urlencoded`);
  const decoded: Json = {};
  for (const [name, text] of Object.entries(request.form)) {
    const schema = op.body.properties?.[name];
    if (!schema) {
      problems.push(`${request.endpoint}: undeclared form field ${name}`);
      continue;
    }
    decoded[name] = decodeField(text, schema.type);
  }
  if (!op.form!(decoded)) problems.push(...(op.form!.errors ?? []).map((e) => `${request.endpoint} form ${e.instancePath || '/'} ${e.message}`));
  return problems;
}

/** A form field's text as the value its declared type describes (arrays and objects are JSON text). */
function decodeField(text: string, type: string | undefined): unknown {
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (type === 'array' || type === 'object') {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

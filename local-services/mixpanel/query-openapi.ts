/**
 * Checks Query API traffic against Mixpanel's official OpenAPI description
 * (../shared/reference/mixpanel-openapi/query.openapi.yaml): requests (query parameters and the form body, each
 * field decoded by its declared type) and 200 responses, for `/cohorts/list` and `/engage`. Tests use it on both
 * sides: the local server's answers and every request the source sends. The schema checks are the generic ones
 * of test-support/openapi-contract.ts; this layer adds what is specific to the Query API's recorded requests
 * (undeclared parameters and form fields, form fields decoded by type).
 *
 * One documented correction: the file types `$distinct_id` as integer, yet Mixpanel distinct ids are strings
 * (UUIDs, emails, device ids; the file's own example uses 4); both are accepted here.
 */
import fs from 'fs';
import path from 'path';
import { OpenApiContract } from '../../test-support/openapi-contract';
import type { QueryRequestRecord } from './query-api';

type Json = Record<string, any>;

export function queryOpenApiPath(): string | undefined {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'reference', 'mixpanel-openapi', 'query.openapi.yaml');
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

let contract: OpenApiContract | undefined;

function load(): OpenApiContract {
  if (contract) return contract;
  const file = queryOpenApiPath();
  if (!file) throw new Error('query.openapi.yaml not found (../shared/reference/mixpanel-openapi/)');
  contract = OpenApiContract.load(file, (doc) => {
    const distinct = doc.paths['/engage'].post.responses['200'].content['application/json'].schema.properties?.results?.items?.properties?.$distinct_id;
    if (distinct) distinct.type = ['string', 'integer']; // the correction described above
  });
  return contract;
}

function operation(endpoint: string): Json {
  return load().operations('POST', `/${endpoint}`)[0];
}

/** Problems with a 200 response body of `endpoint`; empty when it conforms. */
export function responseProblems(endpoint: 'cohorts/list' | 'engage', body: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return ['body is not JSON'];
  }
  return load().responseProblems('POST', `/${endpoint}`, 200, value).map((p) => `${endpoint} ${p}`);
}

/** Problems with a request the server recorded; empty when it conforms. */
export function requestProblems(request: QueryRequestRecord): string[] {
  if (!request.endpoint) return [`${request.path} is not an endpoint of the Query API`];
  if (request.method !== 'POST') return [`${request.endpoint}: method ${request.method}, the API declares POST`];
  const op = operation(request.endpoint);
  const problems: string[] = [];
  const declared = new Set((op.parameters ?? []).filter((p: Json) => p.in === 'query').map((p: Json) => p.name));
  for (const name of Object.keys(request.query)) if (!declared.has(name)) problems.push(`undeclared query parameter ${name}`);
  const body: Json | undefined = op.requestBody?.content?.['application/x-www-form-urlencoded']?.schema;
  const fields = Object.keys(request.form);
  let decoded: Json | undefined;
  if (!body) {
    if (fields.length) problems.push(`the API declares no request body, got fields ${fields.join(', ')}`);
  } else {
    decoded = {};
    for (const [name, text] of Object.entries(request.form)) {
      const schema = body.properties?.[name];
      if (schema) decoded[name] = decodeField(text, schema.type);
      else problems.push(`undeclared form field ${name}`);
    }
  }
  const contractRequest = { method: 'POST', path: `/${request.endpoint}`, query: request.query, headers: { 'content-type': request.contentType }, body: decoded };
  problems.push(...load().requestProblems(contractRequest));
  return problems.map((p) => `${request.endpoint}: ${p}`);
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

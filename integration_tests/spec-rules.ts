/**
 * Airbyte's connector acceptance rules for a ConnectorSpecification (reference/airbyte_singer.md §1.7, §2.4),
 * re-implemented as functions that return readable problems ("<json path>: what is wrong"), empty when fine.
 */
type Schema = Record<string, any>;

/** Names Airbyte's acceptance test treats as secrets when they can hold a value (exact, case-insensitive). */
export const SECRET_PROPERTY_NAMES = new Set([
  'client_token', 'access_token', 'api_token', 'token', 'secret', 'client_secret', 'password', 'key', 'service_account_info',
  'service_account', 'tenant_id', 'certificate', 'jwt', 'credentials', 'app_id', 'appid', 'refresh_token',
]);
/** Our stricter reading: any name containing one of these words is secret-looking too (api_secret, aws_secret_access_key…). */
const SECRET_NAME_PARTS = /(secret|password|passwd|token|private_key|access_key|api_key|connection_string|service_account_(json|info|key))/i;
const FORBIDDEN_KEYWORDS = ['not', 'anyOf', 'allOf', 'patternProperties', 'prefixItems', 'if', 'then', 'else', 'dependentSchemas', 'dependentRequired'];
const SCALAR_TYPES = ['string', 'integer', 'number', 'boolean'];

export interface PropertyVisit {
  name: string;
  path: string;
  schema: Schema;
  /** The object schema the property belongs to (for sibling checks). */
  parent: Schema;
}

/** Every property in the spec, through nested objects, oneOf options and array items, depth-first. */
export function visitProperties(root: Schema, visit: (p: PropertyVisit) => void, path = ''): void {
  for (const [name, schema] of Object.entries<Schema>(root.properties ?? {})) {
    const here = `${path}/properties/${name}`;
    visit({ name, path: here, schema, parent: root });
    walkInto(schema, visit, here);
  }
  (root.oneOf ?? []).forEach((option: Schema, i: number) => visitProperties(option, visit, `${path}/oneOf/${i}`));
}

function walkInto(schema: Schema, visit: (p: PropertyVisit) => void, path: string): void {
  if (!schema || typeof schema !== 'object') return;
  visitProperties(schema, visit, path);
  if (schema.items && typeof schema.items === 'object') walkInto(schema.items, visit, `${path}/items`);
}

/** Every schema node (root, properties, options, items), for keyword-level rules. */
function visitSchemas(schema: Schema, visit: (s: Schema, path: string) => void, path = ''): void {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return;
  visit(schema, path || '/');
  for (const [name, sub] of Object.entries<Schema>(schema.properties ?? {})) visitSchemas(sub, visit, `${path}/properties/${name}`);
  for (const keyword of ['oneOf', 'anyOf', 'allOf']) (schema[keyword] ?? []).forEach((s: Schema, i: number) => visitSchemas(s, visit, `${path}/${keyword}/${i}`));
  for (const keyword of ['items', 'not', 'if', 'then', 'else', 'additionalProperties']) {
    if (schema[keyword] && typeof schema[keyword] === 'object') visitSchemas(schema[keyword], visit, `${path}/${keyword}`);
  }
}

const typesOf = (s: Schema): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);
const canHoldSecret = (s: Schema) => typesOf(s).some((t) => ['string', 'integer', 'number'].includes(t)) && s.const === undefined;
export const looksSecret = (name: string) => SECRET_PROPERTY_NAMES.has(name.toLowerCase()) || SECRET_NAME_PARTS.test(name);

export function secretProblems(spec: Schema): string[] {
  const problems: string[] = [];
  visitProperties(spec, ({ name, path, schema }) => {
    const marked = schema.airbyte_secret === true;
    if (looksSecret(name) && canHoldSecret(schema) && !marked) problems.push(`${path}: looks like a secret but is not marked airbyte_secret`);
    if (marked && !canHoldSecret(schema)) problems.push(`${path}: marked airbyte_secret but cannot hold a secret (type ${JSON.stringify(schema.type)}${schema.const !== undefined ? ', const' : ''})`);
    if (marked && !looksSecret(name)) problems.push(`${path}: marked airbyte_secret although its name does not look secret (rename it or unmark it)`);
  });
  return problems;
}

export function oneOfProblems(spec: Schema): string[] {
  const problems: string[] = [];
  visitSchemas(spec, (schema, path) => {
    if (schema.display_type !== undefined && !schema.oneOf) problems.push(`${path}: display_type is only allowed on a oneOf parent`);
    if (schema.display_type !== undefined && !['dropdown', 'radio'].includes(schema.display_type)) problems.push(`${path}: display_type must be dropdown or radio`);
    if (!Array.isArray(schema.oneOf)) return;
    if (schema.type !== 'object') problems.push(`${path}: a oneOf parent must have type object`);
    const options: Schema[] = schema.oneOf;
    options.forEach((o, i) => {
      if (o.type !== 'object' || !o.properties || typeof o.properties !== 'object') problems.push(`${path}/oneOf/${i}: each option must be an object with properties`);
    });
    const names = options.map((o) => Object.keys(o.properties ?? {}));
    const common = names.length ? names[0].filter((n) => names.every((list) => list.includes(n))) : [];
    const discriminators = common.filter((n) => options.every((o) => o.properties[n].const !== undefined));
    if (discriminators.length !== 1) {
      problems.push(`${path}: needs exactly one property common to all options with a const (found ${discriminators.length ? discriminators.join(', ') : 'none'})`);
      return;
    }
    const d = discriminators[0];
    const consts = options.map((o) => o.properties[d].const);
    if (new Set(consts.map((c) => JSON.stringify(c))).size !== consts.length) problems.push(`${path}: the discriminator "${d}" must have a different const in every option`);
    options.forEach((o, i) => {
      const p = o.properties[d];
      if (p.default !== undefined && p.default !== p.const) problems.push(`${path}/oneOf/${i}/properties/${d}: default must equal the const`);
      if (p.enum !== undefined && !(p.enum.length === 1 && p.enum[0] === p.const)) problems.push(`${path}/oneOf/${i}/properties/${d}: enum must be exactly [const]`);
    });
  });
  return problems;
}

export function forbiddenKeywordProblems(spec: Schema): string[] {
  const problems: string[] = [];
  visitSchemas(spec, (schema, path) => {
    for (const k of FORBIDDEN_KEYWORDS) if (k in schema) problems.push(`${path}: forbidden keyword "${k}"`);
    if ('$ref' in schema) problems.push(`${path}: unresolved $ref`);
  });
  return problems;
}

export function typeShapeProblems(spec: Schema): string[] {
  const problems: string[] = [];
  visitSchemas(spec, (schema, path) => {
    if (Array.isArray(schema.type) && !(schema.type.length === 2 && schema.type.includes('null') && schema.type[0] !== schema.type[1])) {
      problems.push(`${path}: type must be one type or [type, "null"], got ${JSON.stringify(schema.type)}`);
    }
    if ('additionalProperties' in schema && schema.additionalProperties !== true) problems.push(`${path}: additionalProperties must be true when set`);
    if (typesOf(schema).includes('object') && !schema.properties && !schema.oneOf) problems.push(`${path}: an object needs properties or oneOf (no empty objects)`);
    if (typesOf(schema).includes('array')) {
      const items = schema.items;
      const ok = items && !Array.isArray(items) && (items.enum || (typesOf(items).length === 1 && ['object', ...SCALAR_TYPES].includes(typesOf(items)[0])));
      if (!ok) problems.push(`${path}: array items must be a single object/string/number/integer/boolean type or an enum`);
    }
    if (Array.isArray(schema.enum) && new Set(schema.enum.map((v: unknown) => JSON.stringify(v))).size !== schema.enum.length) problems.push(`${path}: enum values must be distinct`);
  });
  return problems;
}

/** `order` values unique among siblings; `group` only on top-level properties and declared in `groups`. */
export function orderAndGroupProblems(spec: Schema): string[] {
  const problems: string[] = [];
  visitSchemas(spec, (schema, path) => {
    const orders = Object.entries<Schema>(schema.properties ?? {}).filter(([, p]) => p.order !== undefined);
    const seen = new Map<unknown, string>();
    const base = path === '/' ? '' : path;
    for (const [name, p] of orders) {
      if (!Number.isInteger(p.order)) problems.push(`${base}/properties/${name}: order must be an integer`);
      if (seen.has(p.order)) problems.push(`${base}/properties/${name}: order ${p.order} repeats that of ${seen.get(p.order)}`);
      seen.set(p.order, name);
    }
  });
  const groups = new Set((spec.groups ?? []).map((g: Schema) => g.id));
  visitProperties(spec, ({ path, schema, parent }) => {
    if (schema.group === undefined) return;
    if (parent !== spec) problems.push(`${path}: group is only allowed on top-level properties`);
    else if (!groups.has(schema.group)) problems.push(`${path}: group "${schema.group}" is not declared in the root "groups"`);
  });
  return problems;
}

/**
 * date / date-time strings carry a pattern that accepts the canonical form (and the property's own
 * examples and default) and rejects junk, so the UI validates what the connector will parse.
 */
export function datePatternProblems(spec: Schema): string[] {
  const problems: string[] = [];
  const canonical: Record<string, string> = { 'date-time': '2026-01-01T00:00:00Z', date: '2026-01-01' };
  visitProperties(spec, ({ path, schema }) => {
    const format = schema.format;
    if (format !== 'date' && format !== 'date-time') return;
    if (typeof schema.pattern !== 'string') {
      problems.push(`${path}: format ${format} needs a pattern (and pattern_descriptor)`);
      return;
    }
    const re = new RegExp(schema.pattern);
    if (!re.test(canonical[format])) problems.push(`${path}: pattern ${schema.pattern} rejects ${canonical[format]}`);
    if (re.test('yesterday') || re.test('')) problems.push(`${path}: pattern ${schema.pattern} accepts text that is not a date`);
    if (!schema.pattern_descriptor) problems.push(`${path}: add a pattern_descriptor showing the expected form`);
  });
  return problems;
}

/** Every example and default satisfies its own property's type, pattern and enum. */
export function exampleProblems(spec: Schema): string[] {
  const problems: string[] = [];
  visitProperties(spec, ({ path, schema }) => {
    const values = [...(Array.isArray(schema.examples) ? schema.examples : []), ...(schema.default !== undefined ? [schema.default] : [])];
    for (const v of values) {
      if (typeof schema.pattern === 'string' && typeof v === 'string' && !new RegExp(schema.pattern).test(v)) problems.push(`${path}: ${JSON.stringify(v)} does not match its pattern`);
      if (Array.isArray(schema.enum) && !schema.enum.includes(v)) problems.push(`${path}: ${JSON.stringify(v)} is not one of its enum values`);
      const t = typesOf(schema);
      const actual = Number.isInteger(v) ? ['integer', 'number'] : typeof v === 'number' ? ['number'] : Array.isArray(v) ? ['array'] : v === null ? ['null'] : [typeof v];
      if (t.length && !t.some((x) => actual.includes(x))) problems.push(`${path}: ${JSON.stringify(v)} is not of type ${t.join('|')}`);
    }
  });
  return problems;
}

/** All rules for a ConnectorSpecification's connectionSpecification. */
export function connectionSpecificationProblems(spec: Schema): string[] {
  return [
    ...secretProblems(spec),
    ...oneOfProblems(spec),
    ...forbiddenKeywordProblems(spec),
    ...typeShapeProblems(spec),
    ...orderAndGroupProblems(spec),
    ...datePatternProblems(spec),
    ...exampleProblems(spec),
  ];
}

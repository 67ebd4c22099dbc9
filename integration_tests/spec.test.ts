/**
 * The `spec` acceptance suite for the source, the destination and the sync runner's top-level spec.json:
 * the command prints the checked-in spec, the fixture configs validate against it, and Airbyte's spec rules hold.
 */
import fs from 'fs';
import path from 'path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parseAirbyteOutput, protocolYamlAvailable } from '../test-support/protocol-validator';
import { runCli } from '../test-support/run-cli';
import { BRAZE_DESTINATION_FIXTURES, COHORT_SOURCE_FIXTURES, DESTINATION_FIXTURES, REPO_ROOT, SOURCE_FIXTURES, readJson } from './fixtures';
import { connectionSpecificationProblems, datePatternProblems, exampleProblems, forbiddenKeywordProblems, oneOfProblems, orderAndGroupProblems, secretProblems, typeShapeProblems } from './spec-rules';

const compile = (schema: object) => {
  const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true });
  addFormats(ajv);
  return ajv.compile(schema);
};

const CONNECTORS = [
  { name: 'source-braze-currents', fixtures: SOURCE_FIXTURES },
  { name: 'destination-mixpanel', fixtures: DESTINATION_FIXTURES },
  { name: 'source-mixpanel-cohorts', fixtures: COHORT_SOURCE_FIXTURES },
  { name: 'destination-braze', fixtures: BRAZE_DESTINATION_FIXTURES },
];

describe.each(CONNECTORS)('spec: $name', ({ name, fixtures }) => {
  const specFile = readJson(path.join(REPO_ROOT, name, 'spec.json'));

  const maybe = protocolYamlAvailable() ? it : it.skip;
  maybe('`spec` prints exactly one valid SPEC equal to spec.json, and exits 0', async () => {
    const result = await runCli(name, ['spec']);
    expect(result.code).toBe(0);
    const messages = parseAirbyteOutput(result.stdout);
    expect(messages.map((m) => m.type)).toEqual(['SPEC']);
    expect(messages[0].spec).toEqual(specFile);
  });

  it('follows the acceptance rules (secrets, oneOf, forbidden keywords, types, order, dates, examples)', () => {
    expect(connectionSpecificationProblems(specFile.connectionSpecification)).toEqual([]);
  });

  it('is a valid Draft-7 schema and the fixture configs validate against it', () => {
    const validate = compile(specFile.connectionSpecification);
    for (const fixture of ['sample_config.json', 'invalid_config.json']) {
      const ok = validate(readJson(path.join(fixtures, fixture)));
      expect([fixture, ok ? [] : validate.errors]).toEqual([fixture, []]);
    }
  });

  it('has a documentation URL', () => {
    expect(specFile.documentationUrl).toMatch(/^https:\/\/\S+$/);
  });
});

it('spec: the destination declares append as its sync mode', () => {
  expect(readJson(path.join(REPO_ROOT, 'destination-mixpanel', 'spec.json')).supported_destination_sync_modes).toEqual(['append']);
});

it('spec: destination-braze takes the cohort streams as overwrite (full refresh) or append, and behaves the same', () => {
  expect(readJson(path.join(REPO_ROOT, 'destination-braze', 'spec.json')).supported_destination_sync_modes).toEqual(['overwrite', 'append']);
});

const topLevelSpec = path.join(REPO_ROOT, 'spec.json');
if (!fs.existsSync(topLevelSpec)) console.warn('spec.test.ts: no top-level spec.json (the sync runner spec) yet; its spec rules are skipped.');
(fs.existsSync(topLevelSpec) ? describe : describe.skip)('spec: top-level spec.json (sync runner)', () => {
  it('follows the acceptance rules and is a valid Draft-7 schema', () => {
    const spec = readJson(topLevelSpec);
    const schema = spec.connectionSpecification ?? spec;
    expect(connectionSpecificationProblems(schema)).toEqual([]);
    expect(() => compile(schema)).not.toThrow();
  });
});

/** The rules themselves must catch what they are for; otherwise a green suite proves nothing. */
describe('spec rules catch broken specs', () => {
  const object = (properties: object, extra: object = {}) => ({ type: 'object', properties, ...extra });

  it('secrets: unmarked secret-looking fields, marked non-secrets and marked booleans', () => {
    const problems = secretProblems(object({ api_key: { type: 'string' }, password: { type: 'string', airbyte_secret: true }, region: { type: 'string', airbyte_secret: true }, token: { type: 'boolean', airbyte_secret: true } }));
    expect(problems).toEqual([
      '/properties/api_key: looks like a secret but is not marked airbyte_secret',
      '/properties/region: marked airbyte_secret although its name does not look secret (rename it or unmark it)',
      '/properties/token: marked airbyte_secret but cannot hold a secret (type "boolean")',
    ]);
  });

  it('oneOf: parent type, option shape, discriminator count, default and enum', () => {
    const a = object({ kind: { type: 'string', const: 'a', default: 'b' }, x: { type: 'string' } });
    const b = object({ kind: { type: 'string', const: 'a', enum: ['a', 'b'] } });
    const problems = oneOfProblems({ type: 'object', properties: { auth: { oneOf: [a, b] }, other: { type: 'object', oneOf: [object({ q: { type: 'string' } }), { type: 'string' }] } } });
    expect(problems).toEqual([
      '/properties/auth: a oneOf parent must have type object',
      '/properties/auth: the discriminator "kind" must have a different const in every option',
      '/properties/auth/oneOf/0/properties/kind: default must equal the const',
      '/properties/auth/oneOf/1/properties/kind: enum must be exactly [const]',
      '/properties/other/oneOf/1: each option must be an object with properties',
      '/properties/other: needs exactly one property common to all options with a const (found none)',
    ]);
  });

  it('forbidden keywords and $ref, but not properties that happen to be named like keywords', () => {
    const problems = forbiddenKeywordProblems(object({ not: { type: 'string' }, a: { anyOf: [{ type: 'string' }] }, b: { $ref: '#/x' }, c: { type: 'string', if: {}, then: {} } }));
    expect(problems).toEqual(['/properties/a: forbidden keyword "anyOf"', '/properties/b: unresolved $ref', '/properties/c: forbidden keyword "if"', '/properties/c: forbidden keyword "then"']);
  });

  it('type shapes, additionalProperties, empty objects, array items and duplicate enums', () => {
    const problems = typeShapeProblems(object({ a: { type: ['string', 'integer'] }, b: { type: 'object', additionalProperties: false, properties: { c: { type: 'string' } } }, d: { type: 'object' }, e: { type: 'array', items: [{ type: 'string' }] }, f: { type: 'string', enum: ['x', 'x'] } }));
    expect(problems).toEqual([
      '/properties/a: type must be one type or [type, "null"], got ["string","integer"]',
      '/properties/b: additionalProperties must be true when set',
      '/properties/d: an object needs properties or oneOf (no empty objects)',
      '/properties/e: array items must be a single object/string/number/integer/boolean type or an enum',
      '/properties/f: enum values must be distinct',
    ]);
  });

  it('order repeats and undeclared groups', () => {
    expect(orderAndGroupProblems(object({ a: { type: 'string', order: 1, group: 'g' }, b: { type: 'string', order: 1 } }))).toEqual([
      '/properties/b: order 1 repeats that of a',
      '/properties/a: group "g" is not declared in the root "groups"',
    ]);
  });

  it('date patterns and examples that contradict their own schema', () => {
    expect(datePatternProblems(object({ a: { type: 'string', format: 'date-time' }, b: { type: 'string', format: 'date-time', pattern: '.*', pattern_descriptor: 'x' } }))).toEqual([
      '/properties/a: format date-time needs a pattern (and pattern_descriptor)',
      '/properties/b: pattern .* accepts text that is not a date',
    ]);
    expect(exampleProblems(object({ a: { type: 'string', pattern: '^[0-9]+$', examples: ['abc'] }, b: { type: 'integer', default: '5' }, c: { type: 'string', enum: ['x'], default: 'y' }, d: { type: 'array', items: { type: 'string' }, default: [], examples: [['x'], 'y'] } }))).toEqual([
      '/properties/a: "abc" does not match its pattern',
      '/properties/b: "5" is not of type integer',
      '/properties/c: "y" is not one of its enum values',
      '/properties/d: "y" is not of type array',
    ]);
  });
});

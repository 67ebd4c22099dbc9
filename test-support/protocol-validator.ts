/**
 * Conformance checks: every stdout line must be one AirbyteMessage valid against the protocol YAML
 * (../shared/reference/airbyte_protocol_v0.18.0.yaml, or the copy named by AIRBYTE_PROTOCOL_YAML),
 * carrying the payload field its `type` names.
 */
import fs from 'fs';
import path from 'path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';

export const PROTOCOL_YAML = process.env.AIRBYTE_PROTOCOL_YAML ?? path.resolve(__dirname, '..', '..', 'shared', 'reference', 'airbyte_protocol_v0.18.0.yaml');
const PAYLOAD_FIELD: Record<string, string> = {
  RECORD: 'record', STATE: 'state', LOG: 'log', SPEC: 'spec', CONNECTION_STATUS: 'connectionStatus',
  CATALOG: 'catalog', TRACE: 'trace', CONTROL: 'control', DESTINATION_CATALOG: 'destination_catalog',
};

let validators: { message: ValidateFunction; configuredCatalog: ValidateFunction } | undefined;

function load() {
  if (validators) return validators;
  const root = yaml.load(fs.readFileSync(locateYaml(), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema({ ...root, $id: 'airbyte-protocol' });
  validators = {
    message: ajv.compile({ $ref: 'airbyte-protocol#/definitions/AirbyteMessage' }),
    configuredCatalog: ajv.compile({ $ref: 'airbyte-protocol#/definitions/ConfiguredAirbyteCatalog' }),
  };
  return validators;
}

function locateYaml(): string {
  // Compiled copies live one level deeper (dist/test-support); look upwards for the shared folder.
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'reference', 'airbyte_protocol_v0.18.0.yaml');
    if (fs.existsSync(candidate)) return candidate;
  }
  return PROTOCOL_YAML;
}

export const protocolYamlAvailable = () => fs.existsSync(locateYaml());

let warnedMissingYaml = false;
/** Without the protocol YAML (a clone outside this workplace) only the envelope is checked, and we say so once. */
function schemaAvailable(): boolean {
  if (protocolYamlAvailable()) return true;
  if (!warnedMissingYaml) {
    warnedMissingYaml = true;
    console.warn(`Airbyte protocol YAML not found (${PROTOCOL_YAML}): messages are checked for their envelope only, not against the schema.`);
  }
  return false;
}

/** Problems with one message; empty when it conforms. */
export function airbyteMessageProblems(message: unknown): string[] {
  const problems: string[] = [];
  if (schemaAvailable()) {
    const { message: validate } = load();
    if (!validate(message)) problems.push(...(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`));
  } else if (typeof (message as { type?: unknown })?.type !== 'string') {
    problems.push('no "type"');
  }
  const type = (message as { type?: string })?.type;
  const field = type ? PAYLOAD_FIELD[type] : undefined;
  if (field && (message as Record<string, unknown>)[field] === undefined) problems.push(`type ${type} without its "${field}" payload`);
  return problems;
}

/** Parses stdout and throws naming the first offending line unless every line is a valid AirbyteMessage. */
export function parseAirbyteOutput(stdout: string): Array<Record<string, any>> {
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  return lines.map((line, i) => {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      throw new Error(`stdout line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
    }
    const problems = airbyteMessageProblems(message);
    if (problems.length) throw new Error(`stdout line ${i + 1} is not a valid AirbyteMessage (${problems.join('; ')}): ${line.slice(0, 300)}`);
    return message as Record<string, any>;
  });
}

export function configuredCatalogProblems(catalog: unknown): string[] {
  const { configuredCatalog } = load();
  return configuredCatalog(catalog) ? [] : (configuredCatalog.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

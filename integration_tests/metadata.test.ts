/**
 * metadata.yaml in Airbyte's ConnectorMetadataDefinitionV0 shape, consistent with package.json, the connector's
 * own reports, its acceptance-test-config.yml, and its spec (allowedHosts references).
 */
import fs from 'fs';
import path from 'path';
import Ajv from 'ajv';
import yaml from 'js-yaml';
import { runCli } from '../test-support/run-cli';
import { REPO_ROOT, readJson } from './fixtures';
import { loadAcceptanceConfig } from './acceptance-config';
import { flattenSettings } from './spec-settings';

/** The parts of ConnectorMetadataDefinitionV0 we use (reference/airbyte_singer.md §2.1); extra keys are refused there too. */
const METADATA_SCHEMA = {
  type: 'object',
  required: ['metadataSpecVersion', 'data'],
  additionalProperties: false,
  properties: {
    metadataSpecVersion: { const: '1.0' },
    data: {
      type: 'object',
      required: ['name', 'definitionId', 'connectorType', 'dockerRepository', 'dockerImageTag', 'license', 'documentationUrl', 'githubIssueLabel', 'connectorSubtype', 'releaseStage'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', minLength: 1 },
        definitionId: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' },
        connectorType: { enum: ['source', 'destination'] },
        connectorSubtype: { enum: ['api', 'database', 'datalake', 'file', 'custom', 'message_queue', 'unknown', 'vectorstore'] },
        dockerRepository: { type: 'string', pattern: '^[a-z0-9-]+/[a-z0-9-]+$' },
        dockerImageTag: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+$' },
        documentationUrl: { type: 'string', pattern: '^https://' },
        githubIssueLabel: { type: 'string' },
        license: { type: 'string' },
        releaseStage: { enum: ['alpha', 'beta', 'generally_available', 'custom'] },
        supportLevel: { enum: ['community', 'certified', 'enterprise', 'archived'] },
        tags: { type: 'array', items: { type: 'string' } },
        allowedHosts: { type: 'object', additionalProperties: false, properties: { hosts: { type: 'array', items: { type: 'string' } } } },
        registryOverrides: { type: 'object' },
        supportsRefreshes: { type: 'boolean' },
        ab_internal: { type: 'object' },
      },
    },
  },
};

const CONNECTORS = [
  { connector: 'source-braze-currents', singer: 'tap-braze-currents', type: 'source', subtype: 'file' },
  { connector: 'destination-mixpanel', singer: 'target-mixpanel', type: 'destination', subtype: 'api' },
  { connector: 'source-mixpanel-cohorts', singer: 'tap-mixpanel-cohorts', type: 'source', subtype: 'api' },
  { connector: 'destination-braze', singer: 'target-braze', type: 'destination', subtype: 'api' },
];
const load = (connector: string) => yaml.load(fs.readFileSync(path.join(REPO_ROOT, connector, 'metadata.yaml'), 'utf8')) as any;

describe.each(CONNECTORS)('metadata.yaml: $connector', ({ connector, singer, type, subtype }) => {
  const metadata = load(connector);
  const data = metadata.data;

  it('has the shape of ConnectorMetadataDefinitionV0', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(METADATA_SCHEMA);
    expect(validate(metadata) ? [] : validate.errors).toEqual([]);
  });

  it('describes this connector: type, subtype, MIT community alpha, TypeScript', () => {
    expect(data).toMatchObject({ connectorType: type, connectorSubtype: subtype, license: 'MIT', releaseStage: 'alpha', supportLevel: 'community', githubIssueLabel: connector });
    expect(data.dockerRepository.endsWith(`/${connector}`)).toBe(true);
    expect(data.tags).toContain('language:typescript');
  });

  it('dockerImageTag is the package version, and acceptance-test-config.yml tests this image', () => {
    expect(data.dockerImageTag).toBe(readJson(path.join(REPO_ROOT, 'package.json')).version);
    expect(loadAcceptanceConfig(connector).config.connector_image).toBe(`${data.dockerRepository}:dev`);
  });

  it('the program reports the same version (--about)', async () => {
    const about = await runCli(singer, ['--about']);
    expect(about.code).toBe(0);
    expect(JSON.parse(about.stdout).version).toBe(data.dockerImageTag);
  });

  it('allowedHosts references (${…}) name settings of the spec', () => {
    const settings = new Set(flattenSettings(readJson(path.join(REPO_ROOT, connector, 'spec.json')).connectionSpecification).map((s) => s.name));
    const refs = data.allowedHosts.hosts.filter((h: string) => h.startsWith('${')).map((h: string) => h.slice(2, -1));
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect([ref, settings.has(ref)]).toEqual([ref, true]);
  });
});

it('metadata.yaml: definitionIds differ between the connectors', () => {
  expect(new Set(CONNECTORS.map((c) => load(c.connector).data.definitionId)).size).toBe(CONNECTORS.length);
});

it('metadata.yaml: the destination may reach exactly Mixpanel\'s regional hosts (and the api_host override)', () => {
  expect(load('destination-mixpanel').data.allowedHosts.hosts).toEqual(['api.mixpanel.com', 'api-eu.mixpanel.com', 'api-in.mixpanel.com', '${api_host}']);
});

it('metadata.yaml: the cohort source may reach exactly Mixpanel\'s regional Query API hosts (and the api_host override)', () => {
  expect(load('source-mixpanel-cohorts').data.allowedHosts.hosts).toEqual(['mixpanel.com', 'eu.mixpanel.com', 'in.mixpanel.com', '${api_host}']);
});

/**
 * The destination's acceptance suites (spec is in spec.test.ts): connection per acceptance-test-config.yml
 * against the local Mixpanel-compatible receiver, and a write of the integration_tests/messages.jsonl transcript
 * (what the source emitted on the fixture export): every state echoed in order, after its records arrived.
 */
import path from 'path';
import { DEFAULT_CREDENTIALS, startMixpanelReceiver, type MixpanelReceiver } from '../local-services/mixpanel/import-api';
import { parseAirbyteOutput, protocolYamlAvailable } from '../test-support/protocol-validator';
import { runCli, writeTempJson } from '../test-support/run-cli';
import { loadAcceptanceConfig, testsOf } from './acceptance-config';
import { DESTINATION_FIXTURES, destinationConfig, readJsonLines } from './fixtures';

const CONNECTOR = 'destination-mixpanel';
const { config: acceptance, resolve } = loadAcceptanceConfig(CONNECTOR);
const TRANSCRIPT = path.join(DESTINATION_FIXTURES, 'messages.jsonl');
const CATALOG = path.join(DESTINATION_FIXTURES, 'configured_catalog.json');
const SECRETS = [DEFAULT_CREDENTIALS.serviceAccounts[0].secret, DEFAULT_CREDENTIALS.projectTokens[0], 'not-the-project-api-secret'];

if (!protocolYamlAvailable()) console.warn('destination-acceptance.test.ts skipped: the Airbyte protocol YAML (../shared/reference) is absent.');

(protocolYamlAvailable() ? describe : describe.skip)('destination acceptance (acceptance-test-config.yml)', () => {
  let receiver: MixpanelReceiver;
  beforeAll(async () => {
    receiver = await startMixpanelReceiver({ port: 0 });
  });
  afterAll(() => receiver?.close());
  beforeEach(() => receiver.reset());

  const configFile = (fixture: string) => writeTempJson('config.json', destinationConfig(path.basename(fixture) as 'sample_config.json', receiver.url));
  const noSecrets = (text: string) => SECRETS.filter((s) => text.includes(s));

  describe('connection', () => {
    it.each(testsOf(acceptance, 'connection').map((t) => [t.config_path!, t.status!]))('%s → %s', async (configPath, status) => {
      const result = await runCli(CONNECTOR, ['check', '--config', configFile(resolve(configPath))]);
      expect(result.code).toBe(0);
      const statuses = parseAirbyteOutput(result.stdout).filter((m) => m.type === 'CONNECTION_STATUS');
      expect(statuses).toHaveLength(1);
      expect(statuses[0].connectionStatus.status).toBe(status === 'succeed' ? 'SUCCEEDED' : 'FAILED');
      expect(noSecrets(result.stdout + result.stderr)).toEqual([]);
      expect(receiver.stats().eventsImported).toBe(0); // check proves access without storing anything
    });
  });

  describe('write of the source transcript', () => {
    const transcript = readJsonLines(TRANSCRIPT);
    const inputStates = transcript.filter((m) => m.type === 'STATE').map((m) => m.state);
    const inputRecords = transcript.filter((m) => m.type === 'RECORD').map((m) => m.record);

    it('echoes every state, unchanged and in order, with destinationStats that account for every record', async () => {
      const result = await runCli(CONNECTOR, ['write', '--config', configFile('sample_config.json'), '--catalog', CATALOG], { input: { file: TRANSCRIPT } });
      expect(result.code).toBe(0);
      const out = parseAirbyteOutput(result.stdout);
      expect(out.filter((m) => m.type === 'TRACE' && m.trace.type === 'ERROR')).toEqual([]);
      const echoed = out.filter((m) => m.type === 'STATE').map((m) => m.state);
      expect(echoed.map((s) => ({ type: s.type, stream: s.stream }))).toEqual(inputStates.map((s) => ({ type: s.type, stream: s.stream })));
      for (const s of echoed) expect(s.destinationStats).toEqual({ recordCount: expect.any(Number), rejectedRecordCount: expect.any(Number) });
      // Per state, the destination counts the records that came before it (since the previous state).
      expect(echoed.map((s) => s.destinationStats.recordCount)).toEqual(inputStates.map((s) => s.sourceStats.recordCount));
      expect(noSecrets(result.stdout + result.stderr)).toEqual([]);
    });

    it('delivers every record Braze would export (those with external_user_id) to the receiver, once each', async () => {
      const result = await runCli(CONNECTOR, ['write', '--config', configFile('sample_config.json'), '--catalog', CATALOG], { input: { file: TRANSCRIPT } });
      expect(result.code).toBe(0);
      const expectedIds = inputRecords.filter((r) => r.data.external_user_id).map((r) => r.data.id).sort();
      expect(expectedIds.length).toBeGreaterThan(0);
      expect(receiver.uniqueEvents().map((e) => e.properties.$insert_id).sort()).toEqual(expectedIds);
      expect(receiver.uniqueEvents().every((e) => e.properties.token === DEFAULT_CREDENTIALS.projectTokens[0])).toBe(true);
    });

    it('with credentials Mixpanel refuses: TRACE ERROR config_error, non-zero exit, no state echoed', async () => {
      const result = await runCli(CONNECTOR, ['write', '--config', configFile('invalid_config.json'), '--catalog', CATALOG], { input: { file: TRANSCRIPT } });
      expect(result.code).not.toBe(0);
      const out = parseAirbyteOutput(result.stdout);
      expect(out.filter((m) => m.type === 'STATE')).toEqual([]);
      const errors = out.filter((m) => m.type === 'TRACE' && m.trace.type === 'ERROR');
      expect(errors.map((m) => m.trace.error.failure_type)).toEqual(['config_error']);
      expect(noSecrets(result.stdout + result.stderr)).toEqual([]);
    });
  });
});

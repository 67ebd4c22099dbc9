/**
 * The destinations' acceptance suites (spec is in spec.test.ts), one harness per destination: connection per
 * acceptance-test-config.yml against its local server, and a write of its integration_tests/messages.jsonl
 * transcript (what its source emits): every state echoed in order, after its records were delivered.
 */
import fs from 'fs';
import path from 'path';
import { DEFAULT_API_KEY, startLocalBraze, type LocalBraze } from '../local-services/braze/server';
import { DEFAULT_CREDENTIALS, startMixpanelReceiver, type MixpanelReceiver } from '../local-services/mixpanel/import-api';
import { parseAirbyteOutput, protocolYamlAvailable } from '../test-support/protocol-validator';
import { runCli, writeTempJson } from '../test-support/run-cli';
import { loadAcceptanceConfig, testsOf } from './acceptance-config';
import { BRAZE_DESTINATION_FIXTURES, DESTINATION_FIXTURES, destinationConfig, readJson, readJsonLines, tempDir } from './fixtures';

type Message = Record<string, any>;

/** What differs between destinations: their local server, how a fixture config reaches it, and what "delivered" means. */
interface Harness {
  connector: string;
  fixtures: string;
  secrets: string[];
  start(): Promise<void>;
  stop(): Promise<void> | void;
  reset(): void;
  /** A fixture config (by file name) aimed at the running server, as a temp file. */
  configFile(fixture: 'sample_config.json' | 'invalid_config.json'): string;
  /** After `check`: nothing was stored. */
  expectNothingStored(): void;
  /** After a successful write of the transcript: what the server holds. */
  expectDelivered(transcript: Message[]): void;
}

function mixpanelHarness(): Harness {
  let receiver: MixpanelReceiver;
  return {
    connector: 'destination-mixpanel',
    fixtures: DESTINATION_FIXTURES,
    secrets: [DEFAULT_CREDENTIALS.serviceAccounts[0].secret, DEFAULT_CREDENTIALS.projectTokens[0], 'not-the-project-api-secret'],
    start: async () => {
      receiver = await startMixpanelReceiver({ port: 0 });
    },
    stop: () => receiver?.close(),
    reset: () => receiver.reset(),
    configFile: (fixture) => writeTempJson('config.json', destinationConfig(fixture, receiver.url)),
    expectNothingStored: () => expect(receiver.stats().eventsImported).toBe(0),
    expectDelivered: (transcript) => {
      // Every record Braze would export (those with external_user_id) reaches the receiver, once each.
      const expectedIds = transcript.filter((m) => m.type === 'RECORD' && m.record.data.external_user_id).map((m) => m.record.data.id).sort();
      expect(expectedIds.length).toBeGreaterThan(0);
      expect(receiver.uniqueEvents().map((e) => e.properties.$insert_id).sort()).toEqual(expectedIds);
      expect(receiver.uniqueEvents().every((e) => e.properties.token === DEFAULT_CREDENTIALS.projectTokens[0])).toBe(true);
    },
  };
}

function brazeHarness(): Harness {
  let braze: LocalBraze;
  const users = (transcript: Message[]) => [...new Set(transcript.filter((m) => m.type === 'RECORD' && m.record.data.user_id).map((m) => m.record.data.user_id as string))];
  const transcript = readJsonLines(path.join(BRAZE_DESTINATION_FIXTURES, 'messages.jsonl'));
  return {
    connector: 'destination-braze',
    fixtures: BRAZE_DESTINATION_FIXTURES,
    secrets: [DEFAULT_API_KEY, 'not-a-braze-rest-api-key'],
    start: async () => {
      braze = await startLocalBraze({ users: users(transcript) });
    },
    stop: () => braze?.close(),
    reset: () => {
      braze.users.clear();
      braze.seedUsers(users(transcript));
      braze.resetLog();
    },
    configFile: (fixture) => {
      const config = readJson(path.join(BRAZE_DESTINATION_FIXTURES, fixture));
      // A fresh membership store per run: the transcript is a first sync.
      return writeTempJson('config.json', { ...config, rest_endpoint: braze.url, membership_store: { type: 'local', path: path.join(tempDir('braze-store'), 'store') } });
    },
    expectNothingStored: () => expect(braze.stats().dataPoints).toBe(0),
    expectDelivered: (lines) => {
      // Every member with a Braze id holds the names of the cohorts whose complete snapshot lists them.
      const expected = new Map<string, string[]>();
      for (const m of lines) {
        if (m.type !== 'RECORD' || m.record.stream !== 'cohort_members' || !m.record.data.user_id) continue;
        expected.set(m.record.data.user_id, [...(expected.get(m.record.data.user_id) ?? []), m.record.data.cohort_name].sort());
      }
      expect(expected.size).toBeGreaterThan(0);
      for (const [user, values] of expected) expect([user, [...(braze.users.array(user, 'mixpanel_cohorts') as string[])].sort()]).toEqual([user, values]);
      expect(braze.users.createdByRequests()).toEqual([]);
    },
  };
}

const HARNESSES = [mixpanelHarness(), brazeHarness()];

if (!protocolYamlAvailable()) console.warn('destination-acceptance.test.ts skipped: the Airbyte protocol YAML (../shared/reference) is absent.');

(protocolYamlAvailable() ? describe.each(HARNESSES.map((h) => [h.connector, h] as const)) : describe.skip.each(HARNESSES.map((h) => [h.connector, h] as const)))(
  '%s acceptance (acceptance-test-config.yml)',
  (connector, harness) => {
    const { config: acceptance, resolve } = loadAcceptanceConfig(connector);
    const TRANSCRIPT = path.join(harness.fixtures, 'messages.jsonl');
    const CATALOG = path.join(harness.fixtures, 'configured_catalog.json');
    beforeAll(() => harness.start());
    afterAll(() => harness.stop());
    beforeEach(() => harness.reset());

    const noSecrets = (text: string) => harness.secrets.filter((s) => text.includes(s));

    describe('connection', () => {
      it.each(testsOf(acceptance, 'connection').map((t) => [t.config_path!, t.status!]))('%s → %s', async (configPath, status) => {
        const result = await runCli(connector, ['check', '--config', harness.configFile(path.basename(resolve(configPath)) as 'sample_config.json')]);
        expect(result.code).toBe(0);
        const statuses = parseAirbyteOutput(result.stdout).filter((m) => m.type === 'CONNECTION_STATUS');
        expect(statuses).toHaveLength(1);
        expect(statuses[0].connectionStatus.status).toBe(status === 'succeed' ? 'SUCCEEDED' : 'FAILED');
        expect(noSecrets(result.stdout + result.stderr)).toEqual([]);
        harness.expectNothingStored(); // check proves access without storing anything
      });
    });

    describe('write of the source transcript', () => {
      const transcript = readJsonLines(TRANSCRIPT);
      const inputStates = transcript.filter((m) => m.type === 'STATE').map((m) => m.state);

      it('echoes every state, unchanged and in order, with destinationStats that account for every record', async () => {
        const result = await runCli(connector, ['write', '--config', harness.configFile('sample_config.json'), '--catalog', CATALOG], { input: { file: TRANSCRIPT } });
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

      it('delivers what the transcript holds to the local server', async () => {
        const result = await runCli(connector, ['write', '--config', harness.configFile('sample_config.json'), '--catalog', CATALOG], { input: { file: TRANSCRIPT } });
        expect(result.code).toBe(0);
        harness.expectDelivered(transcript);
      });

      it('with credentials the server refuses: TRACE ERROR config_error, non-zero exit, no state echoed', async () => {
        const result = await runCli(connector, ['write', '--config', harness.configFile('invalid_config.json'), '--catalog', CATALOG], { input: { file: TRANSCRIPT } });
        expect(result.code).not.toBe(0);
        const out = parseAirbyteOutput(result.stdout);
        expect(out.filter((m) => m.type === 'STATE')).toEqual([]);
        const errors = out.filter((m) => m.type === 'TRACE' && m.trace.type === 'ERROR');
        expect(errors.map((m) => m.trace.error.failure_type)).toEqual(['config_error']);
        expect(noSecrets(result.stdout + result.stderr)).toEqual([]);
      });
    });
  },
);

it('destination acceptance: every destination with an acceptance-test-config.yml has a harness', () => {
  const root = path.resolve(__dirname, '..');
  const destinations = fs.readdirSync(root).filter((d) => d.startsWith('destination-') && fs.existsSync(path.join(root, d, 'acceptance-test-config.yml')));
  expect(destinations.sort()).toEqual(HARNESSES.map((h) => h.connector).sort());
});

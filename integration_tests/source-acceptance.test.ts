/**
 * Airbyte's connector acceptance suites for each source (connection, discovery, basic_read, full_refresh,
 * incremental), driven by the connector's acceptance-test-config.yml and its integration_tests/ fixtures:
 * source-braze-currents against the generated fixture export, source-mixpanel-cohorts against the local
 * Mixpanel server seeded with its fixtures (integration_tests/fixtures.ts).
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { configuredCatalogProblems, parseAirbyteOutput, protocolYamlAvailable } from '../test-support/protocol-validator';
import { runCli } from '../test-support/run-cli';
import { loadAcceptanceConfig, testsOf, type AcceptanceTest } from './acceptance-config';
import { catalogProblems } from './catalog-rules';
import { cohortSourceWorkspace, fixtureExportAvailable, readJson, readJsonLines, removeDir, sourceWorkspace, type SourceWorkspace } from './fixtures';
import { recordKeys, recordsOf, stateCountProblems, statesOf, streamStatusProblems } from './read-checks';

interface AcceptanceSource {
  connector: string;
  ready: boolean;
  workspace(): Promise<SourceWorkspace>;
  /** What check's FAILED message must mention for the invalid config. */
  failedCheck: RegExp;
}

const SOURCES: AcceptanceSource[] = [
  { connector: 'source-braze-currents', ready: fixtureExportAvailable() && protocolYamlAvailable(), workspace: sourceWorkspace, failedCheck: /storage\.path/ },
  { connector: 'source-mixpanel-cohorts', ready: protocolYamlAvailable(), workspace: cohortSourceWorkspace, failedCheck: /credentials\.secret/ },
];
for (const s of SOURCES.filter((s) => !s.ready)) {
  console.warn(`source-acceptance.test.ts: ${s.connector} skipped: ../shared/reference (Currents catalogue, protocol YAML) is absent, so its fixtures cannot be checked.`);
}

/** One describe per declared test of a suite (none for a bypassed suite). */
function eachTest(tests: AcceptanceTest[], name: (t: AcceptanceTest) => string, body: (t: AcceptanceTest) => void): void {
  for (const t of tests) describe(name(t), () => body(t));
}

/** The record without the fields a suite says may differ (CAT's ignored_fields), for comparison. */
const withoutIgnored = (records: Array<Record<string, any>>, ignored: AcceptanceTest['ignored_fields'] = {}) =>
  records.map((r) => ({ ...r, data: Object.fromEntries(Object.entries(r.data).filter(([k]) => !(ignored[r.stream] ?? []).some((f) => f.name === k))) }));

const READY = SOURCES.filter((s) => s.ready);
// describe.each refuses an empty table: with nothing to check, the file holds one skipped test instead.
if (READY.length === 0) test.skip('source acceptance: no source can be checked without ../shared/reference', () => undefined);
else describe.each(READY)('source acceptance: $connector (acceptance-test-config.yml)', ({ connector: CONNECTOR, workspace, failedCheck }) => {
  const { config: acceptance, resolve } = loadAcceptanceConfig(CONNECTOR);
  let ws: SourceWorkspace;
  beforeAll(async () => {
    ws = await workspace();
  });
  afterAll(async () => {
    await ws?.close?.();
    removeDir(ws?.dir);
  });

  /** Runs a verb; every stdout line must be a valid AirbyteMessage. */
  async function airbyte(args: string[]) {
    const result = await runCli(CONNECTOR, args);
    return { code: result.code, stderr: result.stderr, messages: parseAirbyteOutput(result.stdout) };
  }

  async function read(configFixture: string, catalog: object, state?: unknown) {
    const args = ['read', '--config', ws.materialiseConfig(resolve(configFixture)), '--catalog', ws.file(`catalog-${Date.now()}-${Math.random()}.json`, catalog)];
    if (state !== undefined) args.push('--state', ws.file(`state-${Date.now()}-${Math.random()}.json`, state));
    const result = await airbyte(args);
    expect(result.messages.filter((m) => m.type === 'TRACE' && m.trace.type === 'ERROR')).toEqual([]);
    expect(result.code).toBe(0);
    return result.messages;
  }

  const withMode = (catalog: any, mode: 'full_refresh' | 'incremental') => ({ streams: catalog.streams.map((s: any) => ({ ...s, sync_mode: mode })) });
  const configuredNames = (catalog: any): string[] => catalog.streams.map((s: any) => s.stream.name);

  describe('connection', () => {
    it.each(testsOf(acceptance, 'connection').map((t) => [t.config_path!, t.status!]))('%s → %s', async (configPath, status) => {
      const { code, messages } = await airbyte(['check', '--config', ws.materialiseConfig(resolve(configPath))]);
      const statuses = messages.filter((m) => m.type === 'CONNECTION_STATUS');
      if (status === 'exception') {
        expect(messages.some((m) => m.type === 'TRACE' && m.trace.type === 'ERROR')).toBe(true);
        expect(code).not.toBe(0);
        return;
      }
      expect(code).toBe(0);
      expect(statuses).toHaveLength(1);
      expect(statuses[0].connectionStatus.status).toBe(status === 'succeed' ? 'SUCCEEDED' : 'FAILED');
      if (status === 'failed') expect(statuses[0].connectionStatus.message).toMatch(failedCheck);
    });
  });

  eachTest(testsOf(acceptance, 'discovery'), (t) => `discovery (${t.config_path})`, (t) => {
    let messages: Array<Record<string, any>>;
    beforeAll(async () => {
      const result = await airbyte(['discover', '--config', ws.materialiseConfig(resolve(t.config_path!))]);
      expect(result.code).toBe(0);
      messages = result.messages;
    });

    it('emits the catalog exactly once, and it follows the discovery rules', () => {
      const catalogs = messages.filter((m) => m.type === 'CATALOG');
      expect(catalogs).toHaveLength(1);
      expect(catalogProblems(catalogs[0].catalog)).toEqual([]);
    });

    it('the checked-in configured catalog is a valid ConfiguredAirbyteCatalog of streams exactly as discovered', () => {
      const discovered = new Map(messages.find((m) => m.type === 'CATALOG')!.catalog.streams.map((s: any) => [s.name, s]));
      for (const test of testsOf(acceptance, 'basic_read')) {
        const configured = readJson(resolve(test.configured_catalog_path!));
        expect(configuredCatalogProblems(configured)).toEqual([]);
        for (const s of configured.streams) expect(s.stream).toEqual(discovered.get(s.stream.name));
      }
    });
  });

  eachTest(testsOf(acceptance, 'basic_read'), (t) => `basic_read (${t.configured_catalog_path})`, (t) => {
    let catalog: any;
    let messages: Array<Record<string, any>>;
    beforeAll(async () => {
      catalog = withMode(readJson(resolve(t.configured_catalog_path!)), 'full_refresh');
      messages = await read(t.config_path!, catalog);
    });

    it('every configured stream produces records, and no other stream does', () => {
      const names = configuredNames(catalog);
      for (const name of names) expect([name, recordsOf(messages, name).length > 0]).toEqual([name, true]);
      expect([...new Set(recordsOf(messages).map((r) => r.stream))].sort()).toEqual([...names].sort());
    });

    it('records match their stream schema', () => {
      const ajv = new Ajv({ strict: false, allErrors: true });
      addFormats(ajv);
      for (const s of catalog.streams) {
        const validate = ajv.compile(s.stream.json_schema);
        for (const r of recordsOf(messages, s.stream.name)) {
          if (!validate(r.data)) throw new Error(`${s.stream.name} record ${r.data.id}: ${ajv.errorsText(validate.errors)}`);
        }
      }
    });

    it('every expected record appears (expect_records)', () => {
      const expected = readJsonLines(resolve(t.expect_records!.path));
      expect(expected.length).toBeGreaterThan(0);
      // extra_fields: a record may carry fields the expected one leaves out (compare on the expected keys).
      const project = (r: Record<string, any>, keys: string[]) => (t.expect_records!.extra_fields ? Object.fromEntries(keys.filter((k) => k in r.data).map((k) => [k, r.data[k]])) : r.data);
      const missing = expected.filter((e) => !recordsOf(messages, e.stream).some((r) => JSON.stringify(project(r, Object.keys(e.data))) === JSON.stringify(e.data)));
      expect(missing).toEqual([]);
      if (t.expect_records!.extra_records === false) expect(recordsOf(messages)).toHaveLength(expected.length);
    });

    it('stream statuses go STARTED → RUNNING → COMPLETE for every configured stream', () => {
      for (const name of configuredNames(catalog)) {
        expect(streamStatusProblems(messages, name)).toEqual([]);
        expect(messages.filter((m) => m.type === 'TRACE' && m.trace.stream_status?.stream_descriptor.name === name).map((m) => m.trace.stream_status.status)).toContain('RUNNING');
      }
    });

    it('checkpoints: per-stream STATE messages whose sourceStats.recordCount add up, none after the stream completed', () => {
      for (const name of configuredNames(catalog)) {
        expect(statesOf(messages, name).length).toBeGreaterThan(0);
        expect(statesOf(messages, name).every((s) => s.type === 'STREAM')).toBe(true);
        expect(stateCountProblems(messages, name)).toEqual([]);
      }
    });
  });

  eachTest(testsOf(acceptance, 'full_refresh'), (t) => `full_refresh (${t.configured_catalog_path})`, (t) => {
    it('two consecutive reads emit the same records', async () => {
      const catalog = withMode(readJson(resolve(t.configured_catalog_path!)), 'full_refresh');
      const first = recordsOf(await read(t.config_path!, catalog));
      const second = recordsOf(await read(t.config_path!, catalog));
      expect(first.length).toBeGreaterThan(0);
      expect(recordKeys(withoutIgnored(second, t.ignored_fields))).toEqual(recordKeys(withoutIgnored(first, t.ignored_fields)));
    });
  });

  eachTest(testsOf(acceptance, 'incremental'), (t) => `incremental (${t.configured_catalog_path})`, (t) => {
    let catalog: any;
    let first: Array<Record<string, any>>;
    beforeAll(async () => {
      catalog = withMode(readJson(resolve(t.configured_catalog_path!)), 'incremental');
      first = await read(t.config_path!, catalog);
    });

    /** The state the platform would pass next time: the last STATE per stream, as an array. */
    const lastStates = (messages: Array<Record<string, any>>) =>
      configuredNames(catalog).map((name) => statesOf(messages, name).pop()).filter(Boolean).map((s) => ({ type: s.type, stream: s.stream }));

    it('two sequential reads: the first emits records and states, the second (from the first\'s state) no records', async () => {
      expect(recordsOf(first).length).toBeGreaterThan(0);
      const state = lastStates(first);
      expect(state).toHaveLength(configuredNames(catalog).length);
      const second = await read(t.config_path!, catalog, state);
      expect(recordsOf(second)).toEqual([]);
      for (const name of configuredNames(catalog)) expect(streamStatusProblems(second, name)).toEqual([]);
    });

    it('the second read still emits a state for every stream (Airbyte: sources always emit state)', async () => {
      const second = await read(t.config_path!, catalog, lastStates(first));
      for (const name of configuredNames(catalog)) expect([name, statesOf(second, name).length > 0]).toEqual([name, true]);
    });

    it('the legacy object form of the same state is accepted and also emits no records', async () => {
      const legacy = Object.fromEntries(lastStates(first).map((s) => [s.stream.stream_descriptor.name, s.stream.stream_state]));
      expect(recordsOf(await read(t.config_path!, catalog, legacy))).toEqual([]);
    });

    it('future_state: a state from the far future emits no records', async () => {
      const future = readJson(resolve(t.future_state!.future_state_path));
      expect(Array.isArray(future)).toBe(true);
      const messages = await read(t.config_path!, catalog, future);
      expect(recordsOf(messages)).toEqual([]);
      for (const name of configuredNames(catalog)) expect(streamStatusProblems(messages, name)).toEqual([]);
    });

    it('sample_state: resumes after the files the state lists, and reads the rest', async () => {
      const sample = readJson(resolve('integration_tests/sample_state.json'));
      const resumed = sample[0].stream;
      const readKeys = new Set(Object.keys(resumed.stream_state.files));
      const messages = await read(t.config_path!, catalog, sample);
      const name = resumed.stream_descriptor.name;
      const all = recordsOf(first, name);
      const after = recordsOf(messages, name);
      expect(after.some((r) => readKeys.has(r.data._source_key))).toBe(false);
      expect(recordKeys(after)).toEqual(recordKeys(all.filter((r) => !readKeys.has(r.data._source_key))));
      for (const other of configuredNames(catalog).filter((n) => n !== name)) expect(recordKeys(recordsOf(messages, other))).toEqual(recordKeys(recordsOf(first, other)));
    });
  });
});

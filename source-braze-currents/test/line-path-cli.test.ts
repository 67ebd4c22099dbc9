/**
 * End to end through the kit: `bin/source-braze-currents read` (which takes the fast line path) prints the
 * records the object path produces in-process, in the same order, with valid messages and the same
 * sourceStats; the Singer tap prints the same records.
 */
import fs from 'fs';
import path from 'path';
import type { ConfiguredAirbyteCatalog, JsonObject } from '../../connector-kit/protocol';
import { parseAirbyteOutput, protocolYamlAvailable } from '../../test-support/protocol-validator';
import { runCli, writeTempJson } from '../../test-support/run-cli';
import { generateSampleExport } from '../../tools/sample-export/generate';
import { BrazeCurrentsSource } from '../src/source';
import { CollectingOutput } from './support/collect';
import { brazeKey, makeTempDir, placeFile, sampleAvro, sampleEventTypes, samplesPresent } from './support/samples';

const built = fs.existsSync(path.resolve(__dirname, '../../dist/source-braze-currents/src/main.js'));
const cliDescribe = built && protocolYamlAvailable() ? describe : describe.skip;
if (!built || !protocolYamlAvailable()) console.warn('Skipping line-path CLI tests: build dist/ first (npm test does) and provide the protocol YAML.');
if (!samplesPresent) console.warn('Line-path CLI tests run on a generated export only: the Braze sample folder is absent.');

const source = new BrazeCurrentsSource();

async function objectPathRead(config: JsonObject, catalog: ConfiguredAirbyteCatalog): Promise<CollectingOutput> {
  const out = new CollectingOutput(); // offers no recordLines: the reference object path
  await source.read(config, catalog, new Map(), out);
  return out;
}

async function setUp(label: string): Promise<{ dir: string; config: JsonObject; catalog: ConfiguredAirbyteCatalog }> {
  const dir = makeTempDir(label);
  const root = path.join(dir, 'bucket');
  await generateSampleExport({ out: root, totalEvents: 1000, seed: 11, now: '2026-01-01T00:00:00Z', codec: 'deflate', blockSize: 8192 });
  if (samplesPresent) sampleEventTypes().forEach((type, i) => placeFile(root, brazeKey(type, '2025-12-31-20', i), sampleAvro(type)));
  const config = { storage: { type: 'local', path: root }, prefix: 'currents' };
  const discovered = await source.discover(config, new CollectingOutput().log);
  const catalog: ConfiguredAirbyteCatalog = { streams: discovered.streams.map((stream) => ({ stream, sync_mode: 'incremental', destination_sync_mode: 'append' })) };
  return { dir, config, catalog };
}

cliDescribe('fast line path through the CLI', () => {
  jest.setTimeout(120_000);

  test('Airbyte read prints exactly the object path records, valid messages, same per-file counts', async () => {
    const { dir, config, catalog } = await setUp('lines-cli');
    const expected = await objectPathRead(config, catalog);
    const run = await runCli('source-braze-currents', ['read', '--config', writeTempJson('config.json', config, dir), '--catalog', writeTempJson('catalog.json', catalog, dir)]);
    expect(run.stderr).not.toMatch(/Unexpected error/);
    expect(run.code).toBe(0);
    const messages = parseAirbyteOutput(run.stdout); // every line validated against the protocol YAML
    const records = messages.filter((m) => m.type === 'RECORD');
    expect(records.length).toBeGreaterThan(1000);
    expect(records.map((m) => m.record.stream)).toEqual(expected.emitted.filter((e) => e.kind === 'record').map((e) => e.stream));
    expect(records.map((m) => m.record.data)).toEqual(expected.records());
    for (const m of records) expect(Number.isInteger(m.record.emitted_at)).toBe(true);
    // A STATE after each file, counting that file's records, as on the object path.
    const counts = messages.filter((m) => m.type === 'STATE').map((m) => [m.state.stream.stream_descriptor.name, m.state.sourceStats.recordCount]);
    let since = new Map<string, number>();
    const expectedCounts: [string, number][] = [];
    for (const e of expected.emitted) {
      if (e.kind === 'record') since.set(e.stream, (since.get(e.stream) ?? 0) + 1);
      if (e.kind === 'state') {
        expectedCounts.push([e.stream, since.get(e.stream) ?? 0]);
        since = new Map([...since].filter(([s]) => s !== e.stream));
      }
    }
    expect(counts).toEqual(expectedCounts);
  });

  test('the Singer tap prints the same records as Singer RECORD messages', async () => {
    const { dir, config, catalog } = await setUp('lines-tap');
    const expected = await objectPathRead(config, catalog);
    const run = await runCli('tap-braze-currents', ['--config', writeTempJson('config.json', config, dir)]);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const records = lines.filter((m) => m.type === 'RECORD');
    expect(records.map((m) => m.record)).toEqual(expected.records());
    for (const m of records) {
      expect(Object.keys(m)).toEqual(['type', 'stream', 'record', 'time_extracted']);
      expect(new Date(m.time_extracted).toISOString()).toBe(m.time_extracted);
    }
  });
});

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { benchSource, configuredCatalogFromDiscover, MessageCounter, type SourceRunFigures } from '../../bench/source-bench';
import { medianRun } from '../../bench/support/median-run';

describe('source bench helpers', () => {
  test('MessageCounter counts RECORD lines across chunk boundaries and sums sourceStats', () => {
    const lines = [
      '{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1,"stream_status":{"stream_descriptor":{"name":"a"},"status":"STARTED"}}}',
      '{"type":"RECORD","record":{"stream":"a","data":{"id":"1","note":"contains \\"type\\":\\"STATE\\" text"},"emitted_at":1}}',
      '{"type":"RECORD","record":{"stream":"a","data":{"id":"2"},"emitted_at":1}}',
      '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"a"},"stream_state":{}},"sourceStats":{"recordCount":2}}}',
      '{"type":"RECORD","record":{"stream":"b","data":{"id":"é"},"emitted_at":1}}',
      '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"b"},"stream_state":{}},"sourceStats":{"recordCount":1}}}',
    ];
    const all = Buffer.from(lines.join('\n') + '\n');
    // Feed in awkward 7-byte pieces so lines (and a multi-byte character) straddle chunks.
    const c = new MessageCounter();
    for (let i = 0; i < all.length; i += 7) c.push(all.subarray(i, i + 7));
    c.end();
    expect(c.records).toBe(3);
    expect(c.states).toBe(2);
    expect(c.stateRecordCount).toBe(3);
    expect(c.errors).toEqual([]);
  });

  test('medianRun reports the median run by throughput, every rate, and the highest peak RSS', () => {
    const run = (eventsPerSecond: number, peakRssMb: number) => ({ label: 'r', eventsPerSecond, peakRssMb, wallSeconds: 1e6 / eventsPerSecond }) as SourceRunFigures;
    const m = medianRun([run(230_000, 100), run(150_000, 120), run(210_000, 105)]);
    expect(m.eventsPerSecond).toBe(210_000);
    expect(m.wallSeconds).toBeCloseTo(1e6 / 210_000);
    expect(m.peakRssMb).toBe(120);
    expect(m.runsEventsPerSecond).toEqual([230_000, 150_000, 210_000]);
    expect(medianRun([run(1, 1), run(3, 1)]).eventsPerSecond).toBe(1); // an even count takes the lower middle
    expect(medianRun([run(5, 7)]).runsEventsPerSecond).toBeUndefined();
  });

  test('MessageCounter reports TRACE errors and non-JSON lines', () => {
    const c = new MessageCounter();
    c.push(Buffer.from('{"type":"TRACE","trace":{"type":"ERROR","emitted_at":1,"error":{"message":"bucket missing","failure_type":"config_error"}}}\nnot json'));
    c.end();
    expect(c.errors).toEqual(['config_error: bucket missing', 'non-JSON stdout line: not json']);
  });

  test('configuredCatalogFromDiscover selects every stream, incremental where supported', () => {
    const discover = [
      '{"type":"LOG","log":{"level":"INFO","message":"hi"}}',
      JSON.stringify({
        type: 'CATALOG',
        catalog: {
          streams: [
            { name: 'x', json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'], source_defined_cursor: true, default_cursor_field: ['_source_key'], source_defined_primary_key: [['id']] },
            { name: 'y', json_schema: {}, supported_sync_modes: ['full_refresh'] },
          ],
        },
      }),
    ].join('\n');
    const cat = configuredCatalogFromDiscover(discover) as any;
    expect(cat.streams.map((s: any) => [s.stream.name, s.sync_mode, s.destination_sync_mode, s.cursor_field])).toEqual([
      ['x', 'incremental', 'append', ['_source_key']],
      ['y', 'full_refresh', 'append', undefined],
    ]);
    expect(() => configuredCatalogFromDiscover('{"type":"LOG","log":{"level":"INFO","message":"x"}}')).toThrow(/no CATALOG/);
  });
});

const repo = path.resolve(__dirname, '..', '..');
const ready =
  fs.existsSync(path.join(repo, 'dist', 'source-braze-currents', 'src', 'main.js')) &&
  fs.existsSync(path.resolve(repo, '..', 'shared', 'reference', 'currents_event_fields.json'));
if (!ready) console.warn('SKIPPED source bench smoke run: build dist/ first and provide ../shared/reference/currents_event_fields.json');
(ready ? describe : describe.skip)('benchSource (small smoke run against the real source CLI)', () => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'source-bench-test-'));
  afterAll(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  test('emits every generated record and measures time and peak RSS', async () => {
    const r = await benchSource({ events: 400, singleFileEvents: 300, cacheDir, print: false, log: () => undefined });
    expect(r.full.records).toBe(400);
    expect(r.full.expectedRecords).toBe(400);
    expect(r.full.stateRecordCount).toBe(400);
    expect(r.full.stateMessages).toBeGreaterThanOrEqual(100);
    expect(r.singleFile!.records).toBe(300);
    expect(r.singleFile!.files).toBe(1);
    for (const run of [r.full, r.singleFile!]) {
      expect(run.wallSeconds).toBeGreaterThan(0);
      expect(run.eventsPerSecond).toBeCloseTo(run.records / run.wallSeconds, 6);
      expect(run.peakRssMb).toBeGreaterThan(20); // a Node process; NaN would mean no measurement
      expect(run.peakRssMb).toBeLessThan(4096);
    }
  }, 120_000);
});

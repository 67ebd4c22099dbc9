import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { RequestRecord } from '../../local-services/mixpanel/import-api';
import { writeCurrentsTranscript } from '../../bench/destination-bench';
import {
  benchDestinationAtLimit, countInsertIds, deliveredPerSecond, firstLines, meetsRateTargets, phaseFigures, summarizeRequests,
} from '../../bench/rate-limit-bench';
import { rateLimitSection } from '../../bench/rate-limit-table';
import { totalCpuSeconds } from '../../bench/end-to-end-bench';
import { gnuTimeCpuSeconds, type ProcessFigures } from '../../bench/support/measured-process';

/** A /import request as the receiver logs it. */
function request(receivedAt: number, answeredAt: number, imported: number, throttled = false): RequestRecord {
  return {
    seq: 0, method: 'POST', path: '/import', query: {}, headers: {}, authKind: 'api_secret', bodyBytes: 1,
    status: throttled ? 429 : 200, imported, receivedAt, answeredAt, ...(throttled ? { throttled: true } : {}),
  };
}

describe('rate-limit bench accounting', () => {
  test('summarizeRequests counts /import requests, 429s from the limit and admitted events over the transfer window', () => {
    const log = [
      request(1_000, 1_200, 2000),
      request(1_100, 1_150, 0, true),
      request(1_300, 3_500, 1500),
      { ...request(900, 4_000, 0), path: '/_receiver/stats' },
    ];
    expect(summarizeRequests(log)).toEqual({ requests: 3, throttled: 1, imported: 3500, transferSeconds: 2.5 });
    expect(summarizeRequests([])).toEqual({ requests: 0, throttled: 0, imported: 0, transferSeconds: 0 });
  });

  test('deliveredPerSecond counts the bucket\'s initial second (or one full request below 2 000 events/s) as time', () => {
    expect(deliveredPerSecond(21_000, 20, 1000)).toBeCloseTo(21_000 / 22); // bucket holds one 2 000-event request = 2 s at 1 000/s
    expect(deliveredPerSecond(105_000, 20, 5000)).toBeCloseTo(5000);
  });

  test('phaseFigures splits admitted events by when they were answered; the last phase runs to the last answer', () => {
    const t0 = 10_000;
    const log = [
      request(t0 + 100, t0 + 500, 2000), // phase 1, first half
      request(t0 + 600, t0 + 1_600, 2000), // phase 1, second half
      request(t0 + 1_900, t0 + 2_100, 0, true), // phase 2
      request(t0 + 2_200, t0 + 2_900, 1000), // phase 2, second half
      request(t0 + 3_000, t0 + 5_000, 4000), // phase 3, ends the run
    ];
    const [p1, p2, p3] = phaseFigures(log, [{ limit: 4000, seconds: 2 }, { limit: 1000, seconds: 1 }, { limit: 8000, seconds: 30 }], t0);
    expect(p1).toMatchObject({ limit: 4000, startSecond: 0, seconds: 2, deliveredPerSecond: 2000, shareOfLimit: 0.5, settledPerSecond: 2000, throttledShare: 0 });
    expect(p2).toMatchObject({ limit: 1000, startSecond: 2, seconds: 1, deliveredPerSecond: 1000, settledPerSecond: 2000, throttledShare: 0.5 });
    expect(p3).toMatchObject({ limit: 8000, startSecond: 3, seconds: 2, deliveredPerSecond: 2000, settledPerSecond: 4000 });
  });

  test('meetsRateTargets needs ≥ 90 % of N, ≤ 5 % answered 429 and no problem', () => {
    const base = { who: 'destination-mixpanel', limit: 1000, offered: 1, imported: 1, requests: 100, throttled: 5, transferSeconds: 1, deliveredPerSecond: 900, shareOfLimit: 0.9, throttledShare: 0.05, problems: [] };
    expect(meetsRateTargets(base)).toBe(true);
    expect(meetsRateTargets({ ...base, shareOfLimit: 0.89 })).toBe(false);
    expect(meetsRateTargets({ ...base, throttledShare: 0.06 })).toBe(false);
    expect(meetsRateTargets({ ...base, problems: ['lost 1'] })).toBe(false);
    expect(rateLimitSection({ rows: [{ ...base, shareOfLimit: 0.5 }] })).toMatch(/\| destination-mixpanel \| 1,000 \| 900 \| 50 % \| 5 of 100 \(5\.0 %\) .*\| MISSES \|/);
  });

  test('CPU seconds come from GNU time and add up only when every process was measured', () => {
    expect(gnuTimeCpuSeconds('\tUser time (seconds): 1.25\n\tSystem time (seconds): 0.50\n')).toBeCloseTo(1.75);
    expect(gnuTimeCpuSeconds('\tUser time (seconds): 1.25\n')).toBeUndefined();
    const fig = (cpuSeconds?: number) => ({ code: 0, wallSeconds: 1, peakRssMb: 1, cpuSeconds, rssMethod: '/usr/bin/time -v', stderrTail: '' }) as ProcessFigures;
    expect(totalCpuSeconds([fig(1), fig(2.5)])).toBeCloseTo(3.5);
    expect(totalCpuSeconds([fig(1), fig(undefined)])).toBeUndefined();
  });
});

describe('rate-limit bench file helpers', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rate-limit-bench-test-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('firstLines streams exactly the first N lines, across 1 MiB read chunks', async () => {
    const file = path.join(dir, 'lines.txt');
    const lines = [...Array(3000)].map((_, i) => `${i}:${'é'.repeat(400 + (i % 7))}`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const read = async (n: number) => {
      const parts: Buffer[] = [];
      for await (const chunk of firstLines(file, n)) parts.push(chunk as Buffer);
      return Buffer.concat(parts).toString('utf8');
    };
    expect(await read(2500)).toBe(lines.slice(0, 2500).join('\n') + '\n');
    expect(await read(1)).toBe(lines[0] + '\n');
    expect(await read(5000)).toBe(lines.join('\n') + '\n');
  });

  test('countInsertIds counts event lines and distinct $insert_id values', async () => {
    const file = path.join(dir, 'events.ndjson');
    fs.writeFileSync(file, [
      '{"event":"a","properties":{"$insert_id":"x1","time":1}}',
      '{"event":"b","properties":{"$insert_id":"x\\"2"}}',
      '',
      '{"event":"a","properties":{"$insert_id":"x1","time":2}}',
      '{"event":"c","properties":{}}',
    ].join('\n') + '\n');
    expect(await countInsertIds(file)).toEqual({ events: 4, distinct: 3 });
  });
});

const repo = path.resolve(__dirname, '..', '..');
const ready =
  fs.existsSync(path.join(repo, 'dist', 'destination-mixpanel', 'src', 'main.js')) &&
  fs.existsSync(path.resolve(repo, '..', 'shared', 'reference', 'currents_event_fields.json'));
if (!ready) console.warn('SKIPPED rate-limit bench smoke run: build dist/ first and provide ../shared/reference/currents_event_fields.json');
(ready ? describe : describe.skip)('benchDestinationAtLimit (short real run against the rate-limited receiver)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rate-limit-bench-run-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('every record piped is imported, skipped or rejected, the receiver stored each imported event once, and 429s are counted', async () => {
    const transcript = path.join(dir, 'transcript.jsonl');
    await writeCurrentsTranscript(transcript, 12_000);
    // 11 000 of 12 000 records: the prefix cut crosses two STATE lines. A 3 000/s bucket throttles a 10-way sender.
    const { row } = await benchDestinationAtLimit(3000, { records: 11_000, transcript, log: () => undefined });
    expect(row.problems).toEqual([]);
    expect(row.offered).toBe(11_000);
    expect(row.imported).toBeGreaterThan(10_000); // about 5 % of users are anonymous and skipped
    expect(row.requests).toBeGreaterThanOrEqual(Math.ceil(row.imported / 2000));
    expect(row.throttled).toBeLessThan(row.requests);
    expect(row.throttledShare).toBeCloseTo(row.throttled / row.requests);
  }, 60_000);
});

/**
 * Deterministic small Mixpanel events (Braze "Email Open"-like, ~300 bytes each) written as NDJSON, for the
 * benchmarks. Valid under strict=1: recent times, real distinct ids, 36-character insert ids.
 */
import * as fs from 'fs';
import { createHash } from 'crypto';

export interface SampleEventOptions { token?: string; startTimeMs?: number }

export function sampleEvent(i: number, opts: SampleEventOptions = {}): { event: string; properties: Record<string, unknown> } {
  const start = opts.startTimeMs ?? Date.now() - 24 * 3600 * 1000;
  const insertId = createHash('sha1').update(`bench-${i}`).digest('hex').slice(0, 36);
  return {
    event: 'Email Open',
    properties: {
      time: start + i * 10,
      distinct_id: `user-${i % 5000}`,
      $insert_id: insertId,
      token: opts.token ?? 'bench-token',
      campaign_id: `campaign-${i % 17}`,
      dispatch_id: `dispatch-${i % 101}`,
      email_address: `user${i % 5000}@example.com`,
      $device: 'iPhone14,2',
      $os: 'iOS 17.2',
      machine_open: i % 3 === 0 ? 'true' : 'false',
    },
  };
}

/** Writes `count` sample events to `file` as NDJSON, streaming (no whole-file string in memory). */
export async function writeSampleEvents(file: string, count: number, opts: SampleEventOptions = {}): Promise<void> {
  const out = fs.createWriteStream(file);
  const chunk = 1000;
  for (let i = 0; i < count; i += chunk) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(count, i + chunk); j++) lines.push(JSON.stringify(sampleEvent(j, opts)));
    if (!out.write(lines.join('\n') + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** Counts the non-blank lines of an NDJSON file without loading it whole. */
export async function countNdjsonLines(file: string): Promise<number> {
  let count = 0;
  let lineHasContent = false;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === 10) {
        if (lineHasContent) count++;
        lineHasContent = false;
      } else if (c !== 32 && c !== 13 && c !== 9) {
        lineHasContent = true;
      }
    }
  }
  return lineHasContent ? count + 1 : count;
}

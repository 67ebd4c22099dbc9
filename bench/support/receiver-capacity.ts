/**
 * How many events/s the local receiver itself can take (fast and validating modes), so benchmark figures can be
 * read knowing the receiver was not the limit. Bodies are pre-gzipped NDJSON batches of 2000 small events, sent
 * over keep-alive HTTP with a fixed number of requests in flight; client-side work is only the send.
 *
 * Run: node dist/bench/support/receiver-capacity.js [--batches 100] [--concurrency 10]
 */
import * as http from 'http';
import * as zlib from 'zlib';
import { startMixpanelReceiver } from '../../local-services/mixpanel/import-api';
import { sampleEvent } from './sample-events';

export interface ReceiverCapacity { mode: 'fast' | 'validating'; events: number; seconds: number; eventsPerSecond: number }

const SECRET = 'capacity-secret';

function send(agent: http.Agent, port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, path: '/import?strict=1', method: 'POST', agent,
      headers: { 'Content-Type': 'application/x-ndjson', 'Content-Encoding': 'gzip', 'Content-Length': body.length, Authorization: 'Basic ' + Buffer.from(`${SECRET}:`).toString('base64') },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    req.end(body);
  });
}

export async function measureReceiverCapacity(fast: boolean, batches = 100, concurrency = 10): Promise<ReceiverCapacity> {
  const perBatch = 2000;
  const bodies = [...Array(batches)].map((_, b) =>
    zlib.gzipSync([...Array(perBatch)].map((_, i) => JSON.stringify(sampleEvent(b * perBatch + i))).join('\n') + '\n', { level: 1 }));
  const receiver = await startMixpanelReceiver({ fast, credentials: { apiSecrets: [SECRET] } });
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const started = process.hrtime.bigint();
    let next = 0;
    await Promise.all([...Array(concurrency)].map(async () => {
      while (next < bodies.length) {
        const status = await send(agent, receiver.port, bodies[next++]);
        if (status !== 200) throw new Error(`receiver answered ${status}`);
      }
    }));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const events = receiver.stats().eventsImported;
    if (events !== batches * perBatch) throw new Error(`receiver imported ${events} of ${batches * perBatch} events`);
    return { mode: fast ? 'fast' : 'validating', events, seconds, eventsPerSecond: Math.round(events / seconds) };
  } finally {
    agent.destroy();
    await receiver.close();
  }
}

if (require.main === module) {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  (async () => {
    for (const fast of [true, false]) {
      const r = await measureReceiverCapacity(fast, arg('--batches', 100), arg('--concurrency', 10));
      process.stdout.write(`receiver (${r.mode}): ${r.events} events in ${r.seconds.toFixed(2)} s → ${r.eventsPerSecond} events/s\n`);
    }
  })().catch((err) => {
    process.stderr.write(`receiver capacity: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}

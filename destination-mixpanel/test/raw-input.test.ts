/**
 * The raw-line path (writeRaw: blocks of lines encoded inline or on worker threads, replayed in input order)
 * must behave exactly like the parsed-message path (write): same states and per-state stats, same accounting
 * with the same samples, same warnings with the same line numbers, same rejected records, same events stored.
 * Also the pieces it is built from: line blocks, in-order encoding, NDJSON bodies from buffer views.
 */
import fs from 'fs';
import path from 'path';
import { Readable } from 'stream';
import { readJsonLines, toDestinationMessage } from '../../connector-kit/input';
import type { AirbyteMessage, JsonObject } from '../../connector-kit/protocol';
import type { DestinationOutput } from '../../connector-kit/connector';
import { startMixpanelReceiver, type MixpanelReceiver } from '../../local-services/mixpanel/import-api';
import { MixpanelDestination, type RejectedRecord, type RawInputTuning } from '../src/destination';
import { ndjsonBody } from '../src/delivery/compress';
import { lineBlocks } from '../src/parallel/line-blocks';
import { encodeInOrder } from '../src/parallel/encode-in-order';
import os from 'os';
import { defaultWorkerCount, WORKER_BLOCK_MAX_BYTES, WORKERS_ENV } from '../src/parallel/encoder-pool';
import type { BlockEncoder } from '../src/parallel/encoder-pool';
import type { EncodedBlock } from '../src/parallel/block-encoder';

const REPO = path.resolve(__dirname, '../..');
const COMPILED_WORKER = path.join(REPO, 'dist/destination-mixpanel/src/parallel/encode-worker.js');
const SECRET = 'raw-path-secret-51';
const TOKEN = 'raw-path-token-73';

let receiver: MixpanelReceiver;
beforeAll(async () => {
  receiver = await startMixpanelReceiver({ credentials: { apiSecrets: [SECRET], projectTokens: [TOKEN] } });
});
afterAll(() => receiver.close());

const config = (): JsonObject => ({
  credentials: { auth_type: 'api_secret', api_secret: SECRET },
  project_token: TOKEN,
  api_host: receiver.url,
  retry_base_ms: 5,
  max_batch_bytes: 4096, // small batches (many requests) and an event that is too large
  concurrency: 3,
});

function customEvent(i: number, data: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'RECORD',
    record: {
      stream: 'users_behaviors_customevent',
      emitted_at: 1,
      data: {
        id: `5eed0000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        external_user_id: `user-${i % 13}`,
        time: Math.floor(Date.now() / 1000) - 3600 + i,
        name: i % 2 ? 'Level Up' : 'Purchase Intent',
        properties: JSON.stringify({ level: i, note: 'naïve ✓' }),
        _event_type: 'users.behaviors.CustomEvent',
        ...data,
      },
    },
  });
}

const state = (n: number) => JSON.stringify({ type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: 'users_behaviors_customevent' }, stream_state: { n } } } });

/** Everything the destination distinguishes, interleaved with states, plus lines the kit skips. */
function transcript(): string {
  const lines = fs.readFileSync(path.join(__dirname, 'transcripts', 'currents-small.jsonl'), 'utf8').trim().split('\n');
  let n = 0;
  for (let i = 0; i < 60; i++) {
    if (i % 9 === 0) lines.push(customEvent(i, { external_user_id: null })); // skipped (more than the 3 samples)
    else if (i % 11 === 0) lines.push(customEvent(i, { external_user_id: 'anonymous' })); // rejected: junk id
    else if (i % 7 === 0) lines.push(customEvent(i, { properties: '{not json' })); // sent, with a warning
    else if (i === 23) lines.push(customEvent(i, { name: 'Big', properties: JSON.stringify({ blob: 'x'.repeat(5000) }) })); // too large
    else lines.push(customEvent(i));
    if (i % 10 === 4) lines.push(state(++n));
    if (i === 17) lines.push('not json at all', '', '   ', '{"no_type": true}', '[1,2]');
  }
  lines.push(state(++n), customEvent(1000)); // the last line has no newline
  return lines.join('\n');
}

/** Validation details quote the current time ("now + 1 h (…)"), which differs between two runs. */
const withoutClock = (result: RunResult): RunResult => JSON.parse(JSON.stringify(result).replace(/now \+ 1 h \([^)]*\)/g, 'now + 1 h (…)'));

interface RunResult {
  states: unknown[];
  accounting: Record<string, unknown>;
  warnings: string[];
  rejected: RejectedRecord[];
  stored: unknown[];
}

function collector() {
  const warnings: string[] = [];
  const states: unknown[] = [];
  const emitted: AirbyteMessage[] = [];
  const out: DestinationOutput = {
    log: { debug: () => undefined, info: () => undefined, warn: (m) => void warnings.push(m), error: (m) => void warnings.push(m) },
    state: (s, stats) => void states.push({ ...s, destinationStats: stats }),
    emit: (m) => void emitted.push(m),
  };
  const accounting = () => {
    const trace = emitted.find((m) => m.type === 'TRACE' && m.trace.type === 'ANALYTICS');
    return JSON.parse((trace as { trace: { analytics: { value: string } } }).trace.analytics.value);
  };
  return { out, warnings, states, accounting };
}

const byInsertId = (events: Array<{ properties: Record<string, unknown> }>) =>
  [...events].sort((a, b) => String(a.properties.$insert_id).localeCompare(String(b.properties.$insert_id)));

/** The parsed-message path, fed exactly as the kit feeds write(). */
async function runParsed(text: string): Promise<RunResult> {
  receiver.reset();
  const rejected: RejectedRecord[] = [];
  const c = collector();
  async function* messages(): AsyncGenerator<AirbyteMessage> {
    for await (const raw of readJsonLines(Readable.from([Buffer.from(text)]), c.out.log)) {
      const m = toDestinationMessage(raw, 'airbyte');
      if (m) yield m;
    }
  }
  await new MixpanelDestination({ onRejected: (r) => rejected.push(r) }).write(config(), { streams: [] }, messages(), c.out);
  return withoutClock({ states: c.states, accounting: c.accounting(), warnings: c.warnings.filter((w) => w.startsWith('Input line')), rejected, stored: byInsertId(receiver.events()) });
}

async function runRaw(text: string, tuning: Partial<RawInputTuning>, chunkBytes: number): Promise<RunResult> {
  receiver.reset();
  const rejected: RejectedRecord[] = [];
  const c = collector();
  const bytes = Buffer.from(text);
  const chunks = Array.from({ length: Math.ceil(bytes.length / chunkBytes) }, (_, i) => bytes.subarray(i * chunkBytes, (i + 1) * chunkBytes));
  await new MixpanelDestination({ onRejected: (r) => rejected.push(r), rawInput: tuning }).writeRaw(config(), { streams: [] }, { protocol: 'airbyte', chunks: Readable.from(chunks) }, c.out);
  return withoutClock({ states: c.states, accounting: c.accounting(), warnings: c.warnings.filter((w) => w.startsWith('Input line')), rejected, stored: byInsertId(receiver.events()) });
}

describe('raw-line path equals the parsed-message path', () => {
  const text = transcript();
  let reference: RunResult;
  beforeAll(async () => {
    reference = await runParsed(text);
  });

  test('the reference run covers every kind of outcome', () => {
    const acc = reference.accounting as Record<string, any>;
    expect(acc.received).toBe(acc.imported + acc.rejected + acc.skipped);
    expect(acc.skippedByReason.no_external_user_id.count).toBeGreaterThan(3);
    expect(acc.skippedByReason.no_external_user_id.samples).toHaveLength(3);
    expect(Object.keys(acc.rejectedByReason)).toEqual(expect.arrayContaining(['invalid_distinct_id', 'time_out_of_range', 'event_too_large']));
    expect(acc.warnings.invalid_properties_json).toBeGreaterThan(0);
    expect(reference.warnings).toEqual([expect.stringMatching(/^Input line \d+ is not valid JSON/), expect.stringMatching(/^Input line \d+ is JSON but not a protocol message/), expect.stringMatching(/^Input line \d+ is JSON but not/)]);
    expect(reference.states.length).toBeGreaterThan(5);
    expect(reference.stored.length).toBe(acc.imported);
  });

  test.each([
    ['inline, one block', { workers: 0 }, 4096],
    ['inline, many small blocks cut from odd chunks', { workers: 0, blockBytes: 300 }, 97],
    ['inline, one-byte chunks', { workers: 0, blockBytes: 1000 }, 1],
  ])('%s', async (_name, tuning, chunkBytes) => {
    expect(withoutUnreadableLines(await runRaw(text, tuning, chunkBytes))).toEqual(reference);
  });

  (fs.existsSync(COMPILED_WORKER) ? test : test.skip)('two worker threads (compiled dist/), many blocks', async () => {
    expect(withoutUnreadableLines(await runRaw(text, { workers: 2, blockBytes: 500, workerScript: COMPILED_WORKER }, 333))).toEqual(reference);
  });

  test('the raw path also counts each unreadable line as a rejected record, in its place among the states', async () => {
    const raw = await runRaw(text, { workers: 0, blockBytes: 300 }, 97);
    const acc = raw.accounting as Record<string, any>;
    const refAcc = reference.accounting as Record<string, any>;
    expect(acc.received).toBe(refAcc.received + 3);
    expect(acc.rejected).toBe(refAcc.rejected + 3);
    expect(acc.received).toBe(acc.imported + acc.rejected + acc.skipped);
    expect(acc.rejectedByReason.unreadable_input_line.count).toBe(3);
    // Samples name the line and the problem, never its text (it may be a cut record: DESIGN §7) …
    expect(acc.rejectedByReason.unreadable_input_line.samples.map((x: { detail: string }) => x.detail)).toEqual(reference.warnings);
    expect(JSON.stringify(acc)).not.toContain('not json at all');
    expect(acc.byEvent['(unreadable input lines)']).toEqual({ imported: 0, rejected: 3, skipped: 0 });
    // The same lines as the warnings, with the same line numbers.
    const unreadable = raw.rejected.filter((r) => r.reason === 'unreadable_input_line');
    expect(unreadable.map((r) => r.detail)).toEqual(reference.warnings);
    // … while the rejected-records hook (the user's file) gets the line itself.
    expect(unreadable.map((r) => r.record)).toEqual(['not json at all', '{"no_type": true}', '[1,2]']);
    // They land in the interval of the first state after them (state n = 2 comes at i = 14, n = 3 at i = 24).
    const stats = (result: RunResult, n: number) => (result.states as Array<{ stream_state?: { n?: number }; destinationStats: Record<string, number> }>)
      .find((st) => (st as { stream?: { stream_state?: { n?: number } } }).stream?.stream_state?.n === n)?.destinationStats;
    expect(stats(raw, 2)).toEqual(stats(reference, 2));
    expect(stats(raw, 3)).toEqual({ recordCount: stats(reference, 3)!.recordCount + 3, rejectedRecordCount: stats(reference, 3)!.rejectedRecordCount + 3 });
  });
});

/**
 * The raw run minus what only it can see: write() gets parsed messages, so unreadable lines never reach it
 * (the kit logs them); writeRaw counts each as a rejected record (asserted separately above).
 */
function withoutUnreadableLines(result: RunResult): RunResult {
  const acc = JSON.parse(JSON.stringify(result.accounting)) as Record<string, any>;
  const n = acc.rejectedByReason.unreadable_input_line?.count ?? 0;
  delete acc.rejectedByReason.unreadable_input_line;
  delete acc.byEvent['(unreadable input lines)'];
  acc.received -= n;
  acc.rejected -= n;
  // Each state's stats count the records since the state before it; take the lines out of the interval they fell in.
  const lineIntervals = result.rejected.filter((r) => r.reason === 'unreadable_input_line').length;
  const states = (result.states as Array<{ stream?: { stream_state?: { n?: number } }; destinationStats: Record<string, number> }>).map((st) =>
    st.stream?.stream_state?.n === 3 && lineIntervals ? { ...st, destinationStats: { recordCount: st.destinationStats.recordCount - lineIntervals, rejectedRecordCount: st.destinationStats.rejectedRecordCount - lineIntervals } } : st,
  );
  return { ...result, accounting: acc, states, rejected: result.rejected.filter((r) => r.reason !== 'unreadable_input_line') };
}

describe('oversized lines with worker threads', () => {
  (fs.existsSync(COMPILED_WORKER) ? test : test.skip)('a line far beyond a worker heap is encoded on the main thread, rejected as too large, and the sync goes on', async () => {
    // ~30 MB of properties: parsing it needs more than a worker's capped heap (see WORKER_LIMITS), so a worker would die.
    const huge = customEvent(2, { properties: JSON.stringify({ blob: 'x'.repeat(30 * 1024 * 1024) }) });
    expect(huge.length).toBeGreaterThan(WORKER_BLOCK_MAX_BYTES);
    const text = [customEvent(1), huge, customEvent(3), state(1)].join('\n') + '\n';
    const result = await runRaw(text, { workers: 2, workerScript: COMPILED_WORKER }, 64 * 1024);
    const acc = result.accounting as Record<string, any>;
    expect(acc).toMatchObject({ received: 3, imported: 2, rejected: 1, skipped: 0 });
    expect(acc.rejectedByReason.event_too_large.count).toBe(1);
    expect(result.states).toHaveLength(1);
    expect(result.stored).toHaveLength(2);
  });
});

describe('encoder threads', () => {
  afterEach(() => {
    jest.restoreAllMocks();
    delete process.env[WORKERS_ENV];
  });

  test('one below 4 cores (the other core does gzip and HTTP), two from 4 up, none on one core; the variable overrides', () => {
    const cores = jest.spyOn(os, 'availableParallelism');
    expect([1, 2, 3, 4, 16].map((n) => (cores.mockReturnValue(n), defaultWorkerCount()))).toEqual([0, 1, 1, 2, 2]);
    process.env[WORKERS_ENV] = '0';
    expect(defaultWorkerCount()).toBe(0);
    process.env[WORKERS_ENV] = '3';
    expect(defaultWorkerCount()).toBe(3);
  });
});

describe('lineBlocks', () => {
  async function collect(chunks: Array<string | Buffer>, targetBytes: number): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for await (const b of lineBlocks(Readable.from(chunks.map((c) => Buffer.from(c))), { targetBytes, idleFlushMs: 1000 })) out.push(Buffer.from(b));
    return out;
  }

  test('cuts after newlines only, keeps every byte, and hands out a last line without newline', async () => {
    const blocks = await collect(['ab\ncd', 'ef\ngh\n', 'ij\nk', 'l'], 4);
    expect(Buffer.concat(blocks).toString()).toBe('ab\ncdef\ngh\nij\nkl');
    for (const b of blocks.slice(0, -1)) expect(b[b.length - 1]).toBe(10);
    expect(blocks.map(String)).toEqual(['ab\n', 'cdef\ngh\n', 'ij\n', 'kl']);
  });

  test('a line longer than the target stays whole', async () => {
    const long = 'x'.repeat(50);
    expect((await collect([long.slice(0, 20), long.slice(20) + '\n', 'z\n'], 8)).map(String)).toEqual([`${long}\n`, 'z\n']);
  });

  test('each block owns its memory (it is transferred to a worker)', async () => {
    const blocks: Uint8Array[] = [];
    for await (const b of lineBlocks(Readable.from([Buffer.from('a\nb\n'), Buffer.from('c\n')]), { targetBytes: 1, idleFlushMs: 1000 })) blocks.push(b);
    expect(new Set(blocks.map((b) => b.buffer)).size).toBe(blocks.length);
    for (const b of blocks) expect(b.byteOffset).toBe(0);
  });

  test('a quiet source: complete lines go out after the idle time, without waiting for more input', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slow() {
      yield Buffer.from('{"first":1}\n{"par');
      await gate;
      yield Buffer.from('tial":2}\n');
    }
    const it = lineBlocks(slow(), { targetBytes: 1 << 20, idleFlushMs: 20 });
    const first = await it.next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe('{"first":1}\n');
    release();
    expect(Buffer.from((await it.next()).value as Uint8Array).toString()).toBe('{"partial":2}\n');
    expect((await it.next()).done).toBe(true);
  });
});

describe('encodeInOrder', () => {
  const fakeBlock = (n: number): EncodedBlock => ({ lineCount: n, eventJson: new Uint8Array(0), eventEnds: new Int32Array(0), eventNameIds: new Uint32Array(0), streamIds: new Uint32Array(0), names: [], items: [], warnings: [] });

  test('results come back in input order although encodes finish in any order, with at most maxAhead at once', async () => {
    let running = 0;
    let peak = 0;
    const encoder: BlockEncoder = {
      parallelism: 3,
      encode: async (bytes) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, (bytes[0] * 7) % 13));
        running--;
        return fakeBlock(bytes[0]);
      },
      close: async () => undefined,
    };
    async function* blocks() {
      for (let i = 0; i < 40; i++) yield Uint8Array.of(i);
    }
    const seen: number[] = [];
    for await (const b of encodeInOrder(blocks(), encoder, 'airbyte', 3)) seen.push(b.lineCount);
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
  });

  test('an encoder failure reaches the consumer', async () => {
    const encoder: BlockEncoder = { parallelism: 1, encode: async () => { throw new Error('encoder thread failed: boom'); }, close: async () => undefined };
    async function* one() {
      yield Uint8Array.of(1);
    }
    await expect((async () => { for await (const _ of encodeInOrder(one(), encoder, 'airbyte', 2)) void _; })()).rejects.toThrow('boom');
  });
});

describe('ndjsonBody', () => {
  test('lines from one encoded block (newline-separated) and from separate buffers give the same body', () => {
    const block = Buffer.from('{"a":1}\n{"b":2}\n{"c":3}\n');
    const views = [block.subarray(0, 7), block.subarray(8, 15), block.subarray(16, 23)];
    expect(ndjsonBody(views).toString()).toBe('{"a":1}\n{"b":2}\n{"c":3}');
    expect(ndjsonBody([views[0], Buffer.from('{"x":0}'), views[2]]).toString()).toBe('{"a":1}\n{"x":0}\n{"c":3}');
    expect(ndjsonBody([views[2], views[0]]).toString()).toBe('{"c":3}\n{"a":1}');
  });

  test('views that are adjacent in memory without a newline between them are not merged', () => {
    const memory = Buffer.from('AAAXBBB');
    expect(ndjsonBody([memory.subarray(0, 3), memory.subarray(4, 7)]).toString()).toBe('AAA\nBBB');
  });
});

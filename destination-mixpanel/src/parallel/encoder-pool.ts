/**
 * Where blocks get encoded: on worker threads (the CLI's fast path, using the cores the main thread does not),
 * or inline on the main thread when there is no second core or no compiled worker script (ts-jest runs the
 * TypeScript sources). Both run the same encodeBlock.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Worker } from 'worker_threads';
import type { InputProtocol } from '../../../connector-kit/input';
import type { MappingConfig } from '../mapping/types';
import { createDestinationEncoder } from '../record-encoder';
import { encodeBlock, type EncodedBlock } from './block-encoder';
import type { EncodeJob, EncodeWorkerData } from './encode-worker';

export interface BlockEncoder {
  /** Encodes `bytes` (complete lines; its ArrayBuffer is handed over and must not be used afterwards). */
  encode(bytes: Uint8Array, protocol: InputProtocol): Promise<EncodedBlock>;
  /** How many encodes may usefully run at once. */
  readonly parallelism: number;
  close(): Promise<void>;
}

export interface EncoderSettings {
  mapping: MappingConfig;
  maxEventBytes: number;
}

/** Override for benchmarks and debugging: the number of worker threads, 0 = encode on the main thread. */
export const WORKERS_ENV = 'DESTINATION_MIXPANEL_WORKERS';

/**
 * One worker on two or three cores, two from four cores up. One warm worker encodes about 130 000 records/s,
 * far above Mixpanel's per-project limit, while the main thread (batching, HTTP) and libuv's gzip threads need
 * the other core. A second worker there only adds CPU: its own JIT warm-up and heap, measured on 2 cores as
 * 15 % more CPU and 20 MB more memory for 300 000 records, and a slower run, as it competes with gzip.
 */
export function defaultWorkerCount(): number {
  const fromEnv = process.env[WORKERS_ENV];
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) return Math.min(Number(fromEnv), 8);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return cores >= 4 ? 2 : cores >= 2 ? 1 : 0;
}

export function createBlockEncoder(settings: EncoderSettings, workers = defaultWorkerCount(), script = path.join(__dirname, 'encode-worker.js')): BlockEncoder {
  if (workers > 0 && fs.existsSync(script)) return new WorkerBlockEncoder(script, workers, settings);
  return new InlineBlockEncoder(settings);
}

/** Encodes on the main thread, one block at a time. */
export class InlineBlockEncoder implements BlockEncoder {
  readonly parallelism = 1;
  private readonly encodeRecord;
  private readonly sampledSkips = new Map<string, number>();

  constructor(settings: EncoderSettings) {
    this.encodeRecord = createDestinationEncoder(settings.mapping, settings.maxEventBytes);
  }

  async encode(bytes: Uint8Array, protocol: InputProtocol): Promise<EncodedBlock> {
    return encodeBlock(bytes, protocol, this.encodeRecord, this.sampledSkips);
  }

  async close(): Promise<void> {}
}

interface PendingJob {
  resolve: (block: EncodedBlock) => void;
  reject: (err: Error) => void;
}

interface PooledWorker {
  worker: Worker;
  /** Jobs sent and not yet answered, oldest first (a worker answers in order). */
  pending: PendingJob[];
}

type WorkerReply = { block: EncodedBlock } | { error: string };

/**
 * A worker's garbage is short-lived and its live data is one block's parsed records, so its heap is kept
 * small: V8 would otherwise grow each worker's heap lazily, by ~40 MB per worker with 40 KB events, which
 * took the process past 256 MB. The cap is safe because no block over WORKER_BLOCK_MAX_BYTES reaches a worker.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 48 };

/**
 * Blocks bigger than this are encoded on the main thread instead. A block is cut after ~256 KB of whole
 * lines, so only a block ending in a line of about this size or more gets here (Braze's events are under
 * 900 KB; a longer line is most likely junk, to be rejected once parsed): parsing it needs a multiple of
 * its size in heap, more than a worker's capped heap holds, and the main thread's heap has no such cap.
 */
export const WORKER_BLOCK_MAX_BYTES = 1 << 20;

/** A fixed set of workers; each job goes to the least busy one, except oversized blocks (see above). */
export class WorkerBlockEncoder implements BlockEncoder {
  private readonly workers: PooledWorker[] = [];
  private readonly inline: InlineBlockEncoder;
  private failure: Error | undefined;
  private closed = false;

  constructor(script: string, count: number, settings: EncoderSettings) {
    this.inline = new InlineBlockEncoder(settings);
    const workerData: EncodeWorkerData = { mapping: settings.mapping, maxEventBytes: settings.maxEventBytes };
    for (let i = 0; i < count; i++) {
      const pooled: PooledWorker = { worker: new Worker(script, { workerData, resourceLimits: WORKER_LIMITS }), pending: [] };
      pooled.worker.on('message', (reply: WorkerReply) => this.onReply(pooled, reply));
      pooled.worker.on('error', (err) => this.fail(new Error(`encoder thread failed: ${err?.message ?? String(err)}`)));
      pooled.worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`encoder thread stopped unexpectedly (exit code ${code})`));
      });
      this.workers.push(pooled);
    }
  }

  get parallelism(): number {
    return this.workers.length;
  }

  encode(bytes: Uint8Array, protocol: InputProtocol): Promise<EncodedBlock> {
    if (this.failure) return Promise.reject(this.failure);
    if (bytes.byteLength > WORKER_BLOCK_MAX_BYTES) return this.inline.encode(bytes, protocol);
    let target = this.workers[0];
    for (const w of this.workers) if (w.pending.length < target.pending.length) target = w;
    return new Promise((resolve, reject) => {
      target.pending.push({ resolve, reject });
      const job: EncodeJob = { bytes, protocol };
      target.worker.postMessage(job, [bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.fail(new Error('the encoder was closed'));
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private onReply(pooled: PooledWorker, reply: WorkerReply): void {
    const job = pooled.pending.shift();
    if (!job) return;
    if ('block' in reply) job.resolve(reply.block);
    else job.reject(new Error(reply.error));
  }

  /** After a failure every waiting and later job fails with it. */
  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.workers) for (const job of w.pending.splice(0)) job.reject(this.failure);
  }
}


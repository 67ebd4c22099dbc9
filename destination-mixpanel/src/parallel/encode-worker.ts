/**
 * Worker thread entry: encodes blocks of raw input lines (parse → map → validate → serialise, see
 * block-encoder.ts) and hands each EncodedBlock back with its buffers transferred. Jobs are answered in the
 * order they arrive, which the pool relies on.
 */
import { isMainThread, parentPort, workerData } from 'worker_threads';
import type { InputProtocol } from '../../../connector-kit/input';
import type { MappingConfig } from '../mapping/types';
import { createDestinationEncoder } from '../record-encoder';
import { encodeBlock, transferablesOf } from './block-encoder';

export interface EncodeWorkerData {
  mapping: MappingConfig;
  maxEventBytes: number;
}

export interface EncodeJob {
  bytes: Uint8Array;
  protocol: InputProtocol;
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { mapping, maxEventBytes } = workerData as EncodeWorkerData;
  const encode = createDestinationEncoder(mapping, maxEventBytes);
  const sampledSkips = new Map<string, number>();
  port.on('message', (job: EncodeJob) => {
    try {
      const block = encodeBlock(job.bytes, job.protocol, encode, sampledSkips);
      port.postMessage({ block }, transferablesOf(block));
    } catch (err) {
      // Only a bug (or a malformed RECORD without `record`) gets here; the main thread fails the sync with it.
      port.postMessage({ error: (err as Error)?.message ?? String(err) });
    }
  });
}

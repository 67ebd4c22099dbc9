/** The Mixpanel destination / Singer target: wires config, mapping, validation and delivery together. */
import type { Destination, DestinationOutput } from '../../connector-kit/connector';
import type { Logger } from '../../connector-kit/logger';
import type { AirbyteConnectionStatus, AirbyteMessage, ConfiguredAirbyteCatalog, ConnectorSpecification, JsonObject } from '../../connector-kit/protocol';
import specJson from '../spec.json';
import type { RawMessageInput, RawInputDestination } from '../../connector-kit/input';
import { resolveSettings, type DestinationSettings } from './config';
import { checkConnection } from './check';
import { BatchSender } from './delivery/batch-sender';
import { ImportClient } from './delivery/import-client';
import { encodeInOrder } from './parallel/encode-in-order';
import { createBlockEncoder } from './parallel/encoder-pool';
import { lineBlocks } from './parallel/line-blocks';
import { createDestinationEncoder } from './record-encoder';
import { WritePipeline, type RejectedRecord } from './write-pipeline';
import { RejectedRecordsFile } from './accounting/rejected-records-file';

export type { RejectedRecord } from './write-pipeline';

export interface MixpanelDestinationOptions {
  /** Called for every rejected record (the sync runner writes them to a file). */
  onRejected?: (rejected: RejectedRecord) => void;
  /** Called for every skipped record (the sync runner's progress display counts them). */
  onSkipped?: (stream: string, reason: string) => void;
  /** Level of the end-of-run accounting lines (default info); the sync runner prints its own table instead. */
  accountingLogLevel?: 'info' | 'debug';
  /** Tuning of the raw-line path (writeRaw); the defaults suit the CLI. Tests use them to force small blocks or workers. */
  rawInput?: Partial<RawInputTuning>;
}

export interface RawInputTuning {
  /** Bytes of input lines per block handed to an encoder thread. */
  blockBytes: number;
  /** Encoder threads; 0 = encode on the main thread. Default: see defaultWorkerCount(). */
  workers: number;
  /** The compiled worker script (default: encode-worker.js next to the pool module). */
  workerScript: string;
}

/**
 * About 250 input lines: handing a block to a thread then costs little per record, and the blocks in
 * flight (and the encoded events that batches keep alive) stay small. Measured: 1 MB blocks took the
 * same CPU but ~20 MB more peak RSS.
 */
const BLOCK_BYTES = 256 * 1024;
/** A quiet source's lines (and states) go on after this long instead of waiting for a full block. */
const BLOCK_IDLE_FLUSH_MS = 10;

export class MixpanelDestination implements Destination, RawInputDestination {
  readonly name = 'destination-mixpanel';
  readonly singerName = 'target-mixpanel';
  readonly description = "Sends records to Mixpanel's /import API, named and shaped as Braze's Mixpanel for Currents export does.";
  readonly version = '0.1.0';

  constructor(private readonly options: MixpanelDestinationOptions = {}) {}

  spec(): ConnectorSpecification {
    return specJson as unknown as ConnectorSpecification;
  }

  async check(config: JsonObject, log: Logger): Promise<AirbyteConnectionStatus> {
    return checkConnection(resolveSettings(config), log);
  }

  /** Parsed messages (the sync runner): records are encoded on the main thread. */
  async write(config: JsonObject, _catalog: ConfiguredAirbyteCatalog, input: AsyncIterable<AirbyteMessage>, out: DestinationOutput): Promise<void> {
    const settings = resolveSettings(config);
    await this.withPipeline(settings, out, (pipeline) => pipeline.run(input));
  }

  /**
   * Raw input lines (the CLI): parsing, mapping and serialising run on worker threads in blocks of lines,
   * while this thread batches, sends and sequences states; results are replayed in input order.
   */
  async writeRaw(config: JsonObject, _catalog: ConfiguredAirbyteCatalog, input: RawMessageInput, out: DestinationOutput): Promise<void> {
    const settings = resolveSettings(config);
    const tuning = this.options.rawInput ?? {};
    const encoder = createBlockEncoder({ mapping: settings.mapping, maxEventBytes: settings.delivery.maxBatchBytes }, tuning.workers, tuning.workerScript);
    try {
      const blocks = lineBlocks(input.chunks, { targetBytes: tuning.blockBytes ?? BLOCK_BYTES, idleFlushMs: BLOCK_IDLE_FLUSH_MS });
      // Two blocks per encoder: one being encoded, one waiting, so no thread idles while results are handed over.
      const encoded = encodeInOrder(blocks, encoder, input.protocol, 2 * encoder.parallelism);
      await this.withPipeline(settings, out, (pipeline) => pipeline.runEncoded(encoded));
    } finally {
      await encoder.close();
    }
  }

  private async withPipeline(settings: DestinationSettings, out: DestinationOutput, run: (pipeline: WritePipeline) => Promise<unknown>): Promise<void> {
    const { delivery } = settings;
    const client = new ImportClient({ host: settings.host, auth: settings.auth, timeoutMs: delivery.requestTimeoutMs, maxSockets: delivery.concurrency });
    const sender = new BatchSender(client, { gzipLevel: delivery.gzipLevel, retryBaseMs: delivery.retryBaseMs, retryMaxMs: delivery.retryMaxMs, maxRetryMs: delivery.maxRetryMs }, out.log);
    const rejectedFile = settings.rejectedRecordsFile ? new RejectedRecordsFile(settings.rejectedRecordsFile) : undefined;
    const onRejected = [this.options.onRejected, rejectedFile?.write].filter((f) => f !== undefined);
    const pipeline = new WritePipeline(delivery, out, {
      encode: createDestinationEncoder(settings.mapping, delivery.maxBatchBytes),
      deliver: (lines, signal, byteLength) => sender.deliver(lines, signal, byteLength),
      hostLabel: client.hostLabel,
      onRejected: onRejected.length ? (r) => onRejected.forEach((f) => f(r)) : undefined,
      onSkipped: this.options.onSkipped,
      accountingLogLevel: this.options.accountingLogLevel,
    });
    // Where whole rejected records go: the option's file, the host's own handler (the sync runner's rejected_file), or nowhere.
    const keeping = rejectedFile ? `; rejected records go to ${rejectedFile.file}` : this.options.onRejected ? '' : '; rejected records are counted, not stored (set rejected_records_file to keep them)';
    out.log.info(`Sending to ${client.hostLabel} (${settings.auth.method} auth): up to ${delivery.batchSize} events per request, ${delivery.concurrency} requests in flight${keeping}.`);
    try {
      await run(pipeline);
    } finally {
      client.close();
      await rejectedFile?.close();
    }
  }
}

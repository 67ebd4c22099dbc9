/**
 * The write path for one sync: every RECORD is mapped (or skipped), validated (or rejected), serialised once
 * (record-encoder.ts) and batched; full batches go to the dispatcher; every STATE is handed to the sequencer,
 * which echoes it once all records before it have a verdict. At the end everything is flushed and the
 * accounting reported.
 *
 * Input comes either as parsed messages (encoded here, on the main thread) or as EncodedBlocks of raw lines
 * already encoded on worker threads (parallel/); both end in the same accept* steps, in input order.
 */
import type { DestinationOutput } from '../../connector-kit/connector';
import { configError, ConnectorError, transientError } from '../../connector-kit/errors';
import type { AirbyteMessage, AirbyteStateMessage, JsonObject } from '../../connector-kit/protocol';
import type { DeliverySettings } from './config';
import { Batch } from './delivery/batch';
import { DeliveryFailure } from './delivery/batch-sender';
import { Dispatcher, type DeliverFn } from './delivery/dispatcher';
import type { RecordRejection } from './delivery/import-response';
import { Ledger, summaryLines, type AccountingSummary } from './accounting/ledger';
import { StateSequencer } from './accounting/state-sequencer';
import { lineProblemText } from '../../connector-kit/input';
import type { EncodedBlock } from './parallel/block-encoder';
import { withoutToken, type EncodeRecord } from './record-encoder';
import { sampleOf, withoutValuesOf, type RecordSample } from '../../connector-kit/privacy';

export interface PipelineDeps {
  /** Record → verdict (map, validate, serialise), for input that arrives as parsed messages. */
  encode: EncodeRecord;
  deliver: DeliverFn;
  /** Used in the credentials error message, e.g. "api.mixpanel.com". */
  hostLabel: string;
  /** Receives every rejected record with its reason (e.g. the sync runner writes them to a file). */
  onRejected?: (rejected: RejectedRecord) => void;
  /** Told of every skipped record as it happens (the sync runner's progress display counts them). */
  onSkipped?: (stream: string, reason: string) => void;
  /** Level of the end-of-run accounting lines (default info). */
  accountingLogLevel?: 'info' | 'debug';
}

/** A record that was not stored, why, and what it looked like (the event without its token, or the source record). */
export interface RejectedRecord {
  stream?: string;
  reason: string;
  detail?: string;
  record: unknown;
}

const MIXPANEL_REJECTED = 'rejected_by_mixpanel';
/**
 * An input line that is not a readable message. It may have been a record, so it is counted as a received
 * record rejected for this reason (with the line's start as its sample) rather than only logged: the
 * accounting then shows it, and received = imported + rejected + skipped still holds.
 */
const UNREADABLE_LINE = 'unreadable_input_line';
const UNREADABLE_LINES_ROW = '(unreadable input lines)';

export class WritePipeline {
  private readonly ledger = new Ledger();
  private readonly sequencer: StateSequencer;
  private readonly dispatcher: Dispatcher;
  private nextSeq = 1;
  private open: Batch;
  /** Input lines in the encoded blocks handled so far (line numbers in warnings continue across blocks). */
  private linesBefore = 0;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly settings: DeliverySettings, private readonly out: DestinationOutput, private readonly deps: PipelineDeps) {
    this.sequencer = new StateSequencer((state, stats) => out.state(state, stats));
    this.dispatcher = new Dispatcher(deps.deliver, settings.concurrency, (batch, rejections) => this.settle(batch, rejections));
    this.open = new Batch(this.nextSeq++);
  }

  /** Runs the sync over parsed messages (e.g. from the sync runner); records are encoded here. */
  run(input: AsyncIterable<AirbyteMessage>): Promise<AccountingSummary> {
    return this.runOver(input, (message) => this.onMessage(message));
  }

  /** Runs the sync over blocks already encoded (parallel/), in input order. */
  runEncoded(blocks: AsyncIterable<EncodedBlock>): Promise<AccountingSummary> {
    return this.runOver(blocks, (block) => this.onBlock(block));
  }

  private async runOver<T>(input: AsyncIterable<T>, handle: (item: T) => Promise<void> | void): Promise<AccountingSummary> {
    this.startFlushTimer();
    const iterator = input[Symbol.asyncIterator]();
    const consuming = this.consume(iterator, handle);
    try {
      // One race for the whole run (not one per message, which would pile reactions onto a promise that
      // never settles): a delivery failure such as a 401 ends the sync even while the source is quiet.
      await Promise.race([consuming, this.dispatcher.failed]);
    } catch (err) {
      if (!this.dispatcher.failure) {
        this.dispatcher.stop(err instanceof Error ? err : new Error(String(err)));
        this.sequencer.halt();
        throw err;
      }
    } finally {
      this.stopFlushTimer();
    }
    if (this.dispatcher.failure) {
      consuming.catch(() => undefined); // still waiting for input; it stops at the next message
      this.sequencer.halt();
      void iterator.return?.();
      await this.sequencer.flushed().catch(() => undefined);
      await this.reportAccounting(false);
      throw this.toConnectorError(this.dispatcher.failure);
    }
    await this.sequencer.flushed();
    if (this.sequencer.statesWaiting > 0) throw new Error(`internal: ${this.sequencer.statesWaiting} state(s) still waiting after all batches completed`);
    return this.reportAccounting(true);
  }

  /** Reads all input, then sends what is left and waits for every batch. Returns early after a delivery failure. */
  private async consume<T>(iterator: AsyncIterator<T>, handle: (item: T) => Promise<void> | void): Promise<void> {
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done || this.dispatcher.failure) break;
        await handle(next.value);
      }
      if (!this.dispatcher.failure) {
        await this.sealOpenBatch();
        await this.dispatcher.drain();
      }
    } catch (err) {
      // The dispatcher's own failure (thrown by submit/drain) is reported by run(); anything else is ours to raise.
      if (!this.dispatcher.failure) throw err;
    }
  }

  private onMessage(message: AirbyteMessage): Promise<void> | void {
    if (message.type === 'RECORD') return this.onRecord(message.record.stream, message.record.data);
    if (message.type === 'STATE') this.acceptState(message.state);
  }

  private onRecord(stream: string, data: JsonObject): Promise<void> | void {
    const now = Date.now();
    const verdict = this.deps.encode(stream, data, now);
    switch (verdict.outcome) {
      case 'event':
        if (verdict.warnings) for (const w of verdict.warnings) this.ledger.recordWarning(w);
        return this.acceptEvent(Buffer.from(verdict.json, 'utf8'), verdict.eventName, stream, now);
      case 'skipped':
        return this.acceptSkipped(stream, verdict.reason, verdict.detail, () => sampleOf(verdict.record));
      case 'rejected':
        return this.acceptRejected(stream, verdict.reason, verdict.detail, verdict.countAs, verdict.record);
    }
  }

  /**
   * Replays an encoded block in input order: runs of accepted events, each item (state, skip, rejection,
   * unreadable line) at its position between them.
   */
  private async onBlock(block: EncodedBlock): Promise<void> {
    const { eventJson, eventEnds, eventNameIds, streamIds, names, items } = block;
    const json = Buffer.from(eventJson.buffer, eventJson.byteOffset, eventJson.byteLength);
    const now = Date.now();
    let event = 0;
    let start = 0;
    for (let i = 0; i <= items.length; i++) {
      const until = i < items.length ? items[i].at : eventEnds.length;
      for (; event < until; event++) {
        const end = eventEnds[event];
        const sealing = this.acceptEvent(json.subarray(start, end), names[eventNameIds[event]], names[streamIds[event]], now);
        start = end + 1; // past the newline
        if (sealing) await sealing;
      }
      if (i < items.length) this.acceptItem(items[i]);
    }
    for (const [warning, n] of block.warnings) this.ledger.recordWarning(warning, n);
    this.linesBefore += block.lineCount;
  }

  private acceptItem(item: EncodedBlock['items'][number]): void {
    switch (item.kind) {
      case 'state':
        return this.acceptState(item.state);
      case 'skipped':
        return this.acceptSkipped(item.stream, item.reason, item.detail, () => item.sample ?? {});
      case 'rejected':
        return this.acceptRejected(item.stream, item.reason, item.detail, item.countAs, item.record);
      case 'problem': {
        const text = lineProblemText(this.linesBefore + item.line, item.problem);
        this.out.log.warn(text);
        return this.acceptRejected(undefined, UNREADABLE_LINE, text, UNREADABLE_LINES_ROW, item.text);
      }
    }
  }

  private acceptState(state: AirbyteStateMessage): void {
    this.sequencer.stateReceived(state, this.barrier());
  }

  private countReceived(): void {
    this.ledger.received++;
    this.sequencer.recordReceived();
  }

  /** Adds one event line to the open batch; returns a promise only when a batch had to be sealed (backpressure). */
  private acceptEvent(line: Buffer, eventName: string, stream: string, now: number): Promise<void> | undefined {
    this.countReceived();
    if (this.open.length > 0 && this.open.bytesWith(line.length) > this.settings.maxBatchBytes) {
      return this.sealOpenBatch().then(() => this.addToOpenBatch(line, eventName, stream, now));
    }
    return this.addToOpenBatch(line, eventName, stream, now);
  }

  private addToOpenBatch(line: Buffer, eventName: string, stream: string, now: number): Promise<void> | undefined {
    this.open.add(line, this.sequencer.interval, now, eventName, stream);
    return this.open.length >= this.settings.batchSize ? this.sealOpenBatch() : undefined;
  }

  private acceptSkipped(stream: string, reason: string, detail: string | undefined, sample: () => RecordSample): void {
    this.countReceived();
    this.ledger.recordSkipped(reason, detail, stream, sample);
    this.ledger.countEvent(stream, 'skipped');
    this.deps.onSkipped?.(stream, reason);
  }

  private acceptRejected(stream: string | undefined, reason: string, detail: string, countAs: string, record: unknown, fields?: string[]): void {
    this.countReceived();
    this.ledger.recordRejected(reason, detail, stream, () => sampleOf(record, undefined, undefined, fields));
    this.ledger.countEvent(countAs, 'rejected');
    this.sequencer.recordRejected();
    this.deps.onRejected?.({ stream, reason, detail, record });
  }

  /** The last batch holding records received so far: the open one if it has records, else the last sealed one. */
  private barrier(): number {
    return this.open.length > 0 ? this.open.seq : this.open.seq - 1;
  }

  /** Takes the open batch (if it has records) and starts a new one; its records become pending verdicts. */
  private takeOpenBatch(): Batch | undefined {
    const batch = this.open;
    if (batch.length === 0) return undefined;
    this.open = new Batch(this.nextSeq++);
    for (const [interval, n] of batch.countsByTag()) this.sequencer.recordsPending(interval, n);
    return batch;
  }

  /** Sends the open batch; waits while `concurrency` batches are queued or in flight (backpressure on the reader). */
  private async sealOpenBatch(): Promise<void> {
    const batch = this.takeOpenBatch();
    if (batch) await this.dispatcher.submit(batch);
  }

  private settle(batch: Batch, rejections: RecordRejection[]): void {
    const rejectedByInterval = new Map<number, number>();
    const rejected = new Set<number>();
    for (const r of rejections) {
      const interval = batch.tagOf(r.index);
      rejected.add(r.index);
      rejectedByInterval.set(interval, (rejectedByInterval.get(interval) ?? 0) + 1);
      const stream = batch.streams[r.index] || undefined;
      const event = withoutToken(parseLine(batch.lines[r.index]));
      // Mixpanel's message may quote a value: quoted parts are gone already (import-response); mask unquoted ones.
      const detail = withoutValuesOf(event, r.message);
      this.ledger.recordRejected(MIXPANEL_REJECTED, detail, stream, () => sampleOf(event, undefined, undefined, r.field ? [r.field] : undefined));
      this.ledger.countEvent(batch.eventNames[r.index], 'rejected');
      this.deps.onRejected?.({ stream, reason: MIXPANEL_REJECTED, detail: r.message, record: event });
    }
    this.ledger.recordImported(batch.length - rejections.length);
    this.countImportedByEvent(batch, rejected);
    this.sequencer.batchCompleted(batch.seq, batch.countsByTag(), rejectedByInterval);
  }

  private countImportedByEvent(batch: Batch, rejected: Set<number>): void {
    const counts = new Map<string, number>();
    const names = batch.eventNames;
    for (let i = 0; i < names.length; i++) if (!rejected.has(i)) counts.set(names[i], (counts.get(names[i]) ?? 0) + 1);
    for (const [name, n] of counts) this.ledger.countEvent(name, 'imported', n);
  }

  private startFlushTimer(): void {
    const every = Math.max(50, Math.min(1000, this.settings.flushIntervalMs / 2));
    this.flushTimer = setInterval(() => {
      // A slow source must not hold its states back behind a half-full batch.
      if (this.open.length > 0 && Date.now() - this.open.openedAt >= this.settings.flushIntervalMs && !this.dispatcher.failure) {
        const batch = this.takeOpenBatch();
        if (batch) this.dispatcher.enqueue(batch);
      }
    }, every);
    this.flushTimer.unref();
  }

  private stopFlushTimer(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = undefined;
  }

  private async reportAccounting(complete: boolean): Promise<AccountingSummary> {
    const summary = this.ledger.summary();
    const undelivered = summary.received - summary.imported - summary.rejected - summary.skipped;
    const lines = summaryLines(summary);
    if (!complete) lines[0] += ` (sync stopped: ${undelivered} record(s) not confirmed by Mixpanel; a re-run resends them and $insert_id removes duplicates)`;
    const log = this.deps.accountingLogLevel === 'debug' ? this.out.log.debug : this.out.log.info;
    for (const line of lines) log(line);
    await this.out.emit({
      type: 'TRACE',
      trace: { type: 'ANALYTICS', emitted_at: Date.now(), analytics: { type: 'mixpanel_destination_accounting', value: JSON.stringify({ ...summary, complete }) } },
    });
    return summary;
  }

  private toConnectorError(err: Error): ConnectorError {
    if (err instanceof ConnectorError) return err;
    if (err instanceof DeliveryFailure) {
      if (err.kind === 'credentials') {
        return configError(
          `${err.message}: check the credentials (api_secret, or the service account's username, secret and project_id, or project_token) ` +
            `and that the region / api_host (${this.deps.hostLabel}) is the project's.`,
        );
      }
      if (err.kind === 'retry_budget') return transientError(err.message);
      if (err.kind === 'unexpected_status') return configError(`${err.message} Check api_host / region (${this.deps.hostLabel}).`);
    }
    return new ConnectorError(`Delivery to Mixpanel failed: ${err.message}`);
  }
}

function parseLine(line: Buffer | undefined): unknown {
  if (line === undefined) return undefined;
  const text = line.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

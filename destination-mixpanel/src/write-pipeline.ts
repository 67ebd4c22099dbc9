/**
 * The write path for one sync: every RECORD is mapped (or skipped), validated (or rejected), serialised once
 * and batched; full batches go to the dispatcher; every STATE is handed to the sequencer, which echoes it
 * once all records before it have a verdict. At the end everything is flushed and the accounting reported.
 */
import type { DestinationOutput } from '../../connector-kit/connector';
import { configError, ConnectorError, transientError } from '../../connector-kit/errors';
import type { AirbyteMessage, JsonObject } from '../../connector-kit/protocol';
import type { DeliverySettings } from './config';
import { Batch } from './delivery/batch';
import { DeliveryFailure } from './delivery/batch-sender';
import { Dispatcher, type DeliverFn } from './delivery/dispatcher';
import type { RecordRejection } from './delivery/import-response';
import { Ledger, summaryLines, type AccountingSummary } from './accounting/ledger';
import { StateSequencer } from './accounting/state-sequencer';
import type { MappingResult, MixpanelEvent } from './mapping/types';

export type MapRecord = (stream: string, data: Record<string, unknown>) => MappingResult;
export type ValidateEvent = (event: MixpanelEvent, nowMs: number) => { reason: string; detail: string } | null;

export interface PipelineDeps {
  map: MapRecord;
  validate: ValidateEvent;
  deliver: DeliverFn;
  /** Used in the credentials error message, e.g. "api.mixpanel.com". */
  hostLabel: string;
  /** Receives every rejected record with its reason (e.g. the sync runner writes them to a file). */
  onRejected?: (rejected: RejectedRecord) => void;
}

/** A record that was not stored, why, and what it looked like (the event without its token, or the source record). */
export interface RejectedRecord {
  stream?: string;
  reason: string;
  detail?: string;
  record: unknown;
}

const MIXPANEL_REJECTED = 'rejected_by_mixpanel';

export class WritePipeline {
  private readonly ledger = new Ledger();
  private readonly sequencer: StateSequencer;
  private readonly dispatcher: Dispatcher;
  private nextSeq = 1;
  private open: Batch;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly settings: DeliverySettings, private readonly out: DestinationOutput, private readonly deps: PipelineDeps) {
    this.sequencer = new StateSequencer((state, stats) => out.state(state, stats));
    this.dispatcher = new Dispatcher(deps.deliver, settings.concurrency, (batch, rejections) => this.settle(batch, rejections));
    this.open = new Batch(this.nextSeq++);
  }

  async run(input: AsyncIterable<AirbyteMessage>): Promise<AccountingSummary> {
    this.startFlushTimer();
    const iterator = input[Symbol.asyncIterator]();
    const consuming = this.consume(iterator);
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
  private async consume(iterator: AsyncIterator<AirbyteMessage>): Promise<void> {
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done || this.dispatcher.failure) break;
        const message = next.value;
        if (message.type === 'RECORD') await this.onRecord(message.record.stream, message.record.data);
        else if (message.type === 'STATE') this.sequencer.stateReceived(message.state, this.barrier());
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

  private async onRecord(stream: string, data: JsonObject): Promise<void> {
    this.ledger.received++;
    this.sequencer.recordReceived();
    let mapped: MappingResult;
    try {
      mapped = this.deps.map(stream, data);
    } catch (err) {
      // A record the mapper cannot handle must not end the sync: it is rejected and shown in the summary.
      const detail = (err as Error)?.message ?? String(err);
      this.ledger.recordRejected('mapping_error', detail, stream, () => data);
      this.ledger.countEvent(stream, 'rejected');
      this.sequencer.recordRejected();
      this.deps.onRejected?.({ stream, reason: 'mapping_error', detail, record: data });
      return;
    }
    if (mapped.outcome === 'skipped') {
      this.ledger.recordSkipped(mapped.reason, mapped.detail, stream, () => data);
      this.ledger.countEvent(stream, 'skipped');
      return;
    }
    if (mapped.warnings) for (const w of mapped.warnings) this.ledger.recordWarning(w);
    const event = mapped.event;
    const now = Date.now();
    const invalid = this.deps.validate(event, now);
    if (invalid) {
      this.rejectLocally(invalid.reason, invalid.detail, stream, event);
      return;
    }
    const line = JSON.stringify(event);
    const bytes = Buffer.byteLength(line);
    if (bytes > this.settings.maxBatchBytes) {
      this.rejectLocally('event_too_large', `${bytes} bytes is more than max_batch_bytes (${this.settings.maxBatchBytes})`, stream, event);
      return;
    }
    if (this.open.length > 0 && this.open.bytesWith(bytes) > this.settings.maxBatchBytes) await this.sealOpenBatch();
    this.open.add(line, bytes, this.sequencer.interval, now, event.event, stream);
    if (this.open.length >= this.settings.batchSize) await this.sealOpenBatch();
  }

  private rejectLocally(reason: string, detail: string, stream: string, event: MixpanelEvent): void {
    this.ledger.recordRejected(reason, detail, stream, () => withoutToken(event));
    this.ledger.countEvent(event.event, 'rejected');
    this.sequencer.recordRejected();
    this.deps.onRejected?.({ stream, reason, detail, record: withoutToken(event) });
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
      this.ledger.recordRejected(MIXPANEL_REJECTED, r.message, stream, () => withoutToken(safeParse(batch.lines[r.index])));
      this.ledger.countEvent(batch.eventNames[r.index], 'rejected');
      this.deps.onRejected?.({ stream, reason: MIXPANEL_REJECTED, detail: r.message, record: withoutToken(safeParse(batch.lines[r.index])) });
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
    for (const line of lines) this.out.log.info(line);
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

function withoutToken(event: unknown): unknown {
  if (!event || typeof event !== 'object') return event;
  const e = event as MixpanelEvent;
  if (!e.properties || typeof e.properties !== 'object' || !('token' in e.properties)) return e;
  const { token: _token, ...properties } = e.properties;
  return { ...e, properties };
}

function safeParse(line: string | undefined): unknown {
  try {
    return line === undefined ? undefined : JSON.parse(line);
  } catch {
    return line;
  }
}

/**
 * Delivers one batch to /import until Mixpanel has given a verdict on every record: resends throttled batches
 * at the adaptive rate (send-rate.ts), retries server errors and network failures with back-off inside a time
 * budget, splits on 413, and reads 400s record by record. Ends with per-record rejections, or throws
 * DeliveryFailure when the sync must stop.
 */
import type { Logger } from '../../../connector-kit/logger';
import { compressBody, ndjsonBody } from './compress';
import type { ImportClient, ImportReply } from './import-client';
import { errorMessageOf, interpretBadRequest, RecordRejection } from './import-response';
import { retryDelayMs, sleep } from './backoff';
import { AdaptiveSendRate } from './send-rate';

export type DeliveryFailureKind = 'credentials' | 'retry_budget' | 'unexpected_status' | 'aborted';

/** A failure that ends the sync. The message is ours and safe to show (no request details). */
export class DeliveryFailure extends Error {
  constructor(readonly kind: DeliveryFailureKind, message: string) {
    super(message);
    this.name = 'DeliveryFailure';
  }
}

export interface BatchSenderOptions {
  gzipLevel: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxRetryMs: number;
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524]);
const TOO_LARGE_MESSAGE = 'HTTP 413: a single event is larger than Mixpanel accepts in one request';

/** A rate-limit notice at most this often: a long backfill at Mixpanel's limit meets 429s all along. */
const THROTTLE_NOTICE_MS = 60_000;

export class BatchSender {
  private lastThrottleNoticeAt = -Infinity;

  constructor(
    private readonly client: ImportClient,
    private readonly options: BatchSenderOptions,
    private readonly log: Logger,
    private readonly rate: AdaptiveSendRate = new AdaptiveSendRate(),
  ) {}

  /** Returns the rejected records (indexes into `lines`); all others were imported. */
  async deliver(lines: Buffer[], signal: AbortSignal, byteLength?: number): Promise<RecordRejection[]> {
    const body = await compressBody(ndjsonBody(lines, byteLength), this.options.gzipLevel);
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      await this.rate.acquire(lines.length, signal).catch(() => undefined);
      if (signal.aborted) throw new DeliveryFailure('aborted', 'delivery stopped');
      const reply = await this.client.post(body, signal);
      if (signal.aborted) throw new DeliveryFailure('aborted', 'delivery stopped');
      const outcome = this.classify(reply);
      switch (outcome) {
        case 'ok':
          this.rate.onAccepted(lines.length);
          return [];
        case 'bad_request': {
          this.rate.onAccepted(lines.length);
          const verdict = interpretBadRequest((reply as { body: string }).body, lines.length, (i) => insertIdOf(lines[i]));
          if (verdict.note) this.log.warn(verdict.note);
          return verdict.rejections;
        }
        case 'too_large':
          return this.split(lines, signal);
        case 'throttled': {
          const retryAfter = (reply as { retryAfterMs?: number }).retryAfterMs;
          // Paced: the next acquire() waits for this batch's turn at the lowered rate (and for Retry-After).
          if (this.rate.onThrottled(retryAfter)) {
            this.noticeThrottling();
            this.checkBudget(started, 0, lines.length, attempt, describe(reply));
            continue;
          }
          await this.backOff(started, attempt, lines.length, reply, signal);
          continue;
        }
        case 'retry':
          await this.backOff(started, attempt, lines.length, reply, signal);
          continue;
        case 'credentials':
          throw new DeliveryFailure('credentials', `Mixpanel rejected the credentials (${describe(reply)})`);
        default:
          throw new DeliveryFailure('unexpected_status', `Mixpanel answered ${describe(reply)}, which the connector cannot recover from.`);
      }
    }
  }

  /** Server errors, network failures, and a 429 with nothing to base a rate on: wait, doubling, then retry. */
  private async backOff(started: number, attempt: number, events: number, reply: ImportReply, signal: AbortSignal): Promise<void> {
    const retryAfter = reply.kind === 'http' ? reply.retryAfterMs : undefined;
    const delay = retryDelayMs(attempt, { baseMs: this.options.retryBaseMs, maxMs: this.options.retryMaxMs }, retryAfter);
    const why = describe(reply);
    this.checkBudget(started, delay, events, attempt, why);
    this.log.warn(`Mixpanel request failed (${why}); retry ${attempt} in ${(delay / 1000).toFixed(1)} s.`);
    await sleep(delay, signal).catch(() => undefined);
  }

  private checkBudget(started: number, delay: number, events: number, attempt: number, why: string): void {
    if (Date.now() - started + delay <= this.options.maxRetryMs) return;
    throw new DeliveryFailure(
      'retry_budget',
      `Mixpanel did not accept a batch of ${events} events within the retry budget of ${Math.round(this.options.maxRetryMs / 1000)} s ` +
        `(${attempt} attempts; last: ${why}). The sync stopped; events already acknowledged are safe and a re-run resends the rest.`,
    );
  }

  private noticeThrottling(): void {
    const now = Date.now();
    if (now - this.lastThrottleNoticeAt < THROTTLE_NOTICE_MS) return;
    this.lastThrottleNoticeAt = now;
    const limit = this.rate.eventsPerSecond;
    this.log.info(
      `Mixpanel is rate-limiting this project (429): sending at about ${Math.round(limit)} events/s and probing upwards while Mixpanel accepts ` +
        `(${this.rate.throttled} request(s) answered 429 so far; nothing is lost, throttled batches are resent).`,
    );
  }

  private classify(reply: ImportReply): 'ok' | 'bad_request' | 'too_large' | 'throttled' | 'retry' | 'credentials' | 'fatal' {
    if (reply.kind === 'network') return 'retry';
    const status = reply.status;
    if (status >= 200 && status < 300) return 'ok';
    if (status === 400) return 'bad_request';
    if (status === 413) return 'too_large';
    if (status === 429) return 'throttled';
    if (status === 401 || status === 403) return 'credentials';
    if (RETRYABLE_STATUS.has(status) || status >= 500) return 'retry';
    return 'fatal';
  }

  /** 413: halve and resend each half (each with its own retries); a lone event that is still too large is rejected. */
  private async split(lines: Buffer[], signal: AbortSignal): Promise<RecordRejection[]> {
    if (lines.length === 1) return [{ index: 0, message: TOO_LARGE_MESSAGE }];
    const mid = lines.length >> 1;
    this.log.info(`Mixpanel answered 413 for ${lines.length} events; resending as two requests of ${mid} and ${lines.length - mid}.`);
    const [left, right] = await Promise.all([this.deliver(lines.slice(0, mid), signal), this.deliver(lines.slice(mid), signal)]);
    return left.concat(right.map((r) => ({ ...r, index: r.index + mid })));
  }
}

function describe(reply: ImportReply): string {
  return reply.kind === 'network' ? reply.message : errorMessageOf(reply.body, reply.status);
}

function insertIdOf(line: Buffer): string | undefined {
  try {
    const id = JSON.parse(line.toString('utf8'))?.properties?.$insert_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One record → its verdict: map (or skip), validate (or reject), serialise once. This is the per-record work
 * of the destination; the in-process path (parsed messages) and the worker threads (raw lines) both call it,
 * so both give the same events, reasons and details.
 */
import { createFastEventWriter, createMapper, type FastEventWriter } from './mapping';
import type { MappingConfig, MappingResult, MixpanelEvent } from './mapping/types';
import { validateEvent } from './validation';
import { safeErrorMessage } from '../../connector-kit/privacy';

export type MapRecord = (stream: string, data: Record<string, unknown>) => MappingResult;
export type ValidateEvent = (event: MixpanelEvent, nowMs: number) => { reason: string; detail: string } | null;

export type RecordVerdict =
  /** Ready to send: the event's JSON text (one NDJSON line). */
  | { outcome: 'event'; json: string; eventName: string; warnings?: string[] }
  /** Not sent by policy; `record` is the source record (for samples). */
  | { outcome: 'skipped'; reason: string; detail?: string; record: unknown }
  /** Not sent because it would fail; counted under `countAs` (the event name, or the stream when unmapped). */
  | { outcome: 'rejected'; reason: string; detail: string; countAs: string; record: unknown };

export type EncodeRecord = (stream: string, data: Record<string, unknown>, nowMs: number) => RecordVerdict;

export const MAPPING_ERROR = 'mapping_error';
export const EVENT_TOO_LARGE = 'event_too_large';

/** `maxEventBytes`: the largest line a request may carry (max_batch_bytes). */
export function createRecordEncoder(map: MapRecord, validate: ValidateEvent, maxEventBytes: number, fast?: FastEventWriter): EncodeRecord {
  return (stream, data, nowMs) => {
    // The common case (an accepted Currents record) written directly; everything else takes the general path below.
    const written = fast?.(stream, data, nowMs, maxEventBytes);
    if (written) return { outcome: 'event', json: written.json, eventName: written.eventName, warnings: written.warnings };
    let mapped: MappingResult;
    try {
      mapped = map(stream, data);
    } catch (err) {
      // A record the mapper cannot handle must not end the sync: it is rejected and shown in the summary.
      return { outcome: 'rejected', reason: MAPPING_ERROR, detail: safeErrorMessage(err), countAs: stream, record: data };
    }
    if (mapped.outcome === 'skipped') return { outcome: 'skipped', reason: mapped.reason, detail: mapped.detail, record: data };
    const event = mapped.event;
    const invalid = validate(event, nowMs);
    if (invalid) return { outcome: 'rejected', reason: invalid.reason, detail: invalid.detail, countAs: event.event, record: withoutToken(event) };
    const json = JSON.stringify(event);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: only a line that long can exceed the limit, so measure only then.
    if (json.length * 3 > maxEventBytes) {
      const bytes = Buffer.byteLength(json, 'utf8');
      if (bytes > maxEventBytes) {
        return { outcome: 'rejected', reason: EVENT_TOO_LARGE, detail: `${bytes} bytes is more than max_batch_bytes (${maxEventBytes})`, countAs: event.event, record: withoutToken(event) };
      }
    }
    return { outcome: 'event', json, eventName: event.event, warnings: mapped.warnings };
  };
}

/** The event as shown in samples and rejected-record files: without the project token. */
export function withoutToken(event: unknown): unknown {
  if (!event || typeof event !== 'object') return event;
  const e = event as MixpanelEvent;
  if (!e.properties || typeof e.properties !== 'object' || !('token' in e.properties)) return e;
  const { token: _token, ...properties } = e.properties;
  return { ...e, properties };
}

/** The destination's encoder for a mapping config (the same wiring in the main thread and in workers). */
export function createDestinationEncoder(mapping: MappingConfig, maxEventBytes: number): EncodeRecord {
  return createRecordEncoder(createMapper(mapping), validateEvent, maxEventBytes, createFastEventWriter(mapping));
}

/**
 * Reading Braze's object keys (DESIGN §4.2):
 * `<prefix>/dataexport.<cluster>.<S3|AzureBlob|GCS>.integration.<id>/event_type=<type>/date=<YYYY-MM-DD-HH>/<schema-id>/<zone>/<name>.avro`
 * Braze warns the naming may change, so parsing is lenient: the type comes from an `event_type=` segment
 * wherever it is, the hour from a `date=` segment wherever it is; either may be missing.
 */
import { Hour, isHour } from './hours';

export interface ParsedKey {
  /** Dotted event type from `event_type=`, if the key has one. */
  eventType?: string;
  /** Processing hour from `date=`, if the key has one. */
  hour?: Hour;
  isAvro: boolean;
}

export function parseKey(key: string): ParsedKey {
  const parsed: ParsedKey = { isAvro: key.toLowerCase().endsWith('.avro') };
  for (const segment of key.split('/')) {
    if (segment.startsWith('event_type=') && segment.length > 'event_type='.length) {
      parsed.eventType = segment.slice('event_type='.length);
    } else if (segment.startsWith('date=')) {
      // Tolerate a finer suffix (e.g. minutes) after the hour, should Braze ever add one.
      const candidate = segment.slice('date='.length, 'date='.length + 13);
      if (isHour(candidate)) parsed.hour = candidate;
    }
  }
  return parsed;
}

/** Stream name: the dotted type lower-cased with `.` → `_` (`users.messages.email.Open` → `users_messages_email_open`). */
export function streamNameOf(eventType: string): string {
  return eventType.toLowerCase().replace(/\./g, '_');
}

const RECORD_NAMESPACE = /^dataexport\.[^.]+\.inner\.(.+)$/;

/**
 * Event type from an Avro record's full name, the fallback for keys without `event_type=`:
 * namespace `dataexport.S3.inner.users.messages.email` + name `Open` → `users.messages.email.Open`.
 */
export function eventTypeFromRecordName(namespace: string | undefined, name: string): string | undefined {
  // avsc may hand us the full name in `name` already.
  const full = namespace && !name.includes('.') ? `${namespace}.${name}` : name;
  const lastDot = full.lastIndexOf('.');
  if (lastDot < 0) return undefined;
  const m = RECORD_NAMESPACE.exec(full.slice(0, lastDot));
  return m ? `${m[1]}.${full.slice(lastDot + 1)}` : undefined;
}

/** The folder of one event type inside an integration directory; keys under it sort by hour. */
export function eventTypeFolder(parentPrefix: string, eventType: string): string {
  return `${parentPrefix}event_type=${eventType}/`;
}

/** S3 StartAfter for "every hour from `hour` on" in a type folder (exclusive bound that sorts just before that hour). */
export function startAfterForHour(typeFolder: string, hour: Hour): string {
  return `${typeFolder}date=${hour}`;
}

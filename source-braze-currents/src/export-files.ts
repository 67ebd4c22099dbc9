/**
 * Lists the Avro files of an export that a read must consider, with the hour each belongs to.
 * Skips are never silent: every non-Avro object is logged with its key and counted.
 */
import type { Logger } from '../../connector-kit/logger';
import { AvroFileReader, CorruptAvroError, NotAvroError } from './avro/container';
import type { ExportLayout } from './export-layout';
import { Hour, hourOf } from './hours';
import { eventTypeFromRecordName, parseKey, startAfterForHour } from './layout';
import type { Storage, StoredObject } from './storage/storage';

export interface ExportFile {
  key: string;
  /** `date=` hour of the key, else the hour the object was last modified. */
  hour: Hour;
  size: number;
}

export interface SkipTally {
  notAvro: string[];
  corrupt: string[];
}

export function newSkipTally(): SkipTally {
  return { notAvro: [], corrupt: [] };
}

function toExportFile(o: StoredObject): ExportFile {
  return { key: o.key, hour: parseKey(o.key).hour ?? hourOf(o.lastModified), size: o.size };
}

function skipNonAvro(key: string, log: Logger, tally: SkipTally): void {
  tally.notAvro.push(key);
  log.warn(`Skipping "${key}": not an Avro file (Braze Currents writes only .avro objects).`);
}

/** Files of one event type from its folders, listing only from `fromHour` on (S3 StartAfter). Sorted by (hour, key). */
export async function listTypeFiles(storage: Storage, folders: string[], fromHour: Hour | undefined, log: Logger, tally: SkipTally): Promise<ExportFile[]> {
  const files: ExportFile[] = [];
  for (const folder of folders) {
    const startAfter = fromHour ? startAfterForHour(folder, fromHour) : undefined;
    for await (const o of storage.listObjects(folder, startAfter)) {
      if (!parseKey(o.key).isAvro) { skipNonAvro(o.key, log, tally); continue; }
      const file = toExportFile(o);
      if (fromHour && file.hour < fromHour) continue;
      files.push(file);
    }
  }
  return sortFiles(files);
}

export function sortFiles(files: ExportFile[]): ExportFile[] {
  return files.sort((a, b) => (a.hour !== b.hour ? (a.hour < b.hour ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Files outside the recognised layout, grouped by event type: from `event_type=` anywhere in the key, else
 * from the Avro record name in the file's header (one header read per such file).
 */
export async function groupUnrecognisedFiles(
  storage: Storage, layout: ExportLayout, fromHour: Hour | undefined, log: Logger, tally: SkipTally, skipCorrupt: boolean,
): Promise<Map<string, ExportFile[]>> {
  const objects: StoredObject[] = [...layout.looseObjects];
  for (const folder of layout.unrecognisedFolders) for await (const o of storage.listObjects(folder)) objects.push(o);
  const byType = new Map<string, ExportFile[]>();
  if (objects.length > 0) {
    log.warn(`${objects.length} object(s) are outside the usual Braze layout (<prefix>/dataexport.../event_type=<type>/date=<hour>/...); reading their event type from the key or the Avro header.`);
  }
  for (const o of objects) {
    const parsed = parseKey(o.key);
    if (!parsed.isAvro) { skipNonAvro(o.key, log, tally); continue; }
    const file = toExportFile(o);
    if (fromHour && file.hour < fromHour) continue;
    const eventType = parsed.eventType ?? (await eventTypeFromHeader(storage, o.key, log, tally, skipCorrupt));
    if (!eventType) continue;
    const list = byType.get(eventType) ?? [];
    list.push(file);
    byType.set(eventType, list);
  }
  for (const list of byType.values()) sortFiles(list);
  return byType;
}

async function eventTypeFromHeader(storage: Storage, key: string, log: Logger, tally: SkipTally, skipCorrupt: boolean): Promise<string | undefined> {
  const reader = new AvroFileReader(await storage.open(key), key);
  try {
    const header = await reader.readHeader();
    const eventType = eventTypeFromRecordName(undefined, header.type.name ?? '');
    if (!eventType) {
      tally.notAvro.push(key);
      log.warn(`Skipping "${key}": its Avro record "${header.type.name}" is not a Braze Currents event (expected dataexport.<type>.inner.<event type>).`);
    }
    return eventType;
  } catch (err) {
    if (err instanceof NotAvroError) { skipNonAvro(key, log, tally); return undefined; }
    if (err instanceof CorruptAvroError && skipCorrupt) {
      tally.corrupt.push(key);
      log.error(`Skipping corrupt file "${key}" (skip_corrupt_files is on): ${err.message}`);
      return undefined;
    }
    throw err;
  } finally {
    await reader.close();
  }
}

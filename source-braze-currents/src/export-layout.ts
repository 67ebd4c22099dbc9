/**
 * Finds where each event type's files live without listing the whole bucket:
 * `<prefix>/<integration dir>/event_type=<T>/…` (two delimiter listings). Anything that does not look like
 * that (Braze warns its naming may change) is collected as "unrecognised" and listed in full; the reader
 * then derives the type from `event_type=` anywhere in the key or from the Avro record name.
 */
import type { Storage, StoredObject } from './storage/storage';

export interface ExportLayout {
  /** Dotted event type → its folders (one per integration directory), e.g. `currents/dataexport…/event_type=T/`. */
  typeFolders: Map<string, string[]>;
  /** Folders whose layout we do not recognise; listed recursively. */
  unrecognisedFolders: string[];
  /** Objects found directly at the scanned levels. */
  looseObjects: StoredObject[];
}

function eventTypeOfFolder(folder: string): string | undefined {
  const last = folder.slice(0, -1).split('/').pop() ?? '';
  return last.startsWith('event_type=') && last.length > 'event_type='.length ? last.slice('event_type='.length) : undefined;
}

export async function scanExportLayout(storage: Storage, rootPrefix: string): Promise<ExportLayout> {
  const layout: ExportLayout = { typeFolders: new Map(), unrecognisedFolders: [], looseObjects: [] };
  const addTypeFolder = (eventType: string, folder: string) => {
    const folders = layout.typeFolders.get(eventType) ?? [];
    folders.push(folder);
    layout.typeFolders.set(eventType, folders);
  };
  const top = await storage.listChildren(rootPrefix);
  layout.looseObjects.push(...top.objects);
  for (const child of top.prefixes) {
    const direct = eventTypeOfFolder(child);
    if (direct) {
      addTypeFolder(direct, child); // integration directory missing: tolerate
      continue;
    }
    const inner = await storage.listChildren(child);
    layout.looseObjects.push(...inner.objects);
    for (const folder of inner.prefixes) {
      const eventType = eventTypeOfFolder(folder);
      if (eventType) addTypeFolder(eventType, folder);
      else layout.unrecognisedFolders.push(folder);
    }
  }
  return layout;
}

export function isEmptyLayout(layout: ExportLayout): boolean {
  return layout.typeFolders.size === 0 && layout.unrecognisedFolders.length === 0 && layout.looseObjects.length === 0;
}

/** Newest object in a type folder: the last `date=` hour's last key (cheap: one delimiter listing plus one hour). */
export async function newestObjectIn(storage: Storage, folder: string): Promise<StoredObject | undefined> {
  const children = await storage.listChildren(folder);
  const hours = children.prefixes.filter((p) => p.slice(folder.length).startsWith('date=')).sort();
  for (const hourFolder of hours.reverse()) {
    let newest: StoredObject | undefined;
    for await (const o of storage.listObjects(hourFolder)) if (o.key.toLowerCase().endsWith('.avro')) newest = o;
    if (newest) return newest;
  }
  let any: StoredObject | undefined;
  for await (const o of storage.listObjects(folder)) if (o.key.toLowerCase().endsWith('.avro')) { any = o; break; }
  return any;
}

/**
 * The `discover` verb: the 100 catalogued streams, completed from the export itself: fields found in a
 * file header that the catalogue lacks are added, and event types found in the bucket but not catalogued
 * get a stream built from their writer schema.
 */
import type { AirbyteCatalog } from '../../connector-kit/protocol';
import type { Logger } from '../../connector-kit/logger';
import { AvroFileReader, CorruptAvroError, NotAvroError } from './avro/container';
import type { SourceSettings } from './config';
import { newestObjectIn, scanExportLayout } from './export-layout';
import { addMissingFields, streamSchemaFromAvro, type AvroField } from './json-schema';
import { streamNameOf } from './layout';
import { catalogueStreams, toAirbyteStream, type StreamDefinition } from './stream-catalogue';

export async function discoverCatalog(settings: SourceSettings, log: Logger): Promise<AirbyteCatalog> {
  const streams = new Map<string, StreamDefinition>(catalogueStreams());
  await settings.storage.probe(settings.rootPrefix);
  const layout = await scanExportLayout(settings.storage, settings.rootPrefix);
  // Per-stream schema news at debug, one INFO line for all (a new Braze field may touch every one of ~100 types).
  const widened: string[] = [];
  const added: string[] = [];
  for (const [eventType, folders] of layout.typeFolders) {
    const fields = await newestWriterFields(settings, folders, log);
    const known = streams.get(eventType);
    if (known) {
      if (!fields) continue;
      const { schema, added: newFields } = addMissingFields(known.schema, fields);
      if (newFields.length) {
        widened.push(known.name);
        log.debug(`Stream "${known.name}": added field(s) found in the export but not in the catalogue: ${newFields.join(', ')}.`);
      }
      streams.set(eventType, { ...known, schema });
    } else if (fields) {
      added.push(streamNameOf(eventType));
      log.debug(`Event type "${eventType}" is not in the catalogue; adding stream "${streamNameOf(eventType)}" from its Avro schema.`);
      streams.set(eventType, { name: streamNameOf(eventType), eventType, schema: streamSchemaFromAvro(eventType, fields) });
    }
  }
  if (widened.length || added.length) {
    log.info(
      `Schemas from the export: ${widened.length} stream(s) have fields the catalogue lacks (added), ${added.length} event type(s) are not in the catalogue ` +
        `(streams added${added.length ? `: ${added.slice(0, 5).join(', ')}${added.length > 5 ? ', …' : ''}` : ''}); LOG_LEVEL=debug lists them.`,
    );
  }
  if (layout.unrecognisedFolders.length || layout.looseObjects.length) {
    log.warn(`Some objects under ${settings.where} are outside the usual Braze layout; read will take their event type from the key or the Avro header.`);
  }
  return { streams: [...streams.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map(toAirbyteStream) };
}

/** Writer-schema fields of the newest file of an event type (newest = most fields); undefined if unreadable. */
async function newestWriterFields(settings: SourceSettings, folders: string[], log: Logger): Promise<AvroField[] | undefined> {
  for (const folder of folders) {
    const newest = await newestObjectIn(settings.storage, folder);
    if (!newest) continue;
    const reader = new AvroFileReader(await settings.storage.open(newest.key), newest.key);
    try {
      const header = await reader.readHeader();
      return (header.schema.fields as AvroField[] | undefined) ?? [];
    } catch (err) {
      if (err instanceof NotAvroError || err instanceof CorruptAvroError) {
        log.warn(`Could not read the Avro header of "${newest.key}" for discovery: ${err.message}`);
        continue;
      }
      throw err;
    } finally {
      await reader.close().catch(() => undefined);
    }
  }
  return undefined;
}

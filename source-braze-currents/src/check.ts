/** The `check` verb: can we list the prefix and read one Currents file's header? Says what to fix when not. */
import type { AirbyteConnectionStatus } from '../../connector-kit/protocol';
import { ConnectorError } from '../../connector-kit/errors';
import { AvroFileReader, CorruptAvroError, NotAvroError } from './avro/container';
import type { SourceSettings } from './config';
import { isEmptyLayout, scanExportLayout } from './export-layout';
import type { StoredObject } from './storage/storage';

const MAX_FILES_TRIED = 5;

export async function checkConnection(settings: SourceSettings): Promise<AirbyteConnectionStatus> {
  try {
    return await runCheck(settings);
  } catch (err) {
    if (err instanceof ConnectorError) return { status: 'FAILED', message: err.message };
    throw err;
  }
}

async function runCheck(settings: SourceSettings): Promise<AirbyteConnectionStatus> {
  const { storage, rootPrefix, where } = settings;
  await storage.probe(rootPrefix);
  const layout = await scanExportLayout(storage, rootPrefix);
  if (isEmptyLayout(layout)) {
    const p = rootPrefix.replace(/\/$/, '') || '<prefix>';
    return {
      status: 'FAILED',
      message: `Nothing was found under ${where}. Braze Currents writes to ${p}/dataexport.<cluster>.S3.integration.<id>/event_type=<type>/...; set "prefix" to the Folder Path configured in Braze (currently "${rootPrefix.replace(/\/$/, '')}") and check the bucket/path.`,
    };
  }
  const problems: string[] = [];
  let tried = 0;
  for await (const candidate of candidates(settings, layout.typeFolders, layout.looseObjects)) {
    if (tried++ >= MAX_FILES_TRIED) break;
    const reader = new AvroFileReader(await storage.open(candidate.key), candidate.key);
    try {
      const header = await reader.readHeader();
      const types = [...layout.typeFolders.keys()];
      const shown = types.slice(0, 5).join(', ') + (types.length > 5 ? ', …' : '');
      return {
        status: 'SUCCEEDED',
        message: `Found ${types.length} event type(s) under ${where}${types.length ? ` (${shown})` : ''}; read the Avro header of ${candidate.key} (record ${header.type.name}, codec ${header.codec}).`,
      };
    } catch (err) {
      if (err instanceof NotAvroError || err instanceof CorruptAvroError) problems.push(err.message);
      else throw err;
    } finally {
      await reader.close().catch(() => undefined);
    }
  }
  return {
    status: 'FAILED',
    message: problems.length
      ? `Objects were found under ${where} but none could be read as Braze Currents Avro: ${problems.join('; ')}.`
      : `No .avro object was found under ${where}; check that "prefix" is the Folder Path configured in Braze.`,
  };
}

async function* candidates(settings: SourceSettings, typeFolders: Map<string, string[]>, loose: StoredObject[]): AsyncIterable<StoredObject> {
  for (const folders of typeFolders.values()) {
    for (const folder of folders) {
      for await (const o of settings.storage.listObjects(folder)) {
        if (o.key.toLowerCase().endsWith('.avro')) { yield o; break; }
      }
    }
  }
  for (const o of loose) if (o.key.toLowerCase().endsWith('.avro')) yield o;
}

/** The checked-in stream schemas (schemas/<stream>.json, generated from the Currents field catalogue). */
import fs from 'fs';
import path from 'path';
import type { AirbyteStream } from '../../connector-kit/protocol';
import type { JsonSchema } from './json-schema';
import { streamNameOf } from './layout';
import { findPackageRoot } from './package-root';

export interface StreamDefinition {
  name: string;
  /** Dotted Braze event type (`users.messages.email.Open`). */
  eventType: string;
  schema: JsonSchema;
}

let cached: Map<string, StreamDefinition> | undefined;

/** Event type → definition, for the 100 catalogued types. */
export function catalogueStreams(): Map<string, StreamDefinition> {
  if (cached) return cached;
  const dir = path.join(findPackageRoot(__dirname), 'schemas');
  const result = new Map<string, StreamDefinition>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const schema = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as JsonSchema;
    const eventType = String(schema.title);
    result.set(eventType, { name: streamNameOf(eventType), eventType, schema });
  }
  cached = result;
  return result;
}

export function toAirbyteStream(def: StreamDefinition): AirbyteStream {
  return {
    name: def.name,
    json_schema: def.schema,
    supported_sync_modes: ['full_refresh', 'incremental'],
    source_defined_cursor: true,
    // Keys sort by their date= hour inside an event type's folder, so the object key is the cursor.
    default_cursor_field: ['_source_key'],
    source_defined_primary_key: [['id']],
    is_resumable: true,
  };
}

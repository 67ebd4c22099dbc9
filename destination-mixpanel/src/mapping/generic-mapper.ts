/**
 * Records of non-Currents streams (any Airbyte source) → Mixpanel events through configurable field names
 * (DESIGN §5.2, last bullet). Every other non-null field is sent as a property by its own name.
 */
import { hashInsertId, insertIdFor } from '../validation/insert-id';
import { epochMsFromValue } from './time';
import type { MappingConfig, MappingResult } from './types';

export interface GenericFields {
  eventName: string;
  distinctId: string;
  time: string;
  /** Fields tried in order for the insert id. */
  insertId: readonly string[];
}

export function genericFieldsOf(config: MappingConfig): GenericFields {
  return {
    eventName: config.event_name_field ?? 'event',
    distinctId: config.distinct_id_field ?? 'distinct_id',
    time: config.time_field ?? 'time',
    insertId: config.insert_id_field !== undefined ? [config.insert_id_field] : ['$insert_id', 'id'],
  };
}

/**
 * A missing name, distinct id or time is left out here and rejected by validation with its reason. A record
 * without any insert id field gets a hash of the stream and the whole record: identical re-reads de-duplicate.
 */
export function mapGenericRecord(
  stream: string,
  data: Record<string, unknown>,
  fields: GenericFields,
  config: MappingConfig,
): MappingResult {
  const properties: Record<string, unknown> = {};
  for (const key in data) {
    const value = data[key];
    if (value === null || value === undefined) continue;
    if (key === fields.eventName || key === fields.distinctId || key === fields.time || key === '$insert_id') continue;
    properties[key] = value;
  }
  const distinctId = data[fields.distinctId];
  if (typeof distinctId === 'string' || typeof distinctId === 'number' || typeof distinctId === 'boolean') {
    properties.distinct_id = String(distinctId);
  } else if (distinctId !== null && distinctId !== undefined) {
    properties.distinct_id = distinctId; // validation reports the wrong type
  }
  const time = epochMsFromValue(data[fields.time]);
  if (time !== undefined) properties.time = time;
  else if (data[fields.time] !== undefined && data[fields.time] !== null) properties.time = data[fields.time]; // → invalid_time
  properties.$insert_id = insertIdOf(stream, data, fields);
  if (config.project_token !== undefined) properties.token = config.project_token;

  const name = data[fields.eventName];
  const event = typeof name === 'string' ? name : typeof name === 'number' ? String(name) : '';
  return { outcome: 'event', event: { event, properties } };
}

function insertIdOf(stream: string, data: Record<string, unknown>, fields: GenericFields): string {
  for (const field of fields.insertId) {
    const value = data[field];
    if ((typeof value === 'string' && value !== '') || typeof value === 'number') return insertIdFor(String(value));
  }
  return hashInsertId(stream + '\u0000' + JSON.stringify(data));
}

/**
 * createMapper: Airbyte/Singer record → Mixpanel event (or a counted skip). Currents records are recognised by
 * `_event_type` (the dotted type the source adds) or else by a stream named after a catalogued type; all other
 * streams map through the configurable field names.
 */
import { findType, findTypeByStream } from './catalogue';
import { buildPlan, mapCurrentsRecord, type TypePlan } from './currents-mapper';
import { compileCurrentsWriter, type CurrentsWriter, type WrittenEvent } from './currents-writer';
import { genericFieldsOf, mapGenericRecord } from './generic-mapper';
import type { MappingConfig, MappingResult } from './types';

export type { MixpanelEvent, MappingResult, MappingConfig } from './types';
export type { WrittenEvent } from './currents-writer';
export { SKIP_REASONS, WARNINGS, BRAZE_PARTNER_ID } from './currents-mapper';
export { CUSTOM_EVENT_PREFIX, deriveEventName, NAME_DECISIONS } from './event-names';
export { CUSTOM_EVENT_PROPERTY_PREFIX, PURCHASE_PROPERTY_PREFIX } from './custom-properties';

export type Mapper = (stream: string, data: Record<string, unknown>) => MappingResult;

export function createMapper(config: MappingConfig): Mapper {
  const generic = genericFieldsOf(config);
  const planFor = createPlanLookup(config);
  return (stream, data) => {
    const plan = planFor(stream, data);
    return plan ? mapCurrentsRecord(plan, data, config) : mapGenericRecord(stream, data, generic, config);
  };
}

/**
 * The fast path (see currents-writer.ts): the event's JSON for a Currents record the general path would
 * accept as is, else undefined (then map, validate and serialise as usual).
 */
export type FastEventWriter = (stream: string, data: Record<string, unknown>, nowMs: number, maxEventBytes: number) => WrittenEvent | undefined;

export function createFastEventWriter(config: MappingConfig): FastEventWriter {
  const planFor = createPlanLookup(config);
  const writers = new Map<TypePlan, CurrentsWriter | null>();
  return (stream, data, nowMs, maxEventBytes) => {
    const plan = planFor(stream, data);
    if (!plan) return undefined;
    let writer = writers.get(plan);
    if (writer === undefined) {
      writer = compileCurrentsWriter(plan, config);
      writers.set(plan, writer);
    }
    return writer ? writer(data, nowMs, maxEventBytes) : undefined;
  };
}

/** A record's Currents plan (by `_event_type`, else by stream name), or null for other streams. */
function createPlanLookup(config: MappingConfig): (stream: string, data: Record<string, unknown>) => TypePlan | null {
  // Plans are compiled on first sight of a type or stream and reused for every later record.
  const plansByType = new Map<string, TypePlan>();
  const plansByStream = new Map<string, TypePlan | null>();

  const planForType = (type: string): TypePlan => {
    let plan = plansByType.get(type);
    if (plan === undefined) {
      plan = buildPlan(type, findType(type), config);
      plansByType.set(type, plan);
    }
    return plan;
  };
  const planForStream = (stream: string): TypePlan | null => {
    let plan = plansByStream.get(stream);
    if (plan === undefined) {
      const entry = findTypeByStream(stream);
      plan = entry ? planForType(entry.type) : null;
      plansByStream.set(stream, plan);
    }
    return plan;
  };
  return (stream, data) => {
    const eventType = data._event_type;
    return typeof eventType === 'string' && eventType !== '' ? planForType(eventType) : planForStream(stream);
  };
}

/**
 * createMapper: Airbyte/Singer record → Mixpanel event (or a counted skip). Currents records are recognised by
 * `_event_type` (the dotted type the source adds) or else by a stream named after a catalogued type; all other
 * streams map through the configurable field names.
 */
import { findType, findTypeByStream } from './catalogue';
import { buildPlan, mapCurrentsRecord, type TypePlan } from './currents-mapper';
import { genericFieldsOf, mapGenericRecord } from './generic-mapper';
import type { MappingConfig, MappingResult } from './types';

export type { MixpanelEvent, MappingResult, MappingConfig } from './types';
export { SKIP_REASONS, WARNINGS, BRAZE_PARTNER_ID } from './currents-mapper';
export { CUSTOM_EVENT_PREFIX, deriveEventName, NAME_DECISIONS } from './event-names';
export { CUSTOM_EVENT_PROPERTY_PREFIX, PURCHASE_PROPERTY_PREFIX } from './custom-properties';

export type Mapper = (stream: string, data: Record<string, unknown>) => MappingResult;

export function createMapper(config: MappingConfig): Mapper {
  const generic = genericFieldsOf(config);
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
    const plan = typeof eventType === 'string' && eventType !== '' ? planForType(eventType) : planForStream(stream);
    return plan ? mapCurrentsRecord(plan, data, config) : mapGenericRecord(stream, data, generic, config);
  };
}

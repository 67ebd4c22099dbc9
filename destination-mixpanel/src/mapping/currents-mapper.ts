/**
 * Braze Currents record → Mixpanel event, shaped like Braze's own "Mixpanel for Currents" export
 * (DESIGN §5.2, braze_currents.md §3.3). Each type is compiled once into a plan; mapping a record only reads
 * the plan's field list.
 */
import { insertIdFor } from '../validation/insert-id';
import type { CatalogueType } from './catalogue';
import { compileFieldCopier, type FieldCopier } from './field-copier';
import { addPrefixedProperties, CUSTOM_EVENT_PROPERTY_PREFIX, PURCHASE_PROPERTY_PREFIX } from './custom-properties';
import { CUSTOM_EVENT_PREFIX, CUSTOM_EVENT_TYPE, deriveEventName, documentedEventName } from './event-names';
import type { MappingConfig, MappingResult } from './types';

/** The value Braze puts in `$partner_id` (braze_currents.md §3.3: the glossary lists it as the constant "braze"). */
export const BRAZE_PARTNER_ID = 'braze';

export const SKIP_REASONS = {
  noExternalUserId: 'no_external_user_id',
  typeNotExportedByBraze: 'type_not_exported_by_braze',
  unknownCurrentsType: 'unknown_currents_type',
} as const;

export const WARNINGS = { invalidPropertiesJson: 'invalid_properties_json' } as const;

/** Properties every event gets from fixed sources; the catalogue lists them too, so plans leave them out. */
const FIXED_PROPERTIES = new Set(['$insert_id', '$partner_id', 'distinct_id', 'time', 'token', '$device', '$os']);

/** Record fields that never become properties of a passed-through (unmapped) type. */
const IDENTITY_FIELDS = new Set(['id', 'user_id', 'external_user_id', 'time', 'device_model', 'os_version']);

/** Where the prefixed properties come from, per type (only these two types carry a `properties` JSON string). */
const PREFIXED_PROPERTIES: Readonly<Record<string, string>> = {
  [CUSTOM_EVENT_TYPE]: CUSTOM_EVENT_PROPERTY_PREFIX,
  'users.behaviors.Purchase': PURCHASE_PROPERTY_PREFIX,
};

/** What to do with records of one Currents type. */
export interface TypePlan {
  type: string;
  /** Fixed Mixpanel name; null for custom events (named from the record's `name`). */
  eventName: string | null;
  /** False for types Braze does not export (skipped unless include_unmapped_types). */
  exported: boolean;
  /** True when the type is not in the catalogue at all. */
  unknown: boolean;
  /** [Mixpanel property, record field] pairs copied when the field is non-null. */
  copies: ReadonlyArray<readonly [string, string]>;
  /** `copies` compiled into one function (see field-copier.ts). */
  copyFields: FieldCopier;
  device: boolean;
  os: boolean;
  /** Prefix for the keys of the `properties` JSON string, or null. */
  prefixedProperties: string | null;
  /** Unmapped types sent on request: every non-identity field by its own name (no documented list exists). */
  passThrough: boolean;
}

/** Compiles the plan for a catalogued type (or, with `entry` undefined, for a type missing from the catalogue). */
export function buildPlan(type: string, entry: CatalogueType | undefined, config: MappingConfig): TypePlan {
  const documented = entry ? documentedEventName(entry) : null;
  const exported = documented !== null;
  const override = config.event_name_overrides?.[type];
  const isCustom = entry?.type === CUSTOM_EVENT_TYPE;
  const eventName = isCustom ? null : override ?? documented ?? deriveEventName(type);
  const documentedProps = exported ? entry!.properties : [];
  const isContentCard = type.toLowerCase().startsWith('users.messages.contentcard.');
  const copies = documentedProps
    .filter((p) => !FIXED_PROPERTIES.has(p))
    // Content cards: Braze renames the storage field content_card_id to card_id (braze_currents.md §3.3).
    .map((p) => [p, p === 'card_id' && isContentCard ? 'content_card_id' : p] as const);
  return {
    type: entry?.type ?? type,
    eventName,
    exported,
    unknown: entry === undefined,
    copies,
    copyFields: compileFieldCopier(copies),
    device: !exported || documentedProps.includes('$device'),
    os: !exported || documentedProps.includes('$os'),
    prefixedProperties: PREFIXED_PROPERTIES[entry?.type ?? ''] ?? null,
    passThrough: !exported,
  };
}

/** Maps one Currents record with a compiled plan. Does not copy or modify `data`. */
export function mapCurrentsRecord(plan: TypePlan, data: Record<string, unknown>, config: MappingConfig): MappingResult {
  if (!plan.exported && !config.include_unmapped_types) {
    return plan.unknown
      ? {
          outcome: 'skipped',
          reason: SKIP_REASONS.unknownCurrentsType,
          detail: `${plan.type} is not a catalogued Currents type; set include_unmapped_types to send it as "${plan.eventName}"`,
        }
      : {
          outcome: 'skipped',
          reason: SKIP_REASONS.typeNotExportedByBraze,
          detail: `Braze does not export ${plan.type} to Mixpanel; set include_unmapped_types to send it as "${plan.eventName}"`,
        };
  }
  const distinctId = distinctIdOf(data, config);
  if (distinctId === undefined) {
    const fallback = config.distinct_id_fallback ?? 'none';
    return {
      outcome: 'skipped',
      reason: SKIP_REASONS.noExternalUserId,
      detail:
        fallback === 'none'
          ? 'anonymous user (no external_user_id); Braze does not send these (see distinct_id_fallback)'
          : `anonymous user (no external_user_id) and no ${fallback} to fall back to`,
    };
  }

  const properties: Record<string, unknown> = {
    distinct_id: distinctId,
    time: eventTimeMs(data),
    $insert_id: typeof data.id === 'string' || typeof data.id === 'number' ? insertIdFor(String(data.id)) : undefined,
    $partner_id: BRAZE_PARTNER_ID,
  };
  if (config.project_token !== undefined) properties.token = config.project_token;
  if (plan.device && data.device_model != null) properties.$device = data.device_model;
  if (plan.os && data.os_version != null) properties.$os = data.os_version;
  if (plan.passThrough) copyAllFields(properties, data);
  else plan.copyFields(data, properties);

  let warnings: string[] | undefined;
  if (plan.prefixedProperties !== null && !addPrefixedProperties(properties, data.properties, plan.prefixedProperties)) {
    warnings = [WARNINGS.invalidPropertiesJson];
  }
  dropUndefined(properties);
  const event = { event: plan.eventName ?? customEventName(data), properties };
  return warnings ? { outcome: 'event', event, warnings } : { outcome: 'event', event };
}

/** external_user_id, else the configured fallback; undefined when there is none. */
export function distinctIdOf(data: Record<string, unknown>, config: MappingConfig): string | undefined {
  const external = idValue(data.external_user_id);
  if (external !== undefined) return external;
  switch (config.distinct_id_fallback) {
    case 'user_id':
      return idValue(data.user_id);
    case 'device_id':
      return idValue(data.device_id);
    default:
      return undefined;
  }
}

function idValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * Braze sends Currents `time` (epoch seconds) as Mixpanel `time`; we send the same instant in ms. `time_ms`
 * (push token changes) stays a property of its own, as Braze documents it, and is used only when `time` is missing.
 */
export function eventTimeMs(data: Record<string, unknown>): number | undefined {
  if (typeof data.time === 'number' && Number.isFinite(data.time)) return Math.round(data.time * 1000);
  if (typeof data.time_ms === 'number' && Number.isFinite(data.time_ms)) return Math.round(data.time_ms);
  return undefined;
}

/** "[Braze Custom Event] <name>"; an empty name when the record has none (validation then rejects it). */
function customEventName(data: Record<string, unknown>): string {
  return typeof data.name === 'string' && data.name !== '' ? CUSTOM_EVENT_PREFIX + data.name : '';
}

/** Unmapped types: all non-null fields except identity ones and the source's `_`-prefixed metadata. */
function copyAllFields(target: Record<string, unknown>, data: Record<string, unknown>): void {
  for (const key in data) {
    const value = data[key];
    if (value === null || value === undefined || IDENTITY_FIELDS.has(key) || key.charCodeAt(0) === 95 /* _ */) continue;
    if (!(key in target)) target[key] = value; // never overwrite distinct_id, token, … set from their sources
  }
}

function dropUndefined(properties: Record<string, unknown>): void {
  if (properties.time === undefined) delete properties.time;
  if (properties.$insert_id === undefined) delete properties.$insert_id;
}

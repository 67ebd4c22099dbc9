/** Shapes shared by the mapper (record → Mixpanel event) and the delivery engine. */

/** One /import event. The mappers always set `properties.time` in integer epoch milliseconds. */
export interface MixpanelEvent {
  event: string;
  properties: Record<string, unknown>;
}

export type MappingResult =
  | { outcome: 'event'; event: MixpanelEvent; warnings?: string[] } // e.g. warnings: ['invalid_properties_json']
  | { outcome: 'skipped'; reason: string; detail?: string }; // reason codes: see SKIP_REASONS in ./index

export interface MappingConfig {
  /** Mixpanel project token; goes into `properties.token` (Braze puts it in every event). */
  project_token?: string;
  /**
   * What to use as `distinct_id` when a Currents record has no `external_user_id`.
   * 'none' (default) is Braze's rule: such events are not sent (skipped, reason `no_external_user_id`).
   * 'user_id' = Braze's internal user id; 'device_id' = the Braze device id.
   */
  distinct_id_fallback?: 'none' | 'user_id' | 'device_id';
  /** Default false: Currents types Braze does not export to Mixpanel are skipped (`type_not_exported_by_braze`). */
  include_unmapped_types?: boolean;
  /** Non-Currents streams: field holding the event name. Default 'event'. */
  event_name_field?: string;
  /** Non-Currents streams: field holding the distinct id. Default 'distinct_id'. */
  distinct_id_field?: string;
  /**
   * Non-Currents streams: field holding the event time. Default 'time'. Accepted: epoch seconds (number below
   * 1e11, fractions kept to the ms), epoch milliseconds (number ≥ 1e11), a string of digits (same rule), or an
   * ISO-8601 date string. Sent as integer epoch milliseconds.
   */
  time_field?: string;
  /**
   * Non-Currents streams: field holding the insert id. Default: '$insert_id', else 'id'. When the record has
   * neither, a deterministic hash of the stream name and the whole record is used.
   */
  insert_id_field?: string;
  /**
   * Optional renames by dotted Currents type (e.g. `{"users.messages.sms.CarrierSend": "SMS Send to Carrier"}`),
   * applied after the built-in naming; lets a user follow a different reading of a documented name.
   */
  event_name_overrides?: Record<string, string>;
}

/**
 * Airbyte protocol message types, typed by hand from airbyte_protocol_v0.18.0.yaml
 * (field names exactly as in the YAML: state discriminator `type`, `connectionStatus` camelCase).
 * Only the parts our connectors produce or consume are spelled out; every message allows extra fields.
 */

export type JsonObject = { [key: string]: unknown };

export type SyncMode = 'full_refresh' | 'incremental';
export type DestinationSyncMode = 'append' | 'overwrite' | 'append_dedup' | 'update' | 'soft_delete';
export type FailureType = 'system_error' | 'config_error' | 'transient_error';
export type LogLevel = 'FATAL' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';
export type StreamStatus = 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE';

export interface StreamDescriptor { name: string; namespace?: string }

export interface AirbyteRecordMessage {
  stream: string;
  namespace?: string;
  data: JsonObject;
  emitted_at: number;
  meta?: JsonObject;
}

export interface AirbyteStateStats { recordCount?: number; rejectedRecordCount?: number }

export interface AirbyteStreamState { stream_descriptor: StreamDescriptor; stream_state?: JsonObject | null }

export interface AirbyteStateMessage {
  type?: 'STREAM' | 'GLOBAL' | 'LEGACY';
  stream?: AirbyteStreamState;
  global?: { shared_state?: JsonObject; stream_states: AirbyteStreamState[] };
  data?: JsonObject;
  sourceStats?: AirbyteStateStats;
  destinationStats?: AirbyteStateStats;
}

export interface AirbyteLogMessage { level: LogLevel; message: string; stack_trace?: string }

export interface AirbyteErrorTrace {
  message: string;
  internal_message?: string;
  stack_trace?: string;
  failure_type?: FailureType;
  stream_descriptor?: StreamDescriptor;
}

export interface AirbyteTraceMessage {
  type: 'ERROR' | 'ESTIMATE' | 'STREAM_STATUS' | 'ANALYTICS';
  emitted_at: number;
  error?: AirbyteErrorTrace;
  estimate?: { name: string; type: 'STREAM' | 'SYNC'; namespace?: string; row_estimate?: number; byte_estimate?: number };
  stream_status?: { stream_descriptor: StreamDescriptor; status: StreamStatus; reasons?: JsonObject[] };
  analytics?: { type: string; value?: string };
}

export interface AirbyteConnectionStatus { status: 'SUCCEEDED' | 'FAILED'; message?: string }

export interface AirbyteStream {
  name: string;
  json_schema: JsonObject;
  supported_sync_modes: SyncMode[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
  namespace?: string;
  is_resumable?: boolean;
}

export interface AirbyteCatalog { streams: AirbyteStream[] }

export interface ConfiguredAirbyteStream {
  stream: AirbyteStream;
  sync_mode: SyncMode;
  destination_sync_mode: DestinationSyncMode;
  cursor_field?: string[];
  primary_key?: string[][];
}

export interface ConfiguredAirbyteCatalog { streams: ConfiguredAirbyteStream[] }

export interface ConnectorSpecification {
  documentationUrl?: string;
  changelogUrl?: string;
  connectionSpecification: JsonObject;
  supportsIncremental?: boolean;
  supported_destination_sync_modes?: DestinationSyncMode[];
  protocol_version?: string;
  [key: string]: unknown;
}

export type AirbyteMessage =
  | { type: 'RECORD'; record: AirbyteRecordMessage }
  | { type: 'STATE'; state: AirbyteStateMessage }
  | { type: 'LOG'; log: AirbyteLogMessage }
  | { type: 'SPEC'; spec: ConnectorSpecification }
  | { type: 'CONNECTION_STATUS'; connectionStatus: AirbyteConnectionStatus }
  | { type: 'CATALOG'; catalog: AirbyteCatalog }
  | { type: 'TRACE'; trace: AirbyteTraceMessage }
  | { type: 'CONTROL'; control: JsonObject };

/**
 * Turns the validated JSON config (spec defaults already applied by the kit) into the typed settings the
 * destination uses: where to send, how to authenticate, how to map, how to deliver.
 */
import type { JsonObject } from '../../connector-kit/protocol';
import { configError } from '../../connector-kit/errors';
import type { MappingConfig } from './mapping/types';

export const REGION_HOSTS: Record<string, string> = {
  US: 'https://api.mixpanel.com',
  EU: 'https://api-eu.mixpanel.com',
  IN: 'https://api-in.mixpanel.com',
};

/** HTTP Basic credentials plus the optional `project_id` query parameter (service accounts only). */
export interface ImportAuth {
  method: 'api_secret' | 'service_account' | 'project_token';
  username: string;
  password: string;
  projectId?: string;
}

export interface DeliverySettings {
  batchSize: number;
  maxBatchBytes: number;
  concurrency: number;
  requestTimeoutMs: number;
  maxRetryMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  gzipLevel: number;
  flushIntervalMs: number;
}

export interface DestinationSettings {
  /** Base URL without a trailing slash; `/import` is appended. */
  host: string;
  auth: ImportAuth;
  mapping: MappingConfig;
  delivery: DeliverySettings;
  /** Where whole rejected records go (NDJSON); unset = nowhere (they are personal data, never logged). */
  rejectedRecordsFile?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const int = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : fallback);

export function resolveAuth(config: JsonObject): ImportAuth {
  const creds = (config.credentials ?? {}) as JsonObject;
  switch (creds.auth_type) {
    case 'api_secret': {
      const secret = str(creds.api_secret);
      if (!secret) throw configError('credentials.api_secret is empty: paste the project API secret from Mixpanel Project Settings.');
      return { method: 'api_secret', username: secret, password: '' };
    }
    case 'service_account': {
      const username = str(creds.username);
      const secret = str(creds.secret);
      const projectId = str(creds.project_id);
      if (!username || !secret || !projectId) {
        throw configError('credentials: a service account needs username, secret and project_id (all from Mixpanel Organization Settings → Service Accounts).');
      }
      return { method: 'service_account', username, password: secret, projectId };
    }
    case 'project_token': {
      const token = str(config.project_token);
      if (!token) throw configError('credentials.auth_type is project_token but the top-level project_token is empty: set project_token.');
      return { method: 'project_token', username: token, password: '' };
    }
    default:
      throw configError(`credentials.auth_type must be one of service_account, api_secret, project_token (got ${JSON.stringify(creds.auth_type ?? null)}).`);
  }
}

export function resolveHost(config: JsonObject): string {
  const override = str(config.api_host);
  if (override) {
    let url: URL;
    try {
      url = new URL(override);
    } catch {
      throw configError(`api_host "${override}" is not a URL: use e.g. https://api.mixpanel.com or http://127.0.0.1:18080.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError(`api_host must start with http:// or https:// (got ${url.protocol}).`);
    return override.replace(/\/+$/, '');
  }
  const region = str(config.region) ?? 'US';
  const host = REGION_HOSTS[region];
  if (!host) throw configError(`region must be US, EU or IN (got "${region}").`);
  return host;
}

export function resolveMapping(config: JsonObject): MappingConfig {
  const fallback = str(config.distinct_id_fallback);
  return {
    project_token: str(config.project_token),
    distinct_id_fallback: fallback === 'user_id' || fallback === 'device_id' ? fallback : 'none',
    include_unmapped_types: config.include_unmapped_types === true,
    event_name_field: str(config.event_name_field),
    distinct_id_field: str(config.distinct_id_field),
    time_field: str(config.time_field),
    insert_id_field: str(config.insert_id_field),
    event_name_overrides: eventNameOverrides(config.event_name_overrides),
  };
}

/** The spec's list of {currents_type, event_name} pairs as the mapper's lookup table. */
function eventNameOverrides(value: unknown): Record<string, string> | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const overrides: Record<string, string> = {};
  for (const entry of value as Array<{ currents_type?: unknown; event_name?: unknown }>) {
    const type = str(entry?.currents_type);
    const name = str(entry?.event_name);
    if (!type || !name) throw configError('event_name_overrides: every entry needs a currents_type (e.g. users.messages.sms.CarrierSend) and an event_name.');
    overrides[type] = name;
  }
  return overrides;
}

export function resolveDelivery(config: JsonObject): DeliverySettings {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const retryBaseMs = clamp(int(config.retry_base_ms, 2000), 1, 60_000);
  return {
    batchSize: clamp(int(config.batch_size, 2000), 1, 2000),
    maxBatchBytes: clamp(int(config.max_batch_bytes, 9_961_472), 1024, 10_485_760),
    concurrency: clamp(int(config.concurrency, 10), 1, 50),
    requestTimeoutMs: clamp(int(config.request_timeout_seconds, 60), 1, 600) * 1000,
    maxRetryMs: clamp(int(config.max_retry_seconds, 900), 1, 86_400) * 1000,
    retryBaseMs,
    // Mixpanel's advice is 2 s doubling to 60 s; a shortened base (tests) shortens the cap in proportion.
    retryMaxMs: retryBaseMs * 30,
    gzipLevel: clamp(int(config.gzip_level, 1), 0, 9),
    flushIntervalMs: clamp(int(config.flush_interval_seconds, 5), 1, 600) * 1000,
  };
}

export function resolveSettings(config: JsonObject): DestinationSettings {
  return {
    host: resolveHost(config),
    auth: resolveAuth(config),
    mapping: resolveMapping(config),
    delivery: resolveDelivery(config),
    rejectedRecordsFile: str(config.rejected_records_file),
  };
}

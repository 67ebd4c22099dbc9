/**
 * The validated config (spec defaults applied by the kit) as typed settings: where to query, how to
 * authenticate, which cohorts, which properties, and the query budget.
 */
import { configError } from '../../connector-kit/errors';
import type { JsonObject } from '../../connector-kit/protocol';

export const REGION_BASE_URLS: Record<string, string> = {
  US: 'https://mixpanel.com',
  EU: 'https://eu.mixpanel.com',
  IN: 'https://in.mixpanel.com',
};

export const DISTINCT_ID_PROPERTY = '$distinct_id';

export interface QueryAuth {
  method: 'service_account' | 'api_secret';
  username: string;
  password: string;
  projectId: string;
}

export interface CohortSettings {
  /** Base URL without a trailing slash; `/api/query/…` is appended. */
  baseUrl: string;
  region: string;
  /** True when api_host replaced the region's host (the region is then only a label). */
  hostOverridden: boolean;
  auth: QueryAuth;
  workspaceId?: string;
  /** Cohorts the config names (ids as digit strings, or names); empty = every visible cohort. */
  cohorts: string[];
  userIdProperty: string;
  outputProperties: string[];
  queriesPerHour: number;
  maxConcurrentQueries: number;
  maxRetryMs: number;
  requestTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const int = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : fallback);

/** Before validation: cohort ids given as JSON integers become digit strings, which the spec's list holds. */
export function normalizeCohortsConfig(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const config = raw as JsonObject;
  if (!Array.isArray(config.cohorts)) return raw;
  return { ...config, cohorts: config.cohorts.map((c) => (typeof c === 'number' && Number.isInteger(c) ? String(c) : c)) };
}

export function settingsFrom(config: JsonObject): CohortSettings {
  const region = str(config.region) ?? 'US';
  const override = str(config.api_host);
  const baseUrl = override ? parseBaseUrl(override) : REGION_BASE_URLS[region];
  if (!baseUrl) throw configError(`region must be US, EU or IN (got "${region}").`);
  const retryBaseMs = Math.min(300_000, Math.max(1, int(config.retry_base_ms, 30_000)));
  const cohorts = (Array.isArray(config.cohorts) ? config.cohorts : []).map((c) => String(c).trim());
  if (cohorts.some((c) => c.length === 0)) throw configError('cohorts: an entry is empty; give a cohort id (e.g. 12345) or its exact name.');
  return {
    baseUrl,
    region,
    hostOverridden: Boolean(override),
    auth: resolveAuth(config),
    workspaceId: str(config.workspace_id),
    cohorts,
    userIdProperty: str(config.user_id_property) ?? '$braze_external_id',
    outputProperties: (Array.isArray(config.output_properties) ? config.output_properties : []).filter((p): p is string => typeof p === 'string' && p.length > 0),
    queriesPerHour: Math.max(1, int(config.queries_per_hour, 50)),
    maxConcurrentQueries: Math.min(5, Math.max(1, int(config.max_concurrent_queries, 2))),
    maxRetryMs: Math.max(1, int(config.max_retry_seconds, 7200)) * 1000,
    requestTimeoutMs: Math.max(1, int(config.request_timeout_seconds, 300)) * 1000,
    retryBaseMs,
    retryMaxMs: retryBaseMs * 10,
  };
}

function parseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(`api_host "${value}" is not a URL: use e.g. https://mixpanel.com or http://127.0.0.1:18080.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError(`api_host must start with http:// or https:// (got ${url.protocol}).`);
  return value.replace(/\/+$/, '');
}

function resolveAuth(config: JsonObject): QueryAuth {
  const creds = (config.credentials ?? {}) as JsonObject;
  const projectId = str(creds.project_id);
  if (!projectId || !/^[0-9]+$/.test(projectId)) throw configError('credentials.project_id is required: the numeric Mixpanel project id (Project Settings → Overview).');
  if (creds.auth_type === 'service_account') {
    const username = str(creds.username);
    const secret = str(creds.secret);
    if (!username || !secret) throw configError('credentials: a service account needs username and secret (Organization Settings → Service Accounts).');
    return { method: 'service_account', username, password: secret, projectId };
  }
  if (creds.auth_type === 'api_secret') {
    const secret = str(creds.api_secret);
    if (!secret) throw configError('credentials.api_secret is empty: paste the project API secret from Mixpanel Project Settings.');
    return { method: 'api_secret', username: secret, password: '', projectId };
  }
  throw configError(`credentials.auth_type must be service_account or api_secret (got ${JSON.stringify(creds.auth_type ?? null)}).`);
}

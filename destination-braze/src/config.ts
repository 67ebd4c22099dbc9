/**
 * Turns the validated JSON config (spec defaults already applied by the kit) into typed settings: how to
 * reach Braze (handed to the delivery layer in src/braze/), where the membership store is, and pacing.
 */
import { configError } from '../../connector-kit/errors';
import type { JsonObject } from '../../connector-kit/protocol';
import type { MembershipStoreConfig } from './store/create-blob-store';

/** What the delivery layer (src/braze/) needs; field names as its factory takes them. */
export interface DeliverySettings {
  restEndpoint: string;
  apiKey: string;
  mode: 'attribute' | 'partner';
  attributeName: string;
  partner?: { partnerApiKey: string; clientSecret: string; partnerName: string };
  concurrency: number;
  maxRetrySeconds: number;
  retryBaseMs: number;
  requestTimeoutSeconds: number;
}

export interface BrazeDestinationSettings {
  delivery: DeliverySettings;
  store: MembershipStoreConfig;
  /** Folder inside an object store's bucket/container, ending with `/`. */
  storePrefix: string;
  flushIntervalMs: number;
  /** attribute mode: values Braze keeps per array in this workspace (for the too-many-cohorts warning). */
  arrayLimit: number;
}

/** Braze's limit for a string value (custom attribute values, array elements). */
export const MAX_VALUE_CHARS = 255;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim().length > 0 ? v.trim() : undefined);
const int = (v: unknown, fallback: number, lo: number, hi: number): number =>
  Math.min(hi, Math.max(lo, typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : fallback));

export function resolveRestEndpoint(value: unknown): string {
  const text = str(value);
  if (!text) throw configError('rest_endpoint is required: your Braze REST endpoint, e.g. https://rest.iad-01.braze.com (Settings → APIs and Identifiers).');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw configError(`rest_endpoint "${text}" is not a URL: use e.g. https://rest.iad-01.braze.com.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError(`rest_endpoint must start with https:// (got ${url.protocol}).`);
  if (/^sdk[.-]/.test(url.hostname)) throw configError(`rest_endpoint "${url.host}" is an SDK endpoint; use the REST endpoint (rest.… instead of sdk.…).`);
  return text.replace(/\/+$/, '');
}

function resolvePartner(config: JsonObject): DeliverySettings['partner'] {
  const partnerApiKey = str(config.partner_api_key);
  const clientSecret = str(config.client_secret);
  const missing = [!partnerApiKey && 'partner_api_key', !clientSecret && 'client_secret'].filter(Boolean);
  if (missing.length) {
    throw configError(`mode "partner" needs ${missing.join(' and ')} (the partner key Braze issued, and the workspace's Data Import Key); without a partner key use mode "attribute".`);
  }
  return { partnerApiKey: partnerApiKey!, clientSecret: clientSecret!, partnerName: str(config.partner_name) ?? 'mixpanel' };
}

export function resolveStorePrefix(value: unknown): string {
  const text = (typeof value === 'string' ? value : 'braze-cohort-membership/').replace(/^\/+/, '');
  return text === '' || text.endsWith('/') ? text : `${text}/`;
}

export function resolveSettings(config: JsonObject): BrazeDestinationSettings {
  const mode = config.mode === 'partner' ? 'partner' : 'attribute';
  if (config.mode !== undefined && config.mode !== 'partner' && config.mode !== 'attribute') throw configError(`mode must be "attribute" or "partner" (got ${JSON.stringify(config.mode)}).`);
  const apiKey = str(config.api_key);
  if (!apiKey) throw configError('api_key is required: a Braze REST API key with the users.track permission.');
  const attributeName = str(config.attribute_name) ?? 'mixpanel_cohorts';
  const store = (config.membership_store ?? { type: 'local', path: '.braze-cohort-membership' }) as MembershipStoreConfig;
  if (store.type === 'local' && !str(store.path)) throw configError('membership_store.path is empty: name a folder, e.g. .braze-cohort-membership.');
  return {
    delivery: {
      restEndpoint: resolveRestEndpoint(config.rest_endpoint),
      apiKey,
      mode,
      attributeName,
      ...(mode === 'partner' ? { partner: resolvePartner(config) } : {}),
      concurrency: int(config.concurrency, 8, 1, 50),
      maxRetrySeconds: int(config.max_retry_seconds, 900, 1, 86_400),
      retryBaseMs: int(config.retry_base_ms, 2000, 1, 60_000),
      requestTimeoutSeconds: int(config.request_timeout_seconds, 60, 1, 600),
    },
    store,
    storePrefix: resolveStorePrefix(config.membership_store_prefix),
    flushIntervalMs: int(config.flush_interval_seconds, 5, 1, 600) * 1000,
    arrayLimit: int(config.array_limit, 500, 1, 10_000),
  };
}

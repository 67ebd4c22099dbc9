/**
 * What the Braze delivery layer needs to know. The destination maps its connector config (§10.3) onto this.
 */
import fs from 'fs';
import path from 'path';
import { findPackageRoot } from '../../../source-braze-currents/src/package-root';

export type BrazeMode = 'attribute' | 'partner';

export interface PartnerCredentials {
  /** Issued by Braze to the partner (secret). */
  partnerApiKey: string;
  /** The customer's Data Import Key (secret). */
  clientSecret: string;
  /** The `<partner_name>` path segment, e.g. `mixpanel`. */
  partnerName: string;
}

export interface BrazeDeliveryOptions {
  /** The workspace's REST endpoint, e.g. `https://rest.iad-01.braze.com` (any http(s) URL; a trailing `/` is ignored). */
  restEndpoint: string;
  /** REST API key with the `users.track` permission (secret). */
  apiKey: string;
  mode: BrazeMode;
  /** Attribute mode: the custom array attribute holding cohort names, e.g. `mixpanel_cohorts`. */
  attributeName: string;
  /** Partner mode only. */
  partner?: PartnerCredentials;
  /** Requests in flight at once (≥ 1). */
  concurrency: number;
  /** How long one request may keep being retried (429, 5xx, network) before the sync stops with a transient_error. */
  maxRetrySeconds: number;
  /** First back-off step; doubles per attempt up to retryMaxMs, plus jitter. Default 2000 (Braze-friendly); tests use a few ms. */
  retryBaseMs?: number;
  /** Cap of one back-off step. Default 60 000. */
  retryMaxMs?: number;
  /** No answer within this → the request counts as a network failure and is retried. Default 60. */
  requestTimeoutSeconds?: number;
  /** Overrides the User-Agent (default `braze-currents-mixpanel/<package version>`). */
  userAgent?: string;
}

export const ATTRIBUTE_OBJECTS_PER_REQUEST = 75;
export const PARTNER_IDS_PER_REQUEST = 1000;

let cachedUserAgent: string | undefined;

/** `braze-currents-mixpanel/<version>` from the package's package.json. */
export function defaultUserAgent(): string {
  if (cachedUserAgent) return cachedUserAgent;
  let version = '0.0.0';
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(findPackageRoot(__dirname), 'package.json'), 'utf8')) as { name?: string; version?: string };
    version = pkg.version ?? version;
  } catch {
    // A missing package.json only costs the version in the header.
  }
  cachedUserAgent = `braze-currents-mixpanel/${version}`;
  return cachedUserAgent;
}

/** The endpoint without trailing slashes; throws a plain Error naming the problem for a non-http(s) URL. */
export function normalizeEndpoint(restEndpoint: string): string {
  let url: URL;
  try {
    url = new URL(restEndpoint);
  } catch {
    throw new Error(`rest_endpoint must be an http(s) URL such as https://rest.iad-01.braze.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`rest_endpoint must start with https:// (or http:// for a local server)`);
  return restEndpoint.replace(/\/+$/, '');
}

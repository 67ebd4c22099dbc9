/**
 * Braze delivery: `createMembershipWriter` turns membership changes into Braze writes (attribute arrays via
 * /users/track, or the partner cohort API) and `probeBraze` is the harmless call behind `check`.
 */
import type { Logger } from '../../../connector-kit/logger';
import { AttributeWriter } from './attribute-writer';
import { BrazeClient } from './braze-client';
import { InFlightPool } from './in-flight-pool';
import type { MembershipWriter, OutcomeListener } from './membership-writer';
import { BrazeDeliveryOptions, defaultUserAgent, normalizeEndpoint } from './options';
import { PartnerWriter } from './partner-writer';
import { RequestSender } from './request-sender';

export type { BrazeDeliveryOptions, BrazeMode, PartnerCredentials } from './options';
export { ATTRIBUTE_OBJECTS_PER_REQUEST, PARTNER_IDS_PER_REQUEST, defaultUserAgent } from './options';
export type { CohortRef, MembershipChange, ChangeOutcome, MembershipWriter, OutcomeListener } from './membership-writer';
export { probeBraze } from './probe';
export type { ProbeResult, ProbeProblem } from './probe';

const RESERVED_ATTRIBUTE_NAMES = new Set(['external_id', 'user_alias', 'braze_id', 'email', 'phone', '_update_existing_only']);

/** Throws a plain Error naming the problem when the options cannot work (the destination turns it into a config_error). */
export function createMembershipWriter(options: BrazeDeliveryOptions, onOutcome: OutcomeListener, log: Logger): MembershipWriter {
  const restEndpoint = normalizeEndpoint(options.restEndpoint);
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new Error(`concurrency must be a whole number ≥ 1, got ${options.concurrency}`);
  if (!(options.maxRetrySeconds >= 0)) throw new Error(`max_retry_seconds must be ≥ 0, got ${options.maxRetrySeconds}`);
  if (options.mode === 'attribute' && (!options.attributeName || RESERVED_ATTRIBUTE_NAMES.has(options.attributeName))) {
    throw new Error(`attribute_name must be a custom attribute name other than ${[...RESERVED_ATTRIBUTE_NAMES].join(', ')}`);
  }
  if (options.mode === 'partner' && !options.partner) throw new Error('partner mode needs partner_api_key, client_secret and partner_name');
  const client = new BrazeClient({
    restEndpoint,
    apiKey: options.apiKey,
    timeoutMs: (options.requestTimeoutSeconds ?? 60) * 1000,
    maxSockets: options.concurrency + 1,
    userAgent: options.userAgent ?? defaultUserAgent(),
  });
  const sender = new RequestSender(client, { baseMs: options.retryBaseMs ?? 2000, maxMs: options.retryMaxMs ?? 60_000, maxRetryMs: options.maxRetrySeconds * 1000 }, log);
  const pool = new InFlightPool(options.concurrency);
  const release = () => client.close();
  return options.mode === 'partner'
    ? new PartnerWriter(sender, pool, options.partner!, onOutcome, log, release)
    : new AttributeWriter(sender, pool, options.attributeName, onOutcome, log, release);
}

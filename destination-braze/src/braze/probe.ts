/**
 * The destination's `check`: one harmless call that proves the endpoint, the key and its `users.track`
 * permission without writing anything.
 *
 * It sends `POST /users/track` with ONE attribute object: a random external id that no workspace has
 * (`braze-currents-mixpanel-check-<uuid>`), `_update_existing_only: true` and no attribute at all. Braze checks
 * the key and its permission before the body (401 / 403 "Access Denied"), and for an unknown user in
 * update-only mode it creates nothing and writes nothing; an object without attributes writes no data point
 * (Braze bills per attribute written). Braze answers 201 `"message": "success"` (the async endpoint queues it;
 * reference §1.2: no per-object error is expected, [UNVERIFIED]). Any 2xx or a 400 (a body complaint, which
 * Braze only reaches after authorising the key) proves the key and the permission.
 *
 * Partner mode also sends `POST /partners/<partner_name>/cohorts/users` with the partner key, the client secret,
 * a cohort id that no integration uses and an empty `cohort_changes` list: it cannot change any membership, and
 * Braze checks the credentials first (401), so a 2xx or a 400 (unknown cohort) proves them.
 */
import { randomUUID } from 'crypto';
import { BrazeClient, BrazeReply } from './braze-client';
import { stopError } from './braze-answers';
import { BrazeDeliveryOptions, defaultUserAgent, normalizeEndpoint } from './options';

export type ProbeProblem =
  | 'bad_key'
  | 'missing_permission'
  | 'forbidden'
  | 'wrong_endpoint'
  | 'unreachable'
  | 'unavailable'
  | 'partner_credentials'
  | 'unexpected';

export type ProbeResult = { ok: true; message: string } | { ok: false; problem: ProbeProblem; message: string };

const PROBE_ID_PREFIX = 'braze-currents-mixpanel-check-';

export async function probeBraze(options: BrazeDeliveryOptions): Promise<ProbeResult> {
  let endpoint: string;
  try {
    endpoint = normalizeEndpoint(options.restEndpoint);
  } catch (err) {
    return { ok: false, problem: 'wrong_endpoint', message: (err as Error).message };
  }
  const client = new BrazeClient({
    restEndpoint: endpoint,
    apiKey: options.apiKey,
    timeoutMs: (options.requestTimeoutSeconds ?? 30) * 1000,
    maxSockets: 1,
    userAgent: options.userAgent ?? defaultUserAgent(),
  });
  try {
    const body = JSON.stringify({ attributes: [{ external_id: PROBE_ID_PREFIX + randomUUID(), _update_existing_only: true }] });
    const track = judge(await client.post('/users/track', body, true), 'users.track', client.host, '/users/track');
    if (!track.ok || options.mode !== 'partner') return track;
    if (!options.partner) return { ok: false, problem: 'partner_credentials', message: 'partner mode needs partner_api_key, client_secret and partner_name' };
    const path = `/partners/${encodeURIComponent(options.partner.partnerName)}/cohorts/users`;
    const partnerBody = JSON.stringify({
      partner_api_key: options.partner.partnerApiKey, client_secret: options.partner.clientSecret, cohort_id: PROBE_ID_PREFIX + 'cohort', cohort_changes: [],
    });
    const partner = judge(await client.post(path, partnerBody, false), 'partner', client.host, path);
    return partner.ok ? { ok: true, message: `${track.message} The partner credentials were accepted by ${client.host}.` } : partner;
  } finally {
    client.close();
  }
}

function judge(reply: BrazeReply, channel: 'users.track' | 'partner', host: string, path: string): ProbeResult {
  if (reply.kind === 'network') {
    const dns = reply.code === 'ENOTFOUND' || reply.code === 'EAI_AGAIN';
    return {
      ok: false,
      problem: dns ? 'wrong_endpoint' : 'unreachable',
      message: `${reply.message}: check rest_endpoint (the workspace's REST endpoint, e.g. https://rest.iad-01.braze.com) and the network.`,
    };
  }
  const stop = stopError({ status: reply.status, body: reply.body }, channel, host, path);
  if (stop) return { ok: false, problem: problemOf(reply.status, channel, stop.message), message: stop.message };
  if (reply.status === 429 || reply.status >= 500) {
    return { ok: false, problem: 'unavailable', message: `Braze at ${host} answered ${reply.status}; it is throttling or unavailable right now. Try again later.` };
  }
  if ((reply.status >= 200 && reply.status < 300) || reply.status === 400) {
    const what = channel === 'partner' ? 'partner credentials' : 'REST API key and its users.track permission';
    return { ok: true, message: `Braze at ${host} accepted the ${what} (nothing was written).` };
  }
  return { ok: false, problem: 'unexpected', message: `Braze at ${host} answered ${reply.status} to ${path}, which the connector does not expect.` };
}

function problemOf(status: number, channel: 'users.track' | 'partner', message: string): ProbeProblem {
  if (channel === 'partner' && (status === 401 || status === 403)) return 'partner_credentials';
  if (status === 401) return 'bad_key';
  if (status === 403) return /users\.track permission\. In Braze/.test(message) ? 'missing_permission' : 'forbidden';
  return 'wrong_endpoint';
}

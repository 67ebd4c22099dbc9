/**
 * What Braze's answers mean (reference/braze_rest_cohorts.md §1.6, §2): which ones stop the sync as a
 * config_error, and, for /users/track, which objects were rejected and why. Braze's own texts are carried
 * (cut short); they name problems and fields, not values, and never hold our credentials.
 */
import { ConnectorError, configError } from '../../../connector-kit/errors';
import type { Answer } from './request-sender';

const MAX_REASON_LENGTH = 300;

export function cut(text: string, max = MAX_REASON_LENGTH): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? oneLine.slice(0, max - 1) + '…' : oneLine;
}

/** Braze's `message`, or a short rendering of a non-JSON body. */
export function messageOf(body: unknown): string | undefined {
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  if (typeof body === 'string' && body.trim() !== '') return cut(body, 120);
  return undefined;
}

/** `HTTP 400 Bad Request: <errors>` — the status, Braze's message and its error texts. */
export function describeAnswer(answer: Answer): string {
  const message = messageOf(answer.body);
  const errors = (answer.body as { errors?: unknown } | null)?.errors;
  const details = Array.isArray(errors) ? errors.map((e) => (typeof e === 'string' ? e : typeof e === 'object' && e ? String((e as { type?: unknown }).type ?? '') : '')).filter(Boolean) : [];
  return cut(`HTTP ${answer.status}${message ? ` ${message}` : ''}${details.length ? `: ${details.join('; ')}` : ''}`);
}

export type Channel = 'users.track' | 'partner';

/**
 * 401/403 (credentials, permission, instance), 404 and redirects (a wrong endpoint) stop the sync: retrying
 * cannot help and every later request would fail the same way. Null for any other answer.
 */
export function stopError(answer: Answer, channel: Channel, host: string, path: string): ConnectorError | null {
  const { status } = answer;
  const said = messageOf(answer.body);
  const braze = `Braze answered ${status}${said ? ` "${cut(said, 120)}"` : ''}`;
  if (channel === 'partner' && (status === 401 || status === 403)) {
    return configError(`${braze} to the partner cohort API at ${host}: check partner_api_key, client_secret (the workspace's Data Import Key) and partner_name, and that the partner is enabled for this workspace.`);
  }
  if (status === 401) {
    return configError(`${braze} at ${host}: the REST API key is not valid there. Either the key is wrong (copy it again, without quotes) or it belongs to another Braze instance: rest_endpoint must be the instance of the workspace that issued the key (e.g. https://rest.iad-01.braze.com, https://rest.fra-01.braze.eu).`);
  }
  if (status === 403 && /access denied/i.test(said ?? '')) {
    return configError(`${braze}: the REST API key is valid but lacks the users.track permission. In Braze, Settings > APIs and Identifiers, give the key the users.track permission (or create one that has it).`);
  }
  if (status === 403) {
    return configError(`${braze}: Braze refused the request for this workspace (its account may be inactive or its plan may not allow this endpoint). The key may also lack the users.track permission.`);
  }
  if (status === 404 && channel === 'partner') {
    return configError(`${braze} for ${path} at ${host}: Braze has no partner cohort API there. Check partner_name (the partner's name Braze issued the partner key for) and rest_endpoint (without a path).`);
  }
  if (status === 404) {
    return configError(`${braze} for ${path} at ${host}: that is not a Braze REST endpoint. rest_endpoint must be the workspace's REST endpoint without a path, e.g. https://rest.iad-01.braze.com.`);
  }
  if (status >= 300 && status < 400) {
    return configError(`${braze} (a redirect) at ${host}: rest_endpoint must be the REST endpoint itself, with https:// and without a path.`);
  }
  return null;
}

export interface TrackVerdict {
  /** Set when nothing of the request was applied (400, other 4xx, or a non-"success" message): Braze's reason. */
  allRejected?: string;
  /** Minor errors: attribute object index → reason. The other objects were applied. */
  rejectedObjects: Map<number, string>;
  /** Minor errors Braze did not tie to an attribute object (logged; the objects count as written). */
  untied: string[];
}

/** Reads a /users/track answer that did not stop the sync. */
export function interpretTrackAnswer(answer: Answer, objectCount: number): TrackVerdict {
  const verdict: TrackVerdict = { rejectedObjects: new Map(), untied: [] };
  const message = messageOf(answer.body);
  if (answer.status < 200 || answer.status >= 300 || message !== 'success') {
    verdict.allRejected = `Braze rejected the request: ${describeAnswer(answer)}`;
    return verdict;
  }
  const errors = (answer.body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return verdict;
  for (const error of errors) {
    const e = (error && typeof error === 'object' ? error : {}) as { type?: unknown; input_array?: unknown; index?: unknown };
    const reason = cut(`Braze: ${typeof e.type === 'string' ? e.type : typeof error === 'string' ? error : 'minor error'}`);
    const tied = (e.input_array === undefined || e.input_array === 'attributes') && Number.isInteger(e.index) && (e.index as number) >= 0 && (e.index as number) < objectCount;
    if (tied) verdict.rejectedObjects.set(e.index as number, reason);
    else verdict.untied.push(reason);
  }
  return verdict;
}

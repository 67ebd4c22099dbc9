/**
 * Mixpanel's Query API as the source uses it: `cohorts/list` and `engage`, every call paced by the token bucket
 * and the concurrency limit, retried with back-off on 429, 5xx, network failures and unreadable answers
 * (HTML error pages, truncated JSON, 200 with "status": "error"). Refusals that retrying cannot fix become
 * errors that say what to change (credentials, project, region) or a QueryRejected (a 400 about the query).
 * Nothing from the request (headers, credentials) reaches an error or a log: only status, code and Mixpanel's
 * own error text.
 */
import { HttpClient } from '../../connector-kit/http-client';
import { ConnectorError, configError, transientError } from '../../connector-kit/errors';
import type { Logger } from '../../connector-kit/logger';
import { parseRetryAfter, retryDelayMs } from './backoff';
import type { Clock } from './clock';
import type { CohortSettings } from './config';
import { formatDuration } from './progress';
import { Semaphore } from './semaphore';
import { TokenBucket } from './token-bucket';

export interface RawCohort {
  id: number;
  name: string;
  description?: string | null;
  count?: number | null;
  is_visible?: number | boolean | null;
  created?: string | null;
  project_id?: number | null;
}

/** One member as Mixpanel sends it (checked: an id, and properties that are an object when present). */
export interface EngageMember { $distinct_id: string | number; $properties?: Record<string, unknown> }
export interface EngagePage { page: number; pageSize: number; sessionId: string; results: EngageMember[] }

/** Mixpanel answered 400 about the query itself (not the credentials): the caller decides what it means. */
export class QueryRejected extends Error {
  constructor(readonly mixpanelMessage: string) {
    super(`Mixpanel refused the query (400): ${mixpanelMessage}`);
    this.name = 'QueryRejected';
  }
}

/** A retryable outcome: why, and Mixpanel's Retry-After if it sent one. */
interface Retryable { retry: true; reason: string; retryAfterMs?: number; budget?: boolean }

export interface EngageRequest {
  cohortId: number;
  includeAllUsers: boolean;
  outputProperties: string[];
  sessionId?: string;
  page?: number;
}

export class QueryClient {
  readonly bucket: TokenBucket;
  private readonly slots: Semaphore;
  private readonly http: HttpClient;
  private readonly headers: Record<string, string>;
  /** Queries sent (every attempt counts against Mixpanel's budget). */
  queriesSent = 0;

  constructor(private readonly settings: CohortSettings, private readonly clock: Clock, private readonly log: Logger, userAgent: string) {
    this.bucket = new TokenBucket(settings.queriesPerHour, clock);
    this.slots = new Semaphore(settings.maxConcurrentQueries);
    this.http = new HttpClient({ endpoint: settings.baseUrl, timeoutMs: settings.requestTimeoutMs, maxSockets: settings.maxConcurrentQueries });
    this.headers = {
      Authorization: 'Basic ' + Buffer.from(`${settings.auth.username}:${settings.auth.password}`).toString('base64'),
      'User-Agent': userAgent,
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    };
  }

  /** POST /api/query/cohorts/list: every cohort of the project. */
  async listCohorts(what = 'the cohort list'): Promise<RawCohort[]> {
    const body = await this.query('cohorts/list', new URLSearchParams(), what);
    if (!Array.isArray(body) || body.some((c) => !isCohort(c))) throw new MalformedAnswer('the cohort list is not an array of cohorts with id and name');
    return body as RawCohort[];
  }

  /** POST /api/query/engage with filter_by_cohort: one page of a cohort's members. */
  async engage(request: EngageRequest, what: string): Promise<EngagePage> {
    const form = new URLSearchParams();
    form.set('filter_by_cohort', JSON.stringify({ id: request.cohortId }));
    form.set('include_all_users', String(request.includeAllUsers));
    form.set('output_properties', JSON.stringify(request.outputProperties));
    if (request.sessionId !== undefined) form.set('session_id', request.sessionId);
    if (request.page !== undefined && request.page > 0) form.set('page', String(request.page));
    return (await this.query('engage', form, what, parseEngagePage)) as EngagePage;
  }

  private async query(endpoint: string, form: URLSearchParams, what: string, parse: (body: unknown) => unknown = (b) => b): Promise<unknown> {
    const params: Record<string, string> = { project_id: this.settings.auth.projectId };
    if (this.settings.workspaceId) params.workspace_id = this.settings.workspaceId;
    const started = this.clock.now();
    for (let attempt = 1; ; attempt++) {
      await this.bucket.take();
      await this.slots.acquire();
      let outcome: unknown | Retryable;
      try {
        this.queriesSent++;
        outcome = await this.attempt(endpoint, form, params, parse);
      } finally {
        this.slots.release();
      }
      if (!isRetryable(outcome)) return outcome;
      const wait = retryDelayMs(attempt, outcome.retryAfterMs, { baseMs: this.settings.retryBaseMs, maxMs: this.settings.retryMaxMs });
      if (this.clock.now() + wait - started > this.settings.maxRetryMs) {
        throw transientError(
          `Mixpanel kept failing for ${what} (${outcome.reason}) for ${formatDuration(this.clock.now() - started)} over ${attempt} attempts; ` +
          'the sync stops here and the next sync resumes from the last state.',
        );
      }
      const budgetNote = outcome.budget ? ' (query budget of the project used up; it is shared with everything else that queries it)' : '';
      this.log.warn(`${what}: ${outcome.reason}${budgetNote}; retrying in ${formatDuration(wait)} (attempt ${attempt + 1}).`);
      await this.clock.sleep(wait);
    }
  }

  private async attempt(endpoint: string, form: URLSearchParams, params: Record<string, string>, parse: (body: unknown) => unknown): Promise<unknown | Retryable> {
    const reply = await this.http.post(`${this.settings.baseUrl}/api/query/${endpoint}?${new URLSearchParams(params)}`, form.toString(), this.headers);
    if (reply.kind === 'network') {
      // The shared client hands over only the code, never the axios error (it carries the Authorization header).
      const code = reply.code === 'UNKNOWN' ? 'network error' : reply.code;
      return { retry: true, reason: code === 'ECONNABORTED' || code === 'ETIMEDOUT' ? `no answer within ${formatDuration(this.settings.requestTimeoutMs)}` : `connection failed (${code})` } satisfies Retryable;
    }
    const { status, text } = reply;
    const contentType = String(reply.headers['content-type'] ?? '');
    const retryAfterMs = parseRetryAfter(reply.headers['retry-after'], this.clock.now());
    if (status === 429) return { retry: true, reason: `Mixpanel answered 429 (${mixpanelError(text) ?? 'rate limited'})`, retryAfterMs, budget: true } satisfies Retryable;
    if (status >= 500) return { retry: true, reason: `Mixpanel answered ${status}${/html/i.test(contentType) ? ' with an HTML error page' : ''}`, retryAfterMs } satisfies Retryable;
    if (status !== 200) throw refusal(status, mixpanelError(text) ?? `HTTP ${status}`, this.settings);
    if (/text\/html/i.test(contentType) || /^\s*</.test(text)) return { retry: true, reason: 'Mixpanel answered 200 with an HTML page instead of JSON' } satisfies Retryable;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { retry: true, reason: `Mixpanel's answer is not complete JSON (${text.length} bytes; truncated or malformed)` } satisfies Retryable;
    }
    if (body && typeof body === 'object' && !Array.isArray(body) && (body as { status?: unknown }).status === 'error') {
      return { retry: true, reason: `Mixpanel answered 200 with "status": "error" (${mixpanelError(text) ?? 'no message'})` } satisfies Retryable;
    }
    try {
      return parse(body);
    } catch (err) {
      if (err instanceof MalformedAnswer) return { retry: true, reason: `Mixpanel's answer has an unexpected shape: ${err.message}` } satisfies Retryable;
      throw err;
    }
  }
}

class MalformedAnswer extends Error {}

const isRetryable = (v: unknown): v is Retryable => typeof v === 'object' && v !== null && (v as Retryable).retry === true;

function isCohort(c: unknown): boolean {
  return typeof c === 'object' && c !== null && Number.isInteger((c as RawCohort).id) && typeof (c as RawCohort).name === 'string';
}

function parseEngagePage(body: unknown): EngagePage {
  const b = body as { page?: unknown; page_size?: unknown; session_id?: unknown; results?: unknown };
  if (!b || typeof b !== 'object' || !Array.isArray(b.results)) throw new MalformedAnswer('no results array');
  if (!Number.isInteger(b.page_size) || (b.page_size as number) <= 0) throw new MalformedAnswer('no page_size');
  if (typeof b.session_id !== 'string' || !b.session_id) throw new MalformedAnswer('no session_id');
  // Checked in place (no copy per member): Mixpanel's own objects are what memberRecords reads.
  const results = b.results as EngageMember[];
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    const id = r?.$distinct_id;
    if (typeof id !== 'string' && typeof id !== 'number') throw new MalformedAnswer(`result ${i} has no $distinct_id`);
    const props = r.$properties;
    if (props !== undefined && (props === null || typeof props !== 'object' || Array.isArray(props))) throw new MalformedAnswer(`result ${i} has $properties that are not an object`);
  }
  return { page: Number.isInteger(b.page) ? (b.page as number) : 0, pageSize: b.page_size as number, sessionId: b.session_id, results };
}

/** Mixpanel's error text from a JSON error body (cut to a readable length), if any. */
export function mixpanelError(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body?.error === 'string' && body.error.trim()) return body.error.trim().slice(0, 300);
  } catch {
    // not JSON
  }
  return undefined;
}

/** A refusal retrying cannot fix, as the error that says what to change. */
function refusal(status: number, message: string, settings: CohortSettings): Error {
  const project = settings.auth.projectId;
  const region = /residency|region|(eu|in)\.mixpanel\.com/i.test(message);
  if (region) {
    const home = /\b(EU|IN|US)\b/.exec(message)?.[1];
    return configError(
      `Wrong region (data residency): Mixpanel says "${message}". ` +
      (home ? `Set region to ${home}` : 'Set region to the project\'s data residency region') +
      (settings.hostOverridden ? ' (or point api_host at that region\'s host).' : ` (the connector used ${settings.region}).`),
    );
  }
  if (status === 401) {
    return configError(
      settings.auth.method === 'service_account'
        ? `Mixpanel refused the service account credentials (401: ${message}): check credentials.username and credentials.secret (Organization Settings → Service Accounts).`
        : `Mixpanel refused the API secret (401: ${message}): check credentials.api_secret (Project Settings → Overview), or use a service account.`,
    );
  }
  if (status === 403) {
    return configError(
      `The service account has no access to project ${project} (403: ${message}): check credentials.project_id, or give the account a role on that project (Organization Settings → Service Accounts).`,
    );
  }
  if (status === 400 && /project/i.test(message) && !/cohort|session/i.test(message)) {
    return configError(`Wrong project id: Mixpanel says "${message}". Check credentials.project_id (${project}).`);
  }
  if (status === 404) return configError(`${settings.baseUrl} does not serve Mixpanel's Query API (404 for /api/query/…): check api_host.`);
  if (status === 400) return new QueryRejected(message);
  return new ConnectorError(`Mixpanel answered ${status}: ${message}`, 'system_error');
}

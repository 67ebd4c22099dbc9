/**
 * The local Mixpanel Query API: `POST /api/query/cohorts/list` and `POST /api/query/engage` (cohort members),
 * as ../shared/reference/mixpanel.md §3 and the official query.openapi.yaml describe them. It is mounted on the
 * same HTTP server as the /import receiver by `server.ts` (one local Mixpanel-compatible server); this module
 * only handles requests and holds the data.
 *
 * Seeding (tests, demo, bench), all in memory:
 *   const server = await startMixpanelServer({ query: { queriesPerHour: Infinity } });
 *   server.query.setProfiles([{ distinct_id: 'u1', properties: { $braze_external_id: 'b1', $email: '…' } }]);
 *   server.query.defineCohort({ id: 7, name: 'Churn risk', description: '…', is_visible: 1, members: ['u1', 'u2'] });
 *   server.query.defineSyntheticCohort({ id: 8, name: 'Everyone', size: 1_000_000, profileAt: (i) => ({…}) });
 *   server.query.deleteCohort(7); server.query.expireSessions(); server.query.injectFaults([{ type: 'status', status: 503 }]);
 * Members listed in `members` without a profile (setProfiles) are returned only with `include_all_users=true`,
 * like Mixpanel. Synthetic cohorts generate their members page by page, so a million members cost no memory.
 *
 * What it models (facts first, our own choices where Mixpanel's behaviour is unverified, marked *):
 * - auth: HTTP Basic, a service account (`username:secret`, `project_id` required) or a project's API secret
 *   (`secret:`); 401 for unknown credentials; 403 for a service account without a role on the project*; 400 for an
 *   API secret used with another project's id*; 400 for a project whose data lives in another region than the
 *   one this server impersonates (`region`, default US)*.
 * - paging: page 0 creates a session (a frozen member list); pages > 0 need its `session_id`; `page_size` 1000;
 *   a page past the end is empty. `expireSessions()` makes every session unknown (400*).
 * - budget per project: `queriesPerHour` (default 60) over a sliding hour and `maxConcurrent` (5) in flight, on
 *   the clock `now` (tests control it); beyond either → 429 with Mixpanel's observed text, no Retry-After
 *   (unless `budgetRetryAfter`), and the refused query does not count.
 * - faults on demand for the next matching requests: status (5xx/429 ± Retry-After), an HTML error page, a
 *   truncated body, a dropped connection, 200 with `"status":"error"`, a 400 about the query, a cohort deleted
 *   or sessions expired just before the request, a delay.
 */
import * as http from 'http';
import { randomBytes } from 'crypto';
import { parseBasic, readBody } from '../http-helpers';

export type Region = 'US' | 'EU' | 'IN';
export const REGION_HOSTS: Record<Region, string> = { US: 'mixpanel.com', EU: 'eu.mixpanel.com', IN: 'in.mixpanel.com' };

export interface QueryProject { id: string; region?: Region; apiSecret?: string }
export interface QueryServiceAccount { username: string; secret: string; projects: string[] }

export interface Profile { distinct_id: string | number; properties?: Record<string, unknown> }

export interface CohortDefinition {
  id: number;
  name: string;
  description?: string;
  is_visible?: 0 | 1 | boolean;
  created?: string;
  projectId?: string;
  /** Distinct ids; their properties come from setProfiles (no profile = only with include_all_users=true). */
  members: Array<string | number>;
}

export interface SyntheticCohortDefinition extends Omit<CohortDefinition, 'members'> {
  size: number;
  /** The i-th member (0-based); called lazily while pages are built. */
  profileAt(i: number): Profile;
}

export interface QueryApiOptions {
  projects?: QueryProject[];
  serviceAccounts?: QueryServiceAccount[];
  /** Which Mixpanel region's host this server answers as. Default US. */
  region?: Region;
  /** Per project, over a sliding hour. Default 60 (Mixpanel's limit); Infinity lifts it. */
  queriesPerHour?: number;
  /** Per project. Default 5. */
  maxConcurrent?: number;
  pageSize?: number;
  /** Send Retry-After (seconds until a slot frees) with budget 429s. Default false, like Mixpanel. */
  budgetRetryAfter?: boolean;
  /** The budget's clock (ms). Default Date.now. */
  now?: () => number;
  /** Keep every response body in requests() (for OpenAPI checks). Default false. */
  recordBodies?: boolean;
}

export type QueryEndpoint = 'cohorts/list' | 'engage';

/** Applies to the next request matching `endpoint` (and `page` for engage), `times` times. */
export type QueryFault = { times?: number; endpoint?: QueryEndpoint; page?: number } & (
  | { type: 'status'; status: number; retryAfter?: number | string; body?: unknown }
  | { type: 'html'; status?: number }
  | { type: 'truncated' }
  | { type: 'reset' }
  | { type: 'status_error'; message?: string }
  | { type: 'query_error'; message?: string }
  | { type: 'delete_cohort'; cohortId: number }
  | { type: 'expire_sessions' }
  | { type: 'delay'; ms: number }
);

export interface QueryRequestRecord {
  seq: number;
  method: string;
  path: string;
  endpoint?: QueryEndpoint;
  query: Record<string, string>;
  /** The form body, field by field, as sent (strings). */
  form: Record<string, string>;
  contentType?: string;
  userAgent?: string;
  authKind: 'service_account' | 'api_secret' | null;
  status: number;
  fault?: QueryFault['type'];
  /** Present with `recordBodies`. */
  body?: string;
  at: number;
}

export const DEFAULT_QUERY_PROJECTS: QueryProject[] = [{ id: '1', region: 'US', apiSecret: 'local-api-secret' }];
export const DEFAULT_QUERY_SERVICE_ACCOUNTS: QueryServiceAccount[] = [{ username: 'local-service-account', secret: 'local-service-secret', projects: ['1'] }];

const HOUR_MS = 3_600_000;

interface MemberSource { size: number; at(i: number): { id: string | number; properties?: Record<string, unknown> } }
interface StoredCohort { def: Omit<CohortDefinition, 'members'>; project: string; explicit?: Array<string | number>; synthetic?: SyntheticCohortDefinition }
interface Session { id: string; project: string; cohortId: number; members: MemberSource; createdAt: number }

class RequestProblem extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export class QueryApi {
  private readonly projects = new Map<string, QueryProject>();
  private readonly accounts: QueryServiceAccount[];
  private readonly cohorts = new Map<number, StoredCohort>();
  private readonly profiles = new Map<string, Map<string, Record<string, unknown>>>();
  private readonly sessions = new Map<string, Session>();
  private readonly started = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();
  private faults: QueryFault[] = [];
  private log: QueryRequestRecord[] = [];
  region: Region;
  queriesPerHour: number;
  readonly maxConcurrent: number;
  readonly pageSize: number;
  private readonly now: () => number;

  constructor(private readonly opts: QueryApiOptions = {}) {
    for (const p of opts.projects ?? DEFAULT_QUERY_PROJECTS) this.projects.set(p.id, { region: 'US', ...p });
    this.accounts = opts.serviceAccounts ?? DEFAULT_QUERY_SERVICE_ACCOUNTS;
    this.region = opts.region ?? 'US';
    this.queriesPerHour = opts.queriesPerHour ?? 60;
    this.maxConcurrent = opts.maxConcurrent ?? 5;
    this.pageSize = opts.pageSize ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  // ---- seeding -------------------------------------------------------------------------------------------
  setProfiles(profiles: Profile[], projectId = '1'): void {
    const map = this.profiles.get(projectId) ?? new Map<string, Record<string, unknown>>();
    for (const p of profiles) map.set(String(p.distinct_id), p.properties ?? {});
    this.profiles.set(projectId, map);
  }

  defineCohort(def: CohortDefinition): void {
    const { members, ...rest } = def;
    this.cohorts.set(def.id, { def: rest, project: def.projectId ?? '1', explicit: [...members] });
  }

  defineSyntheticCohort(def: SyntheticCohortDefinition): void {
    this.cohorts.set(def.id, { def, project: def.projectId ?? '1', synthetic: def });
  }

  deleteCohort(id: number): void {
    this.cohorts.delete(id);
    for (const [sid, s] of this.sessions) if (s.cohortId === id) this.sessions.delete(sid);
  }

  /** Makes every paging session unknown, as if Mixpanel had forgotten them. */
  expireSessions(): void { this.sessions.clear(); }

  injectFaults(faults: QueryFault[]): void {
    for (const f of faults) for (let i = 0; i < (f.times ?? 1); i++) this.faults.push({ ...f, times: 1 });
  }

  pendingFaults(): number { return this.faults.length; }
  requests(): QueryRequestRecord[] { return [...this.log]; }
  /** Queries that counted against a project's budget (answered, not refused). */
  queriesCounted(projectId = '1'): number { return this.started.get(projectId)?.length ?? 0; }
  peakConcurrent = 0;

  // ---- HTTP ----------------------------------------------------------------------------------------------
  /** Request handler for everything under /api/query/. */
  readonly handle = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    const { body } = await readBody(req, 1024 * 1024);
    const form = Object.fromEntries(new URLSearchParams(body.toString('utf8')).entries());
    const endpoint = url.pathname === '/api/query/cohorts/list' ? 'cohorts/list' : url.pathname === '/api/query/engage' ? 'engage' : undefined;
    const record: QueryRequestRecord = {
      seq: this.log.length + 1, method: req.method ?? '', path: url.pathname, endpoint, query: Object.fromEntries(url.searchParams.entries()),
      form, contentType: req.headers['content-type'], userAgent: req.headers['user-agent'], authKind: null, status: 0, at: this.now(),
    };
    this.log.push(record);
    const answer = (status: number, text: string, contentType = 'application/json', headers: Record<string, string> = {}) => {
      record.status = status;
      if (this.opts.recordBodies) record.body = text;
      res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    const fail = (status: number, message: string, headers: Record<string, string> = {}) =>
      answer(status, JSON.stringify({ error: message, status: 'error' }), 'application/json', headers);

    if (!endpoint) return fail(404, `no such endpoint ${url.pathname}; this server implements /api/query/cohorts/list and /api/query/engage`);
    if (req.method !== 'POST') return fail(405, `${url.pathname} accepts POST`);

    const page = form.page === undefined ? 0 : Number(form.page);
    const fault = this.takeFault(endpoint, page);
    if (fault) record.fault = fault.type;
    if (fault?.type === 'delete_cohort') this.deleteCohort(fault.cohortId);
    if (fault?.type === 'expire_sessions') this.expireSessions();
    if (fault?.type === 'reset') { record.status = -1; req.socket.destroy(); return; }
    if (fault?.type === 'status') {
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
      return answer(fault.status, JSON.stringify(fault.body ?? { error: `injected ${fault.status}`, status: 'error' }), 'application/json', headers);
    }
    if (fault?.type === 'html') {
      const status = fault.status ?? 502;
      return answer(status, `<html><head><title>${status} Bad Gateway</title></head><body><h1>${status} Bad Gateway</h1></body></html>`, 'text/html');
    }

    let project: string;
    try {
      project = this.authenticate(req.headers.authorization, record);
    } catch (err) {
      if (err instanceof RequestProblem) return fail(err.status, err.message);
      throw err;
    }
    const refusal = this.admit(project);
    if (refusal) {
      const headers: Record<string, string> = this.opts.budgetRetryAfter && refusal.retryAfterS ? { 'Retry-After': String(refusal.retryAfterS) } : {};
      return fail(429, refusal.message, headers);
    }
    this.inFlight.set(project, (this.inFlight.get(project) ?? 0) + 1);
    this.peakConcurrent = Math.max(this.peakConcurrent, this.inFlight.get(project)!);
    // Hold the slot until the answer is out, so concurrency is what the client really has in flight.
    res.once('close', () => this.inFlight.set(project, (this.inFlight.get(project) ?? 1) - 1));
    // A slow query: it holds its concurrency slot while it runs, as on Mixpanel.
    if (fault?.type === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.type === 'status_error') return answer(200, JSON.stringify({ status: 'error', error: fault.message ?? 'Internal error while running the query, please retry' }));
    if (fault?.type === 'query_error') return fail(400, fault.message ?? 'Invalid query: unable to compute the cohort (injected)');
    try {
      const text = endpoint === 'cohorts/list' ? this.listCohorts(project) : this.engage(project, form);
      if (fault?.type === 'truncated') return answer(200, text.slice(0, Math.max(1, Math.floor(text.length / 2))));
      return answer(200, text);
    } catch (err) {
      if (err instanceof RequestProblem) return fail(err.status, err.message);
      throw err;
    }
  };

  private takeFault(endpoint: QueryEndpoint, page: number): QueryFault | undefined {
    const i = this.faults.findIndex((f) => (!f.endpoint || f.endpoint === endpoint) && (f.page === undefined || (endpoint === 'engage' && f.page === page)));
    return i < 0 ? undefined : this.faults.splice(i, 1)[0];
  }

  private authenticate(header: string | undefined, record: QueryRequestRecord): string {
    const basic = parseBasic(header);
    if (!basic?.user) throw new RequestProblem(401, 'Unable to authenticate request: use HTTP Basic with a service account or the project secret');
    const projectId = record.query.project_id;
    const account = this.accounts.find((a) => a.username === basic.user && a.secret === basic.pass);
    if (account) {
      record.authKind = 'service_account';
      if (!projectId) throw new RequestProblem(400, 'project_id is required when authenticating with a service account');
      if (!this.projects.has(projectId) || !account.projects.includes(projectId)) {
        throw new RequestProblem(403, `Permission denied: this service account has no access to project ${projectId}`);
      }
      this.checkRegion(projectId);
      return projectId;
    }
    const owner = basic.pass === '' ? [...this.projects.values()].find((p) => p.apiSecret === basic.user) : undefined;
    if (!owner) throw new RequestProblem(401, 'Invalid credentials');
    record.authKind = 'api_secret';
    if (projectId !== undefined && projectId !== owner.id) throw new RequestProblem(400, `project_id ${projectId} does not match the project of this API secret`);
    this.checkRegion(owner.id);
    return owner.id;
  }

  private checkRegion(projectId: string): void {
    const home = this.projects.get(projectId)!.region ?? 'US';
    if (home !== this.region) {
      throw new RequestProblem(400, `Project ${projectId} has data residency in ${home}; send its API requests to ${REGION_HOSTS[home]} instead of ${REGION_HOSTS[this.region]}`);
    }
  }

  /** Mixpanel's query budget: refuses (without counting) beyond the hourly or concurrent limit. */
  private admit(project: string): { message: string; retryAfterS?: number } | undefined {
    const now = this.now();
    const starts = (this.started.get(project) ?? []).filter((t) => t > now - HOUR_MS);
    this.started.set(project, starts);
    const running = this.inFlight.get(project) ?? 0;
    const limit = this.queriesPerHour;
    const text = `Query rate limit exceeded for project_id ${project}: ${running}/${this.maxConcurrent} queries running concurrently and ${starts.length}/${limit} queries running in the last hour`;
    if (running >= this.maxConcurrent) return { message: text, retryAfterS: 1 };
    if (starts.length >= limit) return { message: text, retryAfterS: Math.max(1, Math.ceil((starts[0] + HOUR_MS - now) / 1000)) };
    starts.push(now);
    return undefined;
  }

  private listCohorts(project: string): string {
    const list = [...this.cohorts.values()].filter((c) => c.project === project).map(({ def }) => ({
      count: this.sizeOf(def.id, false),
      is_visible: def.is_visible === undefined ? 1 : Number(def.is_visible),
      description: def.description ?? '',
      created: def.created ?? '2026-01-01 00:00:00',
      project_id: Number(project),
      id: def.id,
      name: def.name,
    }));
    return JSON.stringify(list);
  }

  private sizeOf(cohortId: number, includeAll: boolean): number {
    const c = this.cohorts.get(cohortId)!;
    if (c.synthetic) return c.synthetic.size;
    const profiles = this.profiles.get(c.project);
    return includeAll ? c.explicit!.length : c.explicit!.filter((id) => profiles?.has(String(id))).length;
  }

  private engage(project: string, form: Record<string, string>): string {
    if (form.behaviors !== undefined && form.filter_by_cohort !== undefined) throw new RequestProblem(400, 'behaviors and filter_by_cohort are mutually exclusive');
    if (form.filter_by_cohort === undefined) throw new RequestProblem(400, 'this local server answers cohort exports only: filter_by_cohort is required');
    const cohortId = parseJson<{ id?: unknown }>(form.filter_by_cohort, 'filter_by_cohort')?.id;
    if (typeof cohortId !== 'number' || !Number.isInteger(cohortId)) throw new RequestProblem(400, 'filter_by_cohort must be a JSON object {"id": <cohort id>}');
    const output = form.output_properties === undefined ? undefined : parseJson<unknown>(form.output_properties, 'output_properties');
    if (output !== undefined && (!Array.isArray(output) || output.some((p) => typeof p !== 'string'))) throw new RequestProblem(400, 'output_properties must be a JSON array of property names');
    const includeAll = form.include_all_users === undefined ? true : form.include_all_users === 'true';
    if (form.include_all_users !== undefined && !['true', 'false'].includes(form.include_all_users)) throw new RequestProblem(400, 'include_all_users must be true or false');
    const page = form.page === undefined ? 0 : Number(form.page);
    if (!Number.isInteger(page) || page < 0) throw new RequestProblem(400, 'page must be a non-negative integer');
    const cohort = this.cohorts.get(cohortId);
    if (!cohort || cohort.project !== project) throw new RequestProblem(400, `cohort ${cohortId} not found in project ${project}`);

    let session: Session | undefined;
    if (form.session_id !== undefined) {
      session = this.sessions.get(form.session_id);
      if (!session || session.project !== project) throw new RequestProblem(400, `session_id ${form.session_id} is invalid or has expired: repeat the query without session_id and page`);
      if (session.cohortId !== cohortId) throw new RequestProblem(400, 'session_id belongs to a different query');
    } else if (page > 0) {
      throw new RequestProblem(400, 'a page above 0 requires the session_id of the first page');
    }
    if (!session) {
      session = { id: `${Math.floor(this.now() / 1000)}-${randomBytes(6).toString('hex').toUpperCase()}`, project, cohortId, members: this.snapshot(cohort, includeAll), createdAt: this.now() };
      this.sessions.set(session.id, session);
    }
    return this.pageBody(session, page, output as string[] | undefined);
  }

  /** The member list a session pages through, frozen when the session starts. */
  private snapshot(cohort: StoredCohort, includeAll: boolean): MemberSource {
    if (cohort.synthetic) {
      const s = cohort.synthetic;
      return { size: s.size, at: (i) => { const p = s.profileAt(i); return { id: p.distinct_id, properties: p.properties ?? {} }; } };
    }
    const profiles = this.profiles.get(cohort.project) ?? new Map<string, Record<string, unknown>>();
    const members = cohort.explicit!
      .map((id) => ({ id, properties: profiles.get(String(id)) }))
      .filter((m) => includeAll || m.properties !== undefined);
    return { size: members.length, at: (i) => members[i] };
  }

  /** Builds the page as text directly (no intermediate objects), so big cohorts page fast. */
  private pageBody(session: Session, page: number, output: string[] | undefined): string {
    const from = Math.min(page * this.pageSize, session.members.size);
    const to = Math.min(from + this.pageSize, session.members.size);
    const parts: string[] = [];
    const keys = output?.map((k) => [k, `${JSON.stringify(k)}:`] as const);
    for (let i = from; i < to; i++) {
      const m = session.members.at(i);
      parts.push(`{"$distinct_id":${JSON.stringify(m.id)},"$properties":${keys ? pickJson(m.properties ?? {}, keys) : JSON.stringify(m.properties ?? {})}}`);
    }
    return `{"page":${page},"page_size":${this.pageSize},"session_id":${JSON.stringify(session.id)},"status":"ok","total":${to - from},"results":[${parts.join(',')}]}`;
  }
}

/** The JSON of `properties` limited to `keys` (each with its key already as JSON), without building an object. */
function pickJson(properties: Record<string, unknown>, keys: ReadonlyArray<readonly [string, string]>): string {
  let json = '';
  for (const [key, keyJson] of keys) {
    const value = properties[key];
    if (value === undefined) continue;
    json += (json ? ',' : '') + keyJson + JSON.stringify(value);
  }
  return `{${json}}`;
}

function parseJson<T>(text: string, field: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new RequestProblem(400, `${field} is not valid JSON`);
  }
}

/**
 * A local Braze-compatible REST server, for the demo and the tests (not a mock: it enforces what Braze
 * enforces, see README.md). It composes one module per API: `/users/track` (users-track-api.ts), the partner
 * cohort import (partner-cohorts-api.ts), keys and permissions (api-keys.ts), the request budget
 * (rate-limit.ts), scripted faults (faults.ts) and the users it keeps (user-store.ts).
 *
 * Run by hand: `node dist/local-services/braze/server.js --port 18090 --api-key K --users u1,u2 …` (see --help).
 */
import * as fs from 'fs';
import * as http from 'http';
import { closeServer, listenOn, readBody, sendJson } from '../http-helpers';
import { ApiKeys, ApiKeySpec } from './api-keys';
import { Fault, FaultQueue, faultBody } from './faults';
import { MAX_IDS_PER_REQUEST, PartnerCohorts, PartnerSpec, CohortInfo } from './partner-cohorts-api';
import { RateLimiter } from './rate-limit';
import { ForcedMinorErrors, handleUsersTrack, MAX_OBJECTS_PER_ARRAY } from './users-track-api';
import { AttributeValue, UserStore } from './user-store';

export type { ApiKeySpec, Fault, PartnerSpec, CohortInfo, AttributeValue };
export { MAX_IDS_PER_REQUEST, MAX_OBJECTS_PER_ARRAY };

export interface LocalBrazeOptions {
  /** 0 or absent = a free port. */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** REST API keys. Absent = DEFAULT_API_KEY with `users.track`. */
  apiKeys?: ApiKeySpec[];
  /** External ids of users that exist before the first request. */
  users?: Iterable<string>;
  /** Initial attribute values per external id (the user is created if not in `users`). */
  attributes?: Record<string, Record<string, AttributeValue>>;
  /** Every external id counts as existing (benchmarks: nothing to seed). */
  anyExternalIdExists?: boolean;
  /** Benchmarks: every external id exists, writes are checked and counted but no user is kept (flat memory). */
  countOnly?: boolean;
  /** Values kept per array attribute, 25–500 (default 500), and per-attribute overrides. */
  arrayMaxLength?: number;
  arrayMaxLengthByAttribute?: Record<string, number>;
  /** Partner cohort import credentials. Absent = DEFAULT_PARTNER. */
  partners?: PartnerSpec[];
  /** Workspace budget for /users/track. Default Braze's 3 000 requests per 3 s. */
  rateLimit?: { limit: number; windowMs: number };
  /** Budget of the partner endpoints. Default Braze's 250 000 requests per hour. */
  partnerRateLimit?: { limit: number; windowMs: number };
  /** Clock of the rate limits (tests move it). Default Date.now. */
  now?: () => number;
  /** Keep each request's decoded body in requests() (default true; off for long runs). */
  recordBodies?: boolean;
  /** One line per request on stderr (the CLI turns it on). */
  logRequests?: boolean;
}

export interface RequestRecord {
  seq: number;
  method: string;
  path: string;
  /** Request headers without Authorization / Proxy-Authorization. */
  headers: Record<string, string | string[] | undefined>;
  /** The decoded JSON body (partner_api_key and client_secret masked); undefined if not JSON or not recorded. */
  body?: unknown;
  /** 0 when the connection was reset (no answer). */
  status: number;
  /** The answer's body; undefined for a reset. */
  response?: unknown;
  fault?: Fault['type'];
  receivedAt: number;
  answeredAt?: number;
}

export interface LocalBrazeStats {
  requests: number;
  rateLimited: number;
  attributeObjectsReceived: number;
  attributeObjectsApplied: number;
  /** Objects for users who do not exist, skipped under `_update_existing_only: true`. */
  attributeObjectsIgnored: number;
  /** Attribute updates written (Braze bills one data point each). */
  dataPoints: number;
  usersCreated: number;
  cohortIdsApplied: number;
  cohortIdsIgnored: number;
}

export interface LocalBraze {
  url: string;
  port: number;
  users: UserStore;
  cohorts: PartnerCohorts;
  /** Adds existing users, with optional initial attributes. */
  seedUsers(externalIds: Iterable<string>, attributes?: Record<string, AttributeValue>): void;
  addApiKeys(keys: ApiKeySpec[]): void;
  addPartners(partners: PartnerSpec[]): void;
  /** Changes the /users/track budget (and optionally the clock); the window starts over. */
  setRateLimit(limit: number, windowMs: number, now?: () => number): void;
  injectFaults(faults: Fault[]): void;
  pendingFaults(): number;
  requests(): RequestRecord[];
  stats(): LocalBrazeStats;
  /** Forgets requests, counters and pending faults (users and cohorts stay). */
  resetLog(): void;
  close(): Promise<void>;
}

/** Credentials accepted when none are configured (local, not secret; the demo uses them). */
export const DEFAULT_API_KEY = 'local-braze-rest-api-key';
export const DEFAULT_PARTNER: PartnerSpec = { partnerName: 'mixpanel', partnerApiKey: 'local-partner-api-key', clientSecret: 'local-data-import-key' };
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const SECRET_BODY_FIELDS = ['partner_api_key', 'client_secret', 'api_key'];

function maskSecrets(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const copy = { ...(body as Record<string, unknown>) };
  for (const field of SECRET_BODY_FIELDS) if (copy[field] !== undefined) copy[field] = '**********';
  return copy;
}

function tryParse(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Server implements LocalBraze {
  url = '';
  port = 0;
  readonly users: UserStore;
  readonly cohorts: PartnerCohorts;
  private readonly server: http.Server;
  private readonly keys: ApiKeys;
  private readonly faults = new FaultQueue();
  private readonly trackLimit: RateLimiter;
  private readonly partnerLimit: RateLimiter;
  private log: RequestRecord[] = [];
  private counters: LocalBrazeStats = Server.zeroStats();

  constructor(private readonly opts: LocalBrazeOptions) {
    this.users = new UserStore(opts);
    if (opts.users) this.users.seed(opts.users);
    for (const [id, attributes] of Object.entries(opts.attributes ?? {})) this.users.seed([id], attributes);
    this.keys = new ApiKeys(opts.apiKeys ?? [{ key: DEFAULT_API_KEY, permissions: ['users.track'] }]);
    this.cohorts = new PartnerCohorts(this.users, opts.partners ?? [DEFAULT_PARTNER]);
    this.trackLimit = new RateLimiter({ ...(opts.rateLimit ?? { limit: 3000, windowMs: 3000 }), now: opts.now });
    this.partnerLimit = new RateLimiter({ ...(opts.partnerRateLimit ?? { limit: 250_000, windowMs: 3_600_000 }), now: opts.now });
    this.server = http.createServer((req, res) => {
      this.route(req, res).catch((err) => {
        if (!res.headersSent && !res.destroyed) sendJson(res, 500, { message: `local Braze server error: ${(err as Error).message}` });
      });
    });
    this.server.keepAliveTimeout = 30_000;
  }

  private static zeroStats(): LocalBrazeStats {
    return {
      requests: 0, rateLimited: 0, attributeObjectsReceived: 0, attributeObjectsApplied: 0, attributeObjectsIgnored: 0,
      dataPoints: 0, usersCreated: 0, cohortIdsApplied: 0, cohortIdsIgnored: 0,
    };
  }

  async listen(): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1';
    this.port = await listenOn(this.server, this.opts.port, host);
    this.url = `http://${host}:${this.port}`;
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://braze').pathname;
    if (req.method === 'GET' && path.startsWith('/_local/')) {
      req.resume();
      return this.inspect(path, res);
    }
    const partner = PartnerCohorts.route(path);
    if (path !== '/users/track' && !partner) {
      req.resume();
      return sendJson(res, 404, { message: `Not Found: ${path} is not an endpoint of this server (POST /users/track, /partners/<name>/cohorts[/users])` }, this.trackLimit.peek());
    }
    if (req.method !== 'POST') {
      req.resume();
      return sendJson(res, 405, { message: `${path} accepts POST only` }, { ...this.trackLimit.peek(), Allow: 'POST' });
    }
    const { body: raw } = await readBody(req, MAX_BODY_BYTES);
    const headers = { ...req.headers };
    delete headers.authorization;
    delete headers['proxy-authorization'];
    const record: RequestRecord = {
      seq: this.log.length + 1, method: req.method, path, headers, status: 0, receivedAt: Date.now(),
      body: this.opts.recordBodies === false ? undefined : maskSecrets(tryParse(raw)),
    };
    this.log.push(record);
    this.counters.requests++;
    const limiter = partner ? this.partnerLimit : this.trackLimit;
    const answer = (status: number, body: Record<string, unknown>, extra: Record<string, string> = {}) => {
      record.status = status;
      record.response = body;
      record.answeredAt = Date.now();
      if (this.opts.logRequests) process.stderr.write(`local-braze: ${req.method} ${path} → ${status}${record.fault ? ` (fault ${record.fault})` : ''}\n`);
      if (!res.destroyed) sendJson(res, status, body, { ...limiter.peek(), ...extra });
    };

    let forced: ForcedMinorErrors | undefined;
    let apply = true;
    const fault = this.faults.next();
    if (fault) {
      record.fault = fault.type;
      switch (fault.type) {
        case 'reset':
          record.answeredAt = Date.now();
          req.socket.destroy();
          return;
        case 'status':
          return answer(fault.status, (fault.body as Record<string, unknown>) ?? faultBody(fault.status), fault.headers);
        case 'fatal':
          return answer(fault.status ?? 201, { message: fault.message ?? 'Internal processing failure (injected fatal error)', errors: ['nothing was processed'] });
        case 'minor':
          forced = { indexes: fault.indexes, message: fault.message };
          break;
        case 'delay':
          await sleep(fault.ms);
          apply = fault.process !== false;
          break;
      }
    }
    const decision = limiter.take();
    if (!decision.allowed) {
      this.counters.rateLimited++;
      return answer(429, { message: 'Rate Limited' }, decision.headers);
    }
    if (!apply) return answer(201, { message: 'success' }, decision.headers);
    if (partner) {
      const outcome = this.cohorts.handle(partner.partnerName, partner.action, raw);
      this.counters.cohortIdsApplied += outcome.idsApplied;
      this.counters.cohortIdsIgnored += outcome.idsIgnored;
      return answer(outcome.status, outcome.body, decision.headers);
    }
    const auth = this.keys.authorize(req.headers.authorization, 'users.track');
    if (!auth.ok) return answer(auth.status, { message: auth.message }, decision.headers);
    const createdBefore = this.users.createdCount;
    const outcome = handleUsersTrack(this.users, raw, req.headers['content-type'], forced);
    this.counters.attributeObjectsReceived += outcome.objectsReceived;
    this.counters.attributeObjectsApplied += outcome.objectsApplied;
    this.counters.attributeObjectsIgnored += outcome.objectsIgnored;
    this.counters.dataPoints += outcome.dataPoints;
    this.counters.usersCreated += this.users.createdCount - createdBefore;
    return answer(outcome.status, outcome.body, decision.headers);
  }

  /** Read-only views for the demo and for manual runs: stats, one user, the cohorts. */
  private inspect(path: string, res: http.ServerResponse): void {
    if (path === '/_local/stats') return sendJson(res, 200, { ...this.stats(), users: this.users.externalIds().length });
    if (path === '/_local/cohorts') return sendJson(res, 200, this.cohorts.list());
    const user = /^\/_local\/users\/(.+)$/.exec(path);
    if (user) {
      const attributes = this.users.get(decodeURIComponent(user[1]));
      return attributes ? sendJson(res, 200, attributes) : sendJson(res, 404, { message: 'no such user' });
    }
    sendJson(res, 404, { message: 'inspection endpoints: /_local/stats, /_local/cohorts, /_local/users/<external_id>' });
  }

  seedUsers(externalIds: Iterable<string>, attributes?: Record<string, AttributeValue>): void {
    this.users.seed(externalIds, attributes);
  }

  addApiKeys(keys: ApiKeySpec[]): void {
    this.keys.add(keys);
  }

  addPartners(partners: PartnerSpec[]): void {
    this.cohorts.addPartners(partners);
  }

  setRateLimit(limit: number, windowMs: number, now?: () => number): void {
    this.trackLimit.configure(limit, windowMs, now);
  }

  injectFaults(faults: Fault[]): void {
    this.faults.add(faults);
  }

  pendingFaults(): number {
    return this.faults.pending;
  }

  requests(): RequestRecord[] {
    return [...this.log];
  }

  stats(): LocalBrazeStats {
    return { ...this.counters };
  }

  resetLog(): void {
    this.log = [];
    this.counters = Server.zeroStats();
    this.faults.clear();
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}

/** Starts a local Braze-compatible server on loopback (a free port unless `port` is given). */
export async function startLocalBraze(options: LocalBrazeOptions = {}): Promise<LocalBraze> {
  const server = new Server(options);
  await server.listen();
  return server;
}

// ---------------------------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------------------------

const USAGE = `usage: node dist/local-services/braze/server.js [options]
  --port N                     port (default 0: a free one; the URL is printed on stdout)
  --api-key K                  accepted REST API key (repeatable; default ${DEFAULT_API_KEY})
  --permissions P,Q            permissions of the keys given (default users.track)
  --users a,b,c                existing users (external ids)
  --users-file F               existing users, one external id per line
  --any-user-exists            every external id counts as an existing user
  --count-only                 benchmarks: check and count writes, keep no users
  --array-max-length N         values kept per array attribute, 25–500 (default 500)
  --partner-name N --partner-api-key K --client-secret S   partner cohort import credentials
  --rate-limit N --rate-window-ms M                         /users/track budget (default 3000 per 3000 ms)
  --quiet                      no line per request on stderr`;

function parseArgs(argv: string[]): LocalBrazeOptions {
  const opts: LocalBrazeOptions = { logRequests: true };
  const keys: string[] = [];
  let permissions = ['users.track'];
  const users: string[] = [];
  const partner: Partial<PartnerSpec> = {};
  let rate: { limit?: number; windowMs?: number } | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    switch (arg) {
      case '--port': opts.port = Number(value()); break;
      case '--api-key': keys.push(value()); break;
      case '--permissions': permissions = value().split(',').filter(Boolean); break;
      case '--users': users.push(...value().split(',').filter(Boolean)); break;
      case '--users-file': users.push(...fs.readFileSync(value(), 'utf8').split(/\r?\n/).filter(Boolean)); break;
      case '--any-user-exists': opts.anyExternalIdExists = true; break;
      case '--count-only': opts.countOnly = true; break;
      case '--array-max-length': opts.arrayMaxLength = Number(value()); break;
      case '--partner-name': partner.partnerName = value(); break;
      case '--partner-api-key': partner.partnerApiKey = value(); break;
      case '--client-secret': partner.clientSecret = value(); break;
      case '--rate-limit': rate = { ...rate, limit: Number(value()) }; break;
      case '--rate-window-ms': rate = { ...rate, windowMs: Number(value()) }; break;
      case '--quiet': opts.logRequests = false; break;
      case '--help': case '-h': process.stdout.write(USAGE + '\n'); process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default: throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  if (keys.length > 0) opts.apiKeys = keys.map((key) => ({ key, permissions }));
  if (users.length > 0) opts.users = users;
  if (partner.partnerName || partner.partnerApiKey || partner.clientSecret) {
    opts.partners = [{ ...DEFAULT_PARTNER, ...partner }];
  }
  if (rate) opts.rateLimit = { limit: rate.limit ?? 3000, windowMs: rate.windowMs ?? 3000 };
  opts.recordBodies = false;
  return opts;
}

async function cli(argv: string[]): Promise<void> {
  const server = await startLocalBraze(parseArgs(argv));
  process.stdout.write(`${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  cli(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`local-braze: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}

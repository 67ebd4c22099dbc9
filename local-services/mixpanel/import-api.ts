/**
 * A local Mixpanel-compatible `/import` receiver, for tests, the demo and benchmarks.
 *
 * It answers `POST /import` the way Mixpanel's ingestion API does (facts: ../shared/reference/mixpanel.md §1):
 * HTTP Basic auth (api secret, service account + `project_id`, project token), JSON-array or NDJSON bodies,
 * optional gzip, `strict=1` per-event validation with partial success (valid events of a 400 batch ARE stored),
 * 2000 events / 10 MiB uncompressed per request (413 beyond), de-duplication on
 * (event, distinct_id, time, $insert_id). Tests can script faults (429, 5xx, resets, slow answers, partial 400s…)
 * for the next requests and inspect every request it saw.
 *
 * `fast` mode (benchmarks): auth, limits and faults still apply, but events are only counted, never validated or
 * kept in memory — NDJSON by counting non-empty lines, JSON arrays with one JSON.parse — so the receiver is not
 * the bottleneck of what is being measured.
 *
 * Run by hand: `node dist/local-services/mixpanel/import-api.js --port 18080 [--fast] [--store events.ndjson]`.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import { isUtf8 } from 'buffer';
import * as zlib from 'zlib';
import { promisify } from 'util';
import { closeServer, listenOn, parseBasic, readBody, sendJson } from '../http-helpers';
import { IngestionRateLimit } from './ingestion-rate';

const gunzip = promisify(zlib.gunzip);

// ---------------------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------------------

export interface ServiceAccount { username: string; secret: string; projectId: string }

export interface ReceiverCredentials {
  apiSecrets?: string[];
  serviceAccounts?: ServiceAccount[];
  projectTokens?: string[];
}

export interface ReceiverOptions {
  /** 0 or absent = a free port. */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Accepted credentials. Absent = DEFAULT_CREDENTIALS. */
  credentials?: ReceiverCredentials;
  /** Count events only: no validation, nothing kept in memory (see file header). */
  fast?: boolean;
  /** Append every accepted event to this NDJSON file. */
  storeFile?: string;
  /** Serve HTTPS with this key/certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Spelling of the insert-id key in genuine `failed_records` entries (Mixpanel's docs disagree). Default `insert_id`. */
  failedRecordIdKey?: 'insert_id' | '$insert_id';
  /** Limits, overridable for tests. Defaults: 2000 events, 10 MiB uncompressed. */
  maxEventsPerRequest?: number;
  maxBytesPerRequest?: number;
  /** Clock used for the `time` range check (tests can freeze it). Default Date.now. */
  now?: () => number;
  /** Print one line per request to stderr (the CLI turns it on). */
  logRequests?: boolean;
  /** Admit at most this many events per second (Mixpanel's per-project rate limit); more is answered 429. */
  rateLimit?: number;
  /** Keep every request's uncompressed body in `requests()` (contract tests; never for benchmarks). */
  keepBodies?: boolean;
  /** With `rateLimit`: send `Retry-After` (seconds until the request would fit) on those 429s. Mixpanel documents none. */
  rateLimitRetryAfter?: boolean;
  /** Other APIs served by the same server (server.ts mounts the Query API under /api/query/). */
  mounts?: MountedApi[];
}

/** Another API answered on this server for every path under `prefix`. */
export interface MountedApi {
  prefix: string;
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void>;
}

export interface MixpanelEvent {
  event: string;
  properties: Record<string, unknown>;
  [key: string]: unknown;
}

export type AuthKind = 'api_secret' | 'service_account' | 'project_token';

export interface RequestRecord {
  seq: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Request headers without Authorization / Proxy-Authorization. */
  headers: Record<string, string | string[] | undefined>;
  authKind: AuthKind | null;
  /** Bytes on the wire (compressed if gzip). */
  bodyBytes: number;
  /** Bytes after gunzip; undefined when the body was never decoded (fault, 401, oversize). */
  uncompressedBytes?: number;
  /** Events in the body; undefined when the body was never decoded. */
  eventCount?: number;
  /** Answered 429 by the rate limit (`rateLimit`). */
  throttled?: boolean;
  /** The uncompressed body, with the `keepBodies` option (contract tests). */
  body?: Buffer;
  status: number;
  /** Events stored from this request. */
  imported: number;
  /** Name of the injected fault that shaped the answer, if any. */
  fault?: Fault['type'];
  receivedAt: number;
  /** When the answer was sent (or the connection dropped); undefined while in flight. */
  answeredAt?: number;
}

/** A failed_records entry as Mixpanel sends it (object form), or the plain-string form seen in the wild. */
export type FailedRecord = { index: number; field: string; message: string; insert_id?: string; $insert_id?: string } | string;

/**
 * Scripted faults. Each applies to ONE upcoming `/import` request (in order); `times` repeats it.
 * - status: answer that status without storing anything (default Mixpanel-like JSON body; `retryAfter` sets the header).
 * - reset: destroy the socket without answering (nothing stored).
 * - delay: wait `ms` before handling; then, unless `process: false`, handle it normally (so a client that timed out
 *   and retries produces a duplicate, like the real service).
 * - partial: handle normally, but additionally fail the given indexes (those events are not stored) and answer 400
 *   with `failed_records`; `idKey` picks the insert-id spelling (or 'none'), `plainStrings` sends bare message strings.
 */
export type Fault = { times?: number } & (
  | { type: 'status'; status: number; retryAfter?: number | string; body?: unknown }
  | { type: 'reset' }
  | { type: 'delay'; ms: number; process?: boolean }
  | {
      type: 'partial';
      indexes: number[] | 'all';
      idKey?: 'insert_id' | '$insert_id' | 'none';
      plainStrings?: boolean;
      field?: string;
      message?: string;
      /** Quote the failed event's value of `field` in the message, as Mixpanel does for some checks (privacy tests). */
      echoValue?: boolean;
    }
);

export interface ReceiverStats {
  requests: number;
  /** Events decoded from bodies that were processed (not refused by a fault, auth or a limit). */
  eventsReceived: number;
  eventsImported: number;
  eventsRejected: number;
  uniqueEvents: number;
}

export interface MixpanelReceiver {
  url: string;
  port: number;
  /** Every accepted event, in arrival order, as received (empty in fast mode). */
  events(): MixpanelEvent[];
  /** Mixpanel's query-time view: one event per (event, distinct_id, time, $insert_id), latest copy wins. */
  uniqueEvents(): MixpanelEvent[];
  requests(): RequestRecord[];
  stats(): ReceiverStats;
  injectFaults(faults: Fault[]): void;
  pendingFaults(): number;
  /** Drop the faults not used yet, keeping events and counters (e.g. between the runs of a kill test). */
  clearFaults(): void;
  /** Resolves once at least `count` events were imported; rejects after `timeoutMs`. */
  waitForImported(count: number, timeoutMs?: number): Promise<void>;
  /** Forget events, requests, counters and pending faults. */
  reset(): void;
  /** Changes the admitted events per second (only with the `rateLimit` option). */
  setRateLimit(eventsPerSecond: number): void;
  close(): Promise<void>;
}

/** Credentials accepted when none are configured (local, not secret; the demo and CLI use them). */
export const DEFAULT_CREDENTIALS: Required<ReceiverCredentials> = {
  apiSecrets: ['local-api-secret'],
  serviceAccounts: [{ username: 'local-service-account', secret: 'local-service-secret', projectId: '1' }],
  projectTokens: ['local-project-token'],
};

// ---------------------------------------------------------------------------------------------------------------
// Mixpanel facts (reference/mixpanel.md §1.4–1.9)
// ---------------------------------------------------------------------------------------------------------------

const MAX_EVENTS_PER_REQUEST = 2000;
const MAX_BYTES_PER_REQUEST = 10 * 1024 * 1024;
const MAX_PROPERTIES = 255;
const MAX_EVENT_BYTES = 1024 * 1024;
const MIN_TIME_MS = Date.UTC(1971, 0, 1);
const MAX_FUTURE_MS = 60 * 60 * 1000;
/** Below this a `time` is read as seconds, at or above as milliseconds (1e11 s is year 5138, 1e11 ms is 1973). */
const SECONDS_MS_BOUNDARY = 1e11;
const INSERT_ID_PATTERN = /^[A-Za-z0-9-]*$/;
const MAX_INSERT_ID_BYTES = 36;
const JUNK_IDS = new Set([
  '00000000-0000-0000-0000-000000000000', 'anon', 'anonymous', 'nil', 'none', 'null', 'n/a', 'na',
  'undefined', 'unknown', '<nil>', '0', '-1', 'true', 'false', '[]', '{}',
]);

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  413: 'Request Entity Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

function errorBody(code: number, error: string): Record<string, unknown> {
  return { code, error, status: STATUS_TEXT[code] ?? 'Error' };
}

function defaultFaultBody(status: number, maxBytes: number): Record<string, unknown> {
  switch (status) {
    case 401: return errorBody(401, 'Invalid credentials');
    case 413: return errorBody(413, `request exceeds max limit of ${maxBytes} bytes`);
    case 429: return errorBody(429, 'Project exceeded rate limits. Please retry the request with exponential backoff.');
    default: return errorBody(status, `injected ${status} ${STATUS_TEXT[status] ?? 'error'}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------------------------------

type AuthResult = { ok: true; kind: AuthKind } | { ok: false; error: string };

function authenticate(header: string | undefined, projectId: string | undefined, creds: Required<ReceiverCredentials>): AuthResult {
  const basic = parseBasic(header);
  if (!basic || !basic.user) return { ok: false, error: 'Invalid credentials' };
  const account = creds.serviceAccounts.find((a) => a.username === basic.user && a.secret === basic.pass);
  if (account) {
    // Mixpanel: project_id is required with a service account; a wrong one means no access → 401.
    if (projectId === undefined) return { ok: false, error: 'project_id query parameter is required for service account authentication' };
    if (projectId !== account.projectId) return { ok: false, error: 'Invalid credentials' };
    return { ok: true, kind: 'service_account' };
  }
  if (basic.pass === '' && creds.apiSecrets.includes(basic.user)) return { ok: true, kind: 'api_secret' };
  if (basic.pass === '' && creds.projectTokens.includes(basic.user)) return { ok: true, kind: 'project_token' };
  return { ok: false, error: 'Invalid credentials' };
}

// ---------------------------------------------------------------------------------------------------------------
// Body decoding
// ---------------------------------------------------------------------------------------------------------------

class HttpProblem extends Error {
  constructor(readonly status: number, message: string, readonly headers?: Record<string, string>) { super(message); }
}

/** One decoded item: the parsed event, or why its line could not be parsed, plus its size in bytes when known. */
interface DecodedItem { value?: unknown; problem?: { field: string; message: string }; bytes?: number }

async function decompress(raw: Buffer, encoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  if (enc === 'identity' || enc === '') {
    if (raw.length > maxBytes) throw new HttpProblem(413, `request exceeds max limit of ${maxBytes} bytes`);
    return raw;
  }
  if (enc !== 'gzip') throw new HttpProblem(415, `unsupported Content-Encoding '${enc}'; use gzip or none`);
  try {
    // maxOutputLength stops a gzip bomb and gives the 413 on the uncompressed size, as Mixpanel counts it.
    return await gunzip(raw, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new HttpProblem(413, `request exceeds max limit of ${maxBytes} bytes`);
    }
    throw new HttpProblem(400, 'request body is not valid gzip data');
  }
}

type BodyFormat = 'json' | 'ndjson';

function bodyFormat(contentType: string | undefined): BodyFormat {
  const base = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (base === 'application/json') return 'json';
  if (base === 'application/x-ndjson') return 'ndjson';
  throw new HttpProblem(415, `unsupported Content-Type '${base || '(none)'}'; send application/json (array) or application/x-ndjson`);
}

/** Byte ranges of the non-blank lines of an NDJSON body. */
function ndjsonLines(body: Buffer): Array<[number, number]> {
  const lines: Array<[number, number]> = [];
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(10, start);
    if (end < 0) end = body.length;
    let stop = end;
    if (stop > start && body[stop - 1] === 13) stop--;
    if (!isBlank(body, start, stop)) lines.push([start, stop]);
    start = end + 1;
  }
  return lines;
}

/** NDJSON bytes without trailing newlines or blanks (a view, not a copy). */
function withoutTrailingSpace(body: Buffer): Buffer {
  let end = body.length;
  while (end > 0 && (body[end - 1] === 10 || body[end - 1] === 13 || body[end - 1] === 32 || body[end - 1] === 9)) end--;
  return body.subarray(0, end);
}

const NEWLINE = Buffer.from('\n');

function isBlank(buf: Buffer, start: number, stop: number): boolean {
  for (let i = start; i < stop; i++) {
    const c = buf[i];
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

function parseJsonArray(body: Buffer): unknown[] {
  if (!isUtf8(body)) throw new HttpProblem(400, 'request body is not valid UTF-8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpProblem(400, `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(parsed)) return parsed;
  if (parsed !== null && typeof parsed === 'object') return [parsed];
  throw new HttpProblem(400, 'request body must be a JSON array of events (or a single event object)');
}

function decodeFull(body: Buffer, format: BodyFormat): DecodedItem[] {
  if (format === 'json') {
    const items = parseJsonArray(body);
    // Per-event size only matters when the whole body could hold an event over the limit.
    const measure = body.length > MAX_EVENT_BYTES;
    return items.map((value) => ({ value, bytes: measure ? Buffer.byteLength(JSON.stringify(value) ?? '') : undefined }));
  }
  return ndjsonLines(body).map(([start, stop]) => {
    const line = body.subarray(start, stop);
    if (!isUtf8(line)) return { problem: { field: 'event', message: 'event line is not valid utf8' }, bytes: line.length };
    try {
      return { value: JSON.parse(line.toString('utf8')), bytes: line.length };
    } catch {
      return { problem: { field: 'event', message: 'event line is not valid JSON' }, bytes: line.length };
    }
  });
}

function countFast(body: Buffer, format: BodyFormat): { count: number; events?: unknown[] } {
  if (format === 'ndjson') return { count: ndjsonLines(body).length };
  const events = parseJsonArray(body);
  return { count: events.length, events };
}

// ---------------------------------------------------------------------------------------------------------------
// Per-event validation (strict=1)
// ---------------------------------------------------------------------------------------------------------------

interface Problem { field: string; message: string }

/** Milliseconds since the epoch, reading small values as seconds like Mixpanel does. */
function timeToMs(time: number): number {
  return Math.abs(time) < SECONDS_MS_BOUNDARY ? time * 1000 : time;
}

function validateEvent(value: unknown, bytes: number | undefined, now: number, tokens: string[]): Problem | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { field: 'event', message: 'each event must be a JSON object with "event" and "properties"' };
  }
  const ev = value as Record<string, unknown>;
  for (const key of Object.keys(ev)) {
    if (key !== 'event' && key !== 'properties') {
      return { field: key, message: `'${key}' is not allowed at the top level of an event; only 'event' and 'properties' are` };
    }
  }
  if (typeof ev.event !== 'string' || ev.event.length === 0) {
    return { field: 'event', message: "'event' is invalid: must be a non-empty string" };
  }
  const props = ev.properties;
  if (props === null || typeof props !== 'object' || Array.isArray(props)) {
    return { field: 'properties', message: "'properties' is invalid: must be a JSON object" };
  }
  const p = props as Record<string, unknown>;
  if (bytes !== undefined && bytes >= MAX_EVENT_BYTES) {
    return { field: 'properties', message: `event is ${bytes} bytes; each event must be smaller than ${MAX_EVENT_BYTES} bytes` };
  }
  const propertyCount = Object.keys(p).length;
  if (propertyCount > MAX_PROPERTIES) {
    return { field: 'properties', message: `'properties' is invalid: ${propertyCount} properties, at most ${MAX_PROPERTIES} allowed` };
  }
  return validateTime(p.time, now) ?? validateDistinctId(p) ?? validateInsertId(p.$insert_id) ?? validateToken(p.token, tokens);
}

function validateTime(time: unknown, now: number): Problem | null {
  const field = 'properties.time';
  if (time === undefined || time === null) return { field, message: "'properties.time' is invalid: must be specified" };
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    return { field, message: "'properties.time' is invalid: must be specified as seconds since epoch" };
  }
  const ms = timeToMs(time);
  if (ms < MIN_TIME_MS) return { field, message: "'properties.time' is invalid: must be on or after 1971-01-01" };
  if (ms > now + MAX_FUTURE_MS) return { field, message: "'properties.time' is invalid: must not be more than 1 hour in the future" };
  return null;
}

/** distinct_id, or what Simplified ID Merge derives from $user_id / $device_id. */
function effectiveDistinctId(p: Record<string, unknown>): unknown {
  if (p.distinct_id !== undefined) return p.distinct_id;
  if (p.$user_id !== undefined) return p.$user_id;
  if (p.$device_id !== undefined) return `$device:${String(p.$device_id)}`;
  return undefined;
}

function validateDistinctId(p: Record<string, unknown>): Problem | null {
  const field = 'properties.distinct_id';
  const id = effectiveDistinctId(p);
  if (id === undefined || id === null) return { field, message: "'properties.distinct_id' is invalid: must be specified" };
  if (typeof id !== 'string' && typeof id !== 'number') {
    return { field, message: "'properties.distinct_id' is invalid: must be a string" };
  }
  if (JUNK_IDS.has(String(id).toLowerCase())) {
    return { field, message: `'properties.distinct_id' is invalid: '${String(id)}' is not a valid distinct_id` };
  }
  return null;
}

function validateInsertId(insertId: unknown): Problem | null {
  const field = '$insert_id';
  if (insertId === undefined || insertId === null) return { field, message: "'$insert_id' is invalid: must be specified" };
  if (typeof insertId !== 'string' || insertId.length === 0) return { field, message: "'$insert_id' is invalid: must be a non-empty string" };
  if (Buffer.byteLength(insertId) > MAX_INSERT_ID_BYTES) {
    return { field, message: `'$insert_id' is invalid: must be at most ${MAX_INSERT_ID_BYTES} bytes` };
  }
  if (!INSERT_ID_PATTERN.test(insertId)) {
    return { field, message: "'$insert_id' is invalid: must only contain alphanumeric or hyphen '-' characters" };
  }
  if (JUNK_IDS.has(insertId.toLowerCase())) return { field, message: `'$insert_id' is invalid: '${insertId}' is not a valid insert id` };
  return null;
}

/** Local rule: when tokens are configured, an event that carries a token must carry one of them. */
function validateToken(token: unknown, tokens: string[]): Problem | null {
  if (token === undefined) return null;
  if (typeof token !== 'string') return { field: 'properties.token', message: "'properties.token' is invalid: must be a string" };
  if (tokens.length > 0 && !tokens.includes(token)) {
    return { field: 'properties.token', message: "'properties.token' is invalid: does not match the project's token" };
  }
  return null;
}

function dedupeKey(ev: MixpanelEvent, storedTimeMs: number): string {
  const p = ev.properties;
  return JSON.stringify([ev.event, String(effectiveDistinctId(p)), storedTimeMs, p.$insert_id]);
}

// ---------------------------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------------------------

/** The value at a dotted path such as `properties.distinct_id` (undefined when absent). */
function valueAtPath(value: unknown, dotted: string): unknown {
  let at = value;
  for (const key of dotted.split('.')) at = at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  return at;
}

function expandFaults(faults: Fault[]): Fault[] {
  const out: Fault[] = [];
  for (const fault of faults) {
    const times = fault.times ?? 1;
    for (let i = 0; i < times; i++) out.push(fault);
  }
  return out;
}

function failedRecordsFor(
  indexes: number[], items: DecodedItem[], problems: Map<number, Problem>, idKey: 'insert_id' | '$insert_id' | 'none', plain: boolean,
): FailedRecord[] {
  return indexes.map((index) => {
    const problem = problems.get(index)!;
    if (plain) return problem.message;
    const entry: { index: number; field: string; message: string; insert_id?: string; $insert_id?: string } = {
      index, field: problem.field, message: problem.message,
    };
    const value = items[index]?.value as { properties?: { $insert_id?: unknown } } | undefined;
    const insertId = value?.properties?.$insert_id;
    if (idKey !== 'none' && typeof insertId === 'string') entry[idKey] = insertId;
    return entry;
  });
}

class Receiver implements MixpanelReceiver {
  url = '';
  port = 0;
  private server: http.Server;
  private readonly creds: Required<ReceiverCredentials>;
  private readonly maxEvents: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private readonly rateLimit?: IngestionRateLimit;
  private readonly store?: fs.WriteStream;
  private raw: MixpanelEvent[] = [];
  private unique = new Map<string, MixpanelEvent>();
  private log: RequestRecord[] = [];
  private faults: Fault[] = [];
  private counters = { eventsReceived: 0, eventsImported: 0, eventsRejected: 0 };
  private waiters: Array<() => void> = [];

  constructor(private readonly opts: ReceiverOptions) {
    const c = opts.credentials;
    this.creds = c
      ? { apiSecrets: c.apiSecrets ?? [], serviceAccounts: c.serviceAccounts ?? [], projectTokens: c.projectTokens ?? [] }
      : DEFAULT_CREDENTIALS;
    this.maxEvents = opts.maxEventsPerRequest ?? MAX_EVENTS_PER_REQUEST;
    this.maxBytes = opts.maxBytesPerRequest ?? MAX_BYTES_PER_REQUEST;
    this.now = opts.now ?? Date.now;
    if (opts.rateLimit !== undefined) this.rateLimit = new IngestionRateLimit(opts.rateLimit, this.maxEvents);
    if (opts.storeFile) this.store = fs.createWriteStream(opts.storeFile, { flags: 'a' });
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.route(req, res).catch((err) => {
        if (!res.headersSent && !res.destroyed) sendJson(res, 500, errorBody(500, `receiver error: ${(err as Error).message}`));
      });
    };
    this.server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : http.createServer(handler);
    this.server.keepAliveTimeout = 30_000;
  }

  async listen(): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1';
    this.port = await listenOn(this.server, this.opts.port, host);
    this.url = `${this.opts.tls ? 'https' : 'http'}://${host}:${this.port}`;
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://receiver');
    if (url.pathname === '/_receiver/stats' && req.method === 'GET') return sendJson(res, 200, this.stats());
    const mounted = this.opts.mounts?.find((m) => url.pathname.startsWith(m.prefix));
    if (mounted) return mounted.handle(req, res, url);
    if (url.pathname !== '/import') {
      req.resume();
      return sendJson(res, 404, errorBody(404, `no such endpoint ${url.pathname}; this receiver implements POST /import`));
    }
    if (req.method !== 'POST') {
      req.resume();
      return sendJson(res, 405, errorBody(405, '/import accepts POST only'), { Allow: 'POST' });
    }
    await this.handleImport(req, res, url);
  }

  private async handleImport(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const query = Object.fromEntries(url.searchParams.entries());
    const headers = { ...req.headers };
    delete headers.authorization;
    delete headers['proxy-authorization'];
    // Gzip barely grows incompressible data, so a compressed body over 2× the limit can only be too large.
    const { body: rawBody, total } = await readBody(req, this.maxBytes * 2);
    const record: RequestRecord = {
      seq: this.log.length + 1, method: req.method ?? 'POST', path: url.pathname, query, headers, authKind: null,
      bodyBytes: total, status: 0, imported: 0, receivedAt: Date.now(),
    };
    this.log.push(record);
    const answer = (status: number, body: unknown, extra?: Record<string, string>) => {
      record.status = status;
      record.answeredAt = Date.now();
      this.trace(record);
      sendJson(res, status, body, extra);
    };

    const fault = this.faults.shift();
    if (fault) record.fault = fault.type;
    if (fault?.type === 'reset') {
      record.status = -1;
      record.answeredAt = Date.now();
      this.trace(record);
      req.socket.destroy();
      return;
    }
    if (fault?.type === 'delay') {
      await new Promise((r) => setTimeout(r, fault.ms));
      if (fault.process === false) {
        record.status = -1;
        record.answeredAt = Date.now();
        this.trace(record);
        req.socket.destroy();
        return;
      }
    }
    if (fault?.type === 'status') {
      const extra: Record<string, string> = fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
      return answer(fault.status, fault.body ?? defaultFaultBody(fault.status, this.maxBytes), extra);
    }

    const auth = authenticate(req.headers.authorization, query.project_id, this.creds);
    if (!auth.ok) return answer(401, errorBody(401, auth.error));
    record.authKind = auth.kind;

    try {
      if (total > rawBody.length) throw new HttpProblem(413, `request exceeds max limit of ${this.maxBytes} bytes`);
      const format = bodyFormat(req.headers['content-type']);
      const body = await decompress(rawBody, req.headers['content-encoding'], this.maxBytes);
      record.uncompressedBytes = body.length;
      if (this.opts.keepBodies) record.body = body;
      const strict = query.strict === '1';
      const partial = fault?.type === 'partial' ? fault : undefined;
      const result = this.opts.fast ? this.acceptFast(body, format, record, partial) : this.acceptFull(body, format, record, strict, partial);
      answer(result.status, result.body);
    } catch (err) {
      if (err instanceof HttpProblem) return answer(err.status, errorBody(err.status, err.message), err.headers);
      throw err;
    }
  }

  private checkCount(count: number, record: RequestRecord): void {
    record.eventCount = count;
    if (count === 0) throw new HttpProblem(400, 'request body contains no events');
    if (count > this.maxEvents) throw new HttpProblem(413, `request has ${count} events; at most ${this.maxEvents} are allowed per request`);
    const admitted = this.rateLimit?.admit(count);
    if (admitted && !admitted.ok) {
      record.throttled = true;
      const headers: Record<string, string> = this.opts.rateLimitRetryAfter ? { 'Retry-After': String(admitted.retryAfterSeconds) } : {};
      throw new HttpProblem(429, 'Project exceeded rate limits. Please retry the request with exponential backoff.', headers);
    }
  }

  /** Changes the admitted events per second in the middle of a run (only with the `rateLimit` option). */
  setRateLimit(eventsPerSecond: number): void {
    if (!this.rateLimit) throw new Error('the receiver was started without rateLimit');
    this.rateLimit.setRate(eventsPerSecond);
  }

  private acceptFull(body: Buffer, format: BodyFormat, record: RequestRecord, strict: boolean, partial?: Extract<Fault, { type: 'partial' }>) {
    const items = decodeFull(body, format);
    this.checkCount(items.length, record);
    const now = this.now();
    const problems = new Map<number, Problem>();
    items.forEach((item, index) => {
      const problem = item.problem ?? validateEvent(item.value, item.bytes, now, this.creds.projectTokens);
      if (problem) problems.set(index, problem);
    });
    if (partial) {
      const chosen = partial.indexes === 'all' ? items.map((_, i) => i) : partial.indexes;
      for (const index of chosen) {
        if (index >= 0 && index < items.length && !problems.has(index)) {
          const field = partial.field ?? 'properties.time';
          const message = partial.message ?? 'injected failure: this record was rejected';
          problems.set(index, { field, message: partial.echoValue ? `${message}: '${String(valueAtPath(items[index].value, field))}'` : message });
        }
      }
    }
    const accepted: MixpanelEvent[] = [];
    items.forEach((item, index) => { if (!problems.has(index)) accepted.push(item.value as MixpanelEvent); });
    this.storeEvents(accepted, now);
    this.counters.eventsReceived += items.length;
    this.counters.eventsRejected += problems.size;
    record.imported = accepted.length;
    // Without strict=1 Mixpanel does not report per-record problems (undocumented): invalid events just vanish.
    if (problems.size === 0 || (!strict && !partial)) {
      return { status: 200, body: { code: 200, num_records_imported: accepted.length, status: 'OK' } };
    }
    const indexes = [...problems.keys()].sort((a, b) => a - b);
    const idKey = partial?.idKey ?? this.opts.failedRecordIdKey ?? 'insert_id';
    return {
      status: 400,
      body: {
        code: 400,
        error: 'some data points in the request failed validation',
        failed_records: failedRecordsFor(indexes, items, problems, idKey, partial?.plainStrings ?? false),
        num_records_imported: accepted.length,
        status: 'Bad Request',
      },
    };
  }

  private acceptFast(body: Buffer, format: BodyFormat, record: RequestRecord, partial?: Extract<Fault, { type: 'partial' }>) {
    const { count, events } = countFast(body, format);
    this.checkCount(count, record);
    const failed = partial ? (partial.indexes === 'all' ? count : partial.indexes.filter((i) => i >= 0 && i < count).length) : 0;
    const imported = count - failed;
    if (this.store && failed === 0) {
      // The body's own bytes: decoding and encoding again cost the benchmark's receiver a third of a core at 40 000 events/s.
      if (format === 'ndjson') {
        this.store.write(withoutTrailingSpace(body));
        this.store.write(NEWLINE);
      }
      else this.store.write(events!.map((e) => JSON.stringify(e) + '\n').join(''));
    }
    this.counters.eventsReceived += count;
    this.counters.eventsImported += imported;
    this.counters.eventsRejected += failed;
    record.imported = imported;
    this.notify();
    if (!partial) return { status: 200, body: { code: 200, num_records_imported: imported, status: 'OK' } };
    const indexes = partial.indexes === 'all' ? [...Array(count).keys()] : partial.indexes.filter((i) => i >= 0 && i < count);
    const message = partial.message ?? 'injected failure: this record was rejected';
    const failedRecords: FailedRecord[] = indexes.map((index) =>
      partial.plainStrings ? message : { index, field: partial.field ?? 'properties.time', message });
    return {
      status: 400,
      body: { code: 400, error: 'some data points in the request failed validation', failed_records: failedRecords, num_records_imported: imported, status: 'Bad Request' },
    };
  }

  private storeEvents(accepted: MixpanelEvent[], now: number): void {
    for (const ev of accepted) {
      this.raw.push(ev);
      // Events up to 1 h in the future are re-stamped to ingestion time by Mixpanel.
      const timeMs = Math.min(timeToMs(Number(ev.properties?.time)), now);
      const key = dedupeKey(ev, timeMs);
      this.unique.delete(key);
      this.unique.set(key, ev);
    }
    if (this.store && accepted.length > 0) this.store.write(accepted.map((e) => JSON.stringify(e) + '\n').join(''));
    this.counters.eventsImported += accepted.length;
    this.notify();
  }

  private trace(record: RequestRecord): void {
    if (!this.opts.logRequests) return;
    const parts = [`#${record.seq}`, `${record.method} ${record.path}`, `→ ${record.status === -1 ? 'connection dropped' : record.status}`];
    if (record.eventCount !== undefined) parts.push(`events=${record.eventCount}`, `imported=${record.imported}`);
    if (record.fault) parts.push(`fault=${record.fault}`);
    process.stderr.write(parts.join(' ') + '\n');
  }

  private notify(): void {
    const waiting = this.waiters;
    this.waiters = [];
    waiting.forEach((wake) => wake());
  }

  events(): MixpanelEvent[] { return [...this.raw]; }
  uniqueEvents(): MixpanelEvent[] { return [...this.unique.values()]; }
  requests(): RequestRecord[] { return [...this.log]; }
  stats(): ReceiverStats { return { requests: this.log.length, ...this.counters, uniqueEvents: this.unique.size }; }
  injectFaults(faults: Fault[]): void { this.faults.push(...expandFaults(faults)); }
  pendingFaults(): number { return this.faults.length; }
  clearFaults(): void { this.faults = []; }

  async waitForImported(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.counters.eventsImported < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`receiver imported ${this.counters.eventsImported} events, expected at least ${count} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  reset(): void {
    this.raw = [];
    this.unique.clear();
    this.log = [];
    this.faults = [];
    this.counters = { eventsReceived: 0, eventsImported: 0, eventsRejected: 0 };
  }

  async close(): Promise<void> {
    await closeServer(this.server);
    if (this.store) await new Promise<void>((resolve) => this.store!.end(() => resolve()));
  }
}

export async function startMixpanelReceiver(opts: ReceiverOptions = {}): Promise<MixpanelReceiver> {
  const receiver = new Receiver(opts);
  await receiver.listen();
  return receiver;
}

// ---------------------------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------------------------

const USAGE = `usage: node dist/local-services/mixpanel/import-api.js [--port N] [--host H] [--fast] [--store FILE]
       [--api-secret S]... [--project-token T]... [--service-account USER:SECRET:PROJECT_ID]...
       [--tls-key FILE --tls-cert FILE] [--rate EVENTS_PER_SECOND [--rate-retry-after]]
Without credential flags it accepts the local defaults (api secret "${DEFAULT_CREDENTIALS.apiSecrets[0]}",
project token "${DEFAULT_CREDENTIALS.projectTokens[0]}", service account "${DEFAULT_CREDENTIALS.serviceAccounts[0].username}").`;

export function parseReceiverArgs(argv: string[]): ReceiverOptions {
  const opts: ReceiverOptions = { logRequests: true };
  const creds: Required<ReceiverCredentials> = { apiSecrets: [], serviceAccounts: [], projectTokens: [] };
  let tlsKey: string | undefined;
  let tlsCert: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer 0-65535`);
        opts.port = port;
        break;
      }
      case '--host': opts.host = value(); break;
      case '--fast': opts.fast = true; break;
      case '--quiet': opts.logRequests = false; break;
      case '--rate': {
        const rate = Number(value());
        if (!(rate > 0)) throw new Error('--rate must be a positive number of events per second');
        opts.rateLimit = rate;
        break;
      }
      case '--rate-retry-after': opts.rateLimitRetryAfter = true; break;
      case '--store': opts.storeFile = value(); break;
      case '--api-secret': creds.apiSecrets.push(value()); break;
      case '--project-token': creds.projectTokens.push(value()); break;
      case '--service-account': {
        const [username, secret, projectId] = value().split(':');
        if (!username || !secret || !projectId) throw new Error('--service-account must be USER:SECRET:PROJECT_ID');
        creds.serviceAccounts.push({ username, secret, projectId });
        break;
      }
      case '--tls-key': tlsKey = value(); break;
      case '--tls-cert': tlsCert = value(); break;
      default: throw new Error(`unknown option '${flag}'`);
    }
  }
  if (creds.apiSecrets.length + creds.projectTokens.length + creds.serviceAccounts.length > 0) opts.credentials = creds;
  if (Boolean(tlsKey) !== Boolean(tlsCert)) throw new Error('--tls-key and --tls-cert go together');
  if (tlsKey && tlsCert) opts.tls = { key: fs.readFileSync(tlsKey), cert: fs.readFileSync(tlsCert) };
  return opts;
}

async function cli(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  let opts: ReceiverOptions;
  try {
    opts = parseReceiverArgs(argv);
  } catch (err) {
    process.stderr.write(`mixpanel-receiver: ${(err as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const receiver = await startMixpanelReceiver(opts);
  process.stdout.write(`Mixpanel-compatible receiver listening on ${receiver.url} (POST /import${opts.fast ? ', fast mode' : ''})\n`);
  if (opts.storeFile) process.stdout.write(`accepted events are appended to ${opts.storeFile}\n`);
  const stop = () => { receiver.close().then(() => process.exit(0)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  cli(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`mixpanel-receiver: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}

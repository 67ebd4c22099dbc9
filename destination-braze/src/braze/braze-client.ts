/**
 * One HTTP POST to Braze. Never throws for an HTTP status, and never lets an axios error (which carries the
 * request config with the Authorization header, and the body with partner secrets) escape: every outcome is a
 * plain BrazeReply whose texts are our own.
 */
import { HttpClient, type NetworkFailure } from '../../../connector-kit/http-client';

export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  /** When the window resets (ms since the epoch), from `X-RateLimit-Reset` (epoch seconds). */
  resetAtMs?: number;
}

export type BrazeReply =
  | { kind: 'http'; status: number; body: unknown; rateLimit: RateLimitInfo }
  | NetworkFailure;

export interface BrazeClientOptions {
  restEndpoint: string;
  /** Sent as `Authorization: Bearer …` when a request asks for it. */
  apiKey?: string;
  timeoutMs: number;
  /** Sockets kept open: about the number of requests in flight. */
  maxSockets: number;
  userAgent: string;
}

export class BrazeClient {
  private readonly http: HttpClient;
  private readonly headers: { plain: Record<string, string>; withKey: Record<string, string> };

  constructor(private readonly options: BrazeClientOptions) {
    const plain = { 'Content-Type': 'application/json', Accept: 'application/json', 'User-Agent': options.userAgent };
    this.headers = { plain, withKey: options.apiKey === undefined ? plain : { ...plain, Authorization: `Bearer ${options.apiKey}` } };
    this.http = new HttpClient({ endpoint: options.restEndpoint, timeoutMs: options.timeoutMs, maxSockets: options.maxSockets, maxContentLength: 4 * 1024 * 1024 });
  }

  /** The host the client talks to, for messages (never credentials). */
  get host(): string {
    return this.http.host;
  }

  /** POSTs a JSON body (already serialised, so retries reuse it) to `path` below the REST endpoint. */
  async post(path: string, body: string, withApiKey: boolean, signal?: AbortSignal): Promise<BrazeReply> {
    const headers = withApiKey ? this.headers.withKey : this.headers.plain;
    const reply = await this.http.post(this.options.restEndpoint + path, body, headers, signal);
    if (reply.kind === 'network') return reply;
    return { kind: 'http', status: reply.status, body: parseJson(reply.text), rateLimit: rateLimitOf(reply.headers) };
  }

  close(): void {
    this.http.close();
  }
}

function parseJson(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

function headerNumber(headers: Record<string, unknown>, name: string): number | undefined {
  const raw = headers[name];
  const n = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Header names arrive lowercase from Node (Braze sends them capitalised over HTTP/1.1, lowercase over HTTP/2). */
function rateLimitOf(headers: Record<string, unknown>): RateLimitInfo {
  const reset = headerNumber(headers, 'x-ratelimit-reset');
  return {
    limit: headerNumber(headers, 'x-ratelimit-limit'),
    remaining: headerNumber(headers, 'x-ratelimit-remaining'),
    // Braze documents epoch seconds; a small number can only be seconds from now (read it so rather than wait forever or not at all).
    resetAtMs: reset === undefined ? undefined : reset < 1e9 ? Date.now() + reset * 1000 : reset * 1000,
  };
}

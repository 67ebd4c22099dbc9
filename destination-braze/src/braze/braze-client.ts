/**
 * One HTTP POST to Braze. Never throws for an HTTP status, and never lets an axios error (which carries the
 * request config with the Authorization header, and the body with partner secrets) escape: every outcome is a
 * plain BrazeReply whose texts are our own.
 */
import http from 'http';
import https from 'https';
import axios, { AxiosInstance } from 'axios';

export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  /** When the window resets (ms since the epoch), from `X-RateLimit-Reset` (epoch seconds). */
  resetAtMs?: number;
}

export type BrazeReply =
  | { kind: 'http'; status: number; body: unknown; rateLimit: RateLimitInfo }
  | { kind: 'network'; code: string; message: string };

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
  private readonly http: AxiosInstance;
  private readonly agents: { http: http.Agent; https: https.Agent };
  private readonly headers: { plain: Record<string, string>; withKey: Record<string, string> };

  constructor(private readonly options: BrazeClientOptions) {
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: options.maxSockets }),
      https: new https.Agent({ keepAlive: true, maxSockets: options.maxSockets }),
    };
    const plain = { 'Content-Type': 'application/json', Accept: 'application/json', 'User-Agent': options.userAgent };
    this.headers = { plain, withKey: options.apiKey === undefined ? plain : { ...plain, Authorization: `Bearer ${options.apiKey}` } };
    this.http = axios.create({
      httpAgent: this.agents.http,
      httpsAgent: this.agents.https,
      timeout: options.timeoutMs,
      validateStatus: () => true,
      responseType: 'text',
      // Bodies arrive serialised; axios would otherwise parse and re-stringify every JSON string it sends.
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
      maxContentLength: 4 * 1024 * 1024,
      maxRedirects: 0,
      proxy: false,
    });
  }

  /** The host the client talks to, for messages (never credentials). */
  get host(): string {
    try {
      return new URL(this.options.restEndpoint).host;
    } catch {
      return this.options.restEndpoint;
    }
  }

  /** POSTs a JSON body (already serialised, so retries reuse it) to `path` below the REST endpoint. */
  async post(path: string, body: string, withApiKey: boolean, signal?: AbortSignal): Promise<BrazeReply> {
    const headers = withApiKey ? this.headers.withKey : this.headers.plain;
    try {
      const res = await this.http.post(this.options.restEndpoint + path, body, { headers, signal });
      return { kind: 'http', status: res.status, body: parseJson(res.data), rateLimit: rateLimitOf(res.headers as Record<string, unknown>) };
    } catch (err) {
      return networkFailure(err, this.host, this.options.timeoutMs);
    }
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
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

/** Only the error code is read; the error object itself stays here. */
function networkFailure(err: unknown, host: string, timeoutMs: number): BrazeReply {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'UNKNOWN';
  const text: Record<string, string> = {
    ECONNREFUSED: `connection to ${host} refused`,
    ECONNRESET: `connection to ${host} reset`,
    ENOTFOUND: `host ${host} not found (DNS)`,
    EAI_AGAIN: `DNS lookup for ${host} failed temporarily`,
    ECONNABORTED: `no answer from ${host} within ${Math.round(timeoutMs / 1000)} s`,
    ETIMEDOUT: `connection to ${host} timed out`,
  };
  return { kind: 'network', code, message: text[code] ?? `request to ${host} failed (${code})` };
}

/**
 * The one HTTP client set-up every connector uses: keep-alive agents, text answers, no transforms, no redirects,
 * no proxy, and every outcome a plain reply. Never throws for an HTTP status, and never lets an axios error
 * (which carries the request config with the Authorization header, and the body with secrets) escape: a network
 * failure becomes a code and a message of our own.
 */
import http from 'http';
import https from 'https';
import axios, { type AxiosInstance } from 'axios';

export type HttpReply =
  | { kind: 'http'; status: number; text: string; headers: Record<string, unknown> }
  | NetworkFailure;

export interface NetworkFailure { kind: 'network'; code: string; message: string }

export interface HttpClientOptions {
  /** The base URL the client talks to; only its host is used, in messages. */
  endpoint: string;
  timeoutMs: number;
  /** Sockets kept open per host: about the number of requests in flight. */
  maxSockets: number;
  /** Largest answer accepted (bytes); unlimited when absent. */
  maxContentLength?: number;
}

export class HttpClient {
  readonly host: string;
  private readonly http: AxiosInstance;
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(private readonly options: HttpClientOptions) {
    this.host = hostLabel(options.endpoint);
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: options.maxSockets }),
      https: new https.Agent({ keepAlive: true, maxSockets: options.maxSockets }),
    };
    this.http = axios.create({
      httpAgent: this.agents.http,
      httpsAgent: this.agents.https,
      timeout: options.timeoutMs,
      validateStatus: () => true,
      responseType: 'text',
      // Bodies arrive serialised (so retries reuse them); axios would otherwise parse and re-stringify JSON text.
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
      maxBodyLength: Infinity,
      maxContentLength: options.maxContentLength ?? -1,
      maxRedirects: 0,
      proxy: false,
    });
  }

  /** POSTs a ready body to an absolute URL. */
  async post(url: string, body: string | Buffer, headers: Record<string, string>, signal?: AbortSignal): Promise<HttpReply> {
    try {
      const res = await this.http.post(url, body, { headers, signal });
      const text = typeof res.data === 'string' ? res.data : String(res.data ?? '');
      return { kind: 'http', status: res.status, text, headers: plainHeaders(res.headers) };
    } catch (err) {
      return networkFailure(err, this.host, this.options.timeoutMs);
    }
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

/** The host of a URL, for messages (never credentials); the text itself when it is no URL. */
export function hostLabel(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Header names arrive lowercase from Node; AxiosHeaders becomes a plain object so nothing of axios travels on. */
function plainHeaders(headers: unknown): Record<string, unknown> {
  const h = headers as { toJSON?: () => Record<string, unknown> } | undefined;
  return typeof h?.toJSON === 'function' ? h.toJSON() : { ...(headers as Record<string, unknown> | undefined) };
}

/** Only the error code is read; the error object itself stays here. */
function networkFailure(err: unknown, host: string, timeoutMs: number): NetworkFailure {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'UNKNOWN';
  const known: Record<string, string> = {
    ECONNREFUSED: `connection to ${host} refused`,
    ECONNRESET: `connection to ${host} reset`,
    EPIPE: `connection to ${host} closed while sending`,
    ENOTFOUND: `host ${host} not found (DNS)`,
    EAI_AGAIN: `DNS lookup for ${host} failed temporarily`,
    ETIMEDOUT: `connection to ${host} timed out`,
    ECONNABORTED: `no answer from ${host} within ${Math.round(timeoutMs / 1000)} s`,
    ERR_CANCELED: `request to ${host} cancelled`,
    EHOSTUNREACH: `host ${host} unreachable`,
    ENETUNREACH: `network unreachable for ${host}`,
    ERR_BAD_RESPONSE: `malformed answer from ${host}`,
  };
  return { kind: 'network', code, message: known[code] ?? `request to ${host} failed (${code})` };
}

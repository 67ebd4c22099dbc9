/**
 * One HTTP POST of a ready (compressed) body to Mixpanel's /import. Never throws for an HTTP status and
 * never lets an axios error (which carries the request config and the Authorization header) escape:
 * every outcome is turned into a plain ImportReply with a message of our own.
 */
import http from 'http';
import https from 'https';
import axios, { AxiosInstance } from 'axios';
import type { ImportAuth } from '../config';

export type ImportReply =
  | { kind: 'http'; status: number; body: string; retryAfterMs?: number }
  | { kind: 'network'; code: string; message: string };

export interface ImportClientOptions {
  host: string;
  auth: ImportAuth;
  timeoutMs: number;
  /** Sockets kept open per host; about the number of requests in flight. */
  maxSockets: number;
}

export interface ImportBody {
  data: Buffer;
  /** `gzip` when data is gzip-compressed. */
  encoding?: 'gzip';
}

export class ImportClient {
  private readonly http: AxiosInstance;
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(private readonly options: ImportClientOptions) {
    const query = options.auth.projectId ? `?strict=1&project_id=${encodeURIComponent(options.auth.projectId)}` : '?strict=1';
    this.url = `${options.host}/import${query}`;
    this.headers = {
      Authorization: 'Basic ' + Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64'),
      'Content-Type': 'application/x-ndjson',
      Accept: 'application/json',
    };
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
      transformResponse: [(data: unknown) => data],
      maxBodyLength: Infinity,
      maxContentLength: 16 * 1024 * 1024,
      maxRedirects: 0,
      proxy: false,
    });
  }

  /** The host the client talks to, for messages (never includes credentials). */
  get hostLabel(): string {
    try {
      return new URL(this.options.host).host;
    } catch {
      return this.options.host;
    }
  }

  async post(body: ImportBody, signal?: AbortSignal): Promise<ImportReply> {
    const headers = body.encoding ? { ...this.headers, 'Content-Encoding': body.encoding } : this.headers;
    try {
      const res = await this.http.post(this.url, body.data, { headers, signal });
      const text = typeof res.data === 'string' ? res.data : String(res.data ?? '');
      return { kind: 'http', status: res.status, body: text, retryAfterMs: parseRetryAfter(res.headers?.['retry-after']) };
    } catch (err) {
      return describeNetworkFailure(err, this.hostLabel, this.options.timeoutMs);
    }
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

/** `Retry-After` is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Reads only the error code: the axios error itself holds headers and config and must not travel further. */
function describeNetworkFailure(err: unknown, host: string, timeoutMs: number): ImportReply {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? ((err as { code: string }).code) : 'UNKNOWN';
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

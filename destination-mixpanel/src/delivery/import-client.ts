/**
 * One HTTP POST of a ready (compressed) body to Mixpanel's /import. Never throws for an HTTP status and
 * never lets an axios error (which carries the request config and the Authorization header) escape:
 * every outcome is turned into a plain ImportReply with a message of our own.
 */
import { HttpClient, parseRetryAfter } from '../../../connector-kit/http-client';
import type { ImportAuth } from '../config';

export { parseRetryAfter };

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
  private readonly http: HttpClient;
  private readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(options: ImportClientOptions) {
    const query = options.auth.projectId ? `?strict=1&project_id=${encodeURIComponent(options.auth.projectId)}` : '?strict=1';
    this.url = `${options.host}/import${query}`;
    this.headers = {
      Authorization: 'Basic ' + Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64'),
      'Content-Type': 'application/x-ndjson',
      Accept: 'application/json',
    };
    this.http = new HttpClient({ endpoint: options.host, timeoutMs: options.timeoutMs, maxSockets: options.maxSockets, maxContentLength: 16 * 1024 * 1024 });
  }

  /** The host the client talks to, for messages (never includes credentials). */
  get hostLabel(): string {
    return this.http.host;
  }

  async post(body: ImportBody, signal?: AbortSignal): Promise<ImportReply> {
    const headers = body.encoding ? { ...this.headers, 'Content-Encoding': body.encoding } : this.headers;
    const reply = await this.http.post(this.url, body.data, headers, signal);
    if (reply.kind === 'network') return reply;
    return { kind: 'http', status: reply.status, body: reply.text, retryAfterMs: parseRetryAfter(reply.headers['retry-after']) };
  }

  close(): void {
    this.http.close();
  }
}

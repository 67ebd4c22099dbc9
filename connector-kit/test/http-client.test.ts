/**
 * The shared HTTP client over real loopback connections: answers arrive as plain text with lowercase headers,
 * network failures as our own code and message, and nothing of the request (Authorization header, body)
 * travels with a failure.
 */
import http from 'http';
import net from 'net';
import zlib from 'zlib';
import { HttpClient, hostLabel, parseRetryAfter } from '../http-client';
import { closeServer, listenOn, readBody } from '../../local-services/http-helpers';
import { backoffDelayMs } from '../backoff';
import { WakeUps } from '../wake-ups';

const SECRET = 'canary-secret-4711';
const BODY_SECRET = 'canary-body-0815';

async function freePortThatRefuses(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('HttpClient', () => {
  let server: http.Server;
  let base: string;
  const seen: Array<{ auth?: string; body: string; port?: number }> = [];

  beforeAll(async () => {
    server = http.createServer(async (req, res) => {
      const { body } = await readBody(req, 1 << 20);
      seen.push({ auth: req.headers.authorization, body: body.toString(), port: req.socket.remotePort });
      if (req.url === '/slow') return; // never answers: the client's timeout must fire
      if (req.url === '/big') return void res.writeHead(200).end('x'.repeat(4096));
      if (req.url === '/gzip') return void res.writeHead(200, { 'Content-Encoding': 'gzip' }).end(zlib.gzipSync('{"ok":"ünï"}'));
      if (req.url === '/redirect') {
        res.writeHead(302, { Location: '/elsewhere' }).end();
        return;
      }
      res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '3', 'X-RateLimit-Remaining': '0' });
      res.end('{"error":"slow down"}');
    });
    base = `http://127.0.0.1:${await listenOn(server)}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await closeServer(server);
  });

  it('hands back status, text and plain lowercase headers, sending the body as given (no JSON re-serialising)', async () => {
    const client = new HttpClient({ endpoint: base, timeoutMs: 5000, maxSockets: 2 });
    try {
      const reply = await client.post(`${base}/x`, '"a JSON string"', { Authorization: `Bearer ${SECRET}`, 'Content-Type': 'application/json' });
      expect(reply).toEqual({ kind: 'http', status: 429, text: '{"error":"slow down"}', headers: expect.objectContaining({ 'retry-after': '3', 'x-ratelimit-remaining': '0' }) });
      expect(seen.at(-1)).toMatchObject({ auth: `Bearer ${SECRET}`, body: '"a JSON string"' });
      expect(parseRetryAfter((reply as { headers: Record<string, unknown> }).headers['retry-after'])).toBe(3000);
    } finally {
      client.close();
    }
  });

  it('keeps connections alive, inflates a compressed answer, refuses one over maxContentLength, and stops on abort', async () => {
    const client = new HttpClient({ endpoint: base, timeoutMs: 5000, maxSockets: 1, maxContentLength: 1024 });
    try {
      await client.post(`${base}/x`, 'a', {});
      await client.post(`${base}/x`, 'b', {});
      expect(seen.at(-1)!.port).toBe(seen.at(-2)!.port);
      expect(await client.post(`${base}/gzip`, 'c', {})).toMatchObject({ kind: 'http', status: 200, text: '{"ok":"ünï"}' });
      expect(await client.post(`${base}/big`, 'd', {})).toEqual({ kind: 'network', code: 'ERR_RESPONSE_TOO_LARGE', message: `answer from ${hostLabel(base)} larger than 1 KiB` });
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 50);
      expect(await client.post(`${base}/slow`, 'e', {}, stop.signal)).toEqual({ kind: 'network', code: 'ERR_CANCELED', message: `request to ${hostLabel(base)} cancelled` });
      expect(await client.post(`${base}/x`, 'f', {}, stop.signal)).toMatchObject({ code: 'ERR_CANCELED' });
    } finally {
      client.close();
    }
  });

  it('does not follow redirects', async () => {
    const client = new HttpClient({ endpoint: base, timeoutMs: 5000, maxSockets: 2 });
    try {
      const reply = await client.post(`${base}/redirect`, 'x', {});
      expect(reply).toMatchObject({ kind: 'http', status: 302 });
    } finally {
      client.close();
    }
  });

  it('turns a refused connection and a timeout into our own messages that carry nothing of the request', async () => {
    const port = await freePortThatRefuses();
    const refused = new HttpClient({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 5000, maxSockets: 1 });
    const slow = new HttpClient({ endpoint: base, timeoutMs: 300, maxSockets: 1 });
    try {
      const headers = { Authorization: `Basic ${Buffer.from(`user:${SECRET}`).toString('base64')}` };
      const a = await refused.post(`http://127.0.0.1:${port}/import`, BODY_SECRET, headers);
      expect(a).toEqual({ kind: 'network', code: 'ECONNREFUSED', message: `connection to 127.0.0.1:${port} refused` });
      const b = await slow.post(`${base}/slow`, BODY_SECRET, headers);
      expect(b).toEqual({ kind: 'network', code: 'ECONNABORTED', message: `no answer from ${hostLabel(base)} within 0 s` });
      for (const reply of [a, b]) {
        const text = JSON.stringify(reply);
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(Buffer.from(`user:${SECRET}`).toString('base64'));
        expect(text).not.toContain(BODY_SECRET);
      }
    } finally {
      refused.close();
      slow.close();
    }
  });

  it('labels hosts without credentials', () => {
    expect(hostLabel('https://user:pw@api.example.com:8443/path')).toBe('api.example.com:8443');
    expect(hostLabel('not a url')).toBe('not a url');
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('1.5', 0)).toBe(1500);
    expect(parseRetryAfter(new Date(90_000).toUTCString(), 30_000)).toBe(60_000);
    expect(parseRetryAfter(new Date(0).toUTCString(), 30_000)).toBe(0);
    expect(parseRetryAfter('later', 0)).toBeUndefined();
  });
});

describe('backoffDelayMs', () => {
  const fixed = (r: number) => () => r;
  it('doubles from the base up to the cap, with jitter on the step or added from the base', () => {
    const scaled = { baseMs: 1000, maxMs: 4000, jitter: { stepSpread: 0.5 } };
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, { ...scaled, random: fixed(0.5) }))).toEqual([1000, 2000, 4000, 4000]);
    expect(backoffDelayMs(2, { ...scaled, random: fixed(0) })).toBe(1000);
    const added = { baseMs: 1000, maxMs: 4000, jitter: { baseFrom: 1, baseRange: 1 } };
    expect(backoffDelayMs(3, { ...added, random: fixed(1) })).toBe(6000);
  });
  it('honours Retry-After, bounded and stretched as the policy says', () => {
    expect(backoffDelayMs(1, { baseMs: 1000, maxMs: 4000, retryAfter: { capMs: 2500 } }, 9000)).toBe(2500);
    expect(backoffDelayMs(1, { baseMs: 1000, maxMs: 4000, retryAfter: { spread: 0.5 }, random: fixed(1) }, 100)).toBe(150);
  });
});

describe('WakeUps', () => {
  it('releases every waiter on the next wake-up, and only those', async () => {
    const wakeups = new WakeUps();
    const released: number[] = [];
    const first = [wakeups.next().then(() => released.push(1)), wakeups.next().then(() => released.push(2))];
    wakeups.wakeAll();
    await Promise.all(first);
    let late = false;
    void wakeups.next().then(() => (late = true));
    await new Promise((r) => setImmediate(r));
    expect(released.sort()).toEqual([1, 2]);
    expect(late).toBe(false);
  });
});

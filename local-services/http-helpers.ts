/**
 * Small HTTP pieces every local service shares: JSON answers, bounded body reading, HTTP Basic parsing and
 * listening on loopback. Each API module (one per real API) builds on these.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Reads the whole body, keeping at most `cap` bytes (the rest is drained so the answer can still be sent). */
export function readBody(req: http.IncomingMessage, cap: number): Promise<{ body: Buffer; total: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (kept + chunk.length <= cap) {
        chunks.push(chunk);
        kept += chunk.length;
      }
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks, kept), total }));
    req.on('error', reject);
    // A client that hangs up mid-body never sends 'end'; don't leave the handler waiting forever.
    req.on('close', () => { if (!req.complete) reject(new Error('client closed the connection before sending the whole body')); });
  });
}

/** `Authorization: Basic …` → user and password (an absent colon means an empty password), else null. */
export function parseBasic(header: string | undefined): { user: string; pass: string } | null {
  if (!header) return null;
  const match = /^Basic\s+(.+)$/i.exec(header.trim());
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? { user: decoded, pass: '' } : { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
}

/** Listens on `host` (default 127.0.0.1: loopback only) and `port` (0 = a free one); returns the port. */
export async function listenOn(server: http.Server, port = 0, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Closes the server and every open keep-alive connection. */
export async function closeServer(server: http.Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * A loopback HTTP proxy in front of a real storage server (s3rver, azurite, the fake GCS API), for a fault those
 * servers do not produce on their own: a download whose connection dies part-way. Requests and responses pass
 * unchanged (headers too, so signatures still verify), except that a successful GET whose path `cut` selects gets
 * its status, its headers and the first half of its body (1 KB of a chunked one), and then the socket is destroyed.
 */
import http from 'http';
import type { AddressInfo } from 'net';

/** Where a body without a Content-Length (chunked) is cut; the sample files are a few KB. */
const CHUNKED_CUT_BYTES = 1024;

export interface CuttingProxy {
  url: string;
  /** Which request paths (with query) to cut; none while unset. */
  cut?: (path: string) => boolean;
  /** Paths of the responses cut so far. */
  readonly cuts: string[];
  close(): Promise<void>;
}

export async function startCuttingProxy(upstream: string): Promise<CuttingProxy> {
  const cuts: string[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const forward = http.request(new URL(path, upstream), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (!(req.method === 'GET' && answer.statusCode === 200 && proxy.cut?.(path))) {
        answer.pipe(res);
        return;
      }
      cuts.push(path);
      const length = Number(answer.headers['content-length'] ?? 0);
      collect(answer, length > 1 ? Math.floor(length / 2) : CHUNKED_CUT_BYTES).then((head) => {
        answer.destroy();
        res.write(head, () => res.socket?.destroy());
      }, () => res.socket?.destroy());
    });
    forward.on('error', () => res.socket?.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: CuttingProxy = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cuts,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  return proxy;
}

/** The first `bytes` bytes of a body. */
async function collect(body: http.IncomingMessage, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  for await (const chunk of body) {
    chunks.push(chunk as Buffer);
    have += (chunk as Buffer).length;
    if (have >= bytes) break;
  }
  return Buffer.concat(chunks).subarray(0, bytes);
}

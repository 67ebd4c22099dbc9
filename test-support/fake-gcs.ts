/**
 * A loopback fake of the GCS JSON API calls @google-cloud/storage makes for the Currents source and the Braze
 * destination's membership store. No GCS emulator runs here (no Docker), so this is the one stand-in, and it is
 * strict where a wrong client call would fail against Google:
 * - every request carries a self-signed RS256 JWT, verified against the public half of the key the test
 *   generated (looked up by the key id, as Google does); an unknown or tampered key is a 401;
 * - the token's scope bounds what it may do (devstorage.read_only cannot write), and so does the account's
 *   role on the bucket (`read`: Storage Object Viewer; `write`: Storage Object User); else a 403;
 * - reads: objects.list (prefix, delimiter, startOffset, maxResults, pageToken), objects.get (metadata, or
 *   `alt=media` with GCS's x-goog-hash header); writes: multipart upload (POST /upload/…?uploadType=multipart,
 *   a multipart/related body of JSON metadata then the media, checked against any hash the metadata carries;
 *   answered with the object resource and its crc32c/md5Hash, which the client checks against what it sent)
 *   and objects.delete (204, or 404 when missing); `ifGenerationMatch` preconditions (412);
 * - anything else (a resumable or media upload, an upload without /upload/, another method) is refused.
 * Error bodies have GCS's shape (`error.code`, `error.errors[].reason`) and hold no secret.
 */
import crypto from 'crypto';
import http from 'http';
import type { AddressInfo } from 'net';

export interface ServiceAccount {
  /** The key file's JSON text, as Google issues it. */
  json: string;
  /** The private key (PEM), for tests that assert it never shows. */
  pem: string;
  publicKey: crypto.KeyObject;
  keyId: string;
  email: string;
}

/** A service-account key file as Google issues it, with a locally generated RSA key. */
export function serviceAccount(email: string): ServiceAccount {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const keyId = crypto.randomBytes(20).toString('hex');
  const json = JSON.stringify({
    type: 'service_account', project_id: 'braze-test', private_key_id: keyId, private_key: pem,
    client_email: email, client_id: '1', auth_uri: 'https://accounts.google.com/o/oauth2/auth', token_uri: 'https://oauth2.googleapis.com/token',
  });
  return { json, pem, publicKey, keyId, email };
}

/** The lines of a key's PEM body: each is secret, and none may appear in any output. */
export const keySecrets = (account: ServiceAccount): string[] => account.pem.split('\n').filter((l) => l.length > 40);

// CRC32C (Castagnoli), as GCS reports in x-goog-hash and the object resource.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
export function crc32c(buf: Buffer): string {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}
const md5 = (buf: Buffer) => crypto.createHash('md5').update(buf).digest('base64');

export interface FakeGcsObject {
  body: Buffer;
  updated: Date;
  contentType?: string;
  /** Set by the fake on upload; objects placed by a test get one on first sight. */
  generation?: string;
}

/** `read`: Storage Object Viewer (list, get). `write`: Storage Object User (also create, delete). `none`: a valid key without a role. */
export type GcsAccess = 'read' | 'write' | 'none';

export interface FakeGcsOptions {
  bucket: string;
  /** The accounts whose keys Google knows, with their role on the bucket. Any other key is a 401. */
  accounts: { account: ServiceAccount; access: GcsAccess }[];
  /** The bucket's content; tests may place objects here directly. */
  objects?: Map<string, FakeGcsObject>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

class GcsFailure extends Error {
  constructor(readonly code: number, readonly reason: string, message: string) {
    super(message);
  }
}
const fail = (code: number, reason: string, message: string) => new GcsFailure(code, reason, message);

type Permission = 'list' | 'get' | 'create' | 'delete';
const WRITES: ReadonlySet<Permission> = new Set(['create', 'delete']);
const SCOPE_PREFIX = 'https://www.googleapis.com/auth/';
const READ_SCOPES = new Set(['devstorage.read_only', 'devstorage.read_write', 'devstorage.full_control', 'cloud-platform', 'cloud-platform.read-only']);
const WRITE_SCOPES = new Set(['devstorage.read_write', 'devstorage.full_control', 'cloud-platform']);

export class FakeGcs {
  readonly server: http.Server;
  readonly objects: Map<string, FakeGcsObject>;
  /** What was asked, in order (tests assert on it; clear it with `requests.length = 0`). */
  readonly requests: RecordedRequest[] = [];
  /** Media comes with a Content-Length, as GCS sends objects stored without gzip, or chunked, as it sends gzip-stored ones. */
  readonly media = { chunked: false };
  private readonly bucket: string;
  private readonly keys = new Map<string, { email: string; publicKey: crypto.KeyObject; access: GcsAccess }>();
  private generations = 0;

  constructor(options: FakeGcsOptions) {
    this.bucket = options.bucket;
    this.objects = options.objects ?? new Map();
    for (const { account, access } of options.accounts) this.keys.set(account.keyId, { email: account.email, publicKey: account.publicKey, access });
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.handle(req, Buffer.concat(chunks), res);
        } catch (err) {
          const e = err instanceof GcsFailure ? err : fail(500, 'backendError', 'Backend Error');
          res.writeHead(e.code, { 'content-type': 'application/json; charset=UTF-8' });
          res.end(JSON.stringify({ error: { code: e.code, message: e.message, errors: [{ message: e.message, domain: 'global', reason: e.reason }] } }));
        }
      });
    });
  }

  /** Listens on a random loopback port; resolves to the endpoint (`api_endpoint`). */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query });
    const caller = this.callerOf(req.headers.authorization);
    const m = /^(\/upload|\/download)?\/storage\/v1\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(url.pathname);
    if (!m) throw fail(400, 'invalid', 'unsupported by the fake');
    const [, kind, bucket, encodedName] = m;
    const name = encodedName === undefined ? undefined : decodeURIComponent(encodedName);
    const isUpload = method === 'POST' && name === undefined;
    if (isUpload !== (kind === '/upload') || (kind === '/download' && method !== 'GET')) {
      throw fail(400, 'wrongUrlForUpload', 'Upload requests must include an uploadType URL parameter and a URL path beginning with /upload/');
    }
    if (decodeURIComponent(bucket) !== this.bucket) throw fail(404, 'notFound', 'The specified bucket does not exist.');

    if (isUpload) return this.upload(caller, req.headers['content-type'], query, body, res);
    if (method === 'GET' && name === undefined) {
      this.authorize(caller, 'list');
      return json(res, 200, this.list(query));
    }
    if (method === 'GET' && name !== undefined) {
      this.authorize(caller, 'get');
      const object = this.objects.get(name);
      if (!object) throw fail(404, 'notFound', `No such object: ${this.bucket}/${name}`);
      this.checkPreconditions(object, query);
      if (query.alt !== 'media') return json(res, 200, this.resource(name, object));
      res.writeHead(200, {
        'content-type': object.contentType ?? 'application/octet-stream',
        ...(this.media.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(object.body.length) }),
        'x-goog-hash': `crc32c=${crc32c(object.body)},md5=${md5(object.body)}`,
        'x-goog-generation': this.generationOf(object),
        'x-goog-stored-content-encoding': 'identity',
      });
      return void res.end(object.body);
    }
    if (method === 'DELETE' && name !== undefined) {
      this.authorize(caller, 'delete');
      const object = this.objects.get(name);
      if (!object) throw fail(404, 'notFound', `No such object: ${this.bucket}/${name}`);
      this.checkPreconditions(object, query);
      this.objects.delete(name);
      res.writeHead(204);
      return void res.end();
    }
    throw fail(400, 'invalid', 'unsupported by the fake');
  }

  /** The key behind a valid self-signed JWT (RS256, signed by a key Google knows, not expired) and its scopes; else a 401. */
  private callerOf(authorization: string | undefined): { email: string; access: GcsAccess; scopes: Set<string> } {
    const invalid = fail(401, 'authError', 'Invalid Credentials');
    const m = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(authorization ?? '');
    if (!m) throw invalid;
    const decoded = (part: string) => {
      try {
        return JSON.parse(Buffer.from(part, 'base64url').toString()) ?? {};
      } catch {
        throw invalid;
      }
    };
    const header = decoded(m[1]);
    const claims = decoded(m[2]);
    const key = this.keys.get(header.kid);
    if (header.alg !== 'RS256' || !key || claims.iss !== key.email) throw invalid;
    if (!crypto.verify('sha256', Buffer.from(`${m[1]}.${m[2]}`), key.publicKey, Buffer.from(m[3], 'base64url'))) throw invalid;
    if (!(claims.exp * 1000 > Date.now())) throw invalid;
    const scopes = new Set(String(claims.scope ?? '').split(' ').filter((s) => s.startsWith(SCOPE_PREFIX)).map((s) => s.slice(SCOPE_PREFIX.length)));
    return { email: key.email, access: key.access, scopes };
  }

  /** The token's scope first (as Google checks it), then the account's role on the bucket. */
  private authorize(caller: { email: string; access: GcsAccess; scopes: Set<string> }, permission: Permission): void {
    const write = WRITES.has(permission);
    if (![...caller.scopes].some((s) => (write ? WRITE_SCOPES : READ_SCOPES).has(s))) {
      throw fail(403, 'insufficientPermissions', 'Provided scope(s) are not authorized');
    }
    if (caller.access === 'write' || (caller.access === 'read' && !write)) return;
    const on = permission === 'list' ? 'bucket' : 'object';
    throw fail(403, 'forbidden', `${caller.email} does not have storage.objects.${permission} access to the Google Cloud Storage ${on}. Permission 'storage.objects.${permission}' denied on resource (or it may not exist).`);
  }

  private list(query: Record<string, string>) {
    const prefix = query.prefix ?? '';
    const delimiter = query.delimiter;
    const from = query.pageToken ? Buffer.from(query.pageToken, 'base64url').toString() : undefined;
    const pageSize = Math.min(Number(query.maxResults ?? 1000), 1000);
    const names = [...this.objects.keys()].sort().filter((n) => n.startsWith(prefix) && (!query.startOffset || n >= query.startOffset) && (!from || n > from));
    const items: string[] = [];
    const prefixes = new Set<string>();
    let last: string | undefined;
    for (const name of names) {
      if (items.length + prefixes.size >= pageSize) break;
      last = name;
      const cut = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
      if (cut >= 0) prefixes.add(name.slice(0, cut + delimiter!.length));
      else items.push(name);
    }
    const more = last !== undefined && names[names.length - 1] !== last;
    return {
      kind: 'storage#objects',
      items: items.map((name) => this.resource(name, this.objects.get(name)!)),
      ...(prefixes.size ? { prefixes: [...prefixes] } : {}),
      ...(more ? { nextPageToken: Buffer.from(last!).toString('base64url') } : {}),
    };
  }

  /**
   * objects.insert with uploadType=multipart: a multipart/related body whose first part is the object's JSON
   * metadata and whose second is the media. The name comes from the query or the metadata.
   */
  private upload(caller: { email: string; access: GcsAccess; scopes: Set<string> }, contentType: string | undefined, query: Record<string, string>, body: Buffer, res: http.ServerResponse): void {
    if (query.uploadType !== 'multipart') throw fail(400, 'invalid', `unsupported by the fake: uploadType=${query.uploadType ?? '(none)'}`);
    this.authorize(caller, 'create');
    const parts = multipartRelated(contentType, body);
    if (parts.length !== 2 || !/^application\/json\b/i.test(parts[0].contentType ?? '')) {
      throw fail(400, 'invalid', 'Multipart upload must have two parts: the JSON metadata, then the media.');
    }
    let metadata: Record<string, unknown>;
    try {
      metadata = JSON.parse(parts[0].body.toString('utf8') || '{}');
    } catch {
      throw fail(400, 'parseError', 'Parse Error');
    }
    const name = query.name ?? (typeof metadata.name === 'string' ? metadata.name : undefined);
    if (!name) throw fail(400, 'required', 'Required');
    const media = parts[1].body;
    if (typeof metadata.crc32c === 'string' && metadata.crc32c !== crc32c(media)) {
      throw fail(400, 'invalid', `Provided CRC32C "${metadata.crc32c}" doesn't match calculated CRC32C "${crc32c(media)}".`);
    }
    if (typeof metadata.md5Hash === 'string' && metadata.md5Hash !== md5(media)) {
      throw fail(400, 'invalid', `Provided MD5 hash "${metadata.md5Hash}" doesn't match calculated MD5 hash "${md5(media)}".`);
    }
    const existing = this.objects.get(name);
    this.checkPreconditions(existing, query);
    const object: FakeGcsObject = {
      body: media,
      updated: new Date(),
      contentType: typeof metadata.contentType === 'string' ? metadata.contentType : parts[1].contentType ?? 'application/octet-stream',
      generation: this.nextGeneration(),
    };
    this.objects.set(name, object);
    json(res, 200, this.resource(name, object));
  }

  /** ifGenerationMatch / ifGenerationNotMatch (0 meaning "no live object"). */
  private checkPreconditions(object: FakeGcsObject | undefined, query: Record<string, string>): void {
    const generation = object ? this.generationOf(object) : '0';
    const unmet = (query.ifGenerationMatch !== undefined && query.ifGenerationMatch !== generation)
      || (query.ifGenerationNotMatch !== undefined && query.ifGenerationNotMatch === generation);
    if (unmet) throw fail(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
  }

  private nextGeneration(): string {
    return String(Date.now() * 1000 + (this.generations++ % 1000)); // GCS generations are microsecond timestamps
  }

  private generationOf(object: FakeGcsObject): string {
    object.generation ??= this.nextGeneration();
    return object.generation;
  }

  /** The object resource (JSON API `storage#object`), with sizes and generations as strings as GCS sends them. */
  private resource(name: string, object: FakeGcsObject) {
    const generation = this.generationOf(object);
    return {
      kind: 'storage#object',
      id: `${this.bucket}/${name}/${generation}`,
      name,
      bucket: this.bucket,
      generation,
      metageneration: '1',
      contentType: object.contentType ?? 'application/octet-stream',
      storageClass: 'STANDARD',
      size: String(object.body.length),
      md5Hash: md5(object.body),
      crc32c: crc32c(object.body),
      etag: Buffer.from(generation).toString('base64'),
      timeCreated: object.updated.toISOString(),
      updated: object.updated.toISOString(),
    };
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

/** The parts of a multipart/related body (RFC 2387): each part's Content-Type and bytes. */
function multipartRelated(contentType: string | undefined, body: Buffer): { contentType?: string; body: Buffer }[] {
  const m = /^multipart\/related\s*;.*\bboundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  if (!m) throw fail(400, 'invalid', 'A multipart upload needs Content-Type multipart/related with a boundary.');
  const delimiter = Buffer.from(`--${m[1] ?? m[2]}`);
  const parts: { contentType?: string; body: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw fail(400, 'invalid', 'Multipart body has no boundary.');
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return parts; // the closing delimiter
    if (body.subarray(at, at + 2).toString() !== '\r\n') break;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), at);
    if (next < 0) break;
    const part = body.subarray(at + 2, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) break;
    const headers = part.subarray(0, headerEnd).toString('latin1').split('\r\n');
    const type = headers.find((h) => /^content-type:/i.test(h))?.replace(/^content-type:\s*/i, '');
    parts.push({ contentType: type, body: part.subarray(headerEnd + 4) });
    at = next + 2;
  }
  throw fail(400, 'invalid', 'Malformed multipart body.');
}

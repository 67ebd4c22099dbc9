/**
 * Google Cloud Storage through @google-cloud/storage (JSON API), authenticated with a service-account key.
 * (GCS's XML API with HMAC keys also works through the s3 storage type, endpoint https://storage.googleapis.com.)
 */
import { Storage as GcsClient, type Bucket, type GetFilesOptions } from '@google-cloud/storage';
import { JWT } from 'google-auth-library';
import type { Readable } from 'stream';
import { describeGcsError, gcsErrorCode } from './gcs-errors';
import { parseServiceAccountJson } from './gcs-credentials';
import { guardDownload, type DownloadOptions } from './read-errors';
import type { ListedChildren, Storage, StoredObject } from './storage';

export interface GcsStorageConfig {
  type: 'gcs';
  bucket: string;
  /** The service-account key file's JSON text. */
  service_account_json: string;
  /** Another JSON API endpoint (Private Service Connect, tests); default https://storage.googleapis.com. */
  api_endpoint?: string;
}

export const READ_ONLY_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_only';

interface ListedObjectResource { name?: string; size?: string | number; updated?: string }
interface ListPage { items?: ListedObjectResource[]; prefixes?: string[]; nextPageToken?: string }

/**
 * A service-account client that signs its own scoped JWT per request ("self-signed JWT"), as Google's Go
 * storage client does by default: no round trip to the OAuth token endpoint, and read-only scope.
 */
function authClientFor(key: ReturnType<typeof parseServiceAccountJson>, scope: string): JWT {
  const jwt = new JWT({ email: key.clientEmail, key: key.privateKey, keyId: key.privateKeyId, scopes: [scope] });
  jwt.useJWTAccessWithScope = true;
  return jwt;
}

export class GcsStorage implements Storage {
  readonly location: string;
  private readonly bucket: Bucket;
  private readonly principal: string;

  constructor(private readonly config: GcsStorageConfig, private readonly download: DownloadOptions = {}) {
    const { bucket, principal } = gcsBucketFor(config, READ_ONLY_SCOPE);
    this.principal = principal;
    this.location = `gs://${config.bucket}`;
    this.bucket = bucket;
  }

  async probe(prefix: string): Promise<void> {
    await this.listPage(`listing "${prefix}"`, { prefix, maxResults: 1 });
  }

  /** `startOffset` (inclusive) does what S3's StartAfter does, so old hours are never listed. */
  async *listObjects(prefix: string, startAfter?: string): AsyncIterable<StoredObject> {
    let query: GetFilesOptions | undefined = { prefix, ...(startAfter ? { startOffset: startAfter } : {}), maxResults: 1000 };
    while (query) {
      const [page, next] = await this.listPage(`listing "${prefix}"`, query);
      for (const item of page.items ?? []) {
        if (item.name === undefined || (startAfter !== undefined && item.name <= startAfter)) continue;
        yield toStoredObject(item);
      }
      query = next;
    }
  }

  async listChildren(prefix: string): Promise<ListedChildren> {
    const result: ListedChildren = { prefixes: [], objects: [] };
    let query: GetFilesOptions | undefined = { prefix, delimiter: '/', maxResults: 1000 };
    while (query) {
      const [page, next] = await this.listPage(`listing "${prefix}"`, query);
      result.prefixes.push(...(page.prefixes ?? []));
      for (const item of page.items ?? []) if (item.name !== undefined) result.objects.push(toStoredObject(item));
      query = next;
    }
    result.prefixes.sort();
    return result;
  }

  /**
   * The client sends the request when the stream is first read (here, at once: the guard pipes it), so errors of
   * the request itself (a missing object, access denied) surface through the stream too, described the same way.
   */
  async open(key: string): Promise<Readable> {
    const action = `reading "${key}"`;
    return guardDownload(this.bucket.file(key).createReadStream(), {
      key,
      store: `GCS bucket "${this.config.bucket}"`,
      describe: (err) => this.describe(err, action),
      codeOf: gcsErrorCode,
    }, this.download);
  }

  /** One page of objects.list; returns the raw resource (sizes as strings) and the query for the next page. */
  private async listPage(action: string, query: GetFilesOptions): Promise<[ListPage, GetFilesOptions | undefined]> {
    try {
      const [, next, response] = await this.bucket.getFiles({ ...query, autoPaginate: false });
      return [(response ?? {}) as ListPage, (next as GetFilesOptions | null) ?? undefined];
    } catch (err) {
      throw this.describe(err, action);
    }
  }

  private describe(err: unknown, action: string) {
    return describeGcsError(err, { bucket: this.config.bucket, action, principal: this.principal });
  }
}

/**
 * The bucket handle for a storage config, with a self-signed JWT of `scope` (shared with destination-braze's
 * membership store, which needs read-write). `principal` is the service account's e-mail, for messages.
 */
export function gcsBucketFor(config: GcsStorageConfig, scope: string): { bucket: Bucket; principal: string } {
  const key = parseServiceAccountJson(config.service_account_json);
  const client = new GcsClient({
    authClient: authClientFor(key, scope),
    projectId: key.projectId,
    ...(config.api_endpoint ? { apiEndpoint: config.api_endpoint.replace(/\/+$/, ''), useAuthWithCustomEndpoint: true } : {}),
    // Bounded: the default keeps retrying an unreachable endpoint for up to 10 minutes.
    retryOptions: { autoRetry: true, maxRetries: 3, maxRetryDelay: 8, totalTimeout: 120 },
  });
  return { bucket: client.bucket(config.bucket), principal: key.clientEmail };
}

function toStoredObject(item: ListedObjectResource): StoredObject {
  return { key: item.name as string, size: Number(item.size ?? 0), lastModified: item.updated ? new Date(item.updated) : new Date(0) };
}

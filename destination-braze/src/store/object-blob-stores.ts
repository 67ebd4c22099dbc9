/**
 * The membership store in S3, GCS or Azure Blob Storage. The clients are built by the Currents source's
 * storage code from the same settings shape (source-braze-currents/src/storage/), and its error describers
 * turn SDK failures into messages that say what to fix; here they are renamed to this connector's setting.
 */
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConnectorError } from '../../../connector-kit/errors';
import { containerClientFor, type AzureStorageConfig } from '../../../source-braze-currents/src/storage/azure';
import { describeAzureError } from '../../../source-braze-currents/src/storage/azure-errors';
import { gcsBucketFor, type GcsStorageConfig } from '../../../source-braze-currents/src/storage/gcs';
import { describeGcsError } from '../../../source-braze-currents/src/storage/gcs-errors';
import { s3ClientConfig, type S3StorageConfig } from '../../../source-braze-currents/src/storage/s3';
import { describeS3Error } from '../../../source-braze-currents/src/storage/s3-errors';
import type { BlobStore } from './blob-store';

const READ_WRITE_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_write';
const GCS_ROLE = '"Storage Object User" role (storage.objects.list, get, create and delete)';
/** What each store needs, added to every store error unless the message says it already (a GCS 403 names the role). */
const WRITE_NEEDS: Record<string, string> = {
  s3: 's3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject',
  gcs: `the ${GCS_ROLE} on the bucket`,
  azure: 'Read, Write, List and Delete permissions on the container',
};

/**
 * The source's messages name its `storage` setting and read-only permissions; this connector's setting is
 * `membership_store` (GCS permission names, storage.objects.*, stay as they are).
 */
function forMembershipStore(err: ConnectorError, type: string): ConnectorError {
  const renamed = err.message.replace(/\bstorage\.(?!objects\.)/g, 'membership_store.');
  const message = renamed.includes(WRITE_NEEDS[type]) ? renamed : `${renamed} The membership store needs ${WRITE_NEEDS[type]}.`;
  return new ConnectorError(message, err.failureType, err.internalMessage);
}

/** Runs one store call, describing a failure with the given describer. */
async function described<T>(type: string, describe: (err: unknown) => ConnectorError, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw forMembershipStore(describe(err), type);
  }
}

const join = (prefix: string, key: string) => prefix + key;
const whole = (bytes: Buffer | Buffer[]) => (Buffer.isBuffer(bytes) ? bytes : Buffer.concat(bytes));

export class S3BlobStore implements BlobStore {
  readonly location: string;
  private readonly client: S3Client;

  constructor(private readonly config: S3StorageConfig, private readonly prefix: string) {
    this.client = new S3Client(s3ClientConfig(config, 'destination-braze'));
    this.location = `s3://${config.bucket}/${prefix}`;
  }

  private call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    const authType = this.config.credentials?.auth_type ?? 'default_chain';
    return described('s3', (err) => describeS3Error(err, { bucket: this.config.bucket, action, authType }), fn);
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.call(`reading "${join(this.prefix, key)}"`, async () => {
      try {
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: join(this.prefix, key) }));
        return Buffer.from(await out.Body!.transformToByteArray());
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchKey' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
        throw err;
      }
    });
  }

  async put(key: string, bytes: Buffer | Buffer[]): Promise<void> {
    await this.call(`writing "${join(this.prefix, key)}"`, () => this.client.send(new PutObjectCommand({ Bucket: this.config.bucket, Key: join(this.prefix, key), Body: whole(bytes) })));
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(`listing "${join(this.prefix, prefix)}"`, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: join(this.prefix, prefix), ContinuationToken: token })));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key.slice(this.prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const objects = keys.slice(i, i + 1000).map((key) => ({ Key: join(this.prefix, key) }));
      await this.call('deleting old progress files', () => this.client.send(new DeleteObjectsCommand({ Bucket: this.config.bucket, Delete: { Objects: objects, Quiet: true } })));
    }
  }
}

export class GcsBlobStore implements BlobStore {
  readonly location: string;
  private readonly bucket: ReturnType<typeof gcsBucketFor>['bucket'];
  private readonly principal: string;

  constructor(private readonly config: GcsStorageConfig, private readonly prefix: string) {
    ({ bucket: this.bucket, principal: this.principal } = gcsBucketFor(config, READ_WRITE_SCOPE));
    this.location = `gs://${config.bucket}/${prefix}`;
  }

  private call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return described('gcs', (err) => describeGcsError(err, { bucket: this.config.bucket, action, principal: this.principal, role: GCS_ROLE }), fn);
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.call(`reading "${join(this.prefix, key)}"`, async () => {
      try {
        const [bytes] = await this.bucket.file(join(this.prefix, key)).download();
        return bytes;
      } catch (err) {
        if ((err as { code?: number }).code === 404) return undefined;
        throw err;
      }
    });
  }

  async put(key: string, bytes: Buffer | Buffer[]): Promise<void> {
    // One multipart request: store files are small enough, and with a custom api_endpoint the client (7.x) sends
    // resumable uploads without their Authorization header.
    await this.call(`writing "${join(this.prefix, key)}"`, () => this.bucket.file(join(this.prefix, key)).save(whole(bytes), { resumable: false }));
  }

  async list(prefix: string): Promise<string[]> {
    const [files] = await this.call(`listing "${join(this.prefix, prefix)}"`, () => this.bucket.getFiles({ prefix: join(this.prefix, prefix) }));
    return files.map((f) => f.name.slice(this.prefix.length)).sort();
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) {
      await this.call(`deleting "${join(this.prefix, key)}"`, () => this.bucket.file(join(this.prefix, key)).delete({ ignoreNotFound: true }));
    }
  }
}

export class AzureBlobStore implements BlobStore {
  readonly location: string;
  private readonly container: ReturnType<typeof containerClientFor>;

  constructor(private readonly config: AzureStorageConfig, private readonly prefix: string) {
    this.container = containerClientFor(config);
    const url = new URL(this.container.url);
    this.location = `${url.origin}${url.pathname}/${prefix}`; // without the query string, which may hold a SAS token
  }

  private call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return described('azure', (err) => describeAzureError(err, { container: this.config.container, action, authType: this.config.credentials.auth_type }), fn);
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.call(`reading "${join(this.prefix, key)}"`, async () => {
      try {
        return await this.container.getBlobClient(join(this.prefix, key)).downloadToBuffer();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    });
  }

  async put(key: string, bytes: Buffer | Buffer[]): Promise<void> {
    await this.call(`writing "${join(this.prefix, key)}"`, () => this.container.getBlockBlobClient(join(this.prefix, key)).uploadData(whole(bytes)));
  }

  async list(prefix: string): Promise<string[]> {
    return this.call(`listing "${join(this.prefix, prefix)}"`, async () => {
      const keys: string[] = [];
      for await (const blob of this.container.listBlobsFlat({ prefix: join(this.prefix, prefix) })) keys.push(blob.name.slice(this.prefix.length));
      return keys.sort();
    });
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) {
      await this.call(`deleting "${join(this.prefix, key)}"`, () => this.container.getBlobClient(join(this.prefix, key)).deleteIfExists());
    }
  }
}

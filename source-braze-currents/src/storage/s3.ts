/** S3 and S3-compatible storage (AWS, MinIO, GCS interoperability) through AWS SDK v3. */
import { GetObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Readable } from 'stream';
import { guardDownload, type DownloadOptions } from './read-errors';
import { describeS3Error, s3ErrorCode } from './s3-errors';
import type { ListedChildren, Storage, StoredObject } from './storage';

export type S3Credentials =
  | { auth_type: 'access_key'; aws_access_key_id: string; aws_secret_access_key: string }
  | { auth_type: 'role'; role_arn: string; external_id?: string }
  | { auth_type: 'default_chain' };

export interface S3StorageConfig {
  type: 's3';
  bucket: string;
  region?: string;
  endpoint?: string;
  force_path_style?: boolean;
  credentials?: S3Credentials;
}

export class S3Storage implements Storage {
  readonly location: string;
  private readonly client: S3Client;
  private readonly authType: string;

  constructor(private readonly config: S3StorageConfig, private readonly download: DownloadOptions = {}) {
    this.location = `s3://${config.bucket}`;
    this.authType = config.credentials?.auth_type ?? 'default_chain';
    this.client = new S3Client(s3ClientConfig(config));
  }

  async probe(prefix: string): Promise<void> {
    await this.call(`listing "${prefix}"`, () => this.client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix })));
  }

  async *listObjects(prefix: string, startAfter?: string): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const page = await this.call(`listing "${prefix}"`, () =>
        this.client.send(new ListObjectsV2Command({
          Bucket: this.config.bucket,
          Prefix: prefix,
          StartAfter: token ? undefined : startAfter,
          ContinuationToken: token,
        })));
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async listChildren(prefix: string): Promise<ListedChildren> {
    const result: ListedChildren = { prefixes: [], objects: [] };
    let token: string | undefined;
    do {
      const page = await this.call(`listing "${prefix}"`, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token })));
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) result.prefixes.push(p.Prefix);
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined) result.objects.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (result.prefixes.length === 0 && result.objects.length === 0) return this.listChildrenBySkipScan(prefix);
    return result;
  }

  /**
   * Some S3-compatible servers (s3rver, for one) return no CommonPrefixes for deeper trees. When a delimiter
   * listing comes back empty we check by skip-scanning: read a page of keys, note each key's child folder,
   * and continue after everything in the last folder seen. (No MaxKeys=1: s3rver's continuation tokens
   * need a cipher Node 20's OpenSSL lacks.)
   */
  private async listChildrenBySkipScan(prefix: string): Promise<ListedChildren> {
    const result: ListedChildren = { prefixes: [], objects: [] };
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.call(`listing "${prefix}"`, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, StartAfter: startAfter })));
      const contents = page.Contents ?? [];
      if (contents.length === 0) return result;
      for (const o of contents) {
        if (!o.Key) continue;
        const slash = o.Key.indexOf('/', prefix.length);
        if (slash < 0) {
          result.objects.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
          startAfter = o.Key;
        } else {
          const child = o.Key.slice(0, slash + 1);
          if (result.prefixes[result.prefixes.length - 1] !== child) result.prefixes.push(child);
          startAfter = `${child}\u{10FFFF}`; // sorts after every key in that folder
        }
      }
      if (!page.IsTruncated && startAfter === contents[contents.length - 1].Key) return result;
    }
  }

  async open(key: string): Promise<Readable> {
    const action = `reading "${key}"`;
    const out = await this.call(action, () => this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key })));
    return guardDownload(out.Body as Readable, {
      key,
      store: `S3 bucket "${this.config.bucket}"`,
      describe: (err) => this.describe(err, action),
      codeOf: s3ErrorCode,
    }, this.download);
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.describe(err, action);
    }
  }

  private describe(err: unknown, action: string) {
    return describeS3Error(err, { bucket: this.config.bucket, action, authType: this.authType });
  }
}

/** The S3 client settings for a storage config (shared with destination-braze's membership store). */
export function s3ClientConfig(config: S3StorageConfig, sessionName = 'source-braze-currents'): S3ClientConfig {
  const region = config.region || 'us-east-1';
  const result: S3ClientConfig = { region, forcePathStyle: config.force_path_style ?? false };
  if (config.endpoint) result.endpoint = config.endpoint;
  const creds = config.credentials;
  if (creds?.auth_type === 'access_key') {
    result.credentials = { accessKeyId: creds.aws_access_key_id, secretAccessKey: creds.aws_secret_access_key };
  } else if (creds?.auth_type === 'role') {
    result.credentials = fromTemporaryCredentials({
      params: {
        RoleArn: creds.role_arn,
        ...(creds.external_id ? { ExternalId: creds.external_id } : {}),
        RoleSessionName: sessionName,
      },
      clientConfig: { region },
    });
  }
  // default_chain: leaving `credentials` unset makes the SDK use its default provider chain.
  return result;
}

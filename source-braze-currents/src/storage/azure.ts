/** Azure Blob Storage (and the Azurite emulator) through @azure/storage-blob. */
import { AnonymousCredential, ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import type { Readable } from 'stream';
import { configError } from '../../../connector-kit/errors';
import { azureErrorCode, describeAzureError } from './azure-errors';
import { listAfterKey } from './list-after-key';
import { guardDownload, type DownloadOptions } from './read-errors';
import type { ListedChildren, Storage, StoredObject } from './storage';

export type AzureCredentials =
  | { auth_type: 'connection_string'; connection_string: string }
  | { auth_type: 'sas'; account_url: string; sas_token: string };

export interface AzureStorageConfig {
  type: 'azure';
  container: string;
  credentials: AzureCredentials;
}

/** Bounded retries: the SDK's defaults wait about a minute before an unreachable endpoint is reported. */
const PIPELINE_OPTIONS: StoragePipelineOptions = {
  retryOptions: { maxTries: 4, retryDelayInMs: 500, maxRetryDelayInMs: 8000, tryTimeoutInMs: 120_000 },
  userAgentOptions: { userAgentPrefix: 'source-braze-currents' },
};

/** `myaccount` → `https://myaccount.blob.core.windows.net`; a URL stays as written (emulators, sovereign clouds). */
export function accountUrlOf(accountUrl: string): string {
  const trimmed = accountUrl.trim().replace(/\/+$/, '');
  return /^[a-z0-9]{3,24}$/.test(trimmed) ? `https://${trimmed}.blob.core.windows.net` : trimmed;
}

/** The container client for a storage config (shared with destination-braze's membership store). */
export function containerClientFor(config: AzureStorageConfig): ContainerClient {
  const creds = config.credentials;
  if (creds?.auth_type === 'sas') {
    const base = accountUrlOf(creds.account_url);
    if (!/^https?:\/\/[^/?#]+/.test(base)) {
      throw configError(`storage.credentials.account_url "${creds.account_url}" is not a URL; use https://ACCOUNT.blob.core.windows.net (or the account name alone).`);
    }
    const sas = creds.sas_token.trim().replace(/^\?/, '');
    return new ContainerClient(`${base}/${encodeURIComponent(config.container)}?${sas}`, new AnonymousCredential(), PIPELINE_OPTIONS);
  }
  if (creds?.auth_type === 'connection_string') {
    try {
      return new ContainerClient(creds.connection_string.trim(), config.container, PIPELINE_OPTIONS);
    } catch {
      // The SDK's message may quote the string; ours names the setting only.
      throw configError('storage.credentials.connection_string is not a valid Azure Storage connection string; copy it from the storage account\'s "Access keys" page (DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=core.windows.net).');
    }
  }
  throw configError('storage.credentials.auth_type must be "connection_string" or "sas" for Azure storage.');
}

/** The container's URL without its query string (which holds the SAS token when there is one). */
function publicUrlOf(client: ContainerClient): string {
  const url = new URL(client.url);
  return `${url.origin}${url.pathname}`;
}

export class AzureStorage implements Storage {
  readonly location: string;
  private readonly client: ContainerClient;
  private readonly authType: string;

  constructor(private readonly config: AzureStorageConfig, private readonly download: DownloadOptions = {}) {
    this.client = containerClientFor(config);
    this.authType = config.credentials.auth_type;
    this.location = publicUrlOf(this.client);
  }

  async probe(prefix: string): Promise<void> {
    await this.call(`listing "${prefix}"`, () => this.client.listBlobsFlat({ prefix }).byPage({ maxPageSize: 1 }).next());
  }

  /**
   * Azure has no StartAfter. With `startAfter` we list level by level (see list-after-key.ts), so only the
   * hours from the requested one on are listed in full; without it, a flat (recursive) listing.
   */
  listObjects(prefix: string, startAfter?: string): AsyncIterable<StoredObject> {
    if (!startAfter) return this.listFlat(prefix);
    return listAfterKey(prefix, startAfter, (folder) => this.listChildren(folder), (folder) => this.listFlat(folder));
  }

  async listChildren(prefix: string): Promise<ListedChildren> {
    const result: ListedChildren = { prefixes: [], objects: [] };
    const pages = this.client.listBlobsByHierarchy('/', { prefix }).byPage({ maxPageSize: 5000 });
    for (;;) {
      const page = await this.call(`listing "${prefix}"`, () => pages.next());
      if (page.done) break;
      for (const p of page.value.segment.blobPrefixes ?? []) result.prefixes.push(p.name);
      for (const b of page.value.segment.blobItems) result.objects.push(toStoredObject(b));
    }
    result.prefixes.sort();
    result.objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return result;
  }

  async open(key: string): Promise<Readable> {
    const action = `reading "${key}"`;
    const response = await this.call(action, () => this.client.getBlobClient(key).download());
    const body = response.readableStreamBody as Readable | undefined;
    if (!body) throw this.describe({ code: 'EmptyDownload' }, action);
    return guardDownload(body, {
      key,
      store: `Azure container "${this.config.container}"`,
      describe: (err) => this.describe(err, action),
      codeOf: azureErrorCode,
    }, this.download);
  }

  private async *listFlat(prefix: string): AsyncIterable<StoredObject> {
    const pages = this.client.listBlobsFlat({ prefix }).byPage({ maxPageSize: 5000 });
    for (;;) {
      const page = await this.call(`listing "${prefix}"`, () => pages.next());
      if (page.done) return;
      for (const b of page.value.segment.blobItems) yield toStoredObject(b);
    }
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.describe(err, action);
    }
  }

  private describe(err: unknown, action: string) {
    return describeAzureError(err, { container: this.config.container, action, authType: this.authType });
  }
}

function toStoredObject(b: { name: string; properties: { contentLength?: number; lastModified?: Date } }): StoredObject {
  return { key: b.name, size: b.properties.contentLength ?? 0, lastModified: b.properties.lastModified ?? new Date(0) };
}

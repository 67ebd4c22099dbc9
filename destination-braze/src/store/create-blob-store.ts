/** The BlobStore a `membership_store` setting names (same shapes as the Currents source's `storage`, plus `local`). */
import { configError } from '../../../connector-kit/errors';
import type { StorageConfig } from '../../../source-braze-currents/src/storage/create-storage';
import type { BlobStore } from './blob-store';
import { LocalBlobStore } from './local-blob-store';

export type MembershipStoreConfig = StorageConfig;

/** `prefix` (object stores only): the folder inside the bucket/container, ending with `/`. */
export function createBlobStore(config: MembershipStoreConfig, prefix: string): BlobStore {
  if (config.type === 'local') return new LocalBlobStore(config.path);
  // The cloud SDKs are loaded only when used: they take longer to load than a local sync takes to start.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const stores = require('./object-blob-stores') as typeof import('./object-blob-stores');
  switch (config.type) {
    case 's3':
      return new stores.S3BlobStore(config, prefix);
    case 'gcs':
      return new stores.GcsBlobStore(config, prefix);
    case 'azure':
      return new stores.AzureBlobStore(config, prefix);
    default:
      throw configError(`membership_store.type "${(config as { type?: string }).type}" is not supported; use "local", "s3", "gcs" or "azure".`);
  }
}

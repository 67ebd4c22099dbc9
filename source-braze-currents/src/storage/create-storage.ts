import { configError } from '../../../connector-kit/errors';
import { LocalStorage } from './local';
import type { AzureStorageConfig } from './azure';
import type { GcsStorageConfig } from './gcs';
import type { S3StorageConfig } from './s3';
import type { Storage } from './storage';

export type StorageConfig = { type: 'local'; path: string } | S3StorageConfig | AzureStorageConfig | GcsStorageConfig;

export function createStorage(config: StorageConfig): Storage {
  switch (config.type) {
    case 'local':
      return new LocalStorage(config.path);
    case 's3': {
      // Loaded on demand: the AWS SDK takes longer to load than a small local read takes to run.
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { S3Storage } = require('./s3') as typeof import('./s3');
      return new S3Storage(config);
    }
    case 'azure': {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { AzureStorage } = require('./azure') as typeof import('./azure');
      return new AzureStorage(config);
    }
    case 'gcs': {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { GcsStorage } = require('./gcs') as typeof import('./gcs');
      return new GcsStorage(config);
    }
    default:
      throw configError(`storage.type "${(config as { type?: string }).type}" is not supported; use "local", "s3", "azure" or "gcs".`);
  }
}

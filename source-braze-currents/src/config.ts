/** The validated config (the kit applied spec defaults) turned into what the source works with. */
import type { JsonObject } from '../../connector-kit/protocol';
import { configError } from '../../connector-kit/errors';
import { Hour, hourOf } from './hours';
import { createStorage, type StorageConfig } from './storage/create-storage';
import type { Storage } from './storage/storage';

export interface SourceSettings {
  storage: Storage;
  /** Normalised key prefix: `""` or `"currents/"` (always ends with `/` when not empty). */
  rootPrefix: string;
  /** For messages: `s3://bucket/currents/`. */
  where: string;
  startHour?: Hour;
  lookbackHours: number;
  skipCorruptFiles: boolean;
}

export const DEFAULT_LOOKBACK_HOURS = 48;

export function normalisePrefix(prefix: unknown): string {
  const trimmed = typeof prefix === 'string' ? prefix.replace(/^\/+|\/+$/g, '') : 'currents';
  return trimmed ? `${trimmed}/` : '';
}

export function parseStartHour(startDate: unknown): Hour | undefined {
  if (startDate === undefined || startDate === null || startDate === '') return undefined;
  const text = String(startDate);
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : /Z$|[+-]\d{2}:?\d{2}$/.test(text) ? text : `${text}Z`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw configError(`start_date "${text}" is not a valid date; use the form 2026-01-01T00:00:00Z.`);
  return hourOf(date);
}

export function settingsFrom(config: JsonObject): SourceSettings {
  const storageConfig = config.storage as StorageConfig | undefined;
  if (!storageConfig || typeof storageConfig !== 'object') throw configError('storage is missing; set storage.type to "s3", "gcs", "azure" or "local" with its fields.');
  const storage = createStorage(storageConfig);
  const rootPrefix = normalisePrefix(config.prefix ?? 'currents');
  const lookback = config.lookback_hours === undefined ? DEFAULT_LOOKBACK_HOURS : Number(config.lookback_hours);
  if (!Number.isInteger(lookback) || lookback < 0) throw configError(`lookback_hours must be a whole number of hours ≥ 0 (got ${String(config.lookback_hours)}).`);
  return {
    storage,
    rootPrefix,
    // A URL-like location (s3://bucket, gs://bucket, https://account…/container) reads well with the prefix appended.
    where: /^[a-z][a-z0-9+.-]*:\/\//i.test(storage.location) ? `${storage.location}/${rootPrefix}` : `${storage.location} under "${rootPrefix || '(root)'}"`,
    startHour: parseStartHour(config.start_date),
    lookbackHours: lookback,
    skipCorruptFiles: config.skip_corrupt_files === true,
  };
}

/**
 * The sync runner's config: a `source` and a `destination` section, each exactly the connector's own
 * config, plus runner settings. The schema is the repository's top-level spec.json, composed from the two
 * connector specs by tools/build-sync-spec.ts.
 */
import fs from 'fs';
import path from 'path';
import { readJsonFile, validateConfig } from '../../connector-kit/config';
import type { ConnectorSpecification, JsonObject } from '../../connector-kit/protocol';
import { collectSecrets, makeRedactor, type Redactor } from '../../connector-kit/redact';
import { findPackageRoot } from '../../source-braze-currents/src/package-root';

export interface SyncSettings {
  source: JsonObject;
  destination: JsonObject;
  stateFile: string;
  rejectedFile: string;
  /** Stream names to sync; undefined = every discovered stream. */
  streams?: string[];
}

export function syncSpec(): ConnectorSpecification {
  return JSON.parse(fs.readFileSync(path.join(findPackageRoot(__dirname), 'spec.json'), 'utf8')) as ConnectorSpecification;
}

/** The redactor for every secret of both sections (installed before anything from the config is printed). */
export function redactorFor(rawConfig: unknown): Redactor {
  return makeRedactor(collectSecrets(syncSpec().connectionSpecification as never, rawConfig));
}

export function loadSyncConfig(file: string): unknown {
  return readJsonFile(file, 'sync config');
}

export function resolveSyncSettings(rawConfig: unknown, baseDir: string): SyncSettings {
  const config = validateConfig(syncSpec().connectionSpecification, rawConfig);
  return {
    source: config.source as JsonObject,
    destination: config.destination as JsonObject,
    stateFile: path.resolve(baseDir, String(config.state_file)),
    rejectedFile: path.resolve(baseDir, String(config.rejected_file)),
    streams: Array.isArray(config.streams) && config.streams.length > 0 ? (config.streams as string[]) : undefined,
  };
}

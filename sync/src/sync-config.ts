/**
 * The sync runner's config: a `source` and a `destination` section, each exactly the connector's own
 * config plus a `connector` key naming it (optional for Currents → Mixpanel), and runner settings. The schema
 * is the repository's top-level spec.json, composed from the connector specs by tools/build-sync-spec.ts.
 */
import fs from 'fs';
import path from 'path';
import { readJsonFile, validateConfig } from '../../connector-kit/config';
import type { ConnectorSpecification, JsonObject } from '../../connector-kit/protocol';
import { collectSecrets, makeRedactor, type Redactor } from '../../connector-kit/redact';
import { findPackageRoot } from '../../source-braze-currents/src/package-root';
import { pairFor, type SyncPair } from './pairs';

export interface SyncSettings {
  pair: SyncPair;
  /** The connectors' own configs (without the runner's `connector` key). */
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
  const pair = pairFor(rawConfig);
  const config = validateConfig(syncSpec().connectionSpecification, withConnectorNames(rawConfig, pair));
  return {
    pair,
    source: withoutConnectorName(config.source as JsonObject),
    destination: withoutConnectorName(config.destination as JsonObject),
    stateFile: path.resolve(baseDir, String(config.state_file)),
    rejectedFile: path.resolve(baseDir, String(config.rejected_file)),
    streams: Array.isArray(config.streams) && config.streams.length > 0 ? (config.streams as string[]) : undefined,
  };
}

/** The config with both sections naming their connector, so validation follows the chosen pair's specs. */
function withConnectorNames(rawConfig: unknown, pair: SyncPair): unknown {
  if (!rawConfig || typeof rawConfig !== 'object' || Array.isArray(rawConfig)) return rawConfig;
  const config = { ...(rawConfig as JsonObject) };
  const named = (section: unknown, connector: string) =>
    section && typeof section === 'object' && !Array.isArray(section) ? { ...(section as JsonObject), connector } : section;
  config.source = named(config.source, pair.source) as JsonObject;
  config.destination = named(config.destination, pair.destination) as JsonObject;
  return config;
}

function withoutConnectorName(section: JsonObject): JsonObject {
  const { connector: _connector, ...rest } = section;
  return rest;
}

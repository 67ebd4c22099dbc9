/** The Braze Currents source: wires config, storage and the verbs together for the kit's runner. */
import fs from 'fs';
import path from 'path';
import type { Source, SourceOutput, StreamStates } from '../../connector-kit/connector';
import type { Logger } from '../../connector-kit/logger';
import type { AirbyteCatalog, AirbyteConnectionStatus, ConfiguredAirbyteCatalog, ConnectorSpecification, JsonObject } from '../../connector-kit/protocol';
import { checkConnection } from './check';
import { settingsFrom } from './config';
import { discoverCatalog } from './discover';
import { findPackageRoot } from './package-root';
import { readStreams } from './read-streams';

export class BrazeCurrentsSource implements Source {
  readonly name = 'source-braze-currents';
  readonly singerName = 'tap-braze-currents';
  readonly description = 'Reads Braze Currents exports (Avro files in S3 or a local folder), one stream per Currents event type; incremental and resumable.';
  readonly version = readPackageVersion();

  spec(): ConnectorSpecification {
    const file = path.join(findPackageRoot(__dirname), 'source-braze-currents', 'spec.json');
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ConnectorSpecification;
  }

  async check(config: JsonObject, _log: Logger): Promise<AirbyteConnectionStatus> {
    return checkConnection(settingsFrom(config));
  }

  async discover(config: JsonObject, log: Logger): Promise<AirbyteCatalog> {
    return discoverCatalog(settingsFrom(config), log);
  }

  async read(config: JsonObject, catalog: ConfiguredAirbyteCatalog, state: StreamStates, out: SourceOutput): Promise<void> {
    await readStreams(settingsFrom(config), catalog, state, out);
  }
}

function readPackageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(findPackageRoot(__dirname), 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

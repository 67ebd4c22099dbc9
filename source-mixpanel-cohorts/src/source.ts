/** The Mixpanel cohorts source: wires config, the Query API client and the streams together for the kit's runner. */
import fs from 'fs';
import path from 'path';
import type { Source, SourceOutput, StreamStates } from '../../connector-kit/connector';
import type { Logger } from '../../connector-kit/logger';
import type { AirbyteCatalog, AirbyteConnectionStatus, ConfiguredAirbyteCatalog, ConnectorSpecification, JsonObject } from '../../connector-kit/protocol';
import spec from '../spec.json';
import { cohortCatalog } from './catalog';
import { checkConnection } from './check';
import { realClock, type Clock } from './clock';
import { normalizeCohortsConfig, settingsFrom } from './config';
import { readCohorts } from './read';

export interface SourceDeps {
  /** Every wait goes through it; tests pass a fake one. */
  clock?: Clock;
  newId?: () => string;
}

export class MixpanelCohortsSource implements Source {
  readonly name = 'source-mixpanel-cohorts';
  readonly singerName = 'tap-mixpanel-cohorts';
  readonly description = 'Reads Mixpanel cohorts and their members with the Query API, paced to the project\'s query budget; resumable after every page.';
  readonly version = readPackageVersion();
  private readonly clock: Clock;

  constructor(private readonly deps: SourceDeps = {}) {
    this.clock = deps.clock ?? realClock;
  }

  private get userAgent(): string {
    return `braze-currents-mixpanel/${this.version}`;
  }

  spec(): ConnectorSpecification {
    return structuredClone(spec) as ConnectorSpecification;
  }

  normalizeConfig(raw: unknown): unknown {
    return normalizeCohortsConfig(raw);
  }

  async check(config: JsonObject, log: Logger): Promise<AirbyteConnectionStatus> {
    return checkConnection(settingsFrom(config), log, this.clock, this.userAgent);
  }

  async discover(config: JsonObject, _log: Logger): Promise<AirbyteCatalog> {
    settingsFrom(config); // a config error surfaces here, not at the first read
    return cohortCatalog();
  }

  async read(config: JsonObject, catalog: ConfiguredAirbyteCatalog, state: StreamStates, out: SourceOutput): Promise<void> {
    await readCohorts(settingsFrom(config), catalog, state, out, { clock: this.clock, userAgent: this.userAgent, newId: this.deps.newId });
  }
}

/** package.json's version, found by walking up (the same code runs from source and from dist/). */
function readPackageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'braze-currents-mixpanel') return pkg.version ?? '0.0.0';
  }
  return '0.0.0';
}

/** Shared pieces of the cohort source's tests: a fake clock, an output that collects messages, seeded servers. */
import type { SourceOutput, StreamStates } from '../../../connector-kit/connector';
import type { ConfiguredAirbyteCatalog, JsonObject, StreamStatus } from '../../../connector-kit/protocol';
import { startMixpanelServer, type MixpanelServer } from '../../../local-services/mixpanel/server';
import type { QueryApiOptions } from '../../../local-services/mixpanel/query-api';
import type { Clock } from '../../src/clock';
import { cohortCatalog } from '../../src/catalog';
import { MixpanelCohortsSource } from '../../src/source';
import { validateConfig } from '../../../connector-kit/config';

/** Time that passes only when the source sleeps: hours of pacing run in milliseconds. */
export class FakeClock implements Clock {
  t = Date.UTC(2026, 11, 6, 2, 0, 0);
  readonly sleeps: number[] = [];
  now = (): number => this.t;
  sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    // Concurrent sleepers overlap in time: the clock moves to the latest wake-up, not to the sum.
    this.t = Math.max(this.t, this.t + Math.max(0, ms));
    await new Promise((resolve) => setImmediate(resolve));
  };
}

export type Emitted =
  | { kind: 'record'; stream: string; data: JsonObject }
  | { kind: 'state'; stream: string; state: JsonObject }
  | { kind: 'status'; stream: string; status: StreamStatus }
  | { kind: 'log'; level: string; message: string };

export class CollectingOutput implements SourceOutput {
  readonly emitted: Emitted[] = [];
  readonly log = {
    debug: (m: string) => this.emitted.push({ kind: 'log', level: 'DEBUG', message: m }),
    info: (m: string) => this.emitted.push({ kind: 'log', level: 'INFO', message: m }),
    warn: (m: string) => this.emitted.push({ kind: 'log', level: 'WARN', message: m }),
    error: (m: string) => this.emitted.push({ kind: 'log', level: 'ERROR', message: m }),
  };
  record(stream: string, data: JsonObject): void { this.emitted.push({ kind: 'record', stream, data: structuredClone(data) }); }
  state(stream: string, state: JsonObject): void { this.emitted.push({ kind: 'state', stream, state: structuredClone(state) }); }
  streamStatus(stream: string, status: StreamStatus): void { this.emitted.push({ kind: 'status', stream, status }); }

  records(stream: string): JsonObject[] {
    return this.emitted.filter((e): e is Extract<Emitted, { kind: 'record' }> => e.kind === 'record' && e.stream === stream).map((e) => e.data);
  }
  states(stream: string): JsonObject[] {
    return this.emitted.filter((e): e is Extract<Emitted, { kind: 'state' }> => e.kind === 'state' && e.stream === stream).map((e) => e.state);
  }
  lastState(stream = 'cohort_members'): JsonObject | undefined {
    return this.states(stream).at(-1);
  }
  logs(level?: string): string[] {
    return this.emitted.filter((e): e is Extract<Emitted, { kind: 'log' }> => e.kind === 'log' && (!level || e.level === level)).map((e) => e.message);
  }
}

export const SERVICE_ACCOUNT = { auth_type: 'service_account', username: 'local-service-account', secret: 'local-service-secret', project_id: '1' };

export async function startServer(query: QueryApiOptions = {}): Promise<MixpanelServer> {
  return startMixpanelServer({ query: { recordBodies: true, ...query } });
}

export function configFor(server: MixpanelServer, extra: JsonObject = {}): JsonObject {
  return { credentials: SERVICE_ACCOUNT, api_host: server.url, queries_per_hour: 1_000_000, retry_base_ms: 30_000, ...extra };
}

export function fullCatalog(streams = ['cohorts', 'cohort_members', 'cohort_snapshots']): ConfiguredAirbyteCatalog {
  return {
    streams: cohortCatalog().streams.filter((s) => streams.includes(s.name)).map((stream) => ({ stream, sync_mode: 'full_refresh' as const, destination_sync_mode: 'overwrite' as const })),
  };
}

/** Reads in-process (the kit's config validation and defaults applied, as the CLI does). */
export async function readInProcess(config: JsonObject, options: { clock?: FakeClock; state?: StreamStates; catalog?: ConfiguredAirbyteCatalog } = {}): Promise<{ out: CollectingOutput; error?: Error }> {
  const source = new MixpanelCohortsSource({ clock: options.clock ?? new FakeClock() });
  const out = new CollectingOutput();
  try {
    const valid = validateConfig(source.spec().connectionSpecification, source.normalizeConfig(structuredClone(config)));
    await source.read(valid, options.catalog ?? fullCatalog(), options.state ?? new Map(), out);
    return { out };
  } catch (error) {
    return { out, error: error as Error };
  }
}

export const stateMap = (state: JsonObject | undefined, stream = 'cohort_members'): StreamStates => new Map(state ? [[stream, state]] : []);

export function profiles(n: number, prefix = 'user'): Array<{ distinct_id: string; properties: Record<string, unknown> }> {
  return Array.from({ length: n }, (_, i) => ({ distinct_id: `${prefix}-${i}`, properties: { $braze_external_id: `braze-${prefix}-${i}`, $email: `${prefix}-${i}@example.test` } }));
}

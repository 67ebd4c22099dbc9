/**
 * The local Mixpanel-compatible server: ONE HTTP server answering both Mixpanel's ingestion API (`POST /import`,
 * import-api.ts) and its Query API (`POST /api/query/cohorts/list`, `POST /api/query/engage`, query-api.ts).
 *
 * Programmatic use (tests, demo, bench):
 *   const server = await startMixpanelServer({ query: { queriesPerHour: Infinity } });
 *   server.query.setProfiles([{ distinct_id: 'u1', properties: { $braze_external_id: 'b1' } }]);
 *   server.query.defineCohort({ id: 7, name: 'Churn risk', is_visible: 1, members: ['u1'] });
 *   // source config: { api_host: server.url, credentials: { auth_type: 'service_account',
 *   //   username: 'local-service-account', secret: 'local-service-secret', project_id: '1' } }
 *   server.import.events();   // what /import received
 *   await server.close();
 * See query-api.ts for seeding (synthetic cohorts, faults, session expiry, budget clock) and import-api.ts for
 * /import. Both accept the same local default credentials (project 1).
 *
 * By hand: `node dist/local-services/mixpanel/server.js [--port N] [--seed seed.json] [import-api flags]`.
 * A seed file: { "region": "US", "queries_per_hour": 60, "profiles": [{ "distinct_id": …, "properties": {…} }],
 *   "cohorts": [{ "id": 1, "name": …, "is_visible": 1, "members": ["u1", …] },
 *               { "id": 2, "name": …, "synthetic_size": 50000 }] }
 * Synthetic members are `user-<n>` with `$braze_external_id` `braze-<n>` (see syntheticProfile).
 */
import fs from 'fs';
import { parseReceiverArgs, startMixpanelReceiver, type MixpanelReceiver, type ReceiverOptions } from './import-api';
import { QueryApi, type CohortDefinition, type Profile, type QueryApiOptions, type Region } from './query-api';

export interface MixpanelServerOptions extends Omit<ReceiverOptions, 'mounts'> {
  query?: QueryApiOptions;
}

export interface MixpanelServer {
  url: string;
  port: number;
  import: MixpanelReceiver;
  query: QueryApi;
  close(): Promise<void>;
}

export async function startMixpanelServer(opts: MixpanelServerOptions = {}): Promise<MixpanelServer> {
  const { query: queryOptions, ...importOptions } = opts;
  const query = new QueryApi(queryOptions);
  const receiver = await startMixpanelReceiver({ ...importOptions, mounts: [{ prefix: '/api/query/', handle: query.handle }] });
  return { url: receiver.url, port: receiver.port, import: receiver, query, close: () => receiver.close() };
}

/** The synthetic member `i`: ids and a Braze id derived from the index, so a big cohort needs no memory. */
export function syntheticProfile(i: number): Profile {
  return { distinct_id: `user-${i}`, properties: { $braze_external_id: `braze-${i}`, plan: i % 3 === 0 ? 'pro' : 'free' } };
}

export interface SeedFile {
  region?: Region;
  queries_per_hour?: number;
  profiles?: Profile[];
  cohorts?: Array<Omit<CohortDefinition, 'members'> & { members?: Array<string | number>; synthetic_size?: number }>;
}

/** Loads a seed (file contents) into a running server's Query API. */
export function applySeed(query: QueryApi, seed: SeedFile): void {
  if (seed.region) query.region = seed.region;
  if (seed.queries_per_hour !== undefined) query.queriesPerHour = seed.queries_per_hour;
  if (seed.profiles) query.setProfiles(seed.profiles);
  for (const c of seed.cohorts ?? []) {
    const { members, synthetic_size, ...def } = c;
    if (synthetic_size !== undefined) query.defineSyntheticCohort({ ...def, size: synthetic_size, profileAt: syntheticProfile });
    else query.defineCohort({ ...def, members: members ?? [] });
  }
}

async function cli(argv: string[]): Promise<void> {
  const seedAt = argv.indexOf('--seed');
  const seedFile = seedAt >= 0 ? argv[seedAt + 1] : undefined;
  if (seedAt >= 0 && !seedFile) throw new Error('--seed needs a file');
  const rest = seedAt >= 0 ? [...argv.slice(0, seedAt), ...argv.slice(seedAt + 2)] : argv;
  const server = await startMixpanelServer(parseReceiverArgs(rest));
  if (seedFile) applySeed(server.query, JSON.parse(fs.readFileSync(seedFile, 'utf8')) as SeedFile);
  process.stdout.write(`Mixpanel-compatible server listening on ${server.url} (POST /import, POST /api/query/cohorts/list, POST /api/query/engage)\n`);
  const stop = () => { void server.close().then(() => process.exit(0)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  cli(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`mixpanel-server: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}

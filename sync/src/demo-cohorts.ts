/**
 * The demo's second half, the loop back: cohorts defined on the events the first half imported into the local
 * Mixpanel-compatible server ("opened an email", "purchased", …) become Braze audiences in the local
 * Braze-compatible server, through the real source-mixpanel-cohorts and destination-braze run by the sync runner.
 */
import fs from 'fs';
import path from 'path';
import { DEFAULT_API_KEY, startLocalBraze } from '../../local-services/braze/server';
import { DEFAULT_QUERY_SERVICE_ACCOUNTS } from '../../local-services/mixpanel/query-api';
import type { MixpanelServer } from '../../local-services/mixpanel/server';
import { consoleLogger } from './console-log';
import { syncAndReport } from './sync-command';
import { redactorFor, resolveSyncSettings } from './sync-config';

/** Cohorts a growth team would build on Braze's events in Mixpanel: a name and the event that puts a user in. */
export const DEMO_COHORTS: ReadonlyArray<{ id: number; name: string; event: string }> = [
  { id: 101, name: 'Opened an email', event: 'Email Open' },
  { id: 102, name: 'Purchased', event: 'Purchase' },
  { id: 103, name: 'Opened a push notification', event: 'Push Notification Open' },
];

const ATTRIBUTE = 'mixpanel_cohorts';

export interface CohortDemoResult {
  code: number;
  /** Braze users holding each cohort's value after the sync. */
  holders: Record<string, number>;
}

export async function runCohortDemo(mixpanel: MixpanelServer, demoDir: string, print: (text: string) => void): Promise<CohortDemoResult> {
  const { users, members } = seedCohorts(mixpanel);
  // The Braze workspace knows every user of the export (Braze wrote their events); nobody else is created.
  const braze = await startLocalBraze({ users });
  const storeDir = path.join(demoDir, 'braze-membership');
  const usersFile = path.join(demoDir, 'braze-users.ndjson');
  // Each demo run starts fresh, so it always shows a first sync.
  for (const p of [storeDir, usersFile, path.join(demoDir, 'cohort-state.json')]) fs.rmSync(p, { recursive: true, force: true });
  print(`\n— Mixpanel cohorts → Braze —`);
  print(`Cohorts defined on the imported events: ${DEMO_COHORTS.map((c) => `"${c.name}" (${members.get(c.id) ?? 0} users)`).join(', ')}.`);
  print(`Local Braze-compatible server listening on ${braze.url}\n`);

  const config = {
    source: {
      connector: 'source-mixpanel-cohorts',
      credentials: { auth_type: 'service_account', username: DEFAULT_QUERY_SERVICE_ACCOUNTS[0].username, secret: DEFAULT_QUERY_SERVICE_ACCOUNTS[0].secret, project_id: '1' },
      api_host: mixpanel.url,
      // Mixpanel allows 60 queries an hour; the local server and this demo lift it so the demo takes seconds.
      queries_per_hour: 36_000,
    },
    destination: { connector: 'destination-braze', rest_endpoint: braze.url, api_key: DEFAULT_API_KEY, membership_store: { type: 'local', path: storeDir } },
    state_file: 'cohort-state.json',
    rejected_file: 'cohort-rejected.ndjson',
  };
  const log = consoleLogger(redactorFor(config));
  const { code } = await syncAndReport(resolveSyncSettings(config, demoDir), log, print);
  const holders = Object.fromEntries(DEMO_COHORTS.map((c) => [c.name, braze.users.holdersOf(ATTRIBUTE, c.name).length]));
  writeUsers(braze.users, usersFile);
  const created = braze.stats().usersCreated;
  await braze.close();
  if (code === 0) {
    print(`\nBraze now holds ${DEMO_COHORTS.map((c) => `${holders[c.name]} users in "${c.name}"`).join(', ')} in the custom attribute ${ATTRIBUTE}; ${created} users were created (the connector never creates users).`);
    print(`Braze users and their ${ATTRIBUTE}: ${usersFile}`);
    print(`In Braze, target them with a segment filter: Custom Attribute "${ATTRIBUTE}" includes value "Opened an email".`);
  }
  return { code, holders };
}

/**
 * Profiles with the Braze external id (Braze's export sets distinct_id = external_user_id) and one cohort per
 * rule; returns every user of the imported events and each cohort's size.
 */
function seedCohorts(mixpanel: MixpanelServer): { users: string[]; members: Map<number, number> } {
  const byEvent = new Map<string, Set<string>>();
  const users = new Set<string>();
  for (const event of mixpanel.import.uniqueEvents()) {
    const id = event.properties.distinct_id;
    if (typeof id !== 'string') continue;
    users.add(id);
    const set = byEvent.get(event.event) ?? new Set<string>();
    set.add(id);
    byEvent.set(event.event, set);
  }
  mixpanel.query.setProfiles([...users].map((id) => ({ distinct_id: id, properties: { $braze_external_id: id } })));
  const sizes = new Map<number, number>();
  for (const cohort of DEMO_COHORTS) {
    const members = [...(byEvent.get(cohort.event) ?? [])];
    mixpanel.query.defineCohort({ id: cohort.id, name: cohort.name, is_visible: 1, members });
    sizes.set(cohort.id, members.length);
  }
  return { users: [...users], members: sizes };
}

function writeUsers(users: { externalIds(): string[]; array(id: string, attribute: string): unknown[] }, file: string): void {
  const lines = users.externalIds().map((id) => JSON.stringify({ external_id: id, [ATTRIBUTE]: users.array(id, ATTRIBUTE) }));
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

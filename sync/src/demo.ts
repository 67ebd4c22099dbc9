/**
 * `npm start`: the first five minutes of a new user, with no credentials and no network. Both directions:
 * 1. Braze Currents → Mixpanel: generates a sample Currents export (once), starts our local Mixpanel-compatible
 *    server, syncs the export into it with the real source and destination, prints the summary.
 * 2. Mixpanel cohorts → Braze: cohorts defined on those events become Braze audiences (demo-cohorts.ts).
 */
import fs from 'fs';
import path from 'path';
import { DEFAULT_CREDENTIALS } from '../../local-services/mixpanel/import-api';
import { startMixpanelServer } from '../../local-services/mixpanel/server';
import { generateSampleExport } from '../../tools/sample-export';
import { findPackageRoot } from '../../source-braze-currents/src/package-root';
import { consoleLogger } from './console-log';
import { runCohortDemo } from './demo-cohorts';
import { syncAndReport } from './sync-command';
import { redactorFor, resolveSyncSettings } from './sync-config';

const DEMO_EVENTS = 20_000;

export async function runDemo(): Promise<number> {
  const demoDir = path.resolve(process.env.DEMO_DIR ?? path.join(findPackageRoot(__dirname), '.demo'));
  const exportDir = path.join(demoDir, 'export');
  const receivedFile = path.join(demoDir, 'received-events.ndjson');
  const print = (text: string) => process.stdout.write(`${text}\n`);

  if (!fs.existsSync(path.join(exportDir, 'currents'))) {
    print(`Generating a sample Braze Currents export (${DEMO_EVENTS} events, every event type) in ${exportDir} …`);
    const generated = await generateSampleExport({ out: exportDir, totalEvents: DEMO_EVENTS, seed: 'demo', hours: 6, eventsPerFile: 2000, invalidPropertiesFraction: 0.01 });
    print(`  ${generated.files.length} Avro files, ${generated.events} events.`);
  } else {
    print(`Using the sample export in ${exportDir} (delete the folder to generate a new one).`);
  }

  // Each demo run starts fresh, so it always shows a full sync.
  for (const file of [receivedFile, path.join(demoDir, 'state.json')]) fs.rmSync(file, { force: true });
  const mixpanel = await startMixpanelServer({ storeFile: receivedFile });
  const receiver = mixpanel.import;
  print(`— Braze Currents → Mixpanel —`);
  print(`Local Mixpanel-compatible server listening on ${mixpanel.url}\n`);

  const config = {
    source: { storage: { type: 'local', path: exportDir }, prefix: 'currents' },
    destination: {
      credentials: { auth_type: 'api_secret', api_secret: DEFAULT_CREDENTIALS.apiSecrets[0] },
      project_token: DEFAULT_CREDENTIALS.projectTokens[0],
      api_host: receiver.url,
    },
    state_file: 'state.json',
    rejected_file: 'rejected.ndjson',
  };
  const log = consoleLogger(redactorFor(config));
  const settings = resolveSyncSettings(config, demoDir);
  const { code } = await syncAndReport(settings, log, print);
  const stats = receiver.stats();
  if (code === 0) {
    print(`\nThe receiver stored ${stats.eventsImported} events (${stats.uniqueEvents} unique after $insert_id de-duplication, as Mixpanel counts them).`);
    print(`Received events: ${receivedFile}`);
    print(`Rejected records with reasons: ${settings.rejectedFile}`);
  }
  const loop = code === 0 ? await runCohortDemo(mixpanel, demoDir, print) : { code };
  await mixpanel.close();
  if (code === 0 && loop.code === 0) print('\nNext: point the same syncs at your bucket, Mixpanel project and Braze workspace — see "Run it on your data" and "Mixpanel cohorts → Braze" in README.md.');
  return code || loop.code;
}

if (require.main === module) {
  runDemo().then(
    (code) => process.stdout.write('', () => process.exit(code)),
    (err) => {
      process.stderr.write(`Demo failed: ${(err as Error)?.message ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

/**
 * `npm start`: the first five minutes of a new user, with no credentials. Generates a sample Currents export
 * (once), starts our local Mixpanel-compatible receiver, syncs the export into it with the real source and
 * destination, and prints the summary and where the received events are.
 */
import fs from 'fs';
import path from 'path';
import { DEFAULT_CREDENTIALS, startMixpanelReceiver } from '../../local-services/mixpanel/import-api';
import { generateSampleExport } from '../../tools/sample-export';
import { findPackageRoot } from '../../source-braze-currents/src/package-root';
import { consoleLogger } from './console-log';
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
  const receiver = await startMixpanelReceiver({ storeFile: receivedFile });
  print(`Local Mixpanel-compatible receiver listening on ${receiver.url}\n`);

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
  await receiver.close();
  if (code === 0) {
    print(`\nThe receiver stored ${stats.eventsImported} events (${stats.uniqueEvents} unique after $insert_id de-duplication, as Mixpanel counts them).`);
    print(`Received events: ${receivedFile}`);
    print(`Rejected records with reasons: ${settings.rejectedFile}`);
    print('\nNext: point the same sync at your bucket and Mixpanel project — see "Run it on your data" in README.md.');
  }
  return code;
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

/**
 * Composes the sync runner's spec (top-level spec.json) from the connector specs, so the runner's `source` and
 * `destination` sections always accept exactly what the connectors accept. Each section is a oneOf over the
 * connectors the runner can run, told apart by a `connector` key (sync/src/pairs.ts picks the pair; a config
 * without `connector` is the Currents → Mixpanel pair).
 * Run: npm run build && node dist/tools/build-sync-spec.js   (a test fails when the checked-in file is stale)
 */
import fs from 'fs';
import path from 'path';
import { CURRENTS_TO_MIXPANEL, SYNC_PAIRS } from '../sync/src/pairs';

type Spec = Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };

/** One connector's config as an option of a section: its own spec plus the `connector` discriminator. */
function connectorOption(root: string, connector: string): Spec {
  const spec = JSON.parse(fs.readFileSync(path.join(root, connector, 'spec.json'), 'utf8')).connectionSpecification as Spec;
  const { $schema: _schema, ...rest } = spec;
  const discriminator = {
    type: 'string', const: connector, default: connector, title: 'Connector',
    description: [CURRENTS_TO_MIXPANEL.source, CURRENTS_TO_MIXPANEL.destination].includes(connector)
      ? `Runs ${connector}. Optional: a config that names no connector runs the ${CURRENTS_TO_MIXPANEL.title} pair.`
      : `Runs ${connector}. Required for this connector.`,
    order: -1,
  };
  return { ...rest, properties: { connector: discriminator, ...(rest.properties ?? {}) } };
}

function section(root: string, connectors: string[], title: string, description: string, order: number): Spec {
  return { type: 'object', title, description, order, oneOf: [...new Set(connectors)].map((c) => connectorOption(root, c)) };
}

export function buildSyncSpec(root: string): object {
  const pairs = SYNC_PAIRS.map((p) => `${p.title} (${p.source} → ${p.destination})`).join('; ');
  return {
    documentationUrl: 'https://github.com/braze-currents-mixpanel/braze-currents-mixpanel#sync-runner',
    connectionSpecification: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      title: 'Braze Currents ⇄ Mixpanel sync',
      description: `Config of the \`sync\` runner: the source and destination sections are the two connectors' own configs, plus \`connector\` naming each. Pairs: ${pairs}.`,
      type: 'object',
      required: ['source', 'destination'],
      additionalProperties: true,
      properties: {
        source: section(root, SYNC_PAIRS.map((p) => p.source), 'Source', 'The source connector\'s own config.', 0),
        destination: section(root, SYNC_PAIRS.map((p) => p.destination), 'Destination', 'The destination connector\'s own config.', 1),
        state_file: {
          type: 'string',
          title: 'State file',
          description: 'Where the sync keeps its progress (relative to the config file). It advances only after the destination acknowledged the records. Currents → Mixpanel: delete it to re-send everything (Mixpanel de-duplicates through $insert_id).',
          default: '.sync-state.json',
          order: 2,
        },
        rejected_file: {
          type: 'string',
          title: 'Rejected records file',
          description: 'NDJSON file that receives every record rejected in this run, with the reason (relative to the config file).',
          default: 'rejected.ndjson',
          order: 3,
        },
        streams: {
          type: 'array',
          title: 'Streams',
          description: 'Stream names to sync (e.g. users_messages_email_open). Empty or absent: all streams.',
          items: { type: 'string' },
          order: 4,
        },
        log_level: {
          type: 'string',
          title: 'Log level',
          description: 'The runner\'s log level: info (default) gives one line per phase; debug adds per-stream and per-file detail. LOG_LEVEL overrides it. Logs never contain record values.',
          enum: ['debug', 'info', 'warn', 'error'],
          default: 'info',
          order: 5,
        },
      },
    },
  };
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..', '..');
  fs.writeFileSync(path.join(root, 'spec.json'), JSON.stringify(buildSyncSpec(root), null, 2) + '\n');
  console.log('wrote spec.json');
}

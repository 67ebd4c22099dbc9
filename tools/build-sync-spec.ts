/**
 * Composes the sync runner's spec (top-level spec.json) from the two connector specs, so the runner's
 * `source` and `destination` sections always accept exactly what the connectors accept.
 * Run: npm run build && node dist/tools/build-sync-spec.js   (a test fails when the checked-in file is stale)
 */
import fs from 'fs';
import path from 'path';

export function buildSyncSpec(root: string): object {
  const load = (file: string) => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
  const source = load('source-braze-currents/spec.json').connectionSpecification;
  const destination = load('destination-mixpanel/spec.json').connectionSpecification;
  const section = (spec: Record<string, unknown>, title: string, order: number) => {
    const { $schema: _schema, ...rest } = spec;
    return { ...rest, title, order };
  };
  return {
    documentationUrl: 'https://github.com/braze-currents-mixpanel/braze-currents-mixpanel#sync-runner',
    connectionSpecification: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      title: 'Braze Currents → Mixpanel sync',
      description: 'Config of the `sync` runner: the source and destination sections are the two connectors\' own configs.',
      type: 'object',
      required: ['source', 'destination'],
      additionalProperties: true,
      properties: {
        source: section(source, 'Source: Braze Currents export', 0),
        destination: section(destination, 'Destination: Mixpanel', 1),
        state_file: {
          type: 'string',
          title: 'State file',
          description: 'Where the sync keeps its progress (relative to the config file). It advances only after Mixpanel acknowledged the records; delete it to re-send everything (Mixpanel de-duplicates through $insert_id).',
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

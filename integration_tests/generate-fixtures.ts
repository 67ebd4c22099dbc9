/**
 * Regenerates the checked-in acceptance fixtures from the connectors' own output on the fixture export:
 * source configured_catalog.json, expected_records.jsonl, sample_state.json, abnormal_state.json and the
 * destination's configured_catalog.json + messages.jsonl transcript. Run after changing FIXTURE_EXPORT or the
 * stream schemas, then review the diff:
 *
 *   npx tsc -p tsconfig.json && npx tsc -p integration_tests/tsconfig.json && node dist/integration_tests/generate-fixtures.js
 */
import fs from 'fs';
import path from 'path';
import { parseAirbyteOutput } from '../test-support/protocol-validator';
import { runCli } from '../test-support/run-cli';
import { DESTINATION_FIXTURES, SOURCE_FIXTURES, removeDir, sourceWorkspace } from './fixtures';

/** Streams in the configured catalogs; expected_records covers the first RECORDS_PER_STREAM of each. */
export const CONFIGURED_STREAMS = ['users_behaviors_customevent', 'users_behaviors_purchase', 'users_messages_email_open'];
const RECORDS_PER_STREAM = 3;
const FAR_FUTURE_HOUR = '2999-01-01-00';

const jsonLines = (items: unknown[]) => items.map((i) => JSON.stringify(i)).join('\n') + '\n';
const writeJson = (file: string, value: unknown) => fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');

async function main(): Promise<void> {
  const ws = await sourceWorkspace();
  try {
    const discovered = parseAirbyteOutput((await runCli('source-braze-currents', ['discover', '--config', ws.config])).stdout);
    const catalog = discovered.find((m) => m.type === 'CATALOG')!.catalog;
    const streams = CONFIGURED_STREAMS.map((name) => {
      const stream = catalog.streams.find((s: any) => s.name === name);
      if (!stream) throw new Error(`discover did not return stream ${name}`);
      return stream;
    });
    const configured = {
      streams: streams.map((stream: any) => ({
        stream,
        sync_mode: 'incremental',
        cursor_field: stream.default_cursor_field,
        destination_sync_mode: 'append',
        primary_key: stream.source_defined_primary_key,
      })),
    };
    writeJson(path.join(SOURCE_FIXTURES, 'configured_catalog.json'), configured);

    const catalogFile = ws.file('catalog.json', configured);
    const read = parseAirbyteOutput((await runCli('source-braze-currents', ['read', '--config', ws.config, '--catalog', catalogFile])).stdout);
    const records = read.filter((m) => m.type === 'RECORD');
    const expected = CONFIGURED_STREAMS.flatMap((name) =>
      records.filter((m) => m.record.stream === name).slice(0, RECORDS_PER_STREAM).map((m) => ({ stream: name, data: m.record.data, emitted_at: m.record.emitted_at })),
    );
    fs.writeFileSync(path.join(SOURCE_FIXTURES, 'expected_records.jsonl'), jsonLines(expected));

    // A mid-sync state: the email stream after its first file, as the platform would store it.
    const firstEmailState = read.find((m) => m.type === 'STATE' && m.state.stream.stream_descriptor.name === 'users_messages_email_open');
    writeJson(path.join(SOURCE_FIXTURES, 'sample_state.json'), [{ type: 'STREAM', stream: firstEmailState!.state.stream }]);
    writeJson(
      path.join(SOURCE_FIXTURES, 'abnormal_state.json'),
      CONFIGURED_STREAMS.map((name) => ({ type: 'STREAM', stream: { stream_descriptor: { name }, stream_state: { watermark: FAR_FUTURE_HOUR, lookback_hours: 48, files: {} } } })),
    );

    // The destination replays exactly what the source emitted (records and states).
    writeJson(path.join(DESTINATION_FIXTURES, 'configured_catalog.json'), {
      streams: streams.map((stream: any) => ({ stream, sync_mode: 'incremental', cursor_field: stream.default_cursor_field, destination_sync_mode: 'append' })),
    });
    fs.writeFileSync(path.join(DESTINATION_FIXTURES, 'messages.jsonl'), jsonLines(read.filter((m) => m.type === 'RECORD' || m.type === 'STATE')));
    console.log(`Wrote fixtures: ${expected.length} expected records, ${records.length} transcript records.`);
  } finally {
    removeDir(ws.dir);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

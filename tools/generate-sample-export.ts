/**
 * CLI of the sample-export generator:
 *   node dist/tools/generate-sample-export.js --out DIR [--events N] [--seed S] [--codec null|deflate|snappy] ...
 * Writes a realistic Braze Currents export (Avro, Braze's key layout) under DIR/<prefix>/.
 */
import { parseArgs } from 'util';
import { CODEC_NAMES, AvroCodecName } from './sample-export/codecs';
import { generateSampleExport, SampleExportResult } from './sample-export/generate';
import { REALISTIC_TEXT, SampleExportOptions, SampleExportOptionError } from './sample-export/options';

const HELP = `Usage: node dist/tools/generate-sample-export.js --out DIR [options]

Writes a Braze Currents data-storage export (Avro object-container files in Braze's key layout
<prefix>/dataexport.<cluster>.S3.integration.<id>/event_type=<type>/date=<YYYY-MM-DD-HH>/<schema-id>/0/*.avro)
for every Currents event type. Same seed + options (including --now) => byte-identical files.

Options:
  --out DIR                 output folder (the "bucket"), required
  --events N                total records, duplicates included (default 10000)
  --seed S                  PRNG seed (default 1)
  --codec C                 Avro codec: ${CODEC_NAMES.join(' | ')} (default null)
  --hours H                 number of date= processing hours ending at --now (default 6)
  --now ISO                 end of the export window; event times are never after it
                            (default: the current time truncated to the hour)
  --max-age-days D          event times fall within the last D days (default 3)
  --events-per-file N       max records per file (default 15000)
  --files-per-hour N        files per type and hour when there are enough events (default 2)
  --types LIST              comma-separated dotted types or stream names (default: all 100)
  --duplicates F            share of records repeating an earlier file's event id (default 0.01)
  --anonymous F             share of users without external_user_id (default 0.1)
  --invalid-properties F    share of CustomEvent/Purchase records with invalid JSON properties (default 0)
  --international F         share of users, campaigns, Canvases and custom events with non-ASCII text
                            (CJK, Cyrillic, accents, emoji) in names, places, device models and property keys (default 0)
  --json-escapes F          share of custom/purchase properties with quotes, backslashes and control characters,
                            written ASCII-escaped (\\uXXXX) as other producers do (default 0)
  --nested-properties F     share of custom/purchase properties with nested objects and arrays (default 0)
  --custom-event-share F    share of all records that are custom events (default: built-in weights, about 6 %)
  --realistic               the bench's realistic mix: --international ${REALISTIC_TEXT.internationalFraction} --json-escapes ${REALISTIC_TEXT.jsonEscapesFraction}
                            --nested-properties ${REALISTIC_TEXT.nestedPropertiesFraction} --custom-event-share ${REALISTIC_TEXT.customEventShare} (explicit flags win)
  --users N                 size of the user pool (default 2000)
  --prefix P                Braze folder path (default currents)
  --schema-ids A,B          older and current schema-id path segments (default 1,2)
  --integration-id ID       integration id in the key (default: derived from the seed)
  --catalogue PATH          currents_event_fields.json (default ../shared/reference/currents_event_fields.json,
                            else the checked-in schemas/*.json)
  --json                    print the summary as JSON
  --help                    show this help
`;

class UsageError extends Error {}

/** Only the keys that were given, so they override a preset without erasing it. */
function defined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number (got ${JSON.stringify(v)}).`);
  return n;
}

export function parseCli(argv: string[]): { options?: SampleExportOptions; help: boolean; json: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        events: { type: 'string' },
        seed: { type: 'string' },
        codec: { type: 'string' },
        hours: { type: 'string' },
        now: { type: 'string' },
        'max-age-days': { type: 'string' },
        'events-per-file': { type: 'string' },
        'files-per-hour': { type: 'string' },
        types: { type: 'string' },
        duplicates: { type: 'string' },
        anonymous: { type: 'string' },
        'invalid-properties': { type: 'string' },
        international: { type: 'string' },
        'json-escapes': { type: 'string' },
        'nested-properties': { type: 'string' },
        'custom-event-share': { type: 'string' },
        realistic: { type: 'boolean' },
        users: { type: 'string' },
        prefix: { type: 'string' },
        'schema-ids': { type: 'string' },
        'integration-id': { type: 'string' },
        catalogue: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. Run with --help for the list of options.`);
  }
  const v = parsed.values;
  if (v.help) return { help: true, json: false };
  if (!v.out) throw new UsageError('--out DIR is required (the folder to write the export into).');
  if (v.codec !== undefined && !CODEC_NAMES.includes(v.codec as AvroCodecName)) {
    throw new UsageError(`--codec must be one of ${CODEC_NAMES.join(', ')} (got ${JSON.stringify(v.codec)}).`);
  }
  let schemaIds: [number, number] | undefined;
  if (v['schema-ids'] !== undefined) {
    const parts = v['schema-ids'].split(',').map((s) => Number(s.trim()));
    if (parts.length !== 2 || parts.some((n) => !Number.isInteger(n))) {
      throw new UsageError(`--schema-ids must be two integers like 1,2 (got ${JSON.stringify(v['schema-ids'])}).`);
    }
    schemaIds = [parts[0], parts[1]];
  }
  const options: SampleExportOptions = {
    out: v.out,
    totalEvents: num('events', v.events),
    seed: v.seed,
    codec: v.codec as AvroCodecName | undefined,
    hours: num('hours', v.hours),
    now: v.now,
    maxAgeDays: num('max-age-days', v['max-age-days']),
    eventsPerFile: num('events-per-file', v['events-per-file']),
    minFilesPerHour: num('files-per-hour', v['files-per-hour']),
    types: v.types?.split(',').map((s) => s.trim()).filter(Boolean),
    duplicateFraction: num('duplicates', v.duplicates),
    anonymousFraction: num('anonymous', v.anonymous),
    invalidPropertiesFraction: num('invalid-properties', v['invalid-properties']),
    ...(v.realistic ? REALISTIC_TEXT : {}),
    ...defined({
      internationalFraction: num('international', v.international),
      jsonEscapesFraction: num('json-escapes', v['json-escapes']),
      nestedPropertiesFraction: num('nested-properties', v['nested-properties']),
      customEventShare: num('custom-event-share', v['custom-event-share']),
    }),
    users: num('users', v.users),
    prefix: v.prefix,
    schemaIds,
    integrationId: v['integration-id'],
    catalogue: v.catalogue,
  };
  // Drop unset keys so the API's defaults apply.
  for (const k of Object.keys(options) as Array<keyof SampleExportOptions>) if (options[k] === undefined) delete options[k];
  return { options, help: false, json: Boolean(v.json) };
}

function summary(r: SampleExportResult): string {
  const types = Object.keys(r.perType).length;
  return [
    `Wrote ${r.events} events (${r.duplicates} duplicates, ${r.anonymousEvents} anonymous, ${r.invalidProperties} invalid properties)`,
    `in ${r.files.length} files for ${types} event types under ${r.root}`,
    `(integration ${r.integrationId}, now ${new Date(r.nowMs).toISOString()}).`,
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  try {
    const cli = parseCli(argv);
    if (cli.help || !cli.options) {
      process.stdout.write(HELP);
      return 0;
    }
    const r = await generateSampleExport(cli.options);
    if (cli.json) {
      const { files, ...rest } = r;
      process.stdout.write(JSON.stringify({ ...rest, fileCount: files.length }) + '\n');
    } else {
      process.stdout.write(summary(r) + '\n');
    }
    return 0;
  } catch (err) {
    process.stderr.write(`generate-sample-export: ${(err as Error).message}\n`);
    return err instanceof UsageError || err instanceof SampleExportOptionError ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

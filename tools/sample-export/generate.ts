/**
 * Writes a realistic, deterministic Braze Currents data-storage export (Avro files in Braze's key
 * layout) for tests, the demo and benchmarks. One file is open at a time and records are generated
 * lazily, so memory stays flat for any size.
 */
import * as path from 'path';
import { buildWriterSchema } from './avro-schema';
import { CatalogueEventType, loadCatalogue, loadDefaultCatalogue } from './catalogue';
import { objectKey } from './layout';
import { fail, SampleExportOptions, ResolvedOptions, resolveOptions, selectTypes } from './options';
import { allocate, eventTime, planFiles, typeWeights } from './plan';
import { Prng } from './prng';
import { CanaryMaker } from './canaries';
import { GeneratedRecord, RecordFactory } from './record-factory';
import { buildWorld, World } from './world';
import { writeAvroFile } from './write-avro-file';

export interface SampleExportResult {
  /** Paths of the written .avro files, in write order. */
  files: string[];
  /** Records written, duplicates included (= totalEvents). */
  events: number;
  /** Records written per dotted event type. */
  perType: Record<string, number>;
  /** Records that repeat an id already written in an earlier file. */
  duplicates: number;
  /** Records of types with `external_user_id` where it is null. */
  anonymousEvents: number;
  /** Records whose `properties` is not valid JSON. */
  invalidProperties: number;
  /** `<out>/<prefix>`: the folder to point a source's `storage.path` + `prefix` at. */
  root: string;
  integrationId: string;
  /** The `now` used (epoch ms): no event time is after it. */
  nowMs: number;
  /** Where the event-type catalogue came from (reference file or checked-in schemas/). */
  catalogueSource: string;
}

/** Records from earlier files of a type kept as duplicate candidates (bounded: flat memory). */
const DUPLICATE_POOL = 256;

export async function generateSampleExport(options: SampleExportOptions): Promise<SampleExportResult> {
  const o = resolveOptions(options);
  const { catalogue, source } = Array.isArray(options.catalogue)
    ? { catalogue: options.catalogue, source: 'caller-supplied catalogue' }
    : options.catalogue
      ? { catalogue: loadCatalogue(options.catalogue), source: options.catalogue }
      : loadDefaultCatalogue();
  const specs = selectTypes(catalogue, o.types);
  if (o.totalEvents < specs.length) {
    fail(
      `totalEvents (${o.totalEvents}) must be at least the number of event types (${specs.length}) ` +
        'so each type gets a file; raise totalEvents or narrow types.',
    );
  }
  const seed = String(o.seed);
  const integrationId = o.integrationId ?? new Prng(`${seed}|integration`).hex(12);
  const world = buildWorld(new Prng(`${seed}|world`), { users: o.users, anonymousFraction: o.anonymousFraction, internationalFraction: o.internationalFraction });
  const counts = allocate(o.totalEvents, typeWeights(specs, o.customEventShare), 1);

  const result: SampleExportResult = {
    files: [],
    events: 0,
    perType: {},
    duplicates: 0,
    anonymousEvents: 0,
    invalidProperties: 0,
    root: path.join(o.out, o.prefix),
    integrationId,
    nowMs: o.nowMs,
    catalogueSource: source,
  };
  for (let i = 0; i < specs.length; i++) {
    await writeType(specs[i], i, counts[i], world, o, integrationId, result);
  }
  return result;
}

async function writeType(
  spec: CatalogueEventType,
  typeIndex: number,
  count: number,
  world: World,
  o: ResolvedOptions,
  integrationId: string,
  result: SampleExportResult,
): Promise<void> {
  // Each type has its own random streams, so filtering types does not change the other types' data.
  const typeRng = new Prng(`${o.seed}|type|${spec.type}`);
  const planRng = typeRng.fork('plan');
  const idRng = typeRng.fork('ids');
  const timeRng = typeRng.fork('time');
  const dupRng = typeRng.fork('duplicates');
  const markerRng = typeRng.fork('sync');
  const factory = new RecordFactory(spec, world, typeRng.fork('values'), {
    invalidPropertiesFraction: o.invalidPropertiesFraction,
    internationalFraction: o.internationalFraction,
    jsonEscapesFraction: o.jsonEscapesFraction,
    nestedPropertiesFraction: o.nestedPropertiesFraction,
    junkIdFraction: o.junkIdFraction,
    outOfRangeTimeFraction: o.outOfRangeTimeFraction,
    canaries: o.canaryValues ? new CanaryMaker(`${typeIndex.toString(36)}x`) : undefined,
  });
  const schemas = [buildWriterSchema(spec, 0), buildWriterSchema(spec, 1)] as const;
  const hasExternalId = spec.fields.some((f) => f.name === 'external_user_id');
  const checkProperties = o.invalidPropertiesFraction > 0 && spec.fields.some((f) => f.name === 'properties');

  const plans = planFiles(count, planRng, { hours: o.hours, eventsPerFile: o.eventsPerFile, minFilesPerHour: o.minFilesPerHour, nowMs: o.nowMs });
  const offsets = [0, 1, 2].map(() => planRng.int(0, 5_000_000));
  let pool: GeneratedRecord[] = [];

  for (const plan of plans) {
    const partition = planRng.int(0, offsets.length - 1);
    const offset = offsets[partition];
    offsets[partition] += plan.events;
    const key = objectKey({
      prefix: o.prefix,
      cluster: o.cluster,
      integrationId,
      eventType: spec.type,
      hourStartMs: plan.hourStartMs,
      schemaId: o.schemaIds[plan.generation],
      zone: '0',
      partition,
      offset,
    });
    const file = path.join(o.out, key);
    const nextPool: GeneratedRecord[] = [];
    let seen = 0;
    const previous = pool;

    function* records(): Generator<GeneratedRecord> {
      for (let i = 0; i < plan.events; i++) {
        let rec: GeneratedRecord;
        if (previous.length > 0 && o.duplicateFraction > 0 && dupRng.chance(o.duplicateFraction)) {
          rec = previous[dupRng.int(0, previous.length - 1)];
          result.duplicates++;
        } else {
          rec = factory.make(idRng.uuid(), eventTime(timeRng, plan.processedAtMs, o.nowMs, o.maxAgeDays), plan.generation);
          seen++;
          if (nextPool.length < DUPLICATE_POOL) nextPool.push(rec);
          else {
            const j = dupRng.int(0, seen - 1);
            if (j < DUPLICATE_POOL) nextPool[j] = rec;
          }
        }
        if (hasExternalId && rec.external_user_id === null) result.anonymousEvents++;
        if (checkProperties && typeof rec.properties === 'string' && !isJson(rec.properties)) result.invalidProperties++;
        yield rec;
      }
    }

    await writeAvroFile(
      { file, schema: schemas[plan.generation], codec: o.codec, syncMarker: markerRng.bytes(16), blockSize: o.blockSize },
      records(),
    );
    pool = mergePools(previous, nextPool, dupRng);
    result.files.push(file);
    result.events += plan.events;
    result.perType[spec.type] = (result.perType[spec.type] ?? 0) + plan.events;
    o.onFile?.(file, plan.events);
  }
}

/** Keep a bounded mix of older and newest records as duplicate candidates. */
function mergePools(a: GeneratedRecord[], b: GeneratedRecord[], rng: Prng): GeneratedRecord[] {
  const merged = a.concat(b);
  while (merged.length > DUPLICATE_POOL) merged.splice(rng.int(0, merged.length - 1), 1);
  return merged;
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}


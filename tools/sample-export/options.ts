/** Options of the sample-export generator, their defaults and validation (errors say what to fix). */
import { editDistance } from '../../connector-kit/did-you-mean';
import { AvroCodecName, CODEC_NAMES } from './codecs';
import { CatalogueEventType } from './catalogue';

export interface SampleExportOptions {
  /** Output folder (the "bucket"); files go to `<out>/<prefix>/...`. */
  out: string;
  /** Braze "folder path". Default `currents`. */
  prefix?: string;
  /** Total records written, duplicates included. Default 10 000. */
  totalEvents?: number;
  /** Max records per file (Braze: 15 000 normally, up to 100 000). Default 15 000. */
  eventsPerFile?: number;
  /** Files per hour and type when there are enough events (Braze flushes every 5 minutes). Default 2. */
  minFilesPerHour?: number;
  /** Number of `date=` processing hours, ending at `now`. Default 6. */
  hours?: number;
  /** Event times fall within the last `maxAgeDays` days before `now`. Default 3. */
  maxAgeDays?: number;
  /** End of the export window. Default: the current time truncated to the hour (pass it for byte-identical output). */
  now?: Date | number | string;
  seed?: string | number;
  codec?: AvroCodecName;
  /** Only these types (dotted type or stream name, case-insensitive). Default: all 100. */
  types?: string[];
  /** Share of records that repeat an event (same id) already written in an earlier file. Default 0.01. */
  duplicateFraction?: number;
  /** Share of users without external_user_id. Default 0.1. */
  anonymousFraction?: number;
  /** Share of CustomEvent/Purchase records whose `properties` is not valid JSON. Default 0. */
  invalidPropertiesFraction?: number;
  /**
   * Realistic text (see international.ts). Share of users, campaigns, Canvases and custom events whose names,
   * places, device models and custom property keys/values are non-ASCII (CJK, Cyrillic, accents, emoji). Default 0.
   */
  internationalFraction?: number;
  /** Share of CustomEvent/Purchase `properties` with quotes, backslashes and control characters, written ASCII-escaped (\uXXXX) as other producers do. Default 0. */
  jsonEscapesFraction?: number;
  /** Share of CustomEvent/Purchase `properties` with nested objects and arrays. Default 0. */
  nestedPropertiesFraction?: number;
  /** Share of all records that are users.behaviors.CustomEvent. Default: the built-in type weights (about 6 %). */
  customEventShare?: number;
  /** Share of identified users' records whose external_user_id is a placeholder such as "anon". Default 0. */
  junkIdFraction?: number;
  /** Share of records whose time is in 2034 or 1965 (outside what Mixpanel accepts). Default 0. */
  outOfRangeTimeFraction?: number;
  /** Privacy tests: every string value is a unique canary matching CANARY_PATTERN (see canaries.ts). Default false. */
  canaryValues?: boolean;
  /** Size of the user pool. Default 2 000. */
  users?: number;
  /** The older and the current `<schema-id>` path segment. Default [1, 2]. */
  schemaIds?: [number, number];
  cluster?: string;
  /** Default: derived from the seed (24 hex digits, like Braze's). */
  integrationId?: string;
  /** Catalogue file path, or the parsed catalogue. Default: ../shared/reference/currents_event_fields.json. */
  catalogue?: string | CatalogueEventType[];
  /** Uncompressed Avro block size in bytes. Default 65 536 (avsc's). */
  blockSize?: number;
  /** Called after each finished file. */
  onFile?: (file: string, records: number) => void;
}

export type ResolvedOptions = Required<Omit<SampleExportOptions, 'types' | 'catalogue' | 'onFile' | 'integrationId' | 'now' | 'customEventShare'>> & {
  customEventShare?: number;
  types?: string[];
  integrationId?: string;
  nowMs: number;
  onFile?: SampleExportOptions['onFile'];
};

/** A bad option value (the CLI maps it to a usage error, exit code 2). */
export class SampleExportOptionError extends Error {}

export function fail(msg: string): never {
  throw new SampleExportOptionError(`Invalid sample-export option: ${msg}`);
}

function fraction(name: string, v: number): number {
  if (!(typeof v === 'number' && v >= 0 && v <= 1)) fail(`${name} must be a number between 0 and 1 (got ${v}).`);
  return v;
}

function positiveInt(name: string, v: number): number {
  if (!(Number.isInteger(v) && v > 0)) fail(`${name} must be a positive integer (got ${v}).`);
  return v;
}

export function resolveNow(now: SampleExportOptions['now']): number {
  if (now === undefined) return Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const ms = now instanceof Date ? now.getTime() : typeof now === 'number' ? now : Date.parse(now);
  if (!Number.isFinite(ms)) fail(`now must be a date (ISO 8601 or epoch ms), got ${JSON.stringify(now)}.`);
  return ms;
}

export function resolveOptions(o: SampleExportOptions): ResolvedOptions {
  if (!o.out) fail('out (the output folder) is required.');
  const r: ResolvedOptions = {
    out: o.out,
    prefix: o.prefix ?? 'currents',
    totalEvents: positiveInt('totalEvents', o.totalEvents ?? 10_000),
    eventsPerFile: positiveInt('eventsPerFile', o.eventsPerFile ?? 15_000),
    minFilesPerHour: positiveInt('minFilesPerHour', o.minFilesPerHour ?? 2),
    hours: positiveInt('hours', o.hours ?? 6),
    maxAgeDays: positiveInt('maxAgeDays', o.maxAgeDays ?? 3),
    nowMs: resolveNow(o.now),
    seed: o.seed ?? 1,
    codec: o.codec ?? 'null',
    types: o.types,
    duplicateFraction: fraction('duplicateFraction', o.duplicateFraction ?? 0.01),
    anonymousFraction: fraction('anonymousFraction', o.anonymousFraction ?? 0.1),
    invalidPropertiesFraction: fraction('invalidPropertiesFraction', o.invalidPropertiesFraction ?? 0),
    internationalFraction: fraction('internationalFraction', o.internationalFraction ?? 0),
    jsonEscapesFraction: fraction('jsonEscapesFraction', o.jsonEscapesFraction ?? 0),
    nestedPropertiesFraction: fraction('nestedPropertiesFraction', o.nestedPropertiesFraction ?? 0),
    customEventShare: o.customEventShare === undefined ? undefined : fraction('customEventShare', o.customEventShare),
    junkIdFraction: fraction('junkIdFraction', o.junkIdFraction ?? 0),
    outOfRangeTimeFraction: fraction('outOfRangeTimeFraction', o.outOfRangeTimeFraction ?? 0),
    canaryValues: o.canaryValues ?? false,
    users: positiveInt('users', o.users ?? 2_000),
    schemaIds: o.schemaIds ?? [1, 2],
    cluster: o.cluster ?? 'prod-01',
    integrationId: o.integrationId,
    blockSize: positiveInt('blockSize', o.blockSize ?? 65_536),
    onFile: o.onFile,
  };
  if (!CODEC_NAMES.includes(r.codec)) fail(`codec must be one of ${CODEC_NAMES.join(', ')} (got ${JSON.stringify(r.codec)}).`);
  if (r.hours > r.maxAgeDays * 24) {
    fail(`hours (${r.hours}) must fit within maxAgeDays (${r.maxAgeDays} days = ${r.maxAgeDays * 24} hours); raise maxAgeDays or lower hours.`);
  }
  if (r.schemaIds.length !== 2 || !r.schemaIds.every((n) => Number.isInteger(n) && n >= 0) || r.schemaIds[0] === r.schemaIds[1]) {
    fail(`schemaIds must be two different non-negative integers (got ${JSON.stringify(r.schemaIds)}).`);
  }
  if (r.prefix.startsWith('/') || r.prefix.split('/').includes('..')) fail(`prefix must be a relative folder path (got ${JSON.stringify(r.prefix)}).`);
  return r;
}

/** `users.messages.email.Open` → `users_messages_email_open` (the stream name). */
export function streamName(type: string): string {
  return type.toLowerCase().replace(/\./g, '_');
}

/** Applies the `types` filter; unknown names are an error listing what exists. */
export function selectTypes(all: CatalogueEventType[], wanted?: string[]): CatalogueEventType[] {
  if (!wanted || wanted.length === 0) return all;
  const byKey = new Map<string, CatalogueEventType>();
  for (const t of all) {
    byKey.set(t.type.toLowerCase(), t);
    byKey.set(streamName(t.type), t);
  }
  const unknown = wanted.filter((w) => !byKey.has(w.trim().toLowerCase()));
  if (unknown.length) {
    const hint = unknown
      .map((u) => {
        const needle = u.trim().toLowerCase();
        const near = all
          .map((t) => ({ t: t.type, d: Math.min(editDistance(needle, t.type.toLowerCase()), editDistance(needle, streamName(t.type))) }))
          .filter((x) => x.d <= 4)
          .sort((a, b) => a.d - b.d)
          .slice(0, 3)
          .map((x) => x.t);
        return near.length ? `${u} (did you mean ${near.join(', ')}?)` : u;
      })
      .join('; ');
    fail(`unknown event type(s): ${hint}. Use dotted Currents types such as users.messages.email.Open or stream names such as users_messages_email_open.`);
  }
  const chosen = new Set(wanted.map((w) => byKey.get(w.trim().toLowerCase())!));
  return all.filter((t) => chosen.has(t));
}

/** The bench's default corpus: what an international workspace sends (issue: realistic data, not easy data). */
export const REALISTIC_TEXT: Pick<SampleExportOptions, 'internationalFraction' | 'jsonEscapesFraction' | 'nestedPropertiesFraction' | 'customEventShare'> = {
  internationalFraction: 0.65,
  jsonEscapesFraction: 0.25,
  nestedPropertiesFraction: 0.3,
  customEventShare: 0.2,
};

/**
 * The `read` verb: for each configured stream, list its files from the state's window start, decode them
 * block by block, emit records with `_event_type` and `_source_key`, and checkpoint after every file.
 */
import type { Readable } from 'stream';
import type { ConfiguredAirbyteCatalog, ConfiguredAirbyteStream, JsonObject } from '../../connector-kit/protocol';
import type { SourceOutput, StreamStates } from '../../connector-kit/connector';
import { ConnectorError, configError, transientError } from '../../connector-kit/errors';
import type { Logger } from '../../connector-kit/logger';
import { AvroFileReader, CorruptAvroError, NotAvroError } from './avro/container';
import type { SourceSettings } from './config';
import { scanExportLayout, type ExportLayout } from './export-layout';
import { groupUnrecognisedFiles, listTypeFiles, newSkipTally, sortFiles, type ExportFile, type SkipTally } from './export-files';
import { Hour, maxHour } from './hours';
import { streamNameOf } from './layout';
import { StreamCursor } from './state';
import { RecordEmitter } from './record-emitter';
import { catalogueStreams } from './stream-catalogue';

interface ReadContext {
  settings: SourceSettings;
  out: SourceOutput;
  layout: ExportLayout;
  unrecognised: Map<string, ExportFile[]>;
  tally: SkipTally;
  emitter: RecordEmitter;
  /** For the run's closing INFO line (per-stream detail goes to debug). */
  totals: { files: number; streams: number; firstHour?: Hour; lastHour?: Hour };
}

/** A stream's dotted event type: the schema title we set in discover, else the catalogue or the bucket's types. */
function eventTypeOf(stream: ConfiguredAirbyteStream, layout: ExportLayout, unrecognised: Map<string, ExportFile[]>): string | undefined {
  const title = stream.stream.json_schema?.title;
  if (typeof title === 'string' && streamNameOf(title) === stream.stream.name) return title;
  const known = [...catalogueStreams().keys(), ...layout.typeFolders.keys(), ...unrecognised.keys()];
  return known.find((t) => streamNameOf(t) === stream.stream.name);
}

export async function readStreams(settings: SourceSettings, catalog: ConfiguredAirbyteCatalog, states: StreamStates, out: SourceOutput): Promise<void> {
  await settings.storage.probe(settings.rootPrefix);
  const layout = await scanExportLayout(settings.storage, settings.rootPrefix);
  const tally = newSkipTally();
  const unrecognised = await groupUnrecognisedFiles(settings.storage, layout, settings.startHour, out.log, tally, settings.skipCorruptFiles)
    .catch((err) => { throw asUserError(err); });
  const ctx: ReadContext = { settings, out, layout, unrecognised, tally, emitter: new RecordEmitter(out), totals: { files: 0, streams: 0 } };
  out.log.info(`Reading ${catalog.streams.length} stream(s) from ${settings.where}${settings.startHour ? ` (from hour ${settings.startHour})` : ''}; each stream resumes from its saved state.`);
  // Each stream's files are listed while the stream before it is read (listing is mostly waiting).
  const plan = (i: number) => quietly(planStream(ctx, catalog.streams[i], states.get(catalog.streams[i].stream.name)));
  let next = catalog.streams.length ? plan(0) : undefined;
  for (let i = 0; i < catalog.streams.length; i++) {
    const current = next as Promise<StreamPlan>;
    next = i + 1 < catalog.streams.length ? plan(i + 1) : undefined;
    await readStream(ctx, catalog.streams[i], current);
  }
  const { files, streams, firstHour, lastHour } = ctx.totals;
  out.log.info(`Read ${files} new file(s) in ${streams} of ${catalog.streams.length} stream(s)${firstHour ? ` for hours ${firstHour}..${lastHour}` : ''}.`);
  if (tally.notAvro.length || tally.corrupt.length) {
    out.log.warn(`Skipped ${tally.notAvro.length} non-Avro object(s) and ${tally.corrupt.length} corrupt file(s); their keys are in the warnings above.`);
  }
}

interface StreamPlan {
  cursor: StreamCursor;
  eventType?: string;
  fromHour?: Hour;
  files: ExportFile[];
  /** Log lines of the listing, held back so they appear in the stream's turn as if listed then. */
  heldLogs: { level: keyof Logger; message: string }[];
}

/** A stream's cursor and pending files. Started ahead of the stream's turn; failures surface when it is awaited. */
async function planStream(ctx: ReadContext, configured: ConfiguredAirbyteStream, inputState: JsonObject | undefined): Promise<StreamPlan> {
  const { settings } = ctx;
  const heldLogs: StreamPlan['heldLogs'] = [];
  const hold = (level: keyof Logger) => (message: string) => { heldLogs.push({ level, message }); };
  const log: Logger = { debug: hold('debug'), info: hold('info'), warn: hold('warn'), error: hold('error') };
  const incremental = configured.sync_mode === 'incremental';
  // Full refresh reads everything from start_date but still reports a state a later incremental run can use.
  const cursor = incremental ? StreamCursor.fromState(configured.stream.name, inputState, settings.lookbackHours) : StreamCursor.fresh(settings.lookbackHours);
  const eventType = eventTypeOf(configured, ctx.layout, ctx.unrecognised);
  const fromHour: Hour | undefined = maxHour(settings.startHour, cursor.windowStart());
  const files = eventType ? await filesOf(ctx, eventType, fromHour, log) : [];
  return { cursor, eventType, fromHour, files, heldLogs };
}

async function readStream(ctx: ReadContext, configured: ConfiguredAirbyteStream, plan: Promise<StreamPlan>): Promise<void> {
  const { out, settings } = ctx;
  const name = configured.stream.name;
  await out.streamStatus(name, 'STARTED');
  const { cursor, eventType, fromHour, files, heldLogs } = await plan;
  if (!eventType) out.log.warn(`Stream "${name}" matches no Braze Currents event type; it will have no records.`);
  for (const { level, message } of heldLogs) out.log[level](message);
  const pending = files.filter((f) => !cursor.hasRead(f.key));
  out.log.debug(`Stream "${name}": ${pending.length} new file(s) to read${fromHour ? ` from hour ${fromHour}` : ''} in ${settings.where}.`);
  countPending(ctx, pending);
  await out.streamStatus(name, 'RUNNING');
  // The next file is opened while this one is decoded, so storage latency (a disk read, an S3 request)
  // overlaps with CPU work instead of adding to it. At most one file is opened ahead.
  let opening = pending.length ? openAhead(ctx, pending[0]) : undefined;
  try {
    for (let i = 0; i < pending.length; i++) {
      const file = pending[i];
      const opened = opening as Promise<Readable>;
      opening = i + 1 < pending.length ? openAhead(ctx, pending[i + 1]) : undefined;
      await readFile(ctx, name, eventType as string, file, await opened);
      out.log.debug(`Stream "${name}": finished ${file.key}.`);
      cursor.markRead(file.key, file.hour);
      await out.state(name, cursor.toJSON());
    }
  } finally {
    opening?.then((stream) => stream.destroy(), () => undefined); // opened ahead but not read: release it
  }
  if (pending.length === 0) await out.state(name, cursor.toJSON());
  await out.streamStatus(name, 'COMPLETE');
}

function countPending(ctx: ReadContext, pending: ExportFile[]): void {
  if (pending.length === 0) return;
  const t = ctx.totals;
  t.files += pending.length;
  t.streams++;
  for (const f of pending) {
    if (!t.firstHour || f.hour < t.firstHour) t.firstHour = f.hour;
    if (!t.lastHour || f.hour > t.lastHour) t.lastHour = f.hour;
  }
}

async function filesOf(ctx: ReadContext, eventType: string, fromHour: Hour | undefined, log: Logger): Promise<ExportFile[]> {
  const folders = ctx.layout.typeFolders.get(eventType) ?? [];
  const listed = await listTypeFiles(ctx.settings.storage, folders, fromHour, log, ctx.tally);
  const extra = (ctx.unrecognised.get(eventType) ?? []).filter((f) => !fromHour || f.hour >= fromHour);
  return extra.length ? sortFiles([...listed, ...extra]) : listed;
}

/** Marks a promise handled: its failure surfaces where it is awaited, never as an unhandled rejection. */
function quietly<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Starts opening a file; a failure surfaces when the read loop awaits it, never as an unhandled rejection. */
function openAhead(ctx: ReadContext, file: ExportFile): Promise<Readable> {
  return quietly(ctx.settings.storage.open(file.key));
}

async function readFile(ctx: ReadContext, stream: string, eventType: string, file: ExportFile, content: Readable): Promise<void> {
  const { out } = ctx;
  const reader = new AvroFileReader(content, file.key);
  try {
    await ctx.emitter.emitFile(reader, { stream, eventType, key: file.key });
  } catch (err) {
    if (err instanceof NotAvroError) {
      ctx.tally.notAvro.push(file.key);
      out.log.warn(`Skipping "${file.key}": ${err.message}.`);
      return;
    }
    if (err instanceof CorruptAvroError && ctx.settings.skipCorruptFiles) {
      ctx.tally.corrupt.push(file.key);
      out.log.error(`Skipping corrupt file "${file.key}" (skip_corrupt_files is on); records read before the damage were emitted: ${err.message}`);
      return;
    }
    throw asUserError(err);
  } finally {
    await reader.close().catch(() => undefined);
  }
}

/** Errors while reading objects become messages that say what happened and what to do. */
function asUserError(err: unknown): unknown {
  if (err instanceof ConnectorError) return err;
  if (err instanceof CorruptAvroError) {
    return configError(`${err.message}. Move or delete this object out of the export prefix (or turn on skip_corrupt_files to skip such files) and run the sync again.`);
  }
  const code = (err as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string') return transientError(`Reading from storage failed (${code}); the sync can be retried.`, String((err as Error).message));
  return err;
}

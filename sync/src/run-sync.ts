/**
 * One sync in one process: the source reads into a bounded channel, the destination consumes it, and every
 * state the destination acknowledges is written to the local state file. A kill at any moment loses
 * nothing: the next run resumes from the last acknowledged state (Mixpanel drops replays by $insert_id; the
 * Braze destination's membership store knows what it already wrote). The pair of connectors comes from the
 * config (pairs.ts).
 */
import fs from 'fs';
import type { DestinationOutput, Source, SourceOutput } from '../../connector-kit/connector';
import { ConnectorError } from '../../connector-kit/errors';
import type { Logger } from '../../connector-kit/logger';
import type { AirbyteMessage, ConfiguredAirbyteCatalog, JsonObject, StreamStatus } from '../../connector-kit/protocol';
import { Channel } from './channel';
import type { Progress } from './progress';
import { StateFile } from './state-file';
import type { SyncSettings } from './sync-config';

export interface SyncResult {
  /** The destination's end-of-run accounting; `settings.pair.summary` prints it. */
  accounting: unknown;
  statesAcknowledged: number;
}

export async function runSync(settings: SyncSettings, log: Logger, progress: Progress): Promise<SyncResult> {
  const { pair } = settings;
  const source = pair.createSource();
  const rejectedOut = fs.createWriteStream(settings.rejectedFile);
  const destination = pair.createDestination({
    onRejected: (r) => {
      progress.counts.rejected++;
      rejectedOut.write(JSON.stringify(r) + '\n');
    },
    onSkipped: () => progress.counts.skipped++,
  });
  const stateFile = new StateFile(settings.stateFile);
  const state = stateFile.load();
  log.info(state.size ? `Resuming from ${settings.stateFile} (${state.size} stream(s) with saved progress).` : `No saved progress at ${settings.stateFile}: starting from the beginning.`);

  const catalog = await configuredCatalog(source, settings, log);
  const channel = new Channel<AirbyteMessage>(CHANNEL_RECORDS, CHANNEL_BYTES);
  let sourceError: unknown;
  const reading = source
    .read(settings.source, catalog, state, channelOutput(channel, progress, log))
    .catch((err) => (sourceError = err))
    .finally(() => channel.close());

  let accounting: unknown;
  let statesAcknowledged = 0;
  const out: DestinationOutput = {
    log,
    state: (acknowledged, stats) => {
      stateFile.save(acknowledged);
      statesAcknowledged++;
      progress.counts.acknowledged += stats.recordCount;
    },
    emit: (message) => {
      const reported = pair.accounting(message);
      if (reported !== undefined) {
        accounting = reported;
      } else if (message.type === 'LOG') {
        logAtLevel(log, message.log.level, message.log.message);
      }
    },
  };
  try {
    await destination.write(settings.destination, catalog, channel, out);
  } catch (err) {
    channel.abort(err); // stop the source: nothing it reads now could be delivered
    await reading;
    throw err;
  } finally {
    await new Promise((resolve) => rejectedOut.end(resolve));
  }
  await reading;
  if (sourceError) throw sourceError;
  if (accounting === undefined) throw new ConnectorError('The destination finished without reporting its accounting.');
  return { accounting, statesAcknowledged };
}

function logAtLevel(log: Logger, level: string, message: string): void {
  if (level === 'ERROR' || level === 'FATAL') log.error(message);
  else if (level === 'WARN') log.warn(message);
  else if (level === 'INFO') log.info(message);
  else log.debug(message);
}

async function configuredCatalog(source: Source, settings: SyncSettings, log: Logger): Promise<ConfiguredAirbyteCatalog> {
  const discovered = await source.discover(settings.source, log);
  let streams = discovered.streams;
  if (settings.streams) {
    const known = new Set(streams.map((s) => s.name));
    const unknown = settings.streams.filter((s) => !known.has(s));
    if (unknown.length) log.warn(`Unknown stream(s) in "streams", ignored: ${unknown.join(', ')}. Known streams look like ${[...known].slice(0, 2).join(', ')}.`);
    const wanted = new Set([...settings.streams, ...(settings.pair.requiredStreams ?? [])]);
    streams = streams.filter((s) => wanted.has(s.name));
  }
  return { streams: streams.map((stream) => settings.pair.configure(stream)) };
}

/**
 * What may wait between source and destination: 2000 records, or about 8 MB of record data when records are
 * big (Braze allows events up to 900 KB); 2000 records of 40 KB took the process past its heap cap.
 */
const CHANNEL_RECORDS = 2_000;
const CHANNEL_BYTES = 8 * 1024 * 1024;

/**
 * Roughly the memory a record's data takes: its strings' lengths plus a few bytes per other value. Records
 * are flat (Currents) or nearly so; nested values count a fixed amount, as this only paces the channel.
 */
export function approximateRecordBytes(data: JsonObject): number {
  let bytes = 0;
  for (const key in data) {
    const value = data[key];
    bytes += key.length + (typeof value === 'string' ? value.length : typeof value === 'object' && value !== null ? 256 : 8);
  }
  return bytes;
}

/** What the source writes goes straight into the channel as protocol messages, no JSON in between. */
function channelOutput(channel: Channel<AirbyteMessage>, progress: Progress, log: Logger): SourceOutput {
  const counts = new Map<string, number>();
  return {
    log,
    record(stream: string, data: JsonObject) {
      progress.counts.events++;
      counts.set(stream, (counts.get(stream) ?? 0) + 1);
      return channel.push({ type: 'RECORD', record: { stream, data, emitted_at: Date.now() } }, approximateRecordBytes(data));
    },
    state(stream: string, streamState: JsonObject) {
      progress.counts.files++;
      const recordCount = counts.get(stream) ?? 0;
      counts.set(stream, 0);
      return channel.push({ type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state: streamState }, sourceStats: { recordCount } } });
    },
    streamStatus(stream: string, status: StreamStatus) {
      if (status === 'INCOMPLETE') log.warn(`Stream ${stream} did not complete.`);
    },
  };
}

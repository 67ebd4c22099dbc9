/**
 * The CLI: Airbyte verbs and Singer flags for a Source or a Destination. Everything around the connector's
 * own logic lives here: reading files, config validation, state parsing, output, errors and exit codes.
 */
import fs from 'fs';
import { parseArgs, requireFlag, type ParsedArgs } from './args';
import { readJsonFile, validateConfig } from './config';
import type { Destination, DestinationOutput, RecordLineWriter, Source, SourceOutput, ConnectorInfo } from './connector';
import { ConnectorError, configError } from './errors';
import { acceptsRawInput, readJsonLines, toDestinationMessage } from './input';
import type { AirbyteMessage, ConfiguredAirbyteCatalog, JsonObject, StreamStatus } from './protocol';
import { collectSecrets } from './redact';
import { logLevelOf } from './logger';
import { safeErrorMessage, safeStack } from './privacy';
import { Session } from './session';
import { about, aboutMarkdown, allStreams, schemaLine, selectedStreams, toSingerCatalog, toSingerLine, type SingerCatalog } from './singer';
import { parseStateInput } from './state';

const TAP_CAPABILITIES = ['catalog', 'discover', 'state', 'about', 'test'];
const TARGET_CAPABILITIES = ['about'];

export function runSource(source: Source, argv: string[], mode: 'airbyte' | 'singer'): void {
  void runMain(argv, mode, (args, session) => sourceCommand(source, args, session));
}

export function runDestination(destination: Destination, argv: string[], mode: 'airbyte' | 'singer'): void {
  void runMain(argv, mode, (args, session) => destinationCommand(destination, args, session));
}

type Command = (args: ParsedArgs, session: Session) => Promise<number>;

async function runMain(argv: string[], mode: 'airbyte' | 'singer', command: Command): Promise<void> {
  let session = new Session(mode, logLevelOf(undefined, process.env, argv.includes('--debug')));
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(1); // the reader went away; nothing more can be delivered
  });
  // If the event loop runs dry while a command still awaits something that can never happen, Node would
  // exit 0 with the output cut short; a connector must never claim success that way.
  const stalled = () => {
    reportFailure(session, new Error('the connector stopped before finishing (nothing left to wait for)'));
    void session.close().then(() => process.exit(1));
  };
  process.once('beforeExit', stalled);
  let code = 1;
  try {
    const args = parseArgs(argv, mode);
    if (args.protocol !== mode) session = new Session(args.protocol, session.level);
    code = await command(args, session);
  } catch (err) {
    reportFailure(session, err);
  }
  process.off('beforeExit', stalled);
  await session.close();
  process.exit(code);
}

function reportFailure(session: Session, err: unknown): void {
  const known = err instanceof ConnectorError;
  // Our own messages are written value-free; an unexpected error's text may quote data (a parser's excerpt).
  const message = known ? err.message : `Unexpected error: ${safeErrorMessage(err)}`;
  const failureType = known ? err.failureType : 'system_error';
  if (session.protocol === 'singer') {
    void session.stderr.writeLine(`ERROR ${message}`);
    if (!known && session.debug) void session.stderr.writeLine(String(safeStack(err)));
    return;
  }
  void session.emit({
    type: 'TRACE',
    trace: {
      type: 'ERROR',
      emitted_at: Date.now(),
      error: {
        message,
        failure_type: failureType,
        ...(known && err.internalMessage ? { internal_message: err.internalMessage } : {}),
        // A stack helps only for our own bugs; user errors get the message alone.
        ...(!known && (err as Error)?.stack ? { stack_trace: safeStack(err) } : {}),
      },
    },
  });
}

/**
 * Reads and validates --config, installing the redactor before anything from it can be printed, and the
 * config's `log_level` (unless --debug or LOG_LEVEL chose one).
 */
function loadConfig(info: ConnectorInfo, args: ParsedArgs, session: Session, why: string): JsonObject {
  const read = readJsonFile(requireFlag(args, 'config', why), 'config');
  const raw = info.normalizeConfig ? info.normalizeConfig(read) : read;
  const spec = info.spec().connectionSpecification;
  session.setSecrets(collectSecrets(spec, raw));
  const config = validateConfig(spec, raw);
  session.level = logLevelOf(config.log_level, process.env, args.flags.debug === true);
  return config;
}

/** `check`: a config the user got wrong is a FAILED status with the reason, not a crash. */
async function checkCommand(info: ConnectorInfo, args: ParsedArgs, session: Session): Promise<number> {
  let status;
  try {
    const config = loadConfig(info, args, session, 'to check the connection');
    status = await info.check(config, session.log);
  } catch (err) {
    if (!(err instanceof ConnectorError && err.failureType === 'config_error')) throw err;
    status = { status: 'FAILED' as const, message: err.message };
  }
  if (session.protocol === 'singer') {
    await session.stderr.writeLine(`${status.status === 'SUCCEEDED' ? 'INFO' : 'ERROR'} Connection test ${status.status}: ${status.message ?? ''}`);
    return status.status === 'SUCCEEDED' ? 0 : 1;
  }
  await session.emit({ type: 'CONNECTION_STATUS', connectionStatus: status });
  return 0;
}

function printAbout(info: ConnectorInfo, args: ParsedArgs, session: Session, capabilities: string[]): number {
  const format = args.flags.format ?? 'json';
  if (format === 'markdown') void session.stdout.writeLine(aboutMarkdown(info, capabilities));
  else if (format === 'json') void session.stdout.writeLine(JSON.stringify(about(info, capabilities), null, 2));
  else throw configError(`--format must be json or markdown (got "${format}").`);
  return 0;
}

async function sourceCommand(source: Source, args: ParsedArgs, session: Session): Promise<number> {
  if (args.protocol === 'singer') {
    if (args.flags.about) return printAbout(source, args, session, TAP_CAPABILITIES);
    if (args.flags.test) return checkCommand(source, args, session);
    const config = loadConfig(source, args, session, 'for the tap');
    if (args.flags.discover) {
      await session.stdout.writeLine(JSON.stringify(toSingerCatalog(await source.discover(config, session.log)), null, 2));
      return 0;
    }
    const catalogPath = args.flags.catalog ?? args.flags.properties;
    const { catalog, excluded } = typeof catalogPath === 'string'
      ? selectedStreams(readJsonFile(catalogPath, 'catalog') as SingerCatalog, { streams: [] })
      : { catalog: allStreams(await source.discover(config, session.log)), excluded: new Map<string, ReadonlySet<string>>() };
    if (catalog.streams.length === 0) session.log.warn('The catalog selects no stream: nothing to sync. Mark streams with "selected": true in their metadata.');
    const state = typeof args.flags.state === 'string' ? parseStateInput(readJsonFile(args.flags.state, 'state')) : new Map();
    for (const s of catalog.streams) await session.stdout.writeLine(schemaLine(s.stream));
    return runRead(source, config, catalog, state, session, excluded);
  }
  switch (args.verb) {
    case 'spec':
      await session.emit({ type: 'SPEC', spec: source.spec() });
      return 0;
    case 'check':
      return checkCommand(source, args, session);
    case 'discover': {
      const config = loadConfig(source, args, session, 'for discover');
      await session.emit({ type: 'CATALOG', catalog: await source.discover(config, session.log) });
      return 0;
    }
    case 'read': {
      const config = loadConfig(source, args, session, 'for read');
      const catalog = readConfiguredCatalog(requireFlag(args, 'catalog', 'for read'));
      const state = typeof args.flags.state === 'string' ? parseStateInput(readJsonFile(args.flags.state, 'state')) : new Map();
      return runRead(source, config, catalog, state, session);
    }
    default:
      throw configError(`A source supports spec, check, discover and read (got "${args.verb ?? 'no command'}").`);
  }
}

function readConfiguredCatalog(path: string): ConfiguredAirbyteCatalog {
  const catalog = readJsonFile(path, 'catalog') as ConfiguredAirbyteCatalog;
  if (!catalog || !Array.isArray(catalog.streams) || catalog.streams.some((s) => !s?.stream?.name)) {
    throw configError(`The catalog file "${path}" is not a configured catalog: it needs "streams": [{"stream": {"name": …}, "sync_mode": …}].`);
  }
  return catalog;
}

async function runRead(
  source: Source, config: JsonObject, catalog: ConfiguredAirbyteCatalog, state: Map<string, JsonObject>, session: Session,
  excluded: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): Promise<number> {
  const out = new SourceMessageOutput(session, excluded);
  try {
    await source.read(config, catalog, state, out);
    return 0;
  } catch (err) {
    await out.markUnfinishedIncomplete();
    throw err;
  }
}

/**
 * Emits a source's messages in the session's protocol, counting records per stream for sourceStats.
 * `excluded` (Singer property selection): per stream, the record keys to drop; such streams take no lines.
 */
class SourceMessageOutput implements SourceOutput {
  private readonly counts = new Map<string, number>();
  private readonly open = new Set<string>();
  private readonly recordPrefix = new Map<string, string>();
  private readonly bookmarks: JsonObject = {};

  constructor(private readonly session: Session, private readonly excluded: ReadonlyMap<string, ReadonlySet<string>> = new Map()) {}

  get log() {
    return this.session.log;
  }

  record(stream: string, data: JsonObject): Promise<void> | void {
    this.counts.set(stream, (this.counts.get(stream) ?? 0) + 1);
    const dropped = this.excluded.get(stream);
    if (dropped) data = without(data, dropped);
    if (this.session.protocol === 'singer') {
      return this.session.stdout.writeLine(toSingerLine({ type: 'RECORD', record: { stream, data, emitted_at: Date.now() } }, this.bookmarks)!);
    }
    // Hand-built envelope: one JSON.stringify per record instead of two.
    return this.session.stdout.writeLine(`${this.prefixOf(stream)}${JSON.stringify(data)},"emitted_at":${Date.now()}}}`);
  }

  /**
   * The same lines as `record`, built by the source around its own JSON bytes (one clock reading per
   * batch). Without secrets to mask the bytes go to stdout as they are, with no string round trip;
   * otherwise they pass through the line writer's redaction like every other line.
   */
  readonly recordLines: RecordLineWriter = {
    accepts: (stream) => !this.excluded.has(stream),
    frame: (stream) => {
      const emittedAt = Date.now();
      return this.session.protocol === 'singer'
        ? { head: `{"type":"RECORD","stream":${JSON.stringify(stream)},"record":`, tail: `,"time_extracted":${JSON.stringify(new Date(emittedAt).toISOString())}}\n` }
        : { head: this.prefixOf(stream), tail: `,"emitted_at":${emittedAt}}}\n` };
    },
    write: (stream, bytes, length, count) => {
      if (count === 0) return;
      // A source that ignored accepts() would leak deselected fields: fail instead.
      if (this.excluded.has(stream)) throw new Error(`record lines for stream ${stream}, whose records must go through record() (property selection)`);
      this.counts.set(stream, (this.counts.get(stream) ?? 0) + count);
      return this.session.stdout.writeBytes(bytes.subarray(0, length));
    },
  };

  private prefixOf(stream: string): string {
    let prefix = this.recordPrefix.get(stream);
    if (!prefix) this.recordPrefix.set(stream, (prefix = `{"type":"RECORD","record":{"stream":${JSON.stringify(stream)},"data":`));
    return prefix;
  }

  state(stream: string, streamState: JsonObject): Promise<void> | void {
    const message: AirbyteMessage = {
      type: 'STATE',
      state: { type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state: streamState }, sourceStats: { recordCount: this.counts.get(stream) ?? 0 } },
    };
    this.counts.set(stream, 0);
    if (this.session.protocol === 'singer') return this.session.stdout.writeLine(toSingerLine(message, this.bookmarks)!);
    return this.session.emit(message);
  }

  streamStatus(stream: string, status: StreamStatus): Promise<void> | void {
    if (status === 'STARTED') this.open.add(stream);
    if (status === 'COMPLETE' || status === 'INCOMPLETE') this.open.delete(stream);
    if (this.session.protocol === 'singer') return this.session.log.debug(`Stream ${stream}: ${status}`);
    return this.session.emit({ type: 'TRACE', trace: { type: 'STREAM_STATUS', emitted_at: Date.now(), stream_status: { stream_descriptor: { name: stream }, status } } });
  }

  async markUnfinishedIncomplete(): Promise<void> {
    for (const stream of [...this.open]) await this.streamStatus(stream, 'INCOMPLETE');
  }
}

/** A copy of `data` without `keys`; the source's object is left as it was. */
function without(data: JsonObject, keys: ReadonlySet<string>): JsonObject {
  const kept = { ...data };
  for (const key of keys) delete kept[key];
  return kept;
}

async function destinationCommand(destination: Destination, args: ParsedArgs, session: Session): Promise<number> {
  if (args.protocol === 'singer') {
    if (args.flags.about) return printAbout(destination, args, session, TARGET_CAPABILITIES);
    if (args.flags.test) return checkCommand(destination, args, session);
    const config = loadConfig(destination, args, session, 'for the target');
    const input = typeof args.flags.input === 'string' ? openInput(args.flags.input) : process.stdin;
    return runWrite(destination, config, { streams: [] }, input, session);
  }
  switch (args.verb) {
    case 'spec':
      await session.emit({ type: 'SPEC', spec: destination.spec() });
      return 0;
    case 'check':
      return checkCommand(destination, args, session);
    case 'write': {
      const config = loadConfig(destination, args, session, 'for write');
      const catalog = readConfiguredCatalog(requireFlag(args, 'catalog', 'for write'));
      return runWrite(destination, config, catalog, process.stdin, session);
    }
    default:
      throw configError(`A destination supports spec, check and write (got "${args.verb ?? 'no command'}").`);
  }
}

function openInput(path: string): NodeJS.ReadableStream & fs.ReadStream {
  if (!fs.existsSync(path)) throw configError(`The --input file "${path}" does not exist.`);
  return fs.createReadStream(path);
}

async function runWrite(destination: Destination, config: JsonObject, catalog: ConfiguredAirbyteCatalog, input: NodeJS.ReadableStream, session: Session): Promise<number> {
  const singer = session.protocol === 'singer';
  async function* messages(): AsyncGenerator<AirbyteMessage> {
    for await (const raw of readJsonLines(input as never, session.log)) {
      const message = toDestinationMessage(raw, session.protocol);
      if (message) yield message;
    }
  }
  const out: DestinationOutput = {
    log: session.log,
    state: (state, stats) =>
      singer
        ? session.stdout.writeLine(JSON.stringify(state.data ?? {}))
        : session.emit({ type: 'STATE', state: { ...state, destinationStats: { recordCount: stats.recordCount, rejectedRecordCount: stats.rejectedRecordCount } } }),
    // Singer stdout carries only state lines; anything else the destination reports goes to the log.
    emit: (message) => (singer ? logForSinger(session, message) : session.emit(message)),
  };
  // A destination that parses raw lines itself (e.g. on worker threads) gets the bytes instead.
  if (acceptsRawInput(destination)) await destination.writeRaw(config, catalog, { protocol: session.protocol, chunks: input as AsyncIterable<Buffer> }, out);
  else await destination.write(config, catalog, messages(), out);
  return 0;
}

/** A LOG keeps its level; machine-readable TRACEs (e.g. ANALYTICS accounting) are detail, at debug. */
function logForSinger(session: Session, message: AirbyteMessage): void {
  if (message.type === 'LOG') {
    const level = message.log.level;
    const log = level === 'ERROR' || level === 'FATAL' ? session.log.error : level === 'WARN' ? session.log.warn : level === 'INFO' ? session.log.info : session.log.debug;
    return log(message.log.message);
  }
  session.log.debug(message.type === 'TRACE' ? JSON.stringify(message.trace) : JSON.stringify(message));
}

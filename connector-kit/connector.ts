/**
 * What a connector implements. The kit (runner.ts) turns these into the Airbyte CLI verbs and the
 * Singer tap/target flags, validates config against spec(), parses --state, emits messages with
 * backpressure and redacts every airbyte_secret value from all output.
 *
 * Logging rules for every connector (DESIGN §7; details in logger.ts and privacy.ts): one INFO line per phase,
 * per-stream and per-file detail at debug (`log_level` setting, `LOG_LEVEL`); no record field value in any log,
 * TRACE, error message or summary — describe records with `describeRecord` (stream, id, reason, field names);
 * whole records only to a file the user configured.
 */
import type {
  AirbyteCatalog,
  AirbyteConnectionStatus,
  AirbyteMessage,
  AirbyteStateMessage,
  ConfiguredAirbyteCatalog,
  ConnectorSpecification,
  JsonObject,
  StreamStatus,
} from './protocol';
import type { Logger } from './logger';

export interface ConnectorInfo {
  /** Airbyte name, e.g. `source-braze-currents`. */
  name: string;
  /** Singer name, e.g. `tap-braze-currents`. */
  singerName: string;
  description: string;
  version: string;
  spec(): ConnectorSpecification;
  /** Returns FAILED with a message that says what to fix for user/config problems; throws only on crashes. */
  check(config: JsonObject, log: Logger): Promise<AirbyteConnectionStatus>;
  /**
   * Optional: rewrites the raw config before it is validated against spec(), for input forms the spec (which the
   * Airbyte UI renders) cannot declare, e.g. integers in a list the UI shows as strings.
   */
  normalizeConfig?(raw: unknown): unknown;
}

/** Per-stream input state: stream name → the `stream_state` blob the source emitted last time. */
export type StreamStates = Map<string, JsonObject>;

/**
 * Fast path for sources that serialise records themselves (e.g. straight from Avro bytes): they write whole
 * RECORD lines into their own buffer, framing each record's `data` JSON with text the kit provides, so the
 * kit owns the message format while no per-record object or string is ever built.
 */
export interface RecordLineWriter {
  /**
   * False for a stream whose records the kit must rewrite (Singer property selection drops keys, which
   * pre-serialised bytes cannot have): send that stream's records through `record`. `write` refuses them.
   */
  accepts(stream: string): boolean;
  /**
   * The text around one record's `data` JSON on a RECORD line of `stream` emitted now: a line is
   * `head` + data JSON + `tail` (`tail` ends with the newline). Ask again for every batch (it holds the time).
   */
  frame(stream: string): { head: string; tail: string };
  /**
   * Writes `count` lines, `bytes[0, length)`, built with a frame of this stream; they count for sourceStats
   * exactly like `record`. Await the result before reusing `bytes`.
   */
  write(stream: string, bytes: Buffer, length: number, count: number): Promise<void> | void;
}

export interface SourceOutput {
  readonly log: Logger;
  /** Emits a RECORD. Await it: it resolves once stdout can take more (backpressure). */
  record(stream: string, data: JsonObject): Promise<void> | void;
  /** Optional: outputs that can take pre-serialised RECORD lines. Sources must fall back to `record` without it. */
  readonly recordLines?: RecordLineWriter;
  /** Emits a per-stream STATE; the kit adds `sourceStats.recordCount` (records of that stream since its last STATE). */
  state(stream: string, streamState: JsonObject): Promise<void> | void;
  /** TRACE STREAM_STATUS. The kit emits INCOMPLETE for started streams that never reached COMPLETE if read() throws. */
  streamStatus(stream: string, status: StreamStatus): Promise<void> | void;
}

export interface Source extends ConnectorInfo {
  discover(config: JsonObject, log: Logger): Promise<AirbyteCatalog>;
  read(config: JsonObject, catalog: ConfiguredAirbyteCatalog, state: StreamStates, out: SourceOutput): Promise<void>;
}

export interface DestinationStats { recordCount: number; rejectedRecordCount: number }

export interface DestinationOutput {
  readonly log: Logger;
  /**
   * Echoes an input STATE unchanged (the kit adds `destinationStats`). Call only after every record
   * received before that state has been acknowledged. In Singer mode the kit prints the bare state value.
   */
  state(state: AirbyteStateMessage, stats: DestinationStats): Promise<void> | void;
  /** Emits a raw message (e.g. a final TRACE with accounting). */
  emit(message: AirbyteMessage): Promise<void> | void;
}

export interface Destination extends ConnectorInfo {
  /**
   * `input` yields parsed AirbyteMessages from stdin (invalid lines are logged and skipped by the kit).
   * In Singer mode the kit converts Singer RECORD → RECORD (data = record) and STATE → STATE {type: LEGACY, data: value};
   * SCHEMA messages are passed as `{type: 'SCHEMA', ...}` via `onSingerSchema` only; catalog is then empty.
   */
  write(config: JsonObject, catalog: ConfiguredAirbyteCatalog, input: AsyncIterable<AirbyteMessage>, out: DestinationOutput): Promise<void>;
}

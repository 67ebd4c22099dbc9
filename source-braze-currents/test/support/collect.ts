/** A SourceOutput that records what the source emitted, for tests that call the source directly. */
import type { SourceOutput } from '../../../connector-kit/connector';
import type { Logger } from '../../../connector-kit/logger';
import type { JsonObject, StreamStatus } from '../../../connector-kit/protocol';

export type Emitted =
  | { kind: 'record'; stream: string; data: JsonObject }
  | { kind: 'state'; stream: string; state: JsonObject }
  | { kind: 'status'; stream: string; status: StreamStatus };

export class CollectingOutput implements SourceOutput {
  readonly emitted: Emitted[] = [];
  readonly logs: { level: string; message: string }[] = [];
  readonly log: Logger = {
    debug: (m) => this.logs.push({ level: 'DEBUG', message: m }),
    info: (m) => this.logs.push({ level: 'INFO', message: m }),
    warn: (m) => this.logs.push({ level: 'WARN', message: m }),
    error: (m) => this.logs.push({ level: 'ERROR', message: m }),
  };

  record(stream: string, data: JsonObject): void {
    // Copy through JSON, as the wire would.
    this.emitted.push({ kind: 'record', stream, data: JSON.parse(JSON.stringify(data)) });
  }

  state(stream: string, state: JsonObject): void {
    this.emitted.push({ kind: 'state', stream, state: JSON.parse(JSON.stringify(state)) });
  }

  streamStatus(stream: string, status: StreamStatus): void {
    this.emitted.push({ kind: 'status', stream, status });
  }

  records(stream?: string): JsonObject[] {
    return this.emitted.filter((e): e is Extract<Emitted, { kind: 'record' }> => e.kind === 'record' && (!stream || e.stream === stream)).map((e) => e.data);
  }

  lastState(stream: string): JsonObject | undefined {
    const states = this.emitted.filter((e): e is Extract<Emitted, { kind: 'state' }> => e.kind === 'state' && e.stream === stream);
    return states[states.length - 1]?.state;
  }

  statuses(stream: string): StreamStatus[] {
    return this.emitted.filter((e): e is Extract<Emitted, { kind: 'status' }> => e.kind === 'status' && e.stream === stream).map((e) => e.status);
  }

  warnings(): string[] {
    return this.logs.filter((l) => l.level === 'WARN' || l.level === 'ERROR').map((l) => l.message);
  }
}

/**
 * Kill tests (DESIGN §7, first bullet): a plan of kill points drawn from a seed (so any failure replays with
 * KILL_SEED=<seed>), and runs of the sync runner or the piped Airbyte pair that are SIGKILLed at a point:
 * during listing, mid-file, between a batch's send and its acknowledgement, during a retry back-off, or
 * while the state file is being written. Each point names what triggers it (a log line, a request held by
 * the receiver) and a seeded delay after the trigger.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import path from 'path';
import type { MixpanelReceiver } from '../../../local-services/mixpanel/import-api';
import { startPipe } from '../../../test-support/pipe-clis';
import { STATE_WRITE_PAUSED } from '../../../test-support/kill-points/pause-state-writes';
import { REPO_ROOT } from '../../../test-support/run-cli';
import { Prng } from '../../../tools/sample-export/prng';

export type Phase = 'listing' | 'mid-file' | 'send-ack' | 'backoff' | 'state-write';
export type Target = 'sync' | 'source' | 'destination' | 'both';
export interface KillPoint { target: Target; phase: Phase; delayMs: number }

/** Upper bound of the seeded delay after each phase's trigger. */
const MAX_DELAY_MS: Record<Phase, number> = { listing: 60, 'mid-file': 20, 'send-ack': 250, backoff: 150, 'state-write': 30 };
/** Slow answers hold each request this long (send-ack points); the retry base (backoff points). */
export const SLOW_ANSWER_MS = 400;
export const RETRY_BASE_MS = 200;

const SYNC_PHASES: Phase[] = ['listing', 'listing', 'mid-file', 'mid-file', 'mid-file', 'send-ack', 'send-ack', 'send-ack', 'backoff', 'backoff', 'state-write', 'state-write', 'state-write'];
const PAIR_PHASES: Phase[] = ['listing', 'mid-file', 'send-ack', 'backoff'];

export function planKillPoints(seed: string): { sync: KillPoint[]; pair: KillPoint[] } {
  const rng = new Prng(`kill|${seed}`);
  const point = (target: Target, phase: Phase): KillPoint => ({ target, phase, delayMs: rng.int(0, MAX_DELAY_MS[phase]) });
  const sync = shuffle(SYNC_PHASES.map((phase) => point('sync', phase)), rng);
  const all = (['source', 'destination', 'both'] as const).flatMap((target) => PAIR_PHASES.map((phase) => point(target, phase)));
  // The pair's source reads the whole small export ahead within one run, and once only its source is killed
  // the destination delivers all of that: so the points that need undelivered work (a request to hold or
  // fail, a file to be in) come first, those that leave work behind (destination or both killed) before the
  // source-only ones; listing points, which fire even when nothing is left, come last.
  const group = (p: KillPoint) => (p.phase === 'listing' ? 2 : p.target === 'source' ? 1 : 0);
  const pair = [0, 1, 2].flatMap((g) => shuffle(all.filter((p) => group(p) === g), rng));
  return { sync, pair };
}

function shuffle<T>(items: T[], rng: Prng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

export const describePoint = (p: KillPoint) => `${p.target} killed at ${p.phase} +${p.delayMs} ms`;

/**
 * Faults the receiver needs for a phase to happen at all (cleared after the run); `paceMs` slows every other
 * answer a little, so a run lasts long enough for kills to land mid-way.
 */
export function faultsFor(receiver: MixpanelReceiver, phase: Phase | undefined, paceMs = 0): void {
  receiver.clearFaults();
  if (phase === 'send-ack') return receiver.injectFaults([{ type: 'delay', ms: SLOW_ANSWER_MS, times: 1000 }]);
  if (phase === 'backoff') receiver.injectFaults([{ type: 'status', status: 503, times: 3 }]);
  if (paceMs > 0) receiver.injectFaults([{ type: 'delay', ms: paceMs, times: 1000 }]);
}

/** The pair's pace: its source reads the small export in milliseconds, so answers are slowed a little. */
const PAIR_PACE_MS = 80;

export interface RunOutcome {
  /** True when the kill happened; false when the run ended first (nothing left to do at that point). */
  killed: boolean;
  /** Exit codes (the pair: source, destination). */
  codes: Array<number | null>;
  stderr: string;
  /** The pair: the destination's stdout lines (echoed STATEs among them). */
  destinationLines: string[];
}

/** A trigger fires once; `kill` then waits the point's delay and kills. */
class Trigger {
  private fired = false;
  constructor(private readonly point: KillPoint | undefined, private readonly kill: () => void) {}
  fire(phase: Phase): void {
    if (!this.point || this.fired || phase !== this.point.phase) return;
    this.fired = true;
    setTimeout(this.kill, this.point.delayMs);
  }
  get happened(): boolean {
    return this.fired;
  }
}

/** Watches the receiver for a request it holds without answering (a batch sent, not yet acknowledged). */
function watchHeldRequests(receiver: MixpanelReceiver, onHeld: () => void): () => void {
  const timer = setInterval(() => {
    if (receiver.requests().some((r) => r.answeredAt === undefined && r.status === 0)) onHeld();
  }, 2);
  return () => clearInterval(timer);
}

/** Calls `onLine` for each complete line of a stream. */
function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop()!;
    lines.forEach(onLine);
  });
}

/** One `bin/sync` run (debug logs, state-write pauses when the point asks for them), killed at `point` if given. */
export async function runSync(config: string, receiver: MixpanelReceiver, point?: KillPoint): Promise<RunOutcome> {
  faultsFor(receiver, point?.phase);
  const preload = path.join(REPO_ROOT, 'dist', 'test-support', 'kill-points', 'pause-state-writes.js');
  const env = { ...process.env, LOG_LEVEL: 'debug', KILL_TEST_PAUSE_STATE_WRITES_MS: point?.phase === 'state-write' ? '3000' : '' };
  const child = spawn(process.execPath, ['-r', preload, path.join(REPO_ROOT, 'bin', 'sync'), '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const trigger = new Trigger(point, () => child.kill('SIGKILL'));
  const stderr: string[] = [];
  eachLine(child.stderr, (line) => {
    stderr.push(line);
    if (/No saved progress|Resuming from/.test(line)) trigger.fire('listing');
    if (/DEBUG Stream "[^"]+": finished /.test(line)) trigger.fire('mid-file');
    if (/retry \d+ in/.test(line)) trigger.fire('backoff');
    if (line.includes(STATE_WRITE_PAUSED)) trigger.fire('state-write');
  });
  child.stdout.resume();
  const stopWatching = watchHeldRequests(receiver, () => trigger.fire('send-ack'));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  stopWatching();
  receiver.clearFaults();
  return { killed: trigger.happened, codes: [code], stderr: stderr.join('\n'), destinationLines: [] };
}

/**
 * One `source read | destination write` run from `stateFile` (if given), killed at `point` if given: the
 * source, the destination or both. Listing points fire at the source's "Reading N stream(s)" line; mid-file
 * points at the first echoed STATE (the source is then in its next files).
 */
export async function runPair(args: { source: string; destination: string; catalog: string; state?: string }, receiver: MixpanelReceiver, point?: KillPoint): Promise<RunOutcome> {
  faultsFor(receiver, point?.phase, PAIR_PACE_MS);
  const read: [string, ...string[]] = ['source-braze-currents', 'read', '--config', args.source, '--catalog', args.catalog, ...(args.state ? ['--state', args.state] : [])];
  const pipe = startPipe(read, ['destination-mixpanel', 'write', '--config', args.destination, '--catalog', args.catalog]);
  const victims: ChildProcessWithoutNullStreams[] =
    point?.target === 'source' ? [pipe.first] : point?.target === 'destination' ? [pipe.second] : point?.target === 'both' ? [pipe.first, pipe.second] : [];
  const trigger = new Trigger(point, () => victims.forEach((child) => child.kill('SIGKILL')));
  const lines: string[] = [];
  pipe.onSecondLine((line) => {
    lines.push(line);
    if (line.startsWith('{"type":"STATE"')) trigger.fire('mid-file');
    if (/retry \d+ in/.test(line)) trigger.fire('backoff');
  });
  // The source logs this just before it lists the streams' files.
  pipe.onFirstLine((line) => {
    if (line.startsWith('{"type":"LOG"') && line.includes('Reading ')) trigger.fire('listing');
  });
  const stopWatching = watchHeldRequests(receiver, () => trigger.fire('send-ack'));
  const { first, second } = await pipe.done;
  stopWatching();
  receiver.clearFaults();
  return { killed: trigger.happened, codes: [first.code, second.code], stderr: first.stderr + second.stderr, destinationLines: lines };
}

/** The latest echoed STATE per stream, in the array form `read --state` accepts (what Airbyte would keep). */
export function latestStates(lines: string[], previous: unknown[] = []): unknown[] {
  const byStream = new Map<string, unknown>();
  for (const state of previous as Array<{ stream: { stream_descriptor: { name: string } } }>) byStream.set(state.stream.stream_descriptor.name, state);
  for (const line of lines) {
    if (!line.startsWith('{"type":"STATE"')) continue;
    const { state } = JSON.parse(line) as { state: { type: string; stream: { stream_descriptor: { name: string }; stream_state: unknown } } };
    byStream.set(state.stream.stream_descriptor.name, { type: 'STREAM', stream: state.stream });
  }
  return [...byStream.values()];
}

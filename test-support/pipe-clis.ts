/**
 * `first | second` for the repository's CLIs (bin/*), as a shell or an Airbyte worker pipes a source into a
 * destination, keeping both outputs (the source's LOG and TRACE lines matter too) and letting a test kill
 * either side at any moment.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import path from 'path';
import { REPO_ROOT, type CliResult } from './run-cli';

export interface RunningPipe {
  first: ChildProcessWithoutNullStreams;
  second: ChildProcessWithoutNullStreams;
  /** Both exited (killed or not); stdout/stderr as collected so far. */
  done: Promise<{ first: CliResult; second: CliResult }>;
  /** Called with each complete stdout line of `first` as it arrives (e.g. to see its LOG lines). */
  onFirstLine(listener: (line: string) => void): void;
  /** Called with each complete stdout line of `second` as it arrives (e.g. to follow echoed STATEs). */
  onSecondLine(listener: (line: string) => void): void;
}

export function startPipe(first: [string, ...string[]], second: [string, ...string[]], env: NodeJS.ProcessEnv = {}): RunningPipe {
  const start = ([bin, ...args]: string[]) =>
    spawn(process.execPath, [path.join(REPO_ROOT, 'bin', bin), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const a = start(first);
  const b = start(second);
  a.stdin.end();
  a.stdout.pipe(b.stdin);
  b.stdin.on('error', () => undefined); // the destination may die first
  a.stdout.on('error', () => undefined);
  // As in a shell: once the reader is gone the writer gets EPIPE. (Left piped to a dead stdin, the source's
  // stdout would stay paused by backpressure and the source would block forever.)
  b.on('exit', () => {
    a.stdout.unpipe(b.stdin);
    a.stdout.destroy();
  });
  const firstLines = lineListeners(a.stdout);
  const secondLines = lineListeners(b.stdout);
  const done = Promise.all([collect(a), collect(b)]).then(([x, y]) => ({ first: x, second: y }));
  return { first: a, second: b, done, onFirstLine: (l) => firstLines.push(l), onSecondLine: (l) => secondLines.push(l) };
}

/** The listeners called with each complete line of `stream`; add to the returned list. */
function lineListeners(stream: NodeJS.ReadableStream): Array<(line: string) => void> {
  const listeners: Array<(line: string) => void> = [];
  let partial = '';
  stream.on('data', (chunk: Buffer) => {
    if (listeners.length === 0) return;
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) for (const listener of listeners) listener(line);
  });
  return listeners;
}

function collect(child: ChildProcessWithoutNullStreams): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

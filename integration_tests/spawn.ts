/** Runs a command (not necessarily a bin/ script) and collects its output; for rehearsed images and pipes. */
import { spawn } from 'child_process';
import type { CliResult } from '../test-support/run-cli';

export function runCommand(command: string[], options: { cwd: string; env?: Record<string, string>; input?: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.stdin.on('error', () => undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** `first | second`: both run concurrently, first's stdout streamed into second's stdin, as a shell pipe does. */
export function runPipe(first: string[], second: string[], cwd: string): Promise<{ first: CliResult; second: CliResult }> {
  const start = (command: string[]) => spawn(command[0], command.slice(1), { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const a = start(first);
  const b = start(second);
  a.stdin.end();
  const collect = (child: ReturnType<typeof start>, keepStdout: boolean) =>
    new Promise<CliResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      if (keepStdout) child.stdout.on('data', (d) => out.push(d));
      child.stderr.on('data', (d) => err.push(d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    });
  const firstDone = collect(a, false);
  const secondDone = collect(b, true);
  a.stdout.pipe(b.stdin);
  b.stdin.on('error', () => undefined);
  return Promise.all([firstDone, secondDone]).then(([x, y]) => ({ first: x, second: y }));
}

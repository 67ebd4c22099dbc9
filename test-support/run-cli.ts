/** Runs one of the repository's CLIs (bin/*) as a child process, the way Airbyte or Meltano would. */
import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

export const REPO_ROOT = (() => {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'bin'))) return dir;
  }
  throw new Error('repository root not found');
})();

export interface CliResult { code: number | null; stdout: string; stderr: string }

export interface CliOptions {
  /** Text or a file path (`{ file }`) piped to stdin. */
  input?: string | { file: string };
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export function runCli(bin: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runNodeScript(path.join(REPO_ROOT, 'bin', bin), args, options);
}

/** Runs a Node script (path relative to the repository root or absolute) with the given arguments. */
export function runNodeScript(script: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve(REPO_ROOT, script), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.stdin.on('error', () => undefined); // the child may exit before reading all input
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    if (options.input === undefined) child.stdin.end();
    else if (typeof options.input === 'string') child.stdin.end(options.input);
    else fs.createReadStream(options.input.file).pipe(child.stdin);
  });
}

/** Writes JSON to a fresh temp file and returns its path. */
export function writeTempJson(name: string, value: unknown, dir?: string): string {
  const folder = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
  const file = path.join(folder, name);
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

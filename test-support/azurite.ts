/** Azure's own blob emulator (azurite, from npm) on a random loopback port, for tests that need Azure Blob Storage. */
import { spawn, type ChildProcess } from 'child_process';
import path from 'path';
import { REPO_ROOT } from './run-cli';

const AZURITE = path.join(REPO_ROOT, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');

export interface RunningAzurite {
  child: ChildProcess;
  /** e.g. http://127.0.0.1:41234 (append `/<account>` for the account's blob endpoint). */
  url: string;
  stop(): Promise<void>;
}

/** Starts azurite-blob in memory with one account (`account`, base64 `key`); resolves once it listens. */
export function startAzurite(account: string, key: string, cwd: string): Promise<RunningAzurite> {
  const args = [AZURITE, '--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence',
    '--silent', '--skipApiVersionCheck', '--loose', '--disableTelemetry'];
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, AZURITE_ACCOUNTS: `${account}:${key}` }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`azurite did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listens on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ child, url: m[1], stop }); }
    });
    child.stderr!.on('data', (d) => { out += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`azurite exited (${code}): ${out}`)); });
  });
}

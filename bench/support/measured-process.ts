/**
 * Spawns a benchmark child and measures its wall time and peak RSS: exactly from GNU time's maxrss when
 * /usr/bin/time exists, else by polling the kernel's VmHWM high-water mark in /proc until exit.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

export interface ProcessFigures {
  code: number | null;
  wallSeconds: number;
  peakRssMb: number;
  /** User + system CPU seconds of the process (all threads), from GNU time; undefined without it. */
  cpuSeconds?: number;
  rssMethod: '/usr/bin/time -v' | '/proc VmHWM polling';
  stderrTail: string;
}

let gnuTime: boolean | undefined;
export function hasGnuTime(): boolean {
  if (gnuTime === undefined) {
    const p = fs.existsSync('/usr/bin/time') ? spawnSync('/usr/bin/time', ['-v', 'true'], { encoding: 'utf8' }) : undefined;
    gnuTime = !!p && p.status === 0 && /Maximum resident set size/.test(p.stderr);
  }
  return gnuTime;
}

export function readVmHwmKb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** User + system seconds from a `/usr/bin/time -v` report, or undefined when it has neither. */
export function gnuTimeCpuSeconds(report: string): number | undefined {
  const user = /User time \(seconds\):\s*([\d.]+)/.exec(report);
  const system = /System time \(seconds\):\s*([\d.]+)/.exec(report);
  return user && system ? Number(user[1]) + Number(system[1]) : undefined;
}

export interface MeasuredProcess {
  child: ChildProcess;
  finished: Promise<ProcessFigures>;
}

/** Runs `node <args>` measured; stdout/stdin are as `stdio` says, stderr is kept (tail) for error messages. */
export function spawnMeasuredNode(args: string[], stdio: StdioOptions = ['pipe', 'pipe', 'pipe'], env: NodeJS.ProcessEnv = process.env): MeasuredProcess {
  return spawnMeasured(process.execPath, args, stdio, env);
}

/** Runs an executable (e.g. a bin/ script, so its shebang's node flags apply, as when a user runs it) measured. */
export function spawnMeasured(command: string, args: string[], stdio: StdioOptions = ['pipe', 'pipe', 'pipe'], env: NodeJS.ProcessEnv = process.env): MeasuredProcess {
  const useTime = hasGnuTime();
  const timeFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-time-')), 'time.txt');
  const started = process.hrtime.bigint();
  const child = useTime
    ? spawn('/usr/bin/time', ['-v', '-o', timeFile, command, ...args], { stdio, env })
    : spawn(command, args, { stdio, env });
  let peakKb = 0;
  const poll = useTime ? undefined : setInterval(() => (peakKb = Math.max(peakKb, readVmHwmKb(child.pid!) ?? 0)), 20);
  let stderrTail = '';
  child.stderr?.on('data', (d: Buffer) => (stderrTail = (stderrTail + d.toString('utf8')).slice(-4000)));
  const finished = new Promise<ProcessFigures>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (poll) clearInterval(poll);
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      let cpuSeconds: number | undefined;
      if (useTime) {
        const report = fs.existsSync(timeFile) ? fs.readFileSync(timeFile, 'utf8') : '';
        const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(report);
        peakKb = m ? Number(m[1]) : 0;
        cpuSeconds = gnuTimeCpuSeconds(report);
      }
      resolve({ code, wallSeconds, peakRssMb: peakKb / 1024, cpuSeconds, rssMethod: useTime ? '/usr/bin/time -v' : '/proc VmHWM polling', stderrTail });
    });
  });
  return { child, finished };
}

/**
 * Virtual time for tests of pacing logic: `sleep` registers a timer, `runUntil` advances the clock from timer to
 * timer and lets the promise callbacks of each run before the next. Minutes of sending take milliseconds.
 */
import type { Clock } from '../../src/delivery/send-rate';

interface Timer { at: number; seq: number; resolve: () => void; reject: (err: Error) => void }

export class VirtualClock implements Clock {
  private current = 0;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('aborted'));
      this.timers.push({ at: this.current + Math.max(0, ms), seq: this.seq++, resolve, reject });
    });
  }

  /** Advances time until `endMs` (or until nothing is waiting), running everything due on the way. */
  async runUntil(endMs: number): Promise<void> {
    await settle();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > endMs) break;
      this.timers.shift();
      this.current = next.at;
      next.resolve();
      await settle();
    }
    this.current = Math.max(this.current, endMs);
  }
}

/** Lets every queued promise callback (and the ones they queue) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}

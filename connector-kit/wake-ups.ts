/**
 * Callers waiting for "something changed" (room in a queue, a task settled, a failure): each `next()` resolves
 * on the following `wakeAll()`, and the caller re-checks its own condition.
 */
export class WakeUps {
  private waiting: Array<() => void> = [];

  next(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  wakeAll(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/**
 * The pending changes one Braze object or request carries, keyed per op (attribute mode: by value, for one user;
 * partner mode: by user id, for one cohort). Several identical changes share one key, so each (user, op, value)
 * is sent once while every change still gets its own outcome.
 */
import type { MembershipChange, OutcomeListener } from './membership-writer';

export class ChangeGroup {
  readonly add = new Map<string, MembershipChange[]>();
  readonly remove = new Map<string, MembershipChange[]>();

  get size(): number {
    return this.add.size + this.remove.size;
  }

  /** True when the opposite op already holds `key`: both cannot travel together (Braze's order is unknown). */
  conflicts(change: MembershipChange, key: string): boolean {
    return (change.op === 'add' ? this.remove : this.add).has(key);
  }

  put(change: MembershipChange, key: string): void {
    const byKey = change.op === 'add' ? this.add : this.remove;
    const same = byKey.get(key);
    if (same) same.push(change);
    else byKey.set(key, [change]);
  }

  /** Reports every change of the group: written, or rejected with `reason`. */
  report(onOutcome: OutcomeListener, reason: string | undefined): void {
    for (const changes of [...this.add.values(), ...this.remove.values()]) {
      for (const change of changes) onOutcome(reason ? { change, status: 'rejected', reason } : { change, status: 'written' });
    }
  }
}

/** What both writers share: close() is flush() and then the connections are released, even when flush fails. */
export abstract class ReleasingWriter {
  constructor(private readonly release: () => void) {}

  abstract flush(): Promise<void>;

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.release();
    }
  }
}

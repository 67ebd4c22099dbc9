/**
 * Faults on demand: each scripted fault shapes ONE upcoming request (in order, any endpoint); `times` repeats it.
 * - status: answer that status with a Braze-like body (or `body`), applying nothing (5xx, 400, 401, 403, 429…);
 * - reset: destroy the connection without answering, applying nothing;
 * - delay: wait `ms`, then handle the request normally (or, with `process: false`, apply nothing and answer 201);
 * - fatal: answer `status` (default 201) with a non-"success" `message`: Braze's fatal shape, nothing applied;
 * - minor: handle normally, but the attribute objects at `indexes` fail with a minor error and are not applied.
 */
export type Fault = { times?: number } & (
  | { type: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { type: 'reset' }
  | { type: 'delay'; ms: number; process?: boolean }
  | { type: 'fatal'; message?: string; status?: number }
  | { type: 'minor'; indexes: number[]; message?: string }
);

export class FaultQueue {
  private queue: Fault[] = [];

  add(faults: Fault[]): void {
    for (const fault of faults) {
      const times = fault.times ?? 1;
      for (let i = 0; i < times; i++) this.queue.push(fault);
    }
  }

  next(): Fault | undefined {
    return this.queue.shift();
  }

  get pending(): number {
    return this.queue.length;
  }

  clear(): void {
    this.queue = [];
  }
}

const STATUS_MESSAGES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized: Invalid API key',
  403: 'Access Denied',
  404: 'Not Found',
  429: 'Rate Limited',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Braze's error bodies carry a `message`. */
export function faultBody(status: number): { message: string } {
  return { message: STATUS_MESSAGES[status] ?? `injected ${status}` };
}

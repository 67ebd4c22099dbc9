/**
 * Decides how many events each type gets and how they spread over hours and files, before anything
 * is written, so the total is exact and the split is deterministic.
 */
import { Prng } from './prng';

/** Split `total` proportionally to `weights` (largest remainder), giving every slot at least `min`. */
export function allocate(total: number, weights: number[], min = 0): number[] {
  const n = weights.length;
  if (n === 0) return [];
  const base = new Array<number>(n).fill(min);
  const rest = total - min * n;
  if (rest < 0) throw new Error(`cannot split ${total} into ${n} parts of at least ${min}`);
  const sum = weights.reduce((a, b) => a + b, 0) || 1;
  const exact = weights.map((w) => (w / sum) * rest);
  const out = base.map((b, i) => b + Math.floor(exact[i]));
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, frac: e - Math.floor(e) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % n, left--) out[order[k].i]++;
  return out;
}

/** Relative volume of a type in a typical workspace: sessions and custom events dominate. */
export function typeWeight(type: string, status: 'current' | 'removed'): number {
  if (status === 'removed') return 0.2;
  if (type === 'users.behaviors.CustomEvent') return 10;
  if (/\.app\.Session(Start|End)$/.test(type)) return 8;
  if (/\.(email|pushnotification)\.(Send|Delivery|Open)$/.test(type)) return 5;
  if (type === 'users.behaviors.Purchase') return 3;
  if (/\.(Click|Impression|Open)$/.test(type)) return 3;
  return 1;
}

const CUSTOM_EVENT_TYPE = 'users.behaviors.CustomEvent';

/**
 * Weights of the chosen types; with `customEventShare`, CustomEvent's weight is set so that it gets that share of
 * all records (real workspaces send custom events more than anything else).
 */
export function typeWeights(types: Array<{ type: string; status: 'current' | 'removed' }>, customEventShare?: number): number[] {
  const weights = types.map((t) => typeWeight(t.type, t.status));
  const custom = types.findIndex((t) => t.type === CUSTOM_EVENT_TYPE);
  if (customEventShare === undefined || custom < 0) return weights;
  const others = weights.reduce((sum, w, i) => (i === custom ? sum : sum + w), 0);
  weights[custom] = customEventShare >= 1 || others === 0 ? 1e9 : (customEventShare * others) / (1 - customEventShare);
  return weights;
}

export interface FilePlan {
  /** 0 = oldest processing hour. */
  hourIndex: number;
  hourStartMs: number;
  /** Moment this batch was "processed" (upper bound for its events' times), epoch ms. */
  processedAtMs: number;
  events: number;
  /** 0 = older schema id, 1 = current. */
  generation: 0 | 1;
}

export interface FilePlanOptions {
  hours: number;
  eventsPerFile: number;
  minFilesPerHour: number;
  /** End of the export window (the `now`), epoch ms. */
  nowMs: number;
}

/** Hour starts of the `hours` processing hours, the last one being the hour that contains now − 1 ms. */
export function processingHours(nowMs: number, hours: number): number[] {
  const last = Math.floor((nowMs - 1) / 3_600_000) * 3_600_000;
  return Array.from({ length: hours }, (_, i) => last - (hours - 1 - i) * 3_600_000);
}

export function planFiles(events: number, rng: Prng, o: FilePlanOptions): FilePlan[] {
  const hourStarts = processingHours(o.nowMs, o.hours);
  const perHour = allocate(events, hourStarts.map(() => 0.6 + rng.float() * 0.8));
  // The schema change happens midway through the window: older id before, current id after.
  const switchHour = Math.floor(o.hours / 2);
  const plans: FilePlan[] = [];
  perHour.forEach((count, h) => {
    if (count === 0) return;
    const files = Math.min(count, Math.max(Math.ceil(count / o.eventsPerFile), o.minFilesPerHour));
    const sizes = allocate(count, new Array<number>(files).fill(1));
    const span = Math.min(3_600_000, o.nowMs - hourStarts[h]);
    sizes.forEach((size, j) => {
      plans.push({
        hourIndex: h,
        hourStartMs: hourStarts[h],
        processedAtMs: hourStarts[h] + Math.floor(((j + 1) * span) / (files + 1)),
        events: size,
        generation: h < switchHour ? 0 : 1,
      });
    });
  });
  return plans;
}

/**
 * Event time (UNIX seconds) for a batch processed at `processedAtMs`: mostly minutes old, some
 * up to an hour, a few days old (offline SDK queues). Never after now, never before now − maxAge.
 */
export function eventTime(rng: Prng, processedAtMs: number, nowMs: number, maxAgeDays: number): number {
  const r = rng.float();
  const lagSec = r < 0.85 ? rng.int(0, 300) : r < 0.97 ? rng.int(300, 3600) : rng.int(3600, maxAgeDays * 86400);
  const upper = Math.floor(Math.min(processedAtMs, nowMs) / 1000);
  const lower = Math.ceil(nowMs / 1000) - maxAgeDays * 86400;
  return Math.max(lower, Math.min(upper, upper - lagSec));
}

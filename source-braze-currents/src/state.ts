/**
 * Per-stream incremental state (DESIGN §4.4), readable JSON:
 *   { "watermark": "2024-05-01-13", "lookback_hours": 48, "files": { "<object key>": "2024-05-01-12", … } }
 * `watermark` is the newest `date=` hour read; `files` holds every key read in the trailing window
 * [watermark − lookback_hours, watermark], so files Braze writes late into a recent hour are still found,
 * and entries older than the window are pruned (bounded size). Keys are listed again only from the window start.
 */
import type { JsonObject } from '../../connector-kit/protocol';
import { configError } from '../../connector-kit/errors';
import { Hour, addHours, isHour, maxHour } from './hours';

export class StreamCursor {
  private constructor(
    private watermark: Hour | undefined,
    private readonly lookbackHours: number,
    private readonly files: Map<string, Hour>,
  ) {
    this.prune();
  }

  static fresh(lookbackHours: number): StreamCursor {
    return new StreamCursor(undefined, lookbackHours, new Map());
  }

  /** Reads a stored state; a shape we do not understand is a config problem the user can fix by resetting the stream. */
  static fromState(stream: string, state: JsonObject | undefined, lookbackHours: number): StreamCursor {
    if (!state || Object.keys(state).length === 0) return StreamCursor.fresh(lookbackHours);
    const problem = (what: string) => configError(`The saved state of stream "${stream}" is not understood (${what}); reset that stream's state to read it again from start_date.`);
    const watermark = state.watermark;
    if (watermark !== undefined && watermark !== null && !isHour(watermark)) throw problem(`watermark ${JSON.stringify(watermark)} is not a YYYY-MM-DD-HH hour`);
    const files = new Map<string, Hour>();
    const rawFiles = state.files ?? {};
    if (typeof rawFiles !== 'object' || Array.isArray(rawFiles) || rawFiles === null) throw problem('files is not an object');
    for (const [key, hour] of Object.entries(rawFiles as Record<string, unknown>)) {
      if (!isHour(hour)) throw problem(`the hour of file ${key} is not a YYYY-MM-DD-HH hour`);
      files.set(key, hour);
    }
    return new StreamCursor(watermark ?? undefined, lookbackHours, files);
  }

  /** First hour to list: files of earlier hours were all read (or are too late to be tracked). */
  windowStart(): Hour | undefined {
    return this.watermark === undefined ? undefined : addHours(this.watermark, -this.lookbackHours);
  }

  hasRead(key: string): boolean {
    return this.files.has(key);
  }

  /** Files are read in hour order, so the watermark can move to this file's hour once it is done. */
  markRead(key: string, hour: Hour): void {
    this.files.set(key, hour);
    this.watermark = maxHour(this.watermark, hour);
    this.prune();
  }

  toJSON(): JsonObject {
    const files: Record<string, Hour> = {};
    for (const [key, hour] of this.files) files[key] = hour;
    return { ...(this.watermark ? { watermark: this.watermark } : {}), lookback_hours: this.lookbackHours, files };
  }

  private prune(): void {
    const start = this.windowStart();
    if (start === undefined) return;
    for (const [key, hour] of this.files) if (hour < start) this.files.delete(key);
  }
}

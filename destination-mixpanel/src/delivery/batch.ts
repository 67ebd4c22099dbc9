/**
 * A request's worth of events, each serialised once: a line is the event's UTF-8 JSON (often a view into a
 * block encoded by a worker thread), used as is for size accounting and the body. Every record carries a small tag (the state interval it belongs to) stored as run-length segments,
 * so completion can be attributed back to the right STATE without per-record objects.
 */
export class Batch {
  readonly lines: Buffer[] = [];
  /** Per record: the Mixpanel event name and the source stream (shared string references, no copies). */
  readonly eventNames: string[] = [];
  readonly streams: string[] = [];
  bytes = 0;
  /** Index of the first record of each run with the same tag, and that tag. */
  private readonly segmentStarts: number[] = [];
  private readonly segmentTags: number[] = [];
  openedAt = 0;

  constructor(readonly seq: number) {}

  get length(): number {
    return this.lines.length;
  }

  /** Bytes of the NDJSON body if `lineBytes` more were added (one newline between lines). */
  bytesWith(lineBytes: number): number {
    return this.bytes + lineBytes + (this.lines.length > 0 ? 1 : 0);
  }

  add(line: Buffer, tag: number, now: number, eventName = '', stream = ''): void {
    if (this.lines.length === 0) this.openedAt = now;
    this.bytes = this.bytesWith(line.length);
    const last = this.segmentTags.length - 1;
    if (last < 0 || this.segmentTags[last] !== tag) {
      this.segmentStarts.push(this.lines.length);
      this.segmentTags.push(tag);
    }
    this.lines.push(line);
    this.eventNames.push(eventName);
    this.streams.push(stream);
  }

  tagOf(index: number): number {
    let lo = 0;
    let hi = this.segmentStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segmentStarts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.segmentTags[lo];
  }

  /** Record count per tag, e.g. to know how many records of a state interval the batch holds. */
  countsByTag(): Map<number, number> {
    const counts = new Map<number, number>();
    for (let i = 0; i < this.segmentStarts.length; i++) {
      const end = i + 1 < this.segmentStarts.length ? this.segmentStarts[i + 1] : this.lines.length;
      counts.set(this.segmentTags[i], (counts.get(this.segmentTags[i]) ?? 0) + end - this.segmentStarts[i]);
    }
    return counts;
  }
}

/**
 * A set of user ids kept compactly: the ids' UTF-8 bytes, each followed by a newline, in one buffer (the
 * "arena"), their start offsets in a Uint32Array, and an open-addressing hash table of indexes. A million
 * UUID-like ids take about 50 MB this way against roughly 100 MB as a JS Set of strings, which is what keeps
 * a 1 000 000-member cohort under the destination's 256 MB budget. A set loaded from a snapshot file uses the
 * file's decompressed bytes as its arena directly (no copy).
 */

const EMPTY = -1;
const NEWLINE = 0x0a;

export class IdSet {
  private arena: Buffer;
  private used: number;
  /** Id i is arena[starts[i], ends[i]); a newline follows it. */
  private starts: Uint32Array;
  private ends: Uint32Array;
  private hashes: Uint32Array;
  private table: Int32Array;
  private mask: number;
  private n = 0;
  private readonly scratch = new Utf8Scratch();

  constructor(expected = 16) {
    this.arena = Buffer.allocUnsafe(Math.max(64, expected * 24));
    this.used = 0;
    this.starts = new Uint32Array(Math.max(16, expected));
    this.ends = new Uint32Array(Math.max(16, expected));
    this.hashes = new Uint32Array(Math.max(16, expected));
    const size = tableSizeFor(expected);
    this.table = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
  }

  /**
   * A set over newline-separated ids (`bytes[0, length)`, every id followed by `\n`), used as the arena.
   * Duplicate lines are kept once. Returns the set and whether the ids were in strictly ascending byte order.
   */
  static fromLines(bytes: Buffer, start = 0, knownSorted = false): { set: IdSet; sorted: boolean } {
    let count = 0;
    for (let i = bytes.indexOf(NEWLINE, start); i >= 0; i = bytes.indexOf(NEWLINE, i + 1)) count++;
    const set = new IdSet(0);
    set.arena = bytes;
    set.starts = new Uint32Array(count);
    set.ends = new Uint32Array(count);
    set.hashes = new Uint32Array(count);
    const size = tableSizeFor(count);
    set.table = new Int32Array(size).fill(EMPTY);
    set.mask = size - 1;
    // A file we wrote sorted says so in its header; checking the order again would cost a compare per id.
    let sorted = true;
    const check = !knownSorted;
    let lineStart = start;
    let prevStart = -1;
    let prevEnd = -1;
    let h = FNV_OFFSET; // the hash of the line so far, computed in the same pass that finds its end
    for (let i = start; i < bytes.length; i++) {
      const c = bytes[i];
      if (c !== NEWLINE) {
        h = Math.imul(h ^ c, FNV_PRIME);
        continue;
      }
      const hash = h >>> 0;
      h = FNV_OFFSET;
      if (set.find(bytes, lineStart, i, hash) === EMPTY) {
        if (check && prevStart >= 0 && sorted && compareBytes(bytes, prevStart, prevEnd, bytes, lineStart, i) >= 0) sorted = false;
        set.insert(lineStart, i, hash);
        prevStart = lineStart;
        prevEnd = i;
      } else {
        sorted = false;
      }
      lineStart = i + 1;
    }
    set.used = bytes.length;
    return { set, sorted };
  }

  get size(): number {
    return this.n;
  }

  /** Index of `id`, or -1. */
  indexOf(id: string): number {
    const length = this.scratch.write(id);
    return this.indexOfBytes(this.scratch.bytes, 0, length);
  }

  /** Index of the id whose UTF-8 bytes are `bytes[start, end)`, or -1. */
  indexOfBytes(bytes: Buffer, start: number, end: number): number {
    const slot = this.find(bytes, start, end, hashBytes(bytes, start, end));
    return slot === EMPTY ? -1 : this.table[slot];
  }

  /** Adds `id`; returns its index and whether it was new. */
  add(id: string): { index: number; added: boolean } {
    const length = this.scratch.write(id);
    return this.addBytes(this.scratch.bytes, 0, length);
  }

  /** Adds the id whose UTF-8 bytes are `bytes[start, end)`; returns its index and whether it was new. */
  addBytes(bytes: Buffer, start: number, end: number): { index: number; added: boolean } {
    const hash = hashBytes(bytes, start, end);
    const slot = this.find(bytes, start, end, hash);
    if (slot !== EMPTY) return { index: this.table[slot], added: false };
    const length = end - start;
    this.reserve(length + 1);
    const at = this.used;
    bytes.copy(this.arena, at, start, end);
    this.arena[at + length] = NEWLINE;
    this.used += length + 1;
    const index = this.n;
    this.insert(at, at + length, hash);
    return { index, added: true };
  }

  has(id: string): boolean {
    return this.indexOf(id) >= 0;
  }

  /** The id at `index` as a string. */
  get(index: number): string {
    return this.arena.toString('utf8', this.starts[index], this.ends[index]);
  }

  /** Copies id `index` with its newline into `out` at `at`; returns the new end. */
  copyLine(index: number, out: Buffer, at: number): number {
    const end = at + this.arena.copy(out, at, this.starts[index], this.ends[index]);
    out[end] = NEWLINE;
    return end + 1;
  }

  /** Bytes of id `index` including its newline. */
  lineLength(index: number): number {
    return this.ends[index] - this.starts[index] + 1;
  }

  /** Compares id a of this set with id b of `other` in byte order. */
  compareWith(a: number, other: IdSet, b: number): number {
    return compareBytes(this.arena, this.starts[a], this.ends[a], other.arena, other.starts[b], other.ends[b]);
  }

  /**
   * Copies the ids `from` … `to - 1` with their newlines into `out` at `at`; returns the new end. Ids loaded from
   * a file lie one after the other in the arena, so a run of them is one copy.
   */
  copyLines(from: number, to: number, out: Buffer, at: number): number {
    let end = at;
    let runStart = from;
    for (let k = from + 1; k <= to; k++) {
      if (k < to && this.starts[k] === this.ends[k - 1] + 1) continue;
      end += this.arena.copy(out, end, this.starts[runStart], this.ends[k - 1] + 1);
      runStart = k;
    }
    return end;
  }

  /** Indexes in ascending byte order of their ids. */
  sortedIndexes(): Uint32Array {
    const order = new Uint32Array(this.n);
    for (let i = 0; i < this.n; i++) order[i] = i;
    return order.sort((a, b) => this.compareWith(a, this, b));
  }

  private find(bytes: Buffer, start: number, end: number, hash: number): number {
    const length = end - start;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const index = this.table[slot];
      if (index === EMPTY) return EMPTY;
      if (this.hashes[index] !== hash) continue;
      const s = this.starts[index];
      if (this.ends[index] - s === length && compareBytes(this.arena, s, s + length, bytes, start, end) === 0) return slot;
    }
  }

  /** Registers the id at arena[start, end) as index n. */
  private insert(start: number, end: number, hash: number): void {
    if (this.n >= this.hashes.length) this.growEntries();
    if ((this.n + 1) * 2 > this.table.length) this.rehash(this.table.length * 2);
    this.starts[this.n] = start;
    this.ends[this.n] = end;
    this.hashes[this.n] = hash;
    let slot = hash & this.mask;
    while (this.table[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.table[slot] = this.n;
    this.n++;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.arena.length) return;
    // Grow by half: doubling a 40 MB arena would briefly hold 120 MB.
    const grown = Buffer.allocUnsafe(Math.max(this.used + bytes, Math.ceil(this.arena.length * 1.5)));
    this.arena.copy(grown, 0, 0, this.used);
    this.arena = grown;
  }

  private growEntries(): void {
    const capacity = Math.ceil(this.hashes.length * 1.5) + 16;
    const grow = (old: Uint32Array) => {
      const bigger = new Uint32Array(capacity);
      bigger.set(old.subarray(0, this.n));
      return bigger;
    };
    this.starts = grow(this.starts);
    this.ends = grow(this.ends);
    this.hashes = grow(this.hashes);
  }

  private rehash(size: number): void {
    this.table = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
    for (let i = 0; i < this.n; i++) {
      let slot = this.hashes[i] & this.mask;
      while (this.table[slot] !== EMPTY) slot = (slot + 1) & this.mask;
      this.table[slot] = i;
    }
  }
}

function tableSizeFor(count: number): number {
  let size = 16;
  while (size < count * 2) size *= 2;
  return size;
}

/** A reusable buffer holding one id's UTF-8 bytes at a time (no allocation per lookup). */
export class Utf8Scratch {
  bytes = Buffer.allocUnsafe(1024);

  /** Writes `text` at the start of `bytes` (growing it when needed); returns its length in bytes. */
  write(text: string): number {
    // A UTF-8 character takes at most 3 bytes per UTF-16 unit.
    if (text.length * 3 > this.bytes.length) this.bytes = Buffer.allocUnsafe(text.length * 3 + 64);
    return this.bytes.write(text, 0, 'utf8');
  }
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over bytes [start, end). */
function hashBytes(bytes: Buffer, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return h >>> 0;
}

/**
 * a[aStart, aEnd) against b[bStart, bEnd) in byte order (negative, 0, positive). A loop here rather than
 * Buffer.compare: ids are short and differ early, and the native call costs more than the comparison.
 */
function compareBytes(a: Buffer, aStart: number, aEnd: number, b: Buffer, bStart: number, bEnd: number): number {
  const length = Math.min(aEnd - aStart, bEnd - bStart);
  for (let k = 0; k < length; k++) {
    const d = a[aStart + k] - b[bStart + k];
    if (d !== 0) return d;
  }
  return aEnd - aStart - (bEnd - bStart);
}

/** One bit per index. */
export class BitSet {
  private readonly bits: Uint8Array;
  constructor(readonly size: number) {
    this.bits = new Uint8Array((size >> 3) + 1);
  }
  get(i: number): boolean {
    return (this.bits[i >> 3] & (1 << (i & 7))) !== 0;
  }
  set(i: number): void {
    this.bits[i >> 3] |= 1 << (i & 7);
  }
}

/**
 * The distinct ids already emitted in a snapshot, to emit each member once although Mixpanel's pages can repeat
 * one. A million UUID strings in a Set would take ~100 MB; this keeps a 64-bit hash per id in an open-addressing
 * table (16 bytes per id at most), so a 1 000 000-member cohort costs ~32 MB. Two different ids collide with
 * probability ~n²/2⁶⁵ (3·10⁻⁸ for a million): such an id would be counted as a duplicate.
 */
export class SeenSet {
  private table = new Uint32Array(2 * 1024);
  private used = 0;

  get size(): number {
    return this.used;
  }

  /** Adds `id`; false when it was already there. */
  add(id: string): boolean {
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 13;
    }
    h1 = fmix(h1 ^ id.length) >>> 0;
    h2 = fmix(h2) >>> 0;
    if (h1 === 0 && h2 === 0) h2 = 1; // (0, 0) marks an empty slot
    if ((this.used + 1) * 2 > this.table.length / 2) this.grow();
    return this.insert(h1, h2);
  }

  private insert(h1: number, h2: number): boolean {
    const slots = this.table.length / 2;
    let i = (h1 ^ h2) & (slots - 1);
    for (;;) {
      const a = this.table[2 * i];
      const b = this.table[2 * i + 1];
      if (a === 0 && b === 0) {
        this.table[2 * i] = h1;
        this.table[2 * i + 1] = h2;
        this.used++;
        return true;
      }
      if (a === h1 && b === h2) return false;
      i = (i + 1) & (slots - 1);
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.used = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0 || old[i + 1] !== 0) this.insert(old[i], old[i + 1]);
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

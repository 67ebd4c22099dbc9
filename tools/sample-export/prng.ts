/**
 * Small seeded PRNG (sfc32 core, FNV-1a seeding) so that the same seed and options always
 * produce byte-identical exports. Math.random is never used by the generator.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** FNV-1a over a string, with a salt so one seed yields four independent words. */
function fnv1a(text: string, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string | number) {
    const s = String(seed);
    this.a = fnv1a(s, 0x9e3779b9);
    this.b = fnv1a(s, 0x85ebca6b);
    this.c = fnv1a(s, 0xc2b2ae35);
    this.d = fnv1a(s, 0x27d4eb2f) | 1;
    // Warm up: the first outputs of sfc32 are correlated with the seed words.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A new generator whose stream depends only on this seed chain and the label. */
  fork(label: string): Prng {
    return new Prng(`${this.next()}:${this.next()}:${label}`);
  }

  /** Uniform uint32. */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)];
  }

  /** `bytes` random bytes as lower-case hex. */
  hex(bytes: number): string {
    let out = '';
    for (let i = 0; i < bytes; i += 4) {
      const w = this.next();
      const n = Math.min(4, bytes - i);
      for (let k = 0; k < n; k++) out += HEX[(w >>> (k * 8)) & 0xff];
    }
    return out;
  }

  /** A version-4-shaped UUID string (what Braze uses for event and campaign ids). */
  uuid(): string {
    const h = this.hex(16);
    const variant = HEX[(parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(18, 20)}-${h.slice(20, 32)}`;
  }

  bytes(n: number): Buffer {
    return Buffer.from(this.hex(n), 'hex');
  }
}

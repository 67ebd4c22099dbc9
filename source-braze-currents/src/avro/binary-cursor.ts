/**
 * Reads Avro binary primitives from one decompressed block, with the same arithmetic as avsc's decoder
 * (zig-zag varints, IEEE floats little-endian). Whenever the bytes are not certainly a value avsc would
 * decode identically (past the end of the block, negative lengths, longs beyond 2^53 …) it throws
 * `NotTranscodable`; the caller then lets avsc decode that block, so avsc stays the single authority on
 * what is corrupt and on how it is reported.
 */

/** The fast path cannot vouch for this input; decode the block with avsc instead. */
export class NotTranscodable extends Error {}

/** avsc's limit for longs it returns as JS numbers (beyond it avsc throws "potential precision loss"). */
const MAX_SAFE_LONG = 9007199254740990;

export class AvroCursor {
  pos = 0;
  readonly end: number;
  /** For reading 4 bytes at a time (see JsonByteWriter.utf8String). */
  readonly view: DataView;

  constructor(readonly buf: Buffer) {
    this.end = buf.length;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }

  /** Throws unless the last read stayed inside the block (avsc would report the record as truncated). */
  checkInside(): void {
    if (this.pos > this.end) throw new NotTranscodable('past the end of the block');
  }

  /** An Avro `int` (avsc reads it as a varint without a 32-bit range check, so neither do we). */
  int(): number {
    const b = this.buf[this.pos];
    if (b < 0x80) {
      this.pos++;
      return (b >> 1) ^ -(b & 1);
    }
    return this.varint();
  }

  /** An Avro `long`, refused beyond avsc's safe range. */
  long(): number {
    const n = this.int();
    if (n > MAX_SAFE_LONG || n < -MAX_SAFE_LONG) throw new NotTranscodable('long beyond 2^53');
    return n;
  }

  /** A length prefix (strings, bytes): must be non-negative and fit in the block. */
  length(): number {
    const n = this.int();
    if (n < 0 || this.pos + n > this.end) throw new NotTranscodable('length outside the block');
    return n;
  }

  skipVarint(): void {
    const buf = this.buf;
    while (buf[this.pos++] & 0x80) { /* continuation bytes */ }
    this.checkInside();
  }

  boolean(): boolean {
    if (this.pos >= this.end) throw new NotTranscodable('past the end of the block');
    return this.buf[this.pos++] !== 0;
  }

  float(): number {
    if (this.pos + 4 > this.end) throw new NotTranscodable('past the end of the block');
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new NotTranscodable('past the end of the block');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /**
   * Multi-byte zig-zag varint. Up to 4 bytes fit 32-bit integer arithmetic; longer ones continue in
   * floating point, as avsc does. A byte read past the end counts as 0 and ends the number, after which
   * `checkInside` fails.
   */
  private varint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let n = 0;
    let shift = 0;
    let b: number;
    do {
      b = buf[pos++];
      n |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 28);
    if (b & 0x80) {
      let f = n;
      let scale = 268435456; // 2^28
      do {
        b = buf[pos++];
        f += (b & 0x7f) * scale;
        scale *= 128;
      } while (b & 0x80);
      this.pos = pos;
      this.checkInside();
      return (f % 2 ? -(f + 1) : f) / 2;
    }
    this.pos = pos;
    this.checkInside();
    return (n >> 1) ^ -(n & 1);
  }
}

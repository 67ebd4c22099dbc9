/**
 * A growable byte buffer that JSON text is written into directly (UTF-8), so the Avro→JSON transcoder
 * never builds a JS object or a JS string per record. Only the primitives the transcoder needs.
 *
 * Why words: values and field names are short (10–40 bytes), so a native copy per value costs more in call
 * overhead than it saves, and a JS loop per byte is the bottleneck. Moving and checking 4 bytes per step
 * through DataViews roughly halves the cost of every string and field name.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Bytes prepared once (field names, literals, enum symbols) for word-wise copying. */
export class ByteLiteral {
  /** The bytes, zero-padded to whole 4-byte words. */
  readonly view: DataView;
  readonly length: number;

  constructor(bytes: Buffer) {
    this.length = bytes.length;
    const padded = Buffer.alloc(Math.ceil(bytes.length / 4) * 4);
    bytes.copy(padded);
    this.view = viewOf(padded);
  }

  static of(text: string): ByteLiteral {
    return new ByteLiteral(Buffer.from(text, 'utf8'));
  }
}

/** A DataView over exactly a Buffer's bytes. */
export function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.length);
}

/**
 * Whether any of the 4 bytes in `w` must not be copied into a JSON string as is: non-ASCII (≥ 0x80),
 * a control character (< 0x20), `"` or `\`. Classic SWAR tests: a byte below n, or equal to c (x ^ c is 0).
 */
function needsEscapeOrDecode(w: number): boolean {
  const q = w ^ 0x22222222;
  const b = w ^ 0x5c5c5c5c;
  return ((w | ((w - 0x20202020) & ~w) | ((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b)) & 0x80808080) !== 0;
}

export class JsonByteWriter {
  buf: Buffer;
  view: DataView;
  pos = 0;

  constructor(initialBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initialBytes);
    this.view = viewOf(this.buf);
  }

  /** Starts over; keeps the buffer unless one huge batch made it grow far beyond the usual size. */
  reset(keepBytes = 4 << 20): void {
    this.pos = 0;
    if (this.buf.length > keepBytes) this.replaceBuffer(Buffer.allocUnsafe(keepBytes));
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(next, 0, 0, this.pos);
      this.replaceBuffer(next);
    }
  }

  byte(c: number): void {
    this.reserve(1);
    this.buf[this.pos++] = c;
  }

  /** Copies prepared bytes (field names, literals, symbols), a whole word at a time. */
  literal(lit: ByteLiteral): void {
    const n = lit.length;
    this.reserve(n + 3); // the last word may carry up to 3 padding bytes past the end; later writes cover them
    const src = lit.view;
    const out = this.view;
    const o = this.pos;
    for (let i = 0; i < n; i += 4) out.setUint32(o + i, src.getUint32(i, true), true);
    this.pos = o + n;
  }

  /** Writes a string known to be plain ASCII needing no escapes (number text, base64). */
  ascii(text: string): void {
    const n = text.length;
    this.reserve(n);
    const out = this.buf;
    let o = this.pos;
    for (let i = 0; i < n; i++) out[o++] = text.charCodeAt(i);
    this.pos = o;
  }

  /** Writes a JS number exactly as JSON.stringify would (non-finite → null). */
  number(value: number): void {
    if (value === (value | 0)) this.int32(value);
    else this.ascii(Number.isFinite(value) ? String(value) : 'null');
  }

  /** Writes any JS string as a JSON string literal (the general, slower path). */
  jsonString(text: string): void {
    const literal = JSON.stringify(text);
    this.reserve(literal.length * 3); // UTF-8 needs at most 3 bytes per UTF-16 unit
    this.pos += this.buf.write(literal, this.pos, 'utf8');
  }

  /**
   * Writes `src[start, start+len)` — Avro string bytes — as a JSON string. Plain ASCII without quotes,
   * backslashes or control characters (nearly every Braze value) is copied as it is, 4 bytes per step;
   * anything else is decoded and escaped exactly as `JSON.stringify(buf.toString('utf8'))` would,
   * replacement characters for invalid UTF-8 included.
   */
  utf8String(src: Buffer, srcView: DataView, start: number, len: number): void {
    this.reserve(len + 2);
    const out = this.view;
    const o = this.pos + 1; // after the opening quote
    let i = 0;
    for (; i + 4 <= len; i += 4) {
      const w = srcView.getUint32(start + i, true);
      if (needsEscapeOrDecode(w)) return this.jsonString(src.toString('utf8', start, start + len));
      out.setUint32(o + i, w, true);
    }
    for (; i < len; i++) {
      const c = src[start + i];
      if (c < 0x20 || c === QUOTE || c === BACKSLASH || c >= 0x80) return this.jsonString(src.toString('utf8', start, start + len));
      out.setUint8(o + i, c);
    }
    out.setUint8(this.pos, QUOTE);
    out.setUint8(o + len, QUOTE);
    this.pos = o + len + 1;
  }

  private replaceBuffer(next: Buffer): void {
    this.buf = next;
    this.view = viewOf(next);
  }

  /** Decimal digits of a 32-bit integer without going through a JS string. */
  private int32(value: number): void {
    this.reserve(11);
    const out = this.buf;
    let o = this.pos;
    let v = value;
    if (v < 0) {
      out[o++] = 0x2d; // '-'
      if (v === -2147483648) {
        this.pos = o;
        this.ascii('2147483648');
        return;
      }
      v = -v;
    }
    let digits = 1;
    for (let t = v; t >= 10; t = (t / 10) | 0) digits++;
    o += digits;
    for (let i = 1; i <= digits; i++) {
      const q = (v / 10) | 0;
      out[o - i] = 0x30 + (v - q * 10);
      v = q;
    }
    this.pos = o;
  }
}

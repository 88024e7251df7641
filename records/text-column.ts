/**
 * A growable text column laid out as Arrow wants it (UTF-8 values, Int32 offsets, validity
 * bits), filled with bytes: building a JavaScript string per row and encoding it was most of the
 * cost of a catalogue row. The dataset generator's text columns and the streamed tables' utf8
 * columns (columns.ts) are both built in it.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of a string. */
export const utf8 = (s: string): Uint8Array => encoder.encode(s);

/** A batch's text column: values of row i are data[offsets[i] .. offsets[i + 1]). */
export class TextColumn {
  data: Uint8Array;
  readonly offsets: Int32Array;
  /** Validity bits (LSB first, as Arrow); meaningful only when nulls > 0. */
  readonly validity: Uint8Array;
  nulls = 0;
  /** Rows in the column (builders set it; {@link append} counts). */
  n = 0;
  /** Values never hold a character that XML or CSV must escape (set by the column's builder). */
  plain = false;

  /** Byte offsets of `data` and `offsets` in their fixed buffer, for code that shares it (-1: not fixed). */
  readonly dataPtr: number;
  readonly offsetsPtr: number;

  /**
   * `fixed`: where the column lives in a buffer shared with other code (the dataset generator's
   * WebAssembly text module and fill thread): it then holds at most `bytesPerRow` a row and
   * cannot grow.
   */
  constructor(
    readonly capacity: number,
    bytesPerRow = 32,
    private readonly fixed: { buffer: ArrayBufferLike; data: number; offsets: number } | null = null,
  ) {
    this.data = fixed ? new Uint8Array(fixed.buffer, fixed.data, capacity * bytesPerRow) : new Uint8Array(Math.max(64, capacity * bytesPerRow));
    this.offsets = fixed ? new Int32Array(fixed.buffer, fixed.offsets, capacity + 1) : new Int32Array(capacity + 1);
    this.dataPtr = fixed ? fixed.data : -1;
    this.offsetsPtr = fixed ? fixed.offsets : -1;
    this.validity = new Uint8Array((capacity + 7) >> 3);
  }

  /** Starts a batch: no rows, no nulls. */
  reset(): void {
    this.n = 0;
    this.nulls = 0;
  }

  /** The data array with room for `bytes` more bytes after `pos` (grown by doubling, contents kept). */
  reserve(pos: number, bytes: number): Uint8Array {
    if (pos + bytes > this.data.length) {
      if (this.fixed) throw new Error(`fixed text column holds ${this.data.length} bytes, ${pos + bytes} needed`);
      const grown = new Uint8Array(Math.max(2 * this.data.length, pos + bytes));
      grown.set(this.data.subarray(0, pos));
      this.data = grown;
    }
    return this.data;
  }

  /** Appends a value given as bytes. */
  append(bytes: Uint8Array): void {
    const i = this.n++;
    const pos = this.offsets[i]!;
    this.reserve(pos, bytes.length).set(bytes, pos);
    this.offsets[i + 1] = pos + bytes.length;
    if (this.nulls > 0) this.validity[i >> 3]! |= 1 << (i & 7);
  }

  /** Appends a value given as a string. */
  appendString(s: string): void {
    this.append(utf8(s));
  }

  /** Makes rows [0, n) all null. */
  allNull(n: number): void {
    this.n = n;
    this.nulls = n;
    this.offsets.fill(0, 0, n + 1);
    this.validity.fill(0);
  }

  /** Row i as a string (null when absent). */
  text(i: number): string | null {
    if (this.nulls > 0 && (this.validity[i >> 3]! & (1 << (i & 7))) === 0) return null;
    return decoder.decode(this.data.subarray(this.offsets[i]!, this.offsets[i + 1]!));
  }
}


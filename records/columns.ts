/**
 * Columns of a streamed table (table-file.ts): each holds one record batch's values in arrays
 * allocated once, for `capacity` rows, and refilled for every batch. That is safe because the
 * file writer copies a batch to the file before its write() returns.
 *
 * A producer fills row `i` of the current batch through the column's own setter (or its
 * `values` array for numbers), then calls the table's next().
 */
import { Bool, type Data, type DataType, Dictionary, Float64, Int32, makeData, Utf8, vectorFromArray, type Vector } from "apache-arrow";
import { TextColumn } from "./text-column.js";

export interface Column {
  readonly type: DataType;
  /** Rows a batch can hold. */
  readonly capacity: number;
  /** Rows [0, n) of the current batch as Arrow data: views of the column's arrays, valid until they are refilled. */
  data(n: number): Data;
}

/** Validity bits of rows [0, n) of numbers (NaN: null) into bits; returns the null count (bits untouched when 0). */
export function numberValidity(f: Float64Array, n: number, bits: Uint8Array): number {
  let nulls = 0;
  for (let i = 0; i < n; i++) if (f[i] !== f[i]) nulls++;
  if (nulls === 0) return 0;
  bits.fill(0);
  for (let i = 0; i < n; i++) if (f[i] === f[i]) bits[i >> 3]! |= 1 << (i & 7);
  return nulls;
}

/** A numeric column over a typed array the producer fills by index. */
export class NumberColumn<T extends Float64Array | Int32Array> implements Column {
  constructor(
    readonly type: Float64 | Int32,
    readonly values: T,
  ) {}
  get capacity(): number {
    return this.values.length;
  }
  data(n: number): Data {
    return makeData({ type: this.type, length: n, nullCount: 0, data: this.values.subarray(0, n) } as never);
  }
}

/** Float64 without nulls (NaN is written as NaN). */
export const f64 = (capacity: number) => new NumberColumn(new Float64(), new Float64Array(capacity));
export const i32 = (capacity: number) => new NumberColumn(new Int32(), new Int32Array(capacity));

/** Float64 whose NaN values are written as nulls (e.g. an unfinished operation has no duration). */
export class NullableF64Column extends NumberColumn<Float64Array> {
  private readonly bits: Uint8Array;
  constructor(capacity: number) {
    super(new Float64(), new Float64Array(capacity));
    this.bits = new Uint8Array((capacity + 7) >> 3);
  }
  override data(n: number): Data {
    const nulls = numberValidity(this.values, n, this.bits);
    if (nulls === 0) return super.data(n);
    return makeData({ type: this.type as Float64, length: n, nullCount: nulls, nullBitmap: this.bits.subarray(0, (n + 7) >> 3), data: this.values.subarray(0, n) });
  }
}

export class BoolColumn implements Column {
  readonly type = new Bool();
  private readonly bits: Uint8Array;
  constructor(readonly capacity: number) {
    this.bits = new Uint8Array((capacity + 7) >> 3);
  }
  set(i: number, v: boolean): void {
    if (v) this.bits[i >> 3]! |= 1 << (i & 7);
    else this.bits[i >> 3]! &= ~(1 << (i & 7));
  }
  data(n: number): Data {
    return makeData({ type: this.type, length: n, nullCount: 0, data: this.bits.subarray(0, (n + 7) >> 3) });
  }
}

/**
 * Plain utf8, for an open set of values (it never needs a dictionary delta, which not every
 * reader takes), built in a growable {@link TextColumn}. Rows are set in order, each once.
 */
export class Utf8Column implements Column {
  readonly type = new Utf8();
  private readonly text: TextColumn;
  // Values repeat (operations, phases): encode each once, up to a bound.
  private readonly encoded = new Map<string, Uint8Array>();
  private readonly encoder = new TextEncoder();
  constructor(readonly capacity: number) {
    this.text = new TextColumn(capacity, 16);
  }
  set(i: number, s: string): void {
    let b = this.encoded.get(s);
    if (b === undefined) {
      b = this.encoder.encode(s);
      if (this.encoded.size < 4096) this.encoded.set(s, b);
    }
    if (i === 0) this.text.reset();
    this.text.append(b);
  }
  data(n: number): Data {
    const t = this.text;
    return makeData({ type: this.type, length: n, nullCount: 0, valueOffsets: t.offsets.subarray(0, n + 1), data: t.data.subarray(0, t.offsets[n]!) });
  }
}

/**
 * Dictionary-encoded utf8 over a mostly known set (`known`, indices 0..). The dictionary is one
 * Vector for the whole file, so it is written once; a value outside the set is appended as a new
 * chunk, which the writer sends as a dictionary delta (allowed in the IPC file format, unlike a
 * replacement). `id` must be unique among the table's dictionary columns.
 */
export class DictColumn implements Column {
  readonly type: Dictionary<Utf8, Int32>;
  private readonly keys: Int32Array;
  private readonly index = new Map<string, number>();
  private dictionary: Vector<Utf8>;
  constructor(
    readonly capacity: number,
    id: number,
    known: readonly string[],
  ) {
    this.type = new Dictionary(new Utf8(), new Int32(), id);
    this.keys = new Int32Array(capacity);
    known.forEach((s, k) => this.index.set(s, k));
    this.dictionary = vectorFromArray([...known], new Utf8());
  }
  set(i: number, s: string): void {
    let k = this.index.get(s);
    if (k === undefined) {
      k = this.index.size;
      this.index.set(s, k);
      this.dictionary = this.dictionary.concat(vectorFromArray([s], new Utf8()));
    }
    this.keys[i] = k;
  }
  data(n: number): Data {
    return makeData({ type: this.type, length: n, nullCount: 0, data: this.keys.subarray(0, n), dictionary: this.dictionary });
  }
}

/**
 * Streaming writers for the catalogue's row batches: Arrow IPC file (one record batch per
 * {@link Batch}, built from the batch's arrays without copying where the layout already matches,
 * and written synchronously, so memory holds one batch at a time), VOTable 1.4 TABLEDATA and CSV
 * (rows written as bytes), through records/' file outputs and IPC file writer. Text formats
 * print numbers with JavaScript's shortest round-trip form, so output bytes depend only on the
 * values.
 */
import {
  Dictionary,
  Field,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  type Data,
  type DataType,
  vectorFromArray,
  type Vector,
} from "apache-arrow";
import { numberValidity } from "../records/columns.js";
import { OutputFileWriter } from "../records/ipc-writer.js";
import { openOutput, type Output, type OutputOptions } from "../records/output.js";
import { TextColumn, utf8 } from "../records/text-column.js";
import { putBytes, putNumber } from "./bytes.js";
import type { ColumnDef } from "./columns.js";
import type { Batch, IndexArray, Pooled } from "./generator.js";

/** Where a column's values are in the batch: numbers (NaN is null), a pooled column, or text. */
export type Values = Float64Array | Pooled | TextColumn;
export type Source = (c: ColumnDef, b: Batch) => Values;

const isPooled = (v: Values): v is Pooled => !(v instanceof Float64Array) && !(v instanceof TextColumn);

function arrowType(c: ColumnDef): DataType {
  switch (c.kind) {
    case "double":
      return new Float64();
    case "long":
      return new Int64();
    case "int":
      return new Int32();
    case "short":
      return new Int16();
    case "char":
      return new Utf8();
  }
}

const isNullable = (c: ColumnDef) => c.nullable === true || c.kind === "double";

export function arrowSchema(columns: ColumnDef[], dictionaries: Map<string, Dictionary> = new Map()): Schema {
  return new Schema(
    columns.map((c) => {
      const meta = new Map<string, string>();
      if (c.unit) meta.set("unit", c.unit);
      if (c.ucd) meta.set("ucd", c.ucd);
      if (c.utype) meta.set("utype", c.utype);
      meta.set("description", c.description);
      return new Field(c.name, dictionaries.get(c.name) ?? arrowType(c), isNullable(c), meta);
    }),
  );
}

/** Dictionary index type of a batch's index array (as narrow as the pool: most take 1 byte a row, not 4). */
function indexType(index: IndexArray): Int8 | Int16 | Int32 {
  return index instanceof Int8Array ? new Int8() : index instanceof Int16Array ? new Int16() : new Int32();
}

/** One column's conversion from a batch to Arrow Data, with its output arrays allocated once. */
type ColumnPlan = (b: Batch) => Data;

export interface ArrowSinkOptions {
  output?: OutputOptions;
  /**
   * Whether a number column can hold nulls (NaN) in a batch. Default: all can, so every batch
   * is scanned; a writer that knows better saves the scan of columns that never do.
   */
  mayBeNull?: (c: ColumnDef) => boolean;
}

export class ArrowSink {
  private readonly out: Output;
  private readonly writer: OutputFileWriter;
  private readonly schema: Schema;
  private readonly type: Struct;
  private readonly plans: ColumnPlan[];
  /** Per column: an earlier column with the same values array, kind and nullability (its Arrow data is reused), or -1. */
  private readonly sameAs: number[];
  private wrote = false;

  constructor(
    path: string,
    columns: ColumnDef[],
    private readonly source: Source,
    sample: Batch,
    opts: ArrowSinkOptions = {},
  ) {
    const capacity = sample.capacity;
    this.out = openOutput(path, opts.output ?? {});
    const mayBeNull = opts.mayBeNull ?? (() => true);
    // Pooled columns become dictionary-encoded strings; the dictionary (the whole pool) is the
    // same object in every batch, so the file holds it once.
    const dictionaries = new Map<string, Dictionary>();
    const pools = new Map<string, Vector<Utf8>>();
    const values = columns.map((c) => source(c, sample));
    columns.forEach((c, k) => {
      const v = values[k]!;
      if (isPooled(v)) {
        dictionaries.set(c.name, new Dictionary(new Utf8(), indexType(v.index), k));
        pools.set(c.name, vectorFromArray(v.pool, new Utf8()));
      }
    });
    this.schema = arrowSchema(columns, dictionaries);
    this.type = new Struct(this.schema.fields);
    // whether a number column's batches are scanned for nulls (the plan and its data depend on it)
    const scanned = columns.map((c) => isNullable(c) && mayBeNull(c));
    this.plans = columns.map((c, k) => {
      const d = dictionaries.get(c.name);
      return d ? this.pooledPlan(c, d, pools.get(c.name)!, capacity) : this.plan(c, capacity, scanned[k]!);
    });
    this.sameAs = columns.map((c, k) =>
      values[k] instanceof Float64Array
        ? columns.findIndex((o, j) => j < k && values[j] === values[k] && o.kind === c.kind && isNullable(o) === isNullable(c) && scanned[j] === scanned[k])
        : -1,
    );
    this.writer = new OutputFileWriter(this.out);
  }

  write(batch: Batch): void {
    const n = batch.n;
    const children: Data[] = [];
    for (let k = 0; k < this.plans.length; k++) children.push(this.sameAs[k]! >= 0 ? children[this.sameAs[k]!]! : this.plans[k]!(batch));
    this.writer.write(new RecordBatch(this.schema, makeData({ type: this.type, length: n, nullCount: 0, children })));
    this.wrote = true;
  }

  close(emptyBatch: Batch): void {
    if (!this.wrote) this.write(emptyBatch);
    this.writer.finish();
    this.out.close();
  }

  abort(): void {
    this.out.abort();
  }

  private pooledPlan(c: ColumnDef, type: Dictionary, dictionary: Vector<Utf8>, capacity: number): ColumnPlan {
    const idx = new type.indices.ArrayType(capacity) as IndexArray;
    const bits = new Uint8Array((capacity + 7) >> 3);
    const nullable = isNullable(c);
    return (b) => {
      const n = b.n;
      const index = (this.source(c, b) as Pooled).index;
      let nulls = 0;
      if (nullable) for (let i = 0; i < n; i++) if (index[i]! < 0) nulls++;
      // Without nulls the batch's own index array is the Arrow data; with them, nulls store 0.
      if (nulls === 0) return makeData({ type, length: n, data: index.subarray(0, n), nullCount: 0, nullBitmap: null, dictionary });
      bits.fill(0);
      for (let i = 0; i < n; i++) {
        const k = index[i]!;
        if (k >= 0) {
          idx[i] = k;
          bits[i >> 3]! |= 1 << (i & 7);
        } else idx[i] = 0;
      }
      return makeData({ type, length: n, data: idx.subarray(0, n), nullCount: nulls, nullBitmap: bits.subarray(0, (n + 7) >> 3), dictionary });
    };
  }

  /** `nullable`: whether this column's values can be null in a batch (else it is not scanned). */
  private plan(c: ColumnDef, capacity: number, nullable: boolean): ColumnPlan {
    const bits = new Uint8Array((capacity + 7) >> 3);
    const bitmap = (nulls: number, n: number) => (nulls > 0 ? bits.subarray(0, (n + 7) >> 3) : null);
    switch (c.kind) {
      case "char": {
        const type = new Utf8();
        return (b) => {
          const n = b.n;
          const t = this.source(c, b) as TextColumn;
          const nulls = t.nulls;
          const nullBitmap = nulls > 0 ? t.validity.subarray(0, (n + 7) >> 3) : null;
          return makeData({ type, length: n, valueOffsets: t.offsets.subarray(0, n + 1), data: t.data.subarray(0, t.offsets[n]!), nullCount: nulls, nullBitmap });
        };
      }
      case "double": {
        const type = new Float64();
        return (b) => {
          const n = b.n;
          const f = this.source(c, b) as Float64Array;
          const nulls = nullable ? numberValidity(f, n, bits) : 0;
          return makeData({ type, length: n, data: f.subarray(0, n), nullCount: nulls, nullBitmap: bitmap(nulls, n) });
        };
      }
      case "long": {
        const type = new Int64();
        const out = new BigInt64Array(capacity);
        const words = new Int32Array(out.buffer);
        return (b) => {
          const n = b.n;
          const f = this.source(c, b) as Float64Array;
          let nulls = 0;
          // validity bits on the way (one pass), used only if there are nulls
          if (nullable) bits.fill(0, 0, (n + 7) >> 3);
          for (let i = 0; i < n; i++) {
            const x = f[i]!;
            // Counts and sizes in kB fit 31 bits: no division for them.
            if (x >= 0 && x < 2147483648) {
              words[2 * i] = x;
              words[2 * i + 1] = 0;
            } else if (x === x) {
              // little-endian words of an integer |x| < 2^53 (two's complement when negative)
              const hi = Math.floor(x / 4294967296);
              words[2 * i] = x - hi * 4294967296;
              words[2 * i + 1] = hi;
            } else {
              words[2 * i] = 0; // null stores 0
              words[2 * i + 1] = 0;
              nulls++;
              continue;
            }
            if (nullable) bits[i >> 3]! |= 1 << (i & 7);
          }
          if (!nullable) nulls = 0;
          return makeData({ type, length: n, data: out.subarray(0, n), nullCount: nulls, nullBitmap: bitmap(nulls, n) });
        };
      }
      case "int":
      case "short": {
        const type = c.kind === "int" ? new Int32() : new Int16();
        const out = c.kind === "int" ? new Int32Array(capacity) : new Int16Array(capacity);
        return (b) => {
          const n = b.n;
          const f = this.source(c, b) as Float64Array;
          const nulls = nullable ? numberValidity(f, n, bits) : 0;
          for (let i = 0; i < n; i++) {
            const x = f[i]!;
            out[i] = x === x ? x : 0; // null stores 0
          }
          return makeData({ type, length: n, data: out.subarray(0, n), nullCount: nulls, nullBitmap: bitmap(nulls, n) } as never);
        };
      }
    }
  }
}

export const xml = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[ch]!);
const decoder = new TextDecoder();
const csvQuoted = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** How one text format spells a row: cell delimiters, escaping, nulls. */
interface RowFormat {
  rowStart: Uint8Array;
  rowEnd: Uint8Array;
  /** Before a cell (after the first one for CSV). */
  cellStart: Uint8Array;
  cellEnd: Uint8Array;
  firstCellStart: Uint8Array;
  /** A whole null cell, delimiters included (after the first). */
  nullCell: Uint8Array;
  firstNullCell: Uint8Array;
  /** Escaped form of a string value. */
  escape: (s: string) => string;
  /** Bytes that need {@link escape} when they appear in a value. */
  special: Uint8Array;
}

const VOT_ROW: RowFormat = {
  rowStart: utf8("     <TR>"),
  rowEnd: utf8("</TR>\n"),
  cellStart: utf8("<TD>"),
  cellEnd: utf8("</TD>"),
  firstCellStart: utf8("<TD>"),
  nullCell: utf8("<TD/>"),
  firstNullCell: utf8("<TD/>"),
  escape: xml,
  special: utf8(`&<>"'`),
};

const CSV_ROW: RowFormat = {
  rowStart: new Uint8Array(0),
  rowEnd: utf8("\n"),
  cellStart: utf8(","),
  cellEnd: new Uint8Array(0),
  firstCellStart: new Uint8Array(0),
  nullCell: utf8(","),
  firstNullCell: new Uint8Array(0),
  escape: csvQuoted,
  special: utf8('",\r\n'),
};

/**
 * The numbers of a batch as text (String(x) forms, see putNumber), made once per batch for both
 * text formats: formatting doubles is most of a text row's cost. Call clear() between batches.
 */
export class NumberText {
  private readonly columns = new Map<Float64Array, TextColumn>();
  private readonly fresh = new Set<Float64Array>();

  get(f: Float64Array, n: number): TextColumn {
    let col = this.columns.get(f);
    if (col === undefined) {
      col = new TextColumn(f.length, 24);
      this.columns.set(f, col);
    }
    if (!this.fresh.has(f)) {
      col.reset();
      const offsets = col.offsets;
      const valid = col.validity;
      let out = col.data;
      let pos = 0;
      offsets[0] = 0;
      for (let i = 0; i < n; i++) {
        if (pos + 32 > out.length) out = col.reserve(pos, 32 + (n - i) * 24);
        const x = f[i]!;
        if (x === x) {
          pos = putNumber(x, out, pos);
          if (col.nulls > 0) valid[i >> 3]! |= 1 << (i & 7);
        } else if (col.nulls++ === 0) {
          // First null: validity bits for the rows before it.
          valid.fill(0);
          for (let k = 0; k < i; k++) valid[k >> 3]! |= 1 << (k & 7);
        }
        offsets[i + 1] = pos;
      }
      col.n = n;
      this.fresh.add(f);
    }
    return col;
  }

  clear(): void {
    this.fresh.clear();
  }
}

/** Rows as text, written as bytes into a buffer flushed to the file in ~1 MiB pieces. */
class RowWriter {
  private readonly out: Output;
  private buf = new Uint8Array(2 << 20);
  private pos = 0;
  private readonly isSpecial = new Uint8Array(256);
  /** Per pooled column: every pool entry escaped, as bytes. */
  private readonly rendered = new Map<ColumnDef, Uint8Array[]>();

  constructor(
    path: string,
    header: string,
    private readonly columns: ColumnDef[],
    private readonly source: Source,
    private readonly format: RowFormat,
    sample: Batch,
    private readonly numbers: NumberText,
    output: OutputOptions,
  ) {
    this.out = openOutput(path, output);
    this.out.write(utf8(header));
    for (const b of format.special) this.isSpecial[b] = 1;
    for (const c of columns) {
      const v = source(c, sample);
      if (isPooled(v)) this.rendered.set(c, v.pool.map((s) => utf8(format.escape(s))));
    }
  }

  /** The buffer with room for `bytes` more (flushing or growing it). */
  private room(bytes: number): Uint8Array {
    if (this.pos + bytes > this.buf.length) {
      this.flush();
      if (bytes > this.buf.length) this.buf = new Uint8Array(2 * bytes);
    }
    return this.buf;
  }

  private flush(): void {
    this.out.write(this.buf.subarray(0, this.pos));
    this.out.flush();
    this.pos = 0;
  }

  write(batch: Batch): void {
    const fmt = this.format;
    const n = batch.n;
    // Every cell is a pooled value (pre-rendered) or text; numbers as text need no escaping.
    const cols = this.columns.map((c) => {
      const v = this.source(c, batch);
      const pool = this.rendered.get(c) ?? null;
      const text = pool !== null ? null : v instanceof TextColumn ? v : this.numbers.get(v as Float64Array, n);
      return { index: pool !== null ? (v as Pooled).index : null, pool, text, escape: v instanceof TextColumn && !v.plain };
    });
    for (let i = 0; i < n; i++) {
      let out = this.room(256);
      let pos = putBytes(fmt.rowStart, out, this.pos);
      for (let k = 0; k < cols.length; k++) {
        const { index, pool, text, escape } = cols[k]!;
        let value: Uint8Array | null = null;
        let present = false;
        if (pool !== null) {
          const j = index![i]!;
          if (j >= 0) {
            value = pool[j]!;
            present = true;
          }
        } else present = text!.nulls === 0 || (text!.validity[i >> 3]! & (1 << (i & 7))) !== 0;
        if (!present) {
          if (pos + 16 > out.length) {
            this.pos = pos;
            out = this.room(256);
            pos = this.pos;
          }
          pos = putBytes(k === 0 ? fmt.firstNullCell : fmt.nullCell, out, pos);
          continue;
        }
        const bytes = value !== null ? value.length : 6 * (text!.offsets[i + 1]! - text!.offsets[i]!);
        if (pos + bytes + 32 > out.length) {
          this.pos = pos;
          out = this.room(bytes + 256);
          pos = this.pos;
        }
        pos = putBytes(k === 0 ? fmt.firstCellStart : fmt.cellStart, out, pos);
        if (value !== null) pos = putBytes(value, out, pos);
        else if (escape) pos = this.putText(text!, text!.offsets[i]!, text!.offsets[i + 1]!, out, pos);
        else for (let a = text!.offsets[i]!, e = text!.offsets[i + 1]!; a < e; a++) out[pos++] = text!.data[a]!;
        pos = putBytes(fmt.cellEnd, out, pos);
      }
      this.pos = putBytes(fmt.rowEnd, out, pos);
    }
  }

  /** A text value's bytes, escaped when it holds a special character. */
  private putText(t: TextColumn, a: number, e: number, out: Uint8Array, pos: number): number {
    const src = t.data;
    const special = this.isSpecial;
    const start = pos;
    for (let j = a; j < e; j++) {
      const ch = src[j]!;
      if (special[ch] === 1) {
        const escaped = utf8(this.format.escape(decoder.decode(src.subarray(a, e))));
        return putBytes(escaped, out, start);
      }
      out[pos++] = ch;
    }
    return pos;
  }

  close(trailer: string): void {
    if (trailer !== "") {
      const t = utf8(trailer);
      this.pos = putBytes(t, this.room(t.length), this.pos);
    }
    this.flush();
    this.out.close();
  }

  abort(): void {
    this.out.abort();
  }
}

export class CsvSink {
  private readonly rows: RowWriter;
  constructor(path: string, columns: ColumnDef[], source: Source, sample: Batch, numbers: NumberText = new NumberText(), output: OutputOptions = {}) {
    this.rows = new RowWriter(path, columns.map((c) => c.name).join(",") + "\n", columns, source, CSV_ROW, sample, numbers, output);
  }
  write(batch: Batch): void {
    this.rows.write(batch);
  }
  close(): void {
    this.rows.close("");
  }
  abort(): void {
    this.rows.abort();
  }
}

const VOT_TYPE: Record<ColumnDef["kind"], string> = { double: "double", long: "long", int: "int", short: "short", char: "char" };

export class VoTableSink {
  private readonly rows: RowWriter;
  constructor(
    path: string,
    columns: ColumnDef[],
    source: Source,
    info: { tableName: string; description: string; params: [string, string][] },
    sample: Batch,
    numbers: NumberText = new NumberText(),
    output: OutputOptions = {},
  ) {
    const fields = columns
      .map((c) => {
        const attrs = [
          `name="${c.name}"`,
          `datatype="${VOT_TYPE[c.kind]}"`,
          ...(c.kind === "char" ? [`arraysize="*"`] : []),
          ...(c.unit ? [`unit="${xml(c.unit)}"`] : []),
          ...(c.ucd ? [`ucd="${xml(c.ucd)}"`] : []),
          ...(c.utype ? [`utype="${xml(c.utype)}"`] : []),
        ];
        return `   <FIELD ${attrs.join(" ")}>\n    <DESCRIPTION>${xml(c.description)}</DESCRIPTION>\n   </FIELD>\n`;
      })
      .join("");
    const infos = info.params.map(([k, v]) => `  <INFO name="${xml(k)}" value="${xml(v)}"/>\n`).join("");
    const header =
      `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.ivoa.net/xml/VOTable/v1.3 http://www.ivoa.net/xml/VOTable/v1.3">\n` +
      ` <RESOURCE type="results">\n` +
      infos +
      `  <TABLE name="${xml(info.tableName)}" utype="ivo://ivoa.net/std/ObsCore#core-1.1">\n` +
      `   <DESCRIPTION>${xml(info.description)}</DESCRIPTION>\n` +
      fields +
      `   <DATA>\n    <TABLEDATA>\n`;
    this.rows = new RowWriter(path, header, columns, source, VOT_ROW, sample, numbers, output);
  }
  write(batch: Batch): void {
    this.rows.write(batch);
  }
  close(): void {
    this.rows.close(`    </TABLEDATA>\n   </DATA>\n  </TABLE>\n </RESOURCE>\n</VOTABLE>\n`);
  }
  abort(): void {
    this.rows.abort();
  }
}

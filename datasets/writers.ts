/**
 * Streaming writers for row batches: Arrow IPC file (one record batch per {@link Batch}, written
 * synchronously to a file descriptor, so memory holds one batch at a time), VOTable 1.4
 * TABLEDATA and CSV (text, flushed every MiB). Numbers print with JavaScript's shortest
 * round-trip form, so output bytes depend only on the values.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import {
  Dictionary,
  Field,
  Float64,
  Int16,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  Utf8,
  type Data,
  type DataType,
  vectorFromArray,
  type Vector,
} from "apache-arrow";
import type { ColumnDef } from "./columns.js";
import type { Batch, ByteColumn, Pooled } from "./generator.js";

function writeFully(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/** RecordBatchFileWriter whose bytes go straight to a file descriptor (no in-memory queue). */
class FdFileWriter extends RecordBatchFileWriter {
  private readonly buf = new Uint8Array(1 << 20);
  private used = 0;
  constructor(private readonly fd: number) {
    super();
  }
  protected override _write(chunk: Parameters<RecordBatchFileWriter["_write"]>[0]): this {
    if (this._started && ArrayBuffer.isView(chunk) && chunk.byteLength > 0) {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (this.used + bytes.length > this.buf.length) this.flush();
      if (bytes.length > this.buf.length) writeFully(this.fd, bytes);
      else {
        this.buf.set(bytes, this.used);
        this.used += bytes.length;
      }
      this._position += chunk.byteLength;
    }
    return this;
  }
  flush(): void {
    if (this.used > 0) writeFully(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }
}

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

export function arrowSchema(columns: ColumnDef[], dictionaries: Map<string, Dictionary> = new Map()): Schema {
  return new Schema(
    columns.map((c) => {
      const meta = new Map<string, string>();
      if (c.unit) meta.set("unit", c.unit);
      if (c.ucd) meta.set("ucd", c.ucd);
      if (c.utype) meta.set("utype", c.utype);
      meta.set("description", c.description);
      return new Field(c.name, dictionaries.get(c.name) ?? arrowType(c), c.nullable === true || c.kind === "double", meta);
    }),
  );
}

/** Column name -> where its values are in the batch. */
export type Values = Float64Array | (string | null)[] | ByteColumn | Pooled;
export type Source = (c: ColumnDef) => Values;

const isBytes = (v: Values): v is ByteColumn => typeof (v as ByteColumn).write === "function";
const isPooled = (v: Values): v is Pooled => Array.isArray((v as Pooled).pool);

/** Row i of a text column as a string (null when absent). */
export function textAt(v: Values, i: number): string | null {
  if (isBytes(v)) return v.text(i);
  if (isPooled(v)) {
    const k = v.index[i]!;
    return k === k ? v.pool[k]! : null;
  }
  return (v as (string | null)[])[i] ?? null;
}

export class ArrowSink {
  private readonly fd: number;
  private readonly writer: FdFileWriter;
  private readonly schema: Schema;
  private wrote = false;
  private readonly pools = new Map<string, Vector<Utf8>>();
  private readonly dictionaries: Map<string, Dictionary>;

  constructor(
    path: string,
    private readonly columns: ColumnDef[],
    private readonly source: Source,
  ) {
    this.fd = openSync(path, "wx");
    // Pooled columns become dictionary-encoded strings; the dictionary (the whole pool) is the
    // same object in every batch, so the file holds it once.
    const dictionaries = new Map<string, Dictionary>();
    columns.forEach((c, k) => {
      const v = source(c);
      if (isPooled(v)) {
        dictionaries.set(c.name, new Dictionary(new Utf8(), new Int32(), k));
        this.pools.set(c.name, vectorFromArray(v.pool, new Utf8()));
      }
    });
    this.schema = arrowSchema(columns, dictionaries);
    this.dictionaries = dictionaries;
    this.writer = new FdFileWriter(this.fd);
  }

  write(batch: Batch): void {
    const n = batch.n;
    const children = this.columns.map((c) => this.column(c, this.source(c), n));
    this.writer.write(new RecordBatch(this.schema, makeData({ type: new Struct(this.schema.fields), length: n, nullCount: 0, children })));
    this.wrote = true;
  }

  close(emptyBatch: Batch): void {
    if (!this.wrote) this.write(emptyBatch);
    this.writer.finish();
    this.writer.flush();
    closeSync(this.fd);
  }

  private column(c: ColumnDef, v: Values, n: number): Data {
    const nullable = c.nullable === true || c.kind === "double";
    if (isPooled(v)) {
      const idx = new Int32Array(n);
      let nulls = 0;
      const bitmap = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) {
        const k = v.index[i]!;
        if (k === k) {
          idx[i] = k;
          bitmap[i >> 3]! |= 1 << (i & 7);
        } else nulls++;
      }
      return makeData({ type: this.dictionaries.get(c.name)!, length: n, data: idx, nullCount: nulls, nullBitmap: nulls > 0 ? bitmap : null, dictionary: this.pools.get(c.name)! });
    }
    if (isBytes(v)) {
      const offsets = new Int32Array(n + 1);
      const buf = new Uint8Array(n * v.maxBytes);
      let pos = 0;
      for (let i = 0; i < n; i++) offsets[i + 1] = pos = v.write(i, buf, pos);
      return makeData({ type: new Utf8(), length: n, valueOffsets: offsets, data: buf.slice(0, pos), nullCount: 0, nullBitmap: null });
    }
    if (c.kind === "char") {
      const strs = v as (string | null)[];
      const offsets = new Int32Array(n + 1);
      const bitmap = new Uint8Array((n + 7) >> 3);
      let nulls = 0;
      let chars = 0;
      const parts = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const s = strs[i];
        if (s === null || s === undefined) {
          nulls++;
          parts[i] = "";
        } else {
          bitmap[i >> 3]! |= 1 << (i & 7);
          parts[i] = s;
          chars += s.length;
        }
        offsets[i + 1] = chars;
      }
      // One encode for the whole column; offsets from string lengths hold when every character is ASCII.
      let data: Uint8Array = Buffer.from(parts.join(""), "utf8");
      if (data.length !== chars) {
        let pos = 0;
        const enc = new TextEncoder();
        const pieces: Uint8Array[] = [];
        for (let i = 0; i < n; i++) {
          const b = enc.encode(parts[i]!);
          pieces.push(b);
          pos += b.length;
          offsets[i + 1] = pos;
        }
        data = new Uint8Array(pos);
        pos = 0;
        for (const b of pieces) {
          data.set(b, pos);
          pos += b.length;
        }
      }
      return makeData({ type: new Utf8(), length: n, valueOffsets: offsets, data, nullCount: nulls, nullBitmap: nulls > 0 ? bitmap : null });
    }
    const f = v as Float64Array;
    let nulls = 0;
    let bitmap: Uint8Array | null = null;
    if (nullable) {
      bitmap = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(f[i]!)) nulls++;
        else bitmap[i >> 3]! |= 1 << (i & 7);
      }
      if (nulls === 0) bitmap = null;
    }
    switch (c.kind) {
      case "double":
        return makeData({ type: new Float64(), length: n, data: f.slice(0, n), nullCount: nulls, nullBitmap: bitmap });
      case "long": {
        const out = new BigInt64Array(n);
        const words = new Int32Array(out.buffer);
        for (let i = 0; i < n; i++) {
          const x = Number.isNaN(f[i]!) ? 0 : f[i]!;
          words[2 * i] = x % 4294967296 | 0; // little-endian words, x >= 0
          words[2 * i + 1] = Math.floor(x / 4294967296) | 0;
        }
        return makeData({ type: new Int64(), length: n, data: out, nullCount: nulls, nullBitmap: bitmap });
      }
      case "int":
      case "short": {
        const out = c.kind === "int" ? new Int32Array(n) : new Int16Array(n);
        for (let i = 0; i < n; i++) {
          const x = f[i]!;
          out[i] = x === x ? x : 0; // NaN (null) stores 0
        }
        return c.kind === "int"
          ? makeData({ type: new Int32(), length: n, data: out as Int32Array, nullCount: nulls, nullBitmap: bitmap })
          : makeData({ type: new Int16(), length: n, data: out as Int16Array, nullCount: nulls, nullBitmap: bitmap });
      }
    }
  }
}

/** Text output flushed in ~1 MiB pieces. */
export class TextSink {
  private readonly fd: number;
  private buf = "";
  constructor(path: string) {
    this.fd = openSync(path, "wx");
  }
  write(s: string): void {
    this.buf += s;
    if (this.buf.length > 1 << 20) this.flush();
  }
  private flush(): void {
    writeFully(this.fd, Buffer.from(this.buf, "utf8"));
    this.buf = "";
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

const num = (x: number) => (Number.isNaN(x) ? "" : String(x));

const CSV_SPECIAL = /[",\r\n]/;
const csvText = (s: string | null) => (s === null ? "" : CSV_SPECIAL.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

const XML_SPECIAL = /[&<>"']/;
const XML_MAP: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
export const xml = (s: string) => (XML_SPECIAL.test(s) ? s.replace(/[&<>"']/g, (ch) => XML_MAP[ch]!) : s);

export class CsvSink {
  private readonly out: TextSink;
  constructor(
    path: string,
    private readonly columns: ColumnDef[],
    private readonly source: Source,
  ) {
    this.out = new TextSink(path);
    this.out.write(columns.map((c) => c.name).join(",") + "\n");
  }
  write(batch: Batch): void {
    const cols = this.columns.map((c) => ({ char: c.kind === "char", v: this.source(c) }));
    let text = "";
    for (let i = 0; i < batch.n; i++) {
      let line = "";
      for (let k = 0; k < cols.length; k++) {
        const c = cols[k]!;
        if (k > 0) line += ",";
        line += c.char ? csvText(textAt(c.v, i)) : num((c.v as Float64Array)[i]!);
      }
      text += line + "\n";
    }
    this.out.write(text);
  }
  close(): void {
    this.out.close();
  }
}

const VOT_TYPE: Record<ColumnDef["kind"], string> = { double: "double", long: "long", int: "int", short: "short", char: "char" };

export class VoTableSink {
  private readonly out: TextSink;
  constructor(
    path: string,
    private readonly columns: ColumnDef[],
    private readonly source: Source,
    info: { tableName: string; description: string; params: [string, string][] },
  ) {
    this.out = new TextSink(path);
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
    this.out.write(
      `<?xml version="1.0" encoding="UTF-8"?>\n` +
        `<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.ivoa.net/xml/VOTable/v1.3 http://www.ivoa.net/xml/VOTable/v1.3">\n` +
        ` <RESOURCE type="results">\n` +
        infos +
        `  <TABLE name="${xml(info.tableName)}" utype="ivo://ivoa.net/std/ObsCore#core-1.1">\n` +
        `   <DESCRIPTION>${xml(info.description)}</DESCRIPTION>\n` +
        fields +
        `   <DATA>\n    <TABLEDATA>\n`,
    );
  }
  write(batch: Batch): void {
    const cols = this.columns.map((c) => ({ char: c.kind === "char", v: this.source(c) }));
    let text = "";
    for (let i = 0; i < batch.n; i++) {
      let line = "     <TR>";
      for (const c of cols) {
        if (c.char) {
          const s = textAt(c.v, i);
          line += s === null ? "<TD/>" : `<TD>${xml(s)}</TD>`;
        } else {
          const x = (c.v as Float64Array)[i]!;
          line += Number.isNaN(x) ? "<TD/>" : `<TD>${x}</TD>`;
        }
      }
      text += line + "</TR>\n";
    }
    this.out.write(text);
  }
  close(): void {
    this.out.write(`    </TABLEDATA>\n   </DATA>\n  </TABLE>\n </RESOURCE>\n</VOTABLE>\n`);
    this.out.close();
  }
}

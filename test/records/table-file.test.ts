import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageHeader, MessageReader, tableFromIPC, type Table } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { BoolColumn, DictColumn, f64, i32, NullableF64Column, Utf8Column } from "../../records/columns.js";
import { TableFile } from "../../records/table-file.js";
import { TextColumn } from "../../records/text-column.js";

/**
 * The streaming table writer: rows given a batch at a time come back equal from Arrow readers
 * (apache-arrow's tableFromIPC, and pyarrow from the project's Python venv, or the Python at
 * $PYARROW_PYTHON), nulls, dictionary values added mid-file and empty tables included;
 * the file appears under its name only when finished.
 */
const tmp = mkdtempSync(join(tmpdir(), "records-table-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let seq = 0;
const dir = () => {
  const d = join(tmp, `d${seq++}`);
  mkdirSync(d);
  return d;
};

const SITES = ["AUSSRC", "CHSRC", "UKSRC"];
const LONG = "x".repeat(300);

/** The rows of the test table: every column kind, nulls in some batches only, new dictionary values past the first batches. */
function rows(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    t: i === 4 ? NaN : i * 0.25 - 3 + (i % 3 === 0 ? 1e-9 : 0),
    status: [0, 200, -1, 2 ** 31 - 1, -(2 ** 31)][i % 5]!,
    // nulls in batches 0, 1 and 4 (of 7 rows), none in batches 2 and 3
    seconds: [2, 3, 9, 30].includes(i) ? NaN : i / 7,
    ok: i % 3 === 0,
    name: ["", "GET", "Ångström ☃ 🛰", LONG, `op-${i}`][i % 5]!,
    // "JPSRC" first in batch 1, "ESPSRC" in batch 3: dictionary deltas
    site: i < 8 ? SITES[i % 3]! : i < 22 ? ["JPSRC", "UKSRC"][i % 2]! : ["ESPSRC", "AUSSRC", "JPSRC"][i % 3]!,
    // a dictionary that starts empty
    kind: ["site-down", "link-cut", `k${i % 4}`][i % 3]!,
  }));
}
type Row = ReturnType<typeof rows>[number];

function writeTable(path: string, input: Row[], batchRows: number, opts: { thread?: boolean; ringBytes?: number; stopAfter?: number } = {}): TableFile {
  const t = f64(batchRows);
  const status = i32(batchRows);
  const seconds = new NullableF64Column(batchRows);
  const ok = new BoolColumn(batchRows);
  const name = new Utf8Column(batchRows);
  const site = new DictColumn(batchRows, 0, SITES);
  const kind = new DictColumn(batchRows, 1, []);
  const file = new TableFile(
    path,
    [
      ["t", t],
      ["status", status],
      ["seconds", seconds],
      ["ok", ok],
      ["name", name],
      ["site", site],
      ["kind", kind],
    ],
    batchRows,
    { thread: opts.thread ?? false, ...(opts.ringBytes === undefined ? {} : { ringBytes: opts.ringBytes }) },
  );
  for (const [k, r] of input.entries()) {
    if (k === opts.stopAfter) return file;
    const i = file.row;
    t.values[i] = r.t;
    status.values[i] = r.status;
    seconds.values[i] = r.seconds;
    ok.set(i, r.ok);
    name.set(i, r.name);
    site.set(i, r.site);
    kind.set(i, r.kind);
    file.next();
  }
  file.finish();
  return file;
}

const COLUMNS = ["t", "status", "seconds", "ok", "name", "site", "kind"] as const;
/** A row's values as a reader gives them: NaN durations are nulls. */
const expectedRow = (r: Row) => ({ ...r, seconds: Number.isNaN(r.seconds) ? null : r.seconds });

function readJs(path: string): Table {
  return tableFromIPC(readFileSync(path));
}
function jsRows(t: Table): Record<string, unknown>[] {
  return Array.from({ length: t.numRows }, (_, i) => Object.fromEntries(COLUMNS.map((c) => [c, t.getChild(c)!.get(i)])));
}

/** The file's dictionary batches in order: id, delta or not, and whether a record batch came before. */
function dictionaryBatches(path: string): { id: number; delta: boolean; afterRows: boolean }[] {
  const out: { id: number; delta: boolean; afterRows: boolean }[] = [];
  let rowsSeen = false;
  // the IPC stream inside the file: after the 8-byte magic and padding
  const reader = new MessageReader(readFileSync(path).subarray(8));
  for (const msg of reader) {
    if (msg.isRecordBatch()) rowsSeen = true;
    else if (msg.isDictionaryBatch()) {
      const h = msg.header();
      out.push({ id: Number(h.id), delta: h.isDelta, afterRows: rowsSeen });
    }
    reader.readMessageBody(msg.bodyLength);
  }
  return out;
}

/** The project's Python venv (scripts/python-venv.sh) has pyarrow, the reference reader; PYARROW_PYTHON may name another. */
const venvPython = () => join(execFileSync("bash", [join(import.meta.dirname, "..", "..", "scripts", "python-venv.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim(), "bin", "python");
const pyarrow = process.env.PYARROW_PYTHON || venvPython();

interface PyTable {
  fields: [string, string, boolean][];
  batches: number[];
  dictionaries: { deltas: number; replaced: number };
  columns: Record<string, unknown[]>;
}
const readPy = (path: string): PyTable => JSON.parse(execFileSync(pyarrow, [join(import.meta.dirname, "read_arrow.py"), path], { encoding: "utf8" })) as PyTable;

describe("a table streamed a batch at a time", () => {
  const input = rows(31);
  const path = join(dir(), "table.arrow");
  writeTable(path, input, 7);

  it("reads back equal with apache-arrow: values, nulls, types, one record batch per 7 rows", () => {
    const t = readJs(path);
    expect(t.numRows).toBe(31);
    expect(t.batches.map((b) => b.numRows)).toEqual([7, 7, 7, 7, 3]);
    expect(t.schema.fields.map((f) => [f.name, String(f.type)])).toEqual([
      ["t", "Float64"],
      ["status", "Int32"],
      ["seconds", "Float64"],
      ["ok", "Bool"],
      ["name", "Utf8"],
      ["site", "Dictionary<Int32, Utf8>"],
      ["kind", "Dictionary<Int32, Utf8>"],
    ]);
    expect(jsRows(t)).toEqual(input.map(expectedRow));
    expect(t.getChild("seconds")!.nullCount).toBe(4);
    // the dictionary grew: known values keep their indices, new ones follow in order of arrival
    expect([...t.getChild("site")!.data.at(-1)!.dictionary!.toArray()]).toEqual([...SITES, "JPSRC", "ESPSRC"]);
  });

  it("sends values added mid-file as dictionary deltas, never as replacements (which the file format forbids)", () => {
    const dicts = dictionaryBatches(path);
    expect(dicts.filter((d) => !d.delta)).toEqual([
      { id: 0, delta: false, afterRows: false },
      { id: 1, delta: false, afterRows: false },
    ]);
    // Each value added is a chunk of the dictionary, sent as a delta before the first record batch
    // that needs it. site: JPSRC (batch 1), ESPSRC (batch 3); kind (starting empty): four values
    // in batch 0, then k0 and k3 in batch 1.
    const deltas = (id: number, afterRows: boolean) => dicts.filter((d) => d.id === id && d.delta && d.afterRows === afterRows).length;
    expect([deltas(0, false), deltas(0, true)]).toEqual([0, 2]);
    expect([deltas(1, false), deltas(1, true)]).toEqual([4, 2]);
  });

  it("reads back equal with pyarrow (which validates the file in full)", () => {
    const py = readPy(path);
    expect(py.fields).toEqual([
      ["t", "double", false],
      ["status", "int32", false],
      ["seconds", "double", false],
      ["ok", "bool", false],
      ["name", "string", false],
      ["site", "dictionary<values=string, indices=int32, ordered=0>", false],
      ["kind", "dictionary<values=string, indices=int32, ordered=0>", false],
    ]);
    expect(py.batches).toEqual([7, 7, 7, 7, 3]);
    expect(py.dictionaries).toEqual({ deltas: 8, replaced: 0 });
    const want = input.map(expectedRow);
    for (const c of COLUMNS) expect(py.columns[c], c).toEqual(want.map((r) => (typeof r[c] === "number" && Number.isNaN(r[c]) ? "NaN" : r[c])));
  });

  it("is the same bytes when a writer thread writes it, through a ring smaller than a batch", () => {
    const threaded = join(dir(), "table.arrow");
    writeTable(threaded, input, 7, { thread: true, ringBytes: 1024 });
    expect(readFileSync(threaded).equals(readFileSync(path))).toBe(true);
  });

  it("writes no empty batch after a full last one; one row a batch works", () => {
    const exact = join(dir(), "exact.arrow");
    writeTable(exact, input.slice(0, 14), 7);
    expect(readJs(exact).batches.map((b) => b.numRows)).toEqual([7, 7]);
    const single = join(dir(), "single.arrow");
    writeTable(single, input.slice(0, 9), 1);
    const t = readJs(single);
    expect(t.batches.length).toBe(9);
    expect(jsRows(t)).toEqual(input.slice(0, 9).map(expectedRow));
  });
});

describe("an empty table", () => {
  const path = join(dir(), "empty.arrow");
  writeTable(path, [], 7);

  it("keeps its schema (one empty record batch)", () => {
    const t = readJs(path);
    expect(t.numRows).toBe(0);
    expect(t.schema.fields.map((f) => f.name)).toEqual([...COLUMNS]);
    expect(String(t.schema.fields[5]!.type)).toBe("Dictionary<Int32, Utf8>");
  });

  it("reads in pyarrow with its schema", () => {
    const py = readPy(path);
    expect(py.fields.map((f) => f[0])).toEqual([...COLUMNS]);
    expect(py.batches).toEqual([0]);
  });
});

describe("the final name only ever holds a finished file", () => {
  it("while batches are written, only the temporary file exists; finish renames it", () => {
    const d = dir();
    const path = join(d, "t.arrow");
    const file = writeTable(path, rows(31), 7, { stopAfter: 20 });
    // two batches are on disk by now
    expect(readdirSync(d)).toEqual([`t.arrow.tmp-${process.pid}`]);
    expect(existsSync(path)).toBe(false);
    file.finish();
    expect(readdirSync(d)).toEqual(["t.arrow"]);
    expect(readJs(path).numRows).toBe(20);
  });

  it("abort leaves nothing, with either output", () => {
    for (const thread of [false, true]) {
      const d = dir();
      writeTable(join(d, "t.arrow"), rows(31), 7, { thread, stopAfter: 17 }).abort();
      expect(readdirSync(d), `thread: ${thread}`).toEqual([]);
    }
  });

  it("a column smaller than a batch is refused before any file is made", () => {
    const d = dir();
    expect(() => new TableFile(join(d, "t.arrow"), [["t", f64(3)]], 4)).toThrow(/column t holds 3 rows, a batch has 4/);
    expect(() => new TableFile(join(d, "t.arrow"), [["t", f64(3)]], 0)).toThrow(/positive integer/);
    expect(readdirSync(d)).toEqual([]);
  });
});

describe("text columns", () => {
  it("grow past their initial room and give back node's UTF-8 bytes", () => {
    const values = ["", "a", "Ångström ☃ 🛰", LONG, LONG + LONG, "é".repeat(1000)];
    const t = new TextColumn(values.length, 1);
    for (const v of values) t.appendString(v);
    expect(t.n).toBe(values.length);
    values.forEach((v, i) => {
      expect(t.text(i)).toBe(v);
      expect(Buffer.from(t.data.subarray(t.offsets[i]!, t.offsets[i + 1]!)).equals(Buffer.from(v, "utf8"))).toBe(true);
    });
  });

  it("a column in a fixed buffer does not grow", () => {
    const buffer = new ArrayBuffer(64);
    const t = new TextColumn(2, 8, { buffer, data: 0, offsets: 32 });
    t.append(new Uint8Array(16));
    expect(() => t.append(new Uint8Array(1))).toThrow(/fixed text column holds 16 bytes, 17 needed/);
  });
});

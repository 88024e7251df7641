/**
 * `transfers.arrow` (columns in transfer-record.ts): written a record batch at a time, read back
 * whole. Sites, links and states repeat on every row and are dictionary-encoded; ids, files and
 * errors are plain utf8.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type DataType, Dictionary, Float, Int, type Table, tableFromIPC, Utf8, type Vector } from "apache-arrow";
import { UsageError } from "../errors/index.js";
import { DictColumn, f64, i32, NullableF64Column, Utf8Column } from "./columns.js";
import type { RunRecord } from "./run-record.js";
import { TableFile } from "./table-file.js";
import { TRANSFER_COLUMNS as C, TRANSFER_STATES, type TransferRow, type TransferState } from "./transfer-record.js";

/** Rows per record batch. */
const BATCH = 65_536;

/**
 * Writes `transfers.arrow` at `target` (a path), or into a run record's directory (then listed
 * in its run.json). Rows are copied as they come: a producer may hand over one object it
 * refills for every row. Returns the rows written.
 */
export function writeTransfers(target: string | RunRecord, rows: Iterable<TransferRow>, knownSites: readonly string[] = []): number {
  const path = typeof target === "string" ? target : join(target.dir, "transfers.arrow");
  const id = new Utf8Column(BATCH);
  const job = new Utf8Column(BATCH);
  const request = new Utf8Column(BATCH);
  const file = new Utf8Column(BATCH);
  const source = new DictColumn(BATCH, 0, knownSites);
  const destination = new DictColumn(BATCH, 1, knownSites);
  const link = new DictColumn(BATCH, 2, []);
  const bytes = f64(BATCH);
  const submit = f64(BATCH);
  const start = new NullableF64Column(BATCH);
  const end = new NullableF64Column(BATCH);
  const state = new DictColumn(BATCH, 3, TRANSFER_STATES);
  const error = new Utf8Column(BATCH);
  const actives = i32(BATCH);
  const out = new TableFile(
    path,
    [
      [C.id, id],
      [C.job, job],
      [C.request, request],
      [C.file, file],
      [C.source, source],
      [C.destination, destination],
      [C.link, link],
      [C.bytes, bytes],
      [C.submit, submit],
      [C.start, start],
      [C.end, end],
      [C.state, state],
      [C.error, error],
      [C.actives, actives],
    ],
    BATCH,
  );
  let n = 0;
  try {
    for (const r of rows) {
      const i = out.row;
      id.set(i, r.id);
      job.set(i, r.job);
      request.set(i, r.request);
      file.set(i, r.file);
      source.set(i, r.source);
      destination.set(i, r.destination);
      link.set(i, r.link);
      bytes.values[i] = r.bytes;
      submit.values[i] = r.submitSeconds;
      start.values[i] = r.startSeconds;
      end.values[i] = r.endSeconds;
      state.set(i, r.state);
      error.set(i, r.error);
      actives.values[i] = r.actives;
      out.next();
      n++;
    }
    out.finish();
  } catch (e) {
    out.abort();
    throw e;
  }
  if (typeof target !== "string") target.addTable("transfers");
  return n;
}

type Kind = "utf8" | "float64" | "int32";

const KINDS: Record<keyof typeof C, Kind> = {
  id: "utf8",
  job: "utf8",
  request: "utf8",
  file: "utf8",
  source: "utf8",
  destination: "utf8",
  link: "utf8",
  bytes: "float64",
  submit: "float64",
  start: "float64",
  end: "float64",
  state: "utf8",
  error: "utf8",
  actives: "int32",
};

/** Whether a column's type reads as the contract's: utf8 plain or dictionary-encoded; numbers of any width. */
function fits(type: DataType, kind: Kind): boolean {
  if (kind === "utf8") return type instanceof Utf8 || (type instanceof Dictionary && type.dictionary instanceof Utf8);
  return type instanceof Float || type instanceof Int;
}

/** The table of a transfers.arrow file, each contract column checked; a UsageError names the file, the column, what was expected and found. */
export function openTransfers(path: string): Table {
  if (!existsSync(path)) throw new UsageError(`${path}: expected a transfers table (transfers.arrow), found no such file`);
  let table: Table;
  try {
    table = tableFromIPC(readFileSync(path));
  } catch (e) {
    throw new UsageError(`${path}: expected an Arrow IPC file, found unreadable bytes (${e instanceof Error ? e.message : String(e)})`);
  }
  const names = table.schema.fields.map((f) => f.name);
  const problems: string[] = [];
  for (const [key, name] of Object.entries(C) as [keyof typeof C, string][]) {
    const field = table.schema.fields.find((f) => f.name === name);
    const kind = KINDS[key];
    if (field === undefined) problems.push(`${path}: expected column ${name} of type ${kind}, found no such column (columns: ${names.join(", ") || "none"})`);
    else if (!fits(field.type, kind)) problems.push(`${path}: expected column ${name} of type ${kind}, found ${String(field.type)}`);
  }
  if (problems.length > 0) throw new UsageError(problems.join("\n"));
  return table;
}

const STATES = new Set<string>(TRANSFER_STATES);

/** Reads every row of a transfers.arrow file (nulls: "" for text, NaN for numbers). */
export function readTransfers(path: string): TransferRow[] {
  const table = openTransfers(path);
  const col = (name: string) => table.getChild(name)! as Vector;
  const text = (v: Vector, i: number): string => (v.get(i) as string | null) ?? "";
  const num = (v: Vector, i: number): number => {
    const x = v.get(i) as number | bigint | null;
    return x === null ? NaN : Number(x);
  };
  const cols = Object.fromEntries(Object.entries(C).map(([k, name]) => [k, col(name)])) as Record<keyof typeof C, Vector>;
  const rows: TransferRow[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const state = text(cols.state, i);
    if (!STATES.has(state)) throw new UsageError(`${path}: row ${i}: expected column ${C.state} to be one of ${TRANSFER_STATES.join(", ")}, found "${state}"`);
    rows[i] = {
      id: text(cols.id, i),
      job: text(cols.job, i),
      request: text(cols.request, i),
      file: text(cols.file, i),
      source: text(cols.source, i),
      destination: text(cols.destination, i),
      link: text(cols.link, i),
      bytes: num(cols.bytes, i),
      submitSeconds: num(cols.submit, i),
      startSeconds: num(cols.start, i),
      endSeconds: num(cols.end, i),
      state: state as TransferState,
      error: text(cols.error, i),
      actives: num(cols.actives, i),
    };
  }
  return rows;
}

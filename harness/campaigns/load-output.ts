/**
 * The load master's output (harness/load/srcnet_load/wire.py: one record a line, tab-separated)
 * into the campaign run record's tables: every `req` line becomes a row of requests.arrow, every
 * `op` line a row of operations.arrow, whichever worker sent it. The input is streamed: rows go
 * to disk a record batch at a time (records/table-file.ts), and what stays in memory is the
 * compact per-service columns the summary needs (~21 bytes a request), the files written and the
 * workers' totals.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { CAMPAIGN_SERVICES, OPERATION_COLUMNS, REQUEST_COLUMNS } from "../../records/campaign-record.js";
import { BoolColumn, DictColumn, f64, i32, NullableF64Column, type NumberColumn, Utf8Column } from "../../records/columns.js";
import { TableFile } from "../../records/table-file.js";

/** Per-service request columns, in arrival order; the arrays are exactly `length` long. */
export interface RequestColumns {
  /** Sent time, seconds since the origin. */
  t: Float64Array;
  latency: Float64Array;
  ok: Uint8Array;
  /** HTTP status (Int16: statuses are < 1000; two bytes a request less in the ingest's largest memory). */
  status: Int16Array;
  length: number;
}

/** Per-operation columns (keyed `${service}.${operation}`); the arrays are exactly `length` long. */
export interface OperationColumns {
  /** Start time, seconds since the origin. */
  t: Float64Array;
  seconds: Float64Array;
  ok: Uint8Array;
  attempts: Int16Array;
  length: number;
}

/** A file uploaded successfully and not deleted since (what the integrity check expects). */
export interface WrittenFile {
  site: string;
  path: string;
  pool: number;
}

/**
 * The files written, as one compact map (`site \n path` -> pool) read as WrittenFile objects on
 * demand: a campaign may write millions, and an object each doubled the ingest's memory.
 */
export class WrittenFiles implements Iterable<WrittenFile> {
  constructor(private readonly map: ReadonlyMap<string, number>) {}
  get size(): number {
    return this.map.size;
  }
  *[Symbol.iterator](): Iterator<WrittenFile> {
    for (const [key, pool] of this.map) {
      const nl = key.indexOf("\n");
      yield { site: key.slice(0, nl), path: key.slice(nl + 1), pool };
    }
  }
}

/** One worker's own totals, as it reported them at its end. */
export interface WorkerTotals {
  worker: string;
  host: string;
  /** The Slurm node it ran on; "" for a local process. */
  node: string;
  requests: number;
  errors: number;
  iterations: number;
  dropped: number;
}

export interface IngestOptions {
  /** Where requests.arrow and operations.arrow go (created if missing). */
  dir: string;
  /** Rows per record batch (default 65,536). */
  batchRows?: number;
  /** Called once, when the campaign's time origin is known. */
  onStart?: (originEpochMs: number) => void;
  /** Called now and then (at most every 250 ms, and at the end) with the requests so far and how many were not ok. */
  onProgress?: (requests: number, errors: number) => void;
}

export interface IngestResult {
  /** The campaign's time origin (the `start` line), ms since the epoch; null if none came. */
  originEpochMs: number | null;
  /** Workers the master ran (from the `start` line; 0 if none came). */
  workerCount: number;
  /** Earliest request sent, seconds since the origin (0 without requests). */
  firstSeconds: number;
  /** Latest request end (sent + latency), seconds since the origin (0 without requests). */
  lastSeconds: number;
  requestCount: number;
  /** Requests with `ok` false. */
  errorCount: number;
  operationCount: number;
  /** Operations begun and never recorded (killed at the end of their phase): rows with a null `seconds`, not ok. */
  unfinishedOperations: number;
  /** Lines that did not parse (wrong field count or kind), plus a cut-off last line. */
  malformedLines: number;
  bytesRead: number;
  requests: Map<string, RequestColumns>;
  operations: Map<string, OperationColumns>;
  /** Successful PUTs (with a `path`) not followed by a successful DELETE of the same site and path, in write order. */
  writes: WrittenFiles;
  /** Each worker's totals, in worker order; a worker that never reported is missing. */
  workers: WorkerTotals[];
  /** Iterations the open-model executors could not start (past their concurrency cap), per phase and service. */
  dropped: { phase: string; service: string; count: number }[];
  /** The master's `end` line: complete, stopped, failed or lost-workers; null when it never came (killed). */
  end: { status: string; message: string } | null;
  files: { requests: string; operations: string };
}

const NEWLINE = 10;
const FIELDS: Record<string, number> = { start: 3, req: 13, begin: 7, op: 10, dropped: 5, worker: 8, end: 2 };

/** Rows per chunk once a series is large: past this, a series grows by whole chunks, never by copying. */
const CHUNK = 1 << 20;

/**
 * Time, a float value, success and an integer per sample: latency and status for requests,
 * duration and attempts for operations. Millions of requests (~21 bytes each) are the ingest's
 * largest memory, so a series grows by doubling only while small, then by chunks of CHUNK rows
 * (no copy of the whole, and no old and new copy side by side), and is made contiguous column by
 * column at the end, each column's chunks dropped as it is copied.
 */
class Series {
  private chunks: { t: Float64Array; value: Float64Array; ok: Uint8Array; int: Int16Array }[] = [];
  private t: Float64Array;
  private value: Float64Array;
  private ok: Uint8Array;
  private int: Int16Array;
  /** Rows in the current (last) chunk. */
  private n = 0;
  length = 0;
  constructor(capacity: number) {
    this.t = new Float64Array(capacity);
    this.value = new Float64Array(capacity);
    this.ok = new Uint8Array(capacity);
    this.int = new Int16Array(capacity);
  }
  push(t: number, value: number, ok: boolean, int: number): void {
    if (this.n === this.t.length) this.grow();
    const i = this.n++;
    this.t[i] = t;
    this.value[i] = value;
    this.ok[i] = ok ? 1 : 0;
    this.int[i] = int;
    this.length++;
  }
  private grow(): void {
    const n = this.n;
    if (n < CHUNK) {
      const m = Math.min(CHUNK, n * 2);
      this.t = copy(this.t, new Float64Array(m));
      this.value = copy(this.value, new Float64Array(m));
      this.ok = copy(this.ok, new Uint8Array(m));
      this.int = copy(this.int, new Int16Array(m));
      return;
    }
    this.chunks.push({ t: this.t, value: this.value, ok: this.ok, int: this.int });
    this.t = new Float64Array(CHUNK);
    this.value = new Float64Array(CHUNK);
    this.ok = new Uint8Array(CHUNK);
    this.int = new Int16Array(CHUNK);
    this.n = 0;
  }
  /** The columns as contiguous arrays of exactly `length` rows; the series is spent after. */
  private columns(): { t: Float64Array; value: Float64Array; ok: Uint8Array; int: Int16Array } {
    const parts = [...this.chunks, { t: this.t.subarray(0, this.n), value: this.value.subarray(0, this.n), ok: this.ok.subarray(0, this.n), int: this.int.subarray(0, this.n) }];
    this.chunks = [];
    if (parts.length === 1) return parts[0]!;
    const join = <T extends Float64Array | Uint8Array | Int16Array>(key: "t" | "value" | "ok" | "int", out: T): T => {
      let at = 0;
      for (const p of parts) {
        const a = p[key];
        (out as { set(a: ArrayLike<number>, at: number): void }).set(a, at);
        at += a.length;
        // Dropped once copied: one column's worth of memory at a time, not a second copy of all.
        (p as Record<string, unknown>)[key] = null;
      }
      return out;
    };
    const n = this.length;
    return { t: join("t", new Float64Array(n)), value: join("value", new Float64Array(n)), ok: join("ok", new Uint8Array(n)), int: join("int", new Int16Array(n)) };
  }
  requests(): RequestColumns {
    const c = this.columns();
    return { t: c.t, latency: c.value, ok: c.ok, status: c.int, length: this.length };
  }
  operations(): OperationColumns {
    const c = this.columns();
    return { t: c.t, seconds: c.value, ok: c.ok, attempts: c.int, length: this.length };
  }
}

function copy<T extends Float64Array | Uint8Array | Int16Array>(from: T, to: T): T {
  (to as { set(a: ArrayLike<number>): void }).set(from);
  return to;
}

/** A field that must be a finite number; NaN marks the line malformed. */
const num = (s: string | undefined): number => (s === undefined || s === "" ? NaN : Number(s));

class Ingest {
  origin: number | null = null;
  workerCount = 0;
  requestCount = 0;
  errorCount = 0;
  operationCount = 0;
  unfinished = 0;
  malformed = 0;
  first = Infinity;
  last = -Infinity;
  end: IngestResult["end"] = null;
  readonly requests = new Map<string, Series>();
  readonly operations = new Map<string, Series>();
  /** Files written and not deleted: `site \n path` -> pool (one string and a number each: a campaign writes up to millions). */
  readonly writes = new Map<string, number>();
  readonly workers = new Map<string, WorkerTotals>();
  readonly dropped: IngestResult["dropped"] = [];
  /** Operations begun and not yet recorded, by worker and id: at the end, the unfinished ones. */
  private readonly open = new Map<string, { t: number; service: string; operation: string; phase: string; worker: string }>();

  private readonly rq: {
    file: TableFile;
    t: NumberColumn<Float64Array>;
    service: DictColumn;
    operation: Utf8Column;
    phase: Utf8Column;
    latency: NumberColumn<Float64Array>;
    status: NumberColumn<Int32Array>;
    ok: BoolColumn;
    bytes: NumberColumn<Float64Array>;
    worker: Utf8Column;
  };
  private readonly op: {
    file: TableFile;
    t: NumberColumn<Float64Array>;
    service: DictColumn;
    operation: Utf8Column;
    phase: Utf8Column;
    seconds: NullableF64Column;
    ok: BoolColumn;
    attempts: NumberColumn<Int32Array>;
    worker: Utf8Column;
  };

  constructor(
    dir: string,
    cap: number,
    private readonly onStart: ((originEpochMs: number) => void) | undefined,
  ) {
    const C = REQUEST_COLUMNS;
    const r = {
      t: f64(cap),
      service: new DictColumn(cap, 0, CAMPAIGN_SERVICES),
      operation: new Utf8Column(cap),
      phase: new Utf8Column(cap),
      latency: f64(cap),
      status: i32(cap),
      ok: new BoolColumn(cap),
      bytes: f64(cap),
      worker: new Utf8Column(cap),
    };
    const rfile = new TableFile(
      join(dir, "requests.arrow"),
      [
        [C.time, r.t],
        [C.service, r.service],
        [C.operation, r.operation],
        [C.phase, r.phase],
        [C.latency, r.latency],
        [C.status, r.status],
        [C.ok, r.ok],
        [C.bytes, r.bytes],
        [C.worker, r.worker],
      ],
      cap,
    );
    this.rq = { file: rfile, ...r };
    const O = OPERATION_COLUMNS;
    const o = {
      t: f64(cap),
      service: new DictColumn(cap, 1, CAMPAIGN_SERVICES),
      operation: new Utf8Column(cap),
      phase: new Utf8Column(cap),
      seconds: new NullableF64Column(cap),
      ok: new BoolColumn(cap),
      attempts: i32(cap),
      worker: new Utf8Column(cap),
    };
    let ofile: TableFile;
    try {
      ofile = new TableFile(
        join(dir, "operations.arrow"),
        [
          [O.time, o.t],
          [O.service, o.service],
          [O.operation, o.operation],
          [O.phase, o.phase],
          [O.seconds, o.seconds],
          [O.ok, o.ok],
          [O.attempts, o.attempts],
          [O.worker, o.worker],
        ],
        cap,
      );
    } catch (e) {
      rfile.abort();
      throw e;
    }
    this.op = { file: ofile, ...o };
  }

  /** Lines of buf[start, end), which ends with a newline. */
  scan(buf: Buffer, start: number, end: number): void {
    let pos = start;
    while (pos < end) {
      const e = buf.indexOf(NEWLINE, pos);
      if (e > pos) this.line(buf.toString("utf8", pos, e));
      pos = e + 1;
    }
  }

  /** The last line when the input did not end with a newline (the master was killed mid-line). */
  tail(buf: Buffer): void {
    if (buf.toString("utf8").trim() !== "") this.malformed++;
  }

  line(text: string): void {
    const f = text.split("\t");
    const kind = f[0]!;
    const want = FIELDS[kind];
    // `end` may carry a message (the rest of the line).
    if (want === undefined || (kind === "end" ? f.length < want : f.length !== want)) {
      this.malformed++;
      return;
    }
    switch (kind) {
      case "req":
        return this.request(f);
      case "op":
        return this.operationLine(f);
      case "begin": {
        const t = num(f[3]);
        if (this.origin === null || !Number.isFinite(t)) return void this.malformed++;
        this.open.set(`${f[1]}\n${f[2]}`, { t: t - this.origin, service: f[4]!, operation: f[5]!, phase: f[6]!, worker: f[1]! });
        return;
      }
      case "start": {
        const origin = num(f[1]);
        if (!Number.isFinite(origin)) return void this.malformed++;
        // An origin already taken stands: rows written are relative to it.
        if (this.origin === null) {
          this.origin = origin;
          this.workerCount = num(f[2]) | 0;
          this.onStart?.(origin * 1000);
        }
        return;
      }
      case "dropped": {
        const count = num(f[4]);
        if (!Number.isFinite(count)) return void this.malformed++;
        this.dropped.push({ phase: f[2]!, service: f[3]!, count });
        return;
      }
      case "worker": {
        const [requests, errors, iterations, dropped] = [num(f[4]), num(f[5]), num(f[6]), num(f[7])];
        if (![requests, errors, iterations, dropped].every(Number.isFinite)) return void this.malformed++;
        this.workers.set(f[1]!, { worker: f[1]!, host: f[2]!, node: f[3]!, requests, errors, iterations, dropped });
        return;
      }
      case "end":
        this.end = { status: f[1]!, message: f.slice(2).join("\t") };
        return;
    }
  }

  private request(f: string[]): void {
    const [tSent, latency, status, okText, bytes] = [num(f[2]), num(f[6]), num(f[7]), f[8], num(f[9])];
    if (this.origin === null || !Number.isFinite(tSent) || !Number.isFinite(latency) || !Number.isFinite(status) || !Number.isFinite(bytes) || (okText !== "0" && okText !== "1")) {
      this.malformed++;
      return;
    }
    const t = tSent - this.origin;
    const service = f[3]!;
    const operation = f[4]!;
    const ok = okText === "1";
    const r = this.rq;
    const i = r.file.row;
    r.t.values[i] = t;
    r.service.set(i, service);
    r.operation.set(i, operation);
    r.phase.set(i, f[5]!);
    r.latency.values[i] = latency;
    r.status.values[i] = status;
    r.ok.set(i, ok);
    r.bytes.values[i] = bytes;
    r.worker.set(i, f[1]!);
    r.file.next();
    let series = this.requests.get(service);
    if (series === undefined) this.requests.set(service, (series = new Series(1024)));
    series.push(t, latency, ok, status);
    this.requestCount++;
    if (!ok) this.errorCount++;
    if (t < this.first) this.first = t;
    if (t + latency > this.last) this.last = t + latency;
    const path = f[11]!;
    if (ok && path !== "") {
      const site = f[10]!;
      // A fresh flat string: substrings of a line would keep the whole line alive in the map.
      const key = Buffer.from(`${site}\n${path}`).toString();
      if (operation === "PUT") {
        // A file written again moves to the end, as if it were new.
        this.writes.delete(key);
        this.writes.set(key, num(f[12]));
      } else if (operation === "DELETE") this.writes.delete(key);
    }
  }

  private operationLine(f: string[]): void {
    const [t, seconds, okText, attempts] = [num(f[3]), num(f[7]), f[8], num(f[9])];
    if (this.origin === null || !Number.isFinite(t) || !Number.isFinite(seconds) || !Number.isFinite(attempts) || (okText !== "0" && okText !== "1")) {
      this.malformed++;
      return;
    }
    if (f[2] !== "-1") this.open.delete(`${f[1]}\n${f[2]}`);
    this.operationRow(t - this.origin, f[4]!, f[5]!, f[6]!, seconds, okText === "1", attempts, f[1]!);
  }

  private operationRow(t: number, service: string, operation: string, phase: string, seconds: number, ok: boolean, attempts: number, worker: string): void {
    const o = this.op;
    const i = o.file.row;
    o.t.values[i] = t;
    o.service.set(i, service);
    o.operation.set(i, operation);
    o.phase.set(i, phase);
    o.seconds.values[i] = seconds;
    o.ok.set(i, ok);
    o.attempts.values[i] = attempts;
    o.worker.set(i, worker);
    o.file.next();
    const key = `${service}.${operation}`;
    let series = this.operations.get(key);
    if (series === undefined) this.operations.set(key, (series = new Series(256)));
    series.push(t, seconds, ok, attempts);
    this.operationCount++;
  }

  finish(): void {
    try {
      // Begun and never recorded: killed at the end of their phase (or the run was stopped). They
      // failed to finish within the campaign: rows with no duration, not ok, at their start.
      for (const o of this.open.values()) {
        this.operationRow(o.t, o.service, o.operation, o.phase, NaN, false, 0, o.worker);
        this.unfinished++;
      }
      this.open.clear();
      this.rq.file.finish();
      this.op.file.finish();
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  abort(): void {
    this.rq.file.abort();
    this.op.file.abort();
  }
}

/**
 * Reads the load master's output from `input` to its end and writes `<dir>/requests.arrow` and
 * `<dir>/operations.arrow`. Input that stops early (the master killed) still gives complete,
 * readable files of what arrived; a cut-off last line is counted in `malformedLines`. A read
 * error is rethrown after the files are finished.
 */
export async function ingestLoadOutput(input: NodeJS.ReadableStream | Readable, opts: IngestOptions): Promise<IngestResult> {
  const batchRows = Math.max(1, Math.floor(opts.batchRows ?? 65_536));
  mkdirSync(opts.dir, { recursive: true });
  const ing = new Ingest(opts.dir, batchRows, opts.onStart);
  let carry: Buffer | null = null;
  let bytesRead = 0;
  let failure: unknown = null;
  let lastProgress = performance.now();
  try {
    for await (const raw of input as AsyncIterable<Buffer | string>) {
      const chunk = typeof raw === "string" ? Buffer.from(raw) : raw;
      bytesRead += chunk.length;
      const lastNl = chunk.lastIndexOf(NEWLINE);
      if (lastNl < 0) {
        carry = carry === null ? chunk : Buffer.concat([carry, chunk]);
        continue;
      }
      let from = 0;
      if (carry !== null) {
        // The line that straddles the previous chunk and this one.
        const firstNl = chunk.indexOf(NEWLINE);
        const line = Buffer.concat([carry, chunk.subarray(0, firstNl + 1)]);
        ing.scan(line, 0, line.length);
        from = firstNl + 1;
      }
      ing.scan(chunk, from, lastNl + 1);
      carry = lastNl + 1 < chunk.length ? chunk.subarray(lastNl + 1) : null;
      if (opts.onProgress !== undefined && performance.now() - lastProgress >= 250) {
        lastProgress = performance.now();
        opts.onProgress(ing.requestCount, ing.errorCount);
      }
    }
    if (carry !== null) ing.tail(carry);
  } catch (e) {
    failure = e;
  }
  try {
    ing.finish();
  } catch (e) {
    throw failure ?? e;
  }
  if (failure !== null) throw failure;
  opts.onProgress?.(ing.requestCount, ing.errorCount);
  const requests = new Map<string, RequestColumns>();
  for (const [k, s] of ing.requests) requests.set(k, s.requests());
  ing.requests.clear();
  const operations = new Map<string, OperationColumns>();
  for (const [k, s] of ing.operations) operations.set(k, s.operations());
  ing.operations.clear();
  return {
    originEpochMs: ing.origin === null ? null : ing.origin * 1000,
    workerCount: ing.workerCount,
    firstSeconds: ing.requestCount > 0 ? ing.first : 0,
    lastSeconds: ing.requestCount > 0 ? ing.last : 0,
    requestCount: ing.requestCount,
    errorCount: ing.errorCount,
    operationCount: ing.operationCount,
    unfinishedOperations: ing.unfinished,
    malformedLines: ing.malformed,
    bytesRead,
    requests,
    operations,
    writes: new WrittenFiles(ing.writes),
    workers: [...ing.workers.values()].sort((a, b) => a.worker.localeCompare(b.worker, "en", { numeric: true })),
    dropped: ing.dropped,
    end: ing.end,
    files: { requests: join(opts.dir, "requests.arrow"), operations: join(opts.dir, "operations.arrow") },
  };
}

/**
 * k6's JSON output (`k6 run --out json=-`, one sample a line) into the campaign run record's
 * tables: every `srcnet_req` sample becomes a row of requests.arrow, every `srcnet_op` sample a
 * row of operations.arrow (harness/k6/lib/record.ts says what the k6 side emits). The input is
 * streamed: rows go to disk a record batch at a time (records/table-file.ts), and what stays in
 * memory is the compact per-service columns the summary needs (~21 bytes a request) and the set
 * of files written.
 *
 * Nearly all of k6's output is its built-in metrics (about 15 lines a request), so lines are
 * found with a native substring search for `{"metric":"srcnet_` and only those are parsed.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { CAMPAIGN_SERVICES, REQUEST_COLUMNS } from "../../dashboards/campaign-record.js";
import { BoolColumn, DictColumn, f64, i32, NullableF64Column, NumberColumn, Utf8Column } from "../../records/columns.js";
import { TableFile } from "../../records/table-file.js";

/** Per-service request columns, in arrival order; the arrays are exactly `length` long. */
export interface RequestColumns {
  /** Sent time, seconds since the origin. */
  t: Float64Array;
  latency: Float64Array;
  ok: Uint8Array;
  status: Int32Array;
  length: number;
}

/** Per-operation columns (keyed `${service}.${operation}`); the arrays are exactly `length` long. */
export interface OperationColumns {
  /** Start time, seconds since the origin. */
  t: Float64Array;
  seconds: Float64Array;
  ok: Uint8Array;
  attempts: Int32Array;
  length: number;
}

/** A file uploaded successfully and not deleted since (what the integrity check expects). */
export interface WrittenFile {
  site: string;
  path: string;
  pool: number;
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
  /** The campaign's time origin (the `srcnet_start` sample), ms since the epoch; null if no sample came. */
  originEpochMs: number | null;
  /** Earliest request sent, seconds since the origin (0 without requests). */
  firstSeconds: number;
  /** Latest request end (sent + latency), seconds since the origin (0 without requests). */
  lastSeconds: number;
  requestCount: number;
  /** Requests with `ok` false. */
  errorCount: number;
  operationCount: number;
  /** Operations begun and never recorded (stopped by k6 at the end of the load): rows with a null `seconds`, not ok. */
  unfinishedOperations: number;
  /** Lines that started like a campaign sample but did not parse (or lacked fields), plus a cut-off last line. */
  malformedLines: number;
  bytesRead: number;
  requests: Map<string, RequestColumns>;
  operations: Map<string, OperationColumns>;
  /** Successful PUTs (with a `path`) not followed by a successful DELETE of the same site and path. */
  writes: WrittenFile[];
  files: { requests: string; operations: string };
}

export const OPERATION_COLUMNS = {
  time: "t_seconds",
  service: "service",
  operation: "operation",
  phase: "phase",
  seconds: "seconds",
  ok: "ok",
  attempts: "attempts",
} as const;

const PREFIX = Buffer.from('{"metric":"srcnet_');
const NEWLINE = 10;

// ---------------------------------------------------------------------------------------------
// Compact in-memory columns, grown by doubling.

/** Time, a float value, success and an integer per sample: latency and status for requests, duration and attempts for operations. */
class Series {
  t: Float64Array;
  value: Float64Array;
  ok: Uint8Array;
  int: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.t = new Float64Array(capacity);
    this.value = new Float64Array(capacity);
    this.ok = new Uint8Array(capacity);
    this.int = new Int32Array(capacity);
  }
  push(t: number, value: number, ok: boolean, int: number): void {
    const i = this.length;
    if (i === this.t.length) {
      this.t = grow(this.t, new Float64Array(i * 2));
      this.value = grow(this.value, new Float64Array(i * 2));
      this.ok = grow(this.ok, new Uint8Array(i * 2));
      this.int = grow(this.int, new Int32Array(i * 2));
    }
    this.t[i] = t;
    this.value[i] = value;
    this.ok[i] = ok ? 1 : 0;
    this.int[i] = int;
    this.length = i + 1;
  }
  requests(): RequestColumns {
    const n = this.length;
    return { t: this.t.slice(0, n), latency: this.value.slice(0, n), ok: this.ok.slice(0, n), status: this.int.slice(0, n), length: n };
  }
  operations(): OperationColumns {
    const n = this.length;
    return { t: this.t.slice(0, n), seconds: this.value.slice(0, n), ok: this.ok.slice(0, n), attempts: this.int.slice(0, n), length: n };
  }
}

function grow<T extends Float64Array | Uint8Array | Int32Array>(from: T, to: T): T {
  (to as { set(a: ArrayLike<number>): void }).set(from);
  return to;
}

// ---------------------------------------------------------------------------------------------
// Timestamps. k6 writes RFC 3339 with up to nanosecond fractions; a Date (ms) would lose the
// sub-millisecond part, so a time is kept as whole epoch seconds plus a fraction, and relative
// times subtract the two parts separately (exact to well under a microsecond).

class TimeParser {
  sec = 0;
  frac = 0;
  private minutePrefix = "";
  private minuteEpoch = NaN;

  /** Parses `s` into sec/frac; false if it is not a timestamp. */
  parse(s: string): boolean {
    if (typeof s !== "string" || s.length < 20) return false;
    const prefix = s.slice(0, 16);
    if (prefix !== this.minutePrefix) {
      this.minutePrefix = prefix;
      this.minuteEpoch = Date.parse(`${prefix}:00Z`) / 1000;
    }
    const s1 = s.charCodeAt(17) - 48;
    const s2 = s.charCodeAt(18) - 48;
    if (Number.isNaN(this.minuteEpoch) || s.charCodeAt(16) !== 58 || !(s1 >= 0 && s1 <= 9 && s2 >= 0 && s2 <= 9)) return false;
    let k = 19;
    let frac = 0;
    if (s.charCodeAt(19) === 46) {
      k = 20;
      while (k < s.length && s.charCodeAt(k) >= 48 && s.charCodeAt(k) <= 57) k++;
      if (k === 20) return false;
      frac = Number(s.slice(19, k));
    }
    let offset = 0;
    const z = s.charCodeAt(k);
    if (z === 43 || z === 45) {
      const h = Number(s.slice(k + 1, k + 3));
      const m = Number(s.slice(k + 4, k + 6));
      if (!(h >= 0 && m >= 0)) return false;
      offset = (z === 43 ? 1 : -1) * (h * 3600 + m * 60);
    } else if (z !== 90) return false;
    this.sec = this.minuteEpoch + s1 * 10 + s2 - offset;
    this.frac = frac;
    return true;
  }
}

// ---------------------------------------------------------------------------------------------

interface Point {
  metric?: unknown;
  type?: unknown;
  data?: { time?: unknown; value?: unknown; tags?: Record<string, unknown>; metadata?: Record<string, unknown> };
}

const str = (x: unknown, otherwise: string): string => (typeof x === "string" ? x : otherwise);

class Ingest {
  private readonly time = new TimeParser();
  private originSec = 0;
  private originFrac = 0;
  origin = false;
  requestCount = 0;
  errorCount = 0;
  operationCount = 0;
  malformed = 0;
  first = Infinity;
  last = -Infinity;
  readonly requests = new Map<string, Series>();
  readonly operations = new Map<string, Series>();
  readonly writes = new Map<string, WrittenFile>();

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
  };
  /** Operations begun (`srcnet_begin`) and not yet recorded, by id: at the end, the unfinished ones. */
  private readonly open = new Map<string, { t: number; service: string; operation: string; phase: string }>();
  unfinished = 0;

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
        ],
        cap,
      );
    } catch (e) {
      rfile.abort();
      throw e;
    }
    this.op = { file: ofile, ...o };
  }

  get originEpochMs(): number | null {
    return this.origin ? (this.originSec + this.originFrac) * 1000 : null;
  }

  /** Lines of buf[start, end), which ends with a newline: only campaign samples are looked at. */
  scan(buf: Buffer, start: number, end: number): void {
    let pos = start;
    while (pos < end) {
      const i = buf.indexOf(PREFIX, pos);
      if (i < 0 || i >= end) return;
      const e = buf.indexOf(NEWLINE, i);
      // The prefix somewhere inside a line (a tag value, say) is not a sample.
      if (i === start || buf[i - 1] === NEWLINE) this.sample(buf.toString("utf8", i, e));
      pos = e + 1;
    }
  }

  /** The last line when the input did not end with a newline (k6 stopped mid-line, most likely). */
  tail(buf: Buffer): void {
    const s = buf.toString("utf8");
    if (s.trim() === "") return;
    if (buf.length >= PREFIX.length && buf.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) === 0) return this.sample(s);
    try {
      JSON.parse(s);
    } catch {
      this.malformed++;
    }
  }

  private sample(line: string): void {
    let p: Point;
    try {
      p = JSON.parse(line) as Point;
    } catch {
      this.malformed++;
      return;
    }
    if (p.type !== "Point") return;
    const metric = p.metric;
    if (metric !== "srcnet_req" && metric !== "srcnet_op" && metric !== "srcnet_start" && metric !== "srcnet_begin") return;
    const d = p.data;
    if (d === null || typeof d !== "object" || !this.time.parse(d.time as string)) {
      this.malformed++;
      return;
    }
    if (metric === "srcnet_start") {
      // An origin already taken from an earlier sample stands: rows written are relative to it.
      if (!this.origin) this.setOrigin(this.time.sec, this.time.frac);
      return;
    }
    const value = d.value;
    const tags = d.tags;
    const md = d.metadata ?? {};
    if (typeof value !== "number" || tags === null || typeof tags !== "object" || typeof tags.service !== "string" || typeof tags.operation !== "string") {
      this.malformed++;
      return;
    }
    if (metric === "srcnet_begin") {
      if (typeof md.id !== "string") {
        this.malformed++;
        return;
      }
      if (!this.origin) this.setOrigin(this.time.sec, this.time.frac);
      const t = this.time.sec - this.originSec + (this.time.frac - this.originFrac);
      this.open.set(md.id, { t, service: tags.service, operation: tags.operation, phase: str(tags.phase, "") });
      return;
    }
    // The sample is emitted when the request (operation) ended; it was sent `value` ms earlier.
    const ms = value / 1000;
    if (!this.origin) this.setOrigin(this.time.sec, this.time.frac - ms);
    const ended = this.time.sec - this.originSec + (this.time.frac - this.originFrac);
    const t = ended - ms;
    const service = tags.service;
    const operation = tags.operation;
    const phase = str(tags.phase, "");
    const ok = tags.ok === "1";
    if (metric === "srcnet_req") {
      const status = Number(tags.status) | 0;
      const bytes = md.bytes === undefined ? 0 : Number(md.bytes) || 0;
      const r = this.rq;
      const i = r.file.row;
      r.t.values[i] = t;
      r.service.set(i, service);
      r.operation.set(i, operation);
      r.phase.set(i, phase);
      r.latency.values[i] = ms;
      r.status.values[i] = status;
      r.ok.set(i, ok);
      r.bytes.values[i] = bytes;
      r.file.next();
      let series = this.requests.get(service);
      if (series === undefined) this.requests.set(service, (series = new Series(1024)));
      series.push(t, ms, ok, status);
      this.requestCount++;
      if (!ok) this.errorCount++;
      if (t < this.first) this.first = t;
      if (ended > this.last) this.last = ended;
      if (ok && typeof md.path === "string") {
        if (operation === "PUT") {
          const site = str(md.site, "");
          const key = `${site}\n${md.path}`;
          // A file written again moves to the end, as if it were new.
          this.writes.delete(key);
          this.writes.set(key, { site, path: md.path, pool: Number(md.pool) });
        } else if (operation === "DELETE") this.writes.delete(`${str(md.site, "")}\n${md.path}`);
      }
    } else {
      if (typeof md.id === "string") this.open.delete(md.id);
      this.operationRow(t, service, operation, phase, ms, ok, Number(md.attempts) | 0);
    }
  }

  private operationRow(t: number, service: string, operation: string, phase: string, seconds: number, ok: boolean, attempts: number): void {
    const o = this.op;
    const i = o.file.row;
    o.t.values[i] = t;
    o.service.set(i, service);
    o.operation.set(i, operation);
    o.phase.set(i, phase);
    o.seconds.values[i] = seconds;
    o.ok.set(i, ok);
    o.attempts.values[i] = attempts;
    o.file.next();
    const key = `${service}.${operation}`;
    let series = this.operations.get(key);
    if (series === undefined) this.operations.set(key, (series = new Series(256)));
    series.push(t, seconds, ok, attempts);
    this.operationCount++;
  }

  private setOrigin(sec: number, frac: number): void {
    this.originSec = sec;
    this.originFrac = frac;
    this.origin = true;
    this.onStart?.((sec + frac) * 1000);
  }

  finish(): void {
    try {
      // Begun and never recorded: k6 stopped them at the end of the load (or was stopped). They
      // failed to finish within the campaign: rows with no duration, not ok, at their start.
      for (const o of this.open.values()) {
        this.operationRow(o.t, o.service, o.operation, o.phase, NaN, false, 0);
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
 * Reads k6's JSON output from `input` to its end and writes `<dir>/requests.arrow` and
 * `<dir>/operations.arrow`. Input that stops early (k6 killed) still gives complete, readable
 * files of what arrived; a cut-off last line is counted in `malformedLines`. A read error is
 * rethrown after the files are finished.
 */
export async function ingestK6Output(input: NodeJS.ReadableStream | Readable, opts: IngestOptions): Promise<IngestResult> {
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
  const operations = new Map<string, OperationColumns>();
  for (const [k, s] of ing.operations) operations.set(k, s.operations());
  return {
    originEpochMs: ing.originEpochMs,
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
    writes: [...ing.writes.values()],
    files: { requests: join(opts.dir, "requests.arrow"), operations: join(opts.dir, "operations.arrow") },
  };
}

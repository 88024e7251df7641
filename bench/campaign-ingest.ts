/**
 * Campaign ingest throughput: the Locust master's output (harness/load/srcnet_load/wire.py, one
 * tab-separated record a line) into the run record's Arrow tables (harness/campaigns/load-output.ts,
 * `ingestLoadOutput`). Target: 1 GB of output in < 30 s with peak RSS < 500 MB.
 *
 * - The input is synthesised in the master's exact shape: a `start` line; then batches of one
 *   worker's rows at a time (each worker flushes every 0.5 s, as recorder.py and worker.py do),
 *   four workers interleaved; `req` rows of every service (WebDAV reads that fail over, uploads
 *   with their site, path and pool, TAP sync queries and UWS jobs, SODA cutouts, Rucio calls,
 *   ingestions with their uploads, registrations and discovery polls), `begin` and `op` rows for
 *   the operations (a few begun and never finished), over four phases in turn; then each worker's
 *   `dropped` and `worker` totals and `end complete`. Numbers are written as Python's repr writes
 *   them. The file depends only on its size; it is kept in results/bench/campaign-ingest/ and
 *   reused while its size and shape version are the same.
 * - Each run ingests the file in a child process reading it as a file stream, so the peak RSS
 *   printed is the ingest's own (`process.resourceUsage().maxRSS` of the child).
 * - Peer measured in the same run on the same file, runs interleaved with the ingest's: a
 *   streaming line filter counting the `req` lines, `mawk -F'\t' '$1=="req"{n++} END{print n}'`
 *   (Debian's default awk; plain `awk` when mawk is not installed). Its count must equal the
 *   ingest's requests.
 *
 * Medians of BENCH_RUNS runs (default 3; 1 with --quick).
 * Usage: tsx bench/campaign-ingest.ts [--bytes 1G] [--quick]
 */
import { spawnSync } from "node:child_process";
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeFully } from "../records/output.js";
import { ingestLoadOutput } from "../harness/campaigns/load-output.js";
import { median, mib, printTable } from "./report.js";

const TARGET_SECONDS_PER_GB = 30;
const TARGET_RSS_BYTES = 500e6;
/** Bump when the synthesised lines change, so that an old file is not reused. */
const SHAPE_VERSION = 2;

const self = fileURLToPath(import.meta.url);
const root = fileURLToPath(new URL("..", import.meta.url));

/** "1G", "200M", "5e8": bytes (decimal units). */
function parseBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*([kKmMgG]?)B?$/.exec(s.trim());
  if (m === null) throw new Error(`--bytes: expected a size such as 1G, 200M or 5e8, got ${s}`);
  const unit = { "": 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Math.round(Number(m[1]) * unit);
}

// ---------------------------------------------------------------------------------------------
// The child: one ingest, timed, reporting its own peak RSS.

interface ChildReport {
  seconds: number;
  maxRssBytes: number;
  requests: number;
  operations: number;
  unfinished: number;
  writes: number;
  workers: number;
  end: string;
  malformed: number;
}

async function child(file: string, dir: string): Promise<void> {
  const t0 = performance.now();
  const r = await ingestLoadOutput(createReadStream(file), { dir });
  const seconds = (performance.now() - t0) / 1000;
  const report: ChildReport = {
    seconds,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    requests: r.requestCount,
    operations: r.operationCount,
    unfinished: r.unfinishedOperations,
    writes: r.writes.size,
    workers: r.workers.length,
    end: r.end?.status ?? "none",
    malformed: r.malformedLines,
  };
  process.stdout.write(JSON.stringify(report) + "\n");
}

// ---------------------------------------------------------------------------------------------
// The input, in the master's shape (wire.py).

const WORKERS = 4;
const PHASES = ["warm-up", "steady", "fault", "recovery"];
const SITES = ["AUSSRC", "UKSRC", "CHSRC", "SPSRC", "CNSRC"];
/** The run's prefix, as run.ts makes it: c + base-36 time + 6 hex digits. */
const PREFIX = "cmiedx4k7a3f91c";
const RUCIO_SCOPE = "tests";
/** Pool payloads (files.count) and their sizes. */
const POOL_BYTES = [65536, 65536, 131072, 262144, 65536, 1048576, 65536, 524288];
/** Each worker's rows reach the master every FLUSH seconds, or as soon as BATCH rows wait. */
const FLUSH_SECONDS = 0.5;
const BATCH_ROWS = 2000;
/** Iterations a worker starts per second (a few hundred VUs' worth over the services). */
const ITERATIONS_PER_SECOND = 300;
const ORIGIN_EPOCH = 1764046358.7951891;

/** Small deterministic generator (mulberry32), so the file depends only on its size. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A float as Python's repr writes it (shortest round trip, `2.0`, `1.5e-05`), as wire.py does. */
function py(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  const a = Math.abs(x);
  if (a < 1e-4 || a >= 1e16) {
    const [m, e] = x.toExponential().split("e") as [string, string];
    const n = Number(e);
    return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  return String(x);
}

type Kind = "read" | "upload" | "sync" | "async" | "cutout" | "rucio" | "ingest";
const KINDS: [Kind, number][] = [
  ["read", 34],
  ["upload", 8],
  ["sync", 26],
  ["async", 2],
  ["cutout", 16],
  ["rucio", 12],
  ["ingest", 2],
];
const RUCIO_OPS: [string, string, number][] = [
  // operation, method, status when ok
  ["add-did", "POST", 201],
  ["add-replicas", "POST", 201],
  ["list-replicas", "GET", 200],
  ["add-rule", "POST", 201],
  ["list-rules", "GET", 200],
];

interface WorkerState {
  name: string;
  /** Iterations started (the iteration number n is per worker here; unique with the worker's name). */
  n: number;
  /** The next operation id (recorder.py's itertools.count). */
  nextId: number;
  requests: number;
  errors: number;
  iterations: number;
  dropped: Map<string, number>;
  /** Lines by the flush period in which the worker sends them. */
  pending: Map<number, string[]>;
}

class Synth {
  private readonly rand: () => number;
  private readonly total: number;
  readonly workers: WorkerState[];
  phase = PHASES[0]!;

  constructor(seed: number) {
    this.rand = rng(seed);
    this.total = KINDS.reduce((s, [, w]) => s + w, 0);
    this.workers = Array.from({ length: WORKERS }, (_, k) => ({ name: `w${k}`, n: 0, nextId: 0, requests: 0, errors: 0, iterations: 0, dropped: new Map(), pending: new Map() }));
  }

  private kind(): Kind {
    let x = this.rand() * this.total;
    for (const [k, w] of KINDS) if ((x -= w) < 0) return k;
    return "read";
  }

  /** A latency around `typical` seconds with a long tail, in Locust's resolution (ms / 1000). */
  private latency(typical: number): number {
    const tail = this.rand() < 0.02 ? 5 + 20 * this.rand() : 1;
    return (typical * (0.4 + 1.2 * this.rand()) * tail * 1000) / 1000;
  }

  private put(w: WorkerState, at: number, line: string): void {
    const p = Math.floor((at - ORIGIN_EPOCH) / FLUSH_SECONDS);
    let bucket = w.pending.get(p);
    if (bucket === undefined) w.pending.set(p, (bucket = []));
    bucket.push(line);
  }

  /** A request sent at `t`; returns when it ended. */
  private req(w: WorkerState, t: number, service: string, operation: string, latency: number, status: number, ok: boolean, bytes: number, site = "", path = "", pool = -1): number {
    w.requests++;
    if (!ok) w.errors++;
    this.put(w, t + latency, `req\t${w.name}\t${py(t)}\t${service}\t${operation}\t${this.phase}\t${py(latency)}\t${status}\t${ok ? 1 : 0}\t${bytes}\t${site}\t${path}\t${pool}\n`);
    return t + latency;
  }

  private begin(w: WorkerState, t: number, service: string, operation: string): number {
    const id = w.nextId++;
    this.put(w, t, `begin\t${w.name}\t${id}\t${py(t)}\t${service}\t${operation}\t${this.phase}\n`);
    return id;
  }

  private op(w: WorkerState, id: number, t0: number, end: number, service: string, operation: string, ok: boolean, attempts: number): void {
    // An operation its phase's end killed: begun, never recorded (1 in 300 of the long ones).
    if (id >= 0 && this.rand() < 1 / 300) return;
    this.put(w, end, `op\t${w.name}\t${id}\t${py(t0)}\t${service}\t${operation}\t${this.phase}\t${py(end - t0)}\t${ok ? 1 : 0}\t${attempts}\n`);
  }

  /** A request's outcome: mostly ok, some server errors, a few transport errors (status 0). */
  private outcome(okStatus: number): [number, boolean] {
    const r = this.rand();
    return r < 0.004 ? [0, false] : r < 0.015 ? [503, false] : [okStatus, true];
  }

  private scenario(service: string): string {
    return `${this.phase.replace(/[^A-Za-z0-9_-]/g, "_")}__${service}`;
  }

  /** One iteration of worker `w` starting at `t0`. */
  iteration(w: WorkerState, t0: number): void {
    const n = w.n++;
    w.iterations++;
    const rand = this.rand;
    switch (this.kind()) {
      case "read": {
        // The replicas in turn until one is good (size and MD5).
        const pool = n % POOL_BYTES.length;
        let t = t0;
        let attempts = 0;
        let ok = false;
        for (let i = 0; i < 2 && !ok; i++) {
          attempts++;
          const [status, good] = this.outcome(200);
          t = this.req(w, t, "webdav", "GET", this.latency(0.006 + POOL_BYTES[pool]! / 2e8), status, good, good ? POOL_BYTES[pool]! : status === 0 ? 0 : 162);
          ok = good;
        }
        this.op(w, -1, t0, t + 2e-5, "webdav", "read", ok, attempts);
        return;
      }
      case "upload": {
        const site = SITES[n % SITES.length]!;
        const pool = (n * 7 + (n % 16)) % POOL_BYTES.length;
        const [status, ok] = this.outcome(201);
        this.req(w, t0, "webdav", "PUT", this.latency(0.012 + POOL_BYTES[pool]! / 1e8), status, ok, POOL_BYTES[pool]!, site, `/campaign/${PREFIX}/up/${this.scenario("webdav")}-${n * WORKERS + Number(w.name.slice(1))}.bin`, pool);
        return;
      }
      case "sync": {
        const [status, ok] = this.outcome(200);
        this.req(w, t0, "tap", "sync-query", this.latency(0.08), status, ok, ok ? 1800 + Math.floor(rand() * 40000) : 0);
        return;
      }
      case "async": {
        // A UWS job: create (303 to the job), read it, run (303), poll until COMPLETED, result, delete.
        const id = this.begin(w, t0, "tap", "async-query");
        let t = t0;
        let attempts = 0;
        const step = (operation: string, status: number, bytes: number, pause = 0) => {
          attempts++;
          t = this.req(w, t + pause, "tap", operation, this.latency(0.015), status, true, bytes);
        };
        step("async-create", 303, 412);
        step("async-poll", 200, 1180);
        step("async-run", 303, 120);
        const polls = 1 + Math.floor(rand() * 5);
        for (let i = 0; i < polls; i++) step("async-poll", 200, 1180, i === 0 ? 0 : Math.min(1, 0.1 * 1.5 ** i));
        const [status, ok] = this.outcome(200);
        attempts++;
        t = this.req(w, t, "tap", "async-result", this.latency(0.05), status, ok, ok ? 4000 + Math.floor(rand() * 60000) : 0);
        step("async-delete", 303, 95);
        this.op(w, id, t0, t + 1e-4, "tap", "async-query", ok, attempts);
        return;
      }
      case "cutout": {
        const [status, ok] = this.outcome(200);
        this.req(w, t0, "soda", "cutout", this.latency(0.15), status, ok, ok ? 5760 + 2880 * Math.floor(rand() * 40) : 0);
        return;
      }
      case "rucio": {
        const [operation, , okStatus] = RUCIO_OPS[n % RUCIO_OPS.length]!;
        const [status, ok] = this.outcome(okStatus);
        this.req(w, t0, "rucio", operation, this.latency(0.03), status, ok, 200 + Math.floor(rand() * 900));
        return;
      }
      case "ingest": {
        const id = this.begin(w, t0, "ingest", "ingest");
        const name = `${PREFIX}-${this.scenario("ingest")}-${w.name}-${n}-ing`;
        const pool = n % POOL_BYTES.length;
        let t = t0;
        let attempts = 0;
        let ok = true;
        const call = (service: string, operation: string, status: number, typical: number, bytes: number, site = "", path = "", poolIndex = -1) => {
          attempts++;
          const [s, good] = this.outcome(status);
          t = this.req(w, t, service, operation, this.latency(typical), s, good, bytes, site, path, poolIndex);
          ok &&= good;
          return good;
        };
        const h = (Math.floor(rand() * 65536) + 65536).toString(16).slice(1);
        const sites = [SITES[n % SITES.length]!, SITES[(n + 1) % SITES.length]!];
        for (const site of sites) {
          if (!call("rucio", "lfns2pfns", 200, 0.02, 310)) break;
          if (!call("webdav", "PUT", 201, 0.012 + POOL_BYTES[pool]! / 1e8, POOL_BYTES[pool]!, site, `/rucio/${RUCIO_SCOPE}/${h.slice(0, 2)}/${h.slice(2)}/${name}`, pool)) break;
        }
        if (ok) for (let i = 0; i < sites.length && ok; i++) call("rucio", "add-replicas", 201, 0.03, 480);
        if (ok) call("rucio", "add-rule", 201, 0.04, 520);
        if (ok) {
          // Polls 0.25 s apart until every replica is listed AVAILABLE, then until TAP returns the product.
          const polls = 1 + Math.floor(rand() * 4);
          for (let i = 0; i < polls; i++) {
            if (i > 0) t += 0.25;
            call("rucio", "list-replicas", 200, 0.02, 600);
          }
          this.op(w, -1, t0, t, "ingest", "rucio-discoverable", true, 1);
          if (call("ingest", "publish", 201, 0.06, 2100)) {
            const queries = 1 + Math.floor(rand() * 6);
            for (let i = 0; i < queries; i++) {
              if (i > 0) t += 0.25;
              call("tap", "discover-query", 200, 0.05, 1900);
            }
            this.op(w, -1, t0, t, "ingest", "tap-discoverable", true, 1);
          }
        }
        this.op(w, id, t0, t + 1e-4, "ingest", "ingest", ok, attempts);
        return;
      }
    }
  }
}

function synthesise(path: string, bytes: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  const s = new Synth(bytes % 2147483647);
  const rand = rng((bytes + 1) % 2147483647);
  let buf = "";
  let written = 0;
  const flush = () => {
    const b = Buffer.from(buf);
    writeFully(fd, b);
    written += b.length;
    buf = "";
  };
  /** A worker's lines of one flush period, as the master writes them: batches of at most BATCH_ROWS. */
  const send = (lines: string[]) => {
    for (let i = 0; i < lines.length; i += BATCH_ROWS) buf += lines.slice(i, i + BATCH_ROWS).join("");
    if (buf.length > 1 << 22) flush();
  };
  buf += `start\t${py(ORIGIN_EPOCH)}\t${WORKERS}\n`;
  const dropTail = 3000; // bytes left for the dropped, worker and end lines
  let period = 0;
  while (written + buf.length < bytes - dropTail) {
    s.phase = PHASES[Math.min(PHASES.length - 1, Math.floor(((written + buf.length) / bytes) * PHASES.length))]!;
    const start = ORIGIN_EPOCH + period * FLUSH_SECONDS;
    // The workers' batches of this period reach the master in some order.
    const first = Math.floor(rand() * WORKERS);
    for (let k = 0; k < WORKERS; k++) {
      const w = s.workers[(first + k) % WORKERS]!;
      const count = Math.round(ITERATIONS_PER_SECOND * FLUSH_SECONDS * (0.8 + 0.4 * rand()));
      for (let i = 0; i < count; i++) s.iteration(w, start + rand() * FLUSH_SECONDS);
      if (rand() < 0.002) w.dropped.set(s.phase, (w.dropped.get(s.phase) ?? 0) + 1 + Math.floor(rand() * 20));
      const lines = w.pending.get(period);
      w.pending.delete(period);
      if (lines !== undefined) send(lines);
    }
    period++;
  }
  // What was still in flight reaches the master after the last period, worker by worker.
  for (const w of s.workers) {
    for (const p of [...w.pending.keys()].sort((a, b) => a - b)) send(w.pending.get(p)!);
    w.pending.clear();
  }
  for (const w of s.workers) {
    let dropped = 0;
    for (const [phase, count] of w.dropped) {
      buf += `dropped\t${w.name}\t${phase}\t${phase === "fault" ? "tap" : "ingest"}\t${count}\n`;
      dropped += count;
    }
    buf += `worker\t${w.name}\tload-${w.name}.bench\t\t${w.requests}\t${w.errors}\t${w.iterations}\t${dropped}\n`;
  }
  buf += "end\tcomplete\n";
  flush();
  closeSync(fd);
  renameSync(tmp, path);
}

// ---------------------------------------------------------------------------------------------

function ingestRun(file: string, dir: string): ChildReport {
  rmSync(dir, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [...process.execArgv, self, "--child", file, dir], { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`ingest child exited with ${r.status ?? r.signal}`);
  return JSON.parse(r.stdout.toString().trim().split("\n").pop()!) as ChildReport;
}

const AWK_PROGRAM = '$1=="req"{n++} END{print n}';
const awk = (() => {
  for (const [cmd, args] of [
    ["mawk", ["-W", "version"]],
    ["awk", ["--version"]],
  ] as const) {
    const r = spawnSync(cmd, [...args], { stdio: ["ignore", "pipe", "pipe"] });
    if (r.error === undefined) return { cmd, version: (r.stdout.toString() || r.stderr.toString()).split("\n")[0]!.trim() || cmd };
  }
  return null;
})();

/** Seconds the line filter takes to count the file's `req` lines, and its count. */
function awkRun(cmd: string, file: string): { seconds: number; count: number } {
  const t0 = performance.now();
  const r = spawnSync(cmd, ["-F", "\t", AWK_PROGRAM, file], { stdio: ["ignore", "pipe", "inherit"], timeout: 600_000 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} exited with ${r.status ?? r.signal}`);
  return { seconds, count: Number(r.stdout.toString().trim()) };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { bytes: { type: "string", default: "1G" }, quick: { type: "boolean", default: false }, child: { type: "boolean", default: false } },
    allowPositionals: true,
  });
  if (values.child) return child(positionals[0]!, positionals[1]!);

  const bytes = parseBytes(values.bytes!);
  const runs = values.quick ? 1 : Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
  const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");
  const benchDir = join(root, "results", "bench", "campaign-ingest");
  mkdirSync(benchDir, { recursive: true });
  const name = `locust-output-${bytes}-v${SHAPE_VERSION}.tsv`;
  const file = join(benchDir, name);
  // Inputs of an older shape are never read again: removed (a gigabyte each).
  for (const old of readdirSync(benchDir)) {
    if (/^locust-output-\d+-v\d+\.tsv$/.test(old) && !old.endsWith(`-v${SHAPE_VERSION}.tsv`)) rmSync(join(benchDir, old), { force: true });
  }
  if (!existsSync(file)) {
    process.stderr.write(`campaign-ingest: synthesising ${(bytes / 1e9).toFixed(2)} GB of Locust master output into ${file}\n`);
    const t0 = performance.now();
    synthesise(file, bytes);
    process.stderr.write(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  } else process.stderr.write(`campaign-ingest: reusing ${file}\n`);
  const size = statSync(file).size;
  const gb = size / 1e9;
  const loadBefore = load();

  const out = join(benchDir, "out");
  const ours: ChildReport[] = [];
  const peer: { seconds: number; count: number }[] = [];
  for (let k = 0; k < runs; k++) {
    // Interleaved: the filter first in odd runs, the ingest first in even ones (page cache alike).
    const steps = [
      () => {
        const r = ingestRun(file, out);
        ours.push(r);
        process.stderr.write(`  run ${k + 1}: ingest ${r.seconds.toFixed(2)} s, peak RSS ${mib(r.maxRssBytes)}\n`);
      },
      () => {
        if (awk === null) return;
        const r = awkRun(awk.cmd, file);
        peer.push(r);
        process.stderr.write(`  run ${k + 1}: ${awk.cmd} ${r.seconds.toFixed(2)} s (${r.count} req lines)\n`);
      },
    ];
    if (k % 2 === 1) steps.reverse();
    for (const step of steps) step();
  }
  const outBytes = statSync(join(out, "requests.arrow")).size + statSync(join(out, "operations.arrow")).size;
  rmSync(out, { recursive: true, force: true });
  const seconds = median(ours.map((r) => r.seconds));
  const rss = median(ours.map((r) => r.maxRssBytes));
  const targetSeconds = TARGET_SECONDS_PER_GB * gb;
  const peerSeconds = peer.length === 0 ? null : median(peer.map((r) => r.seconds));
  const first = ours[0]!;
  const countsAgree = peer.every((p) => p.count === first.requests);
  const verdict = (pass: boolean) => (pass ? "PASS" : "FAIL");
  const passTime = seconds < targetSeconds;
  const passRss = rss < TARGET_RSS_BYTES;

  printTable(`campaign ingest: ${gb.toFixed(2)} GB of Locust master output (${first.requests} requests, ${first.operations} operations, ${WORKERS} workers) in ${benchDir}`, [
    ["ingest: seconds per run", ours.map((r) => r.seconds.toFixed(2)).join(", ")],
    [`ingest: seconds, median of ${runs}`, `${seconds.toFixed(2)} s = ${(size / 1e6 / seconds).toFixed(0)} MB/s, ${(first.requests / seconds / 1e6).toFixed(2)} M requests/s (target < ${targetSeconds.toFixed(1)} s, ${TARGET_SECONDS_PER_GB} s per GB): ${verdict(passTime)}`],
    [`ingest: peak RSS, median of ${runs}`, `${mib(rss)} = ${(rss / 1e6).toFixed(0)} MB (target < ${TARGET_RSS_BYTES / 1e6} MB): ${verdict(passRss)}`],
    [
      "ingest: what it read",
      `${(outBytes / 1e6).toFixed(1)} MB of Arrow (requests.arrow + operations.arrow); ${first.unfinished} unfinished operations, ${first.writes} files written, ${first.workers} workers' totals, end ${first.end}; ${first.malformed} malformed lines`,
    ],
    [
      `peer: ${awk?.cmd ?? "awk"} -F'\\t' '${AWK_PROGRAM}'`,
      awk === null || peerSeconds === null
        ? "not measured: neither mawk nor awk is installed"
        : `${awk.version}: ${peer.map((p) => p.seconds.toFixed(2)).join(", ")} s, median ${peerSeconds.toFixed(2)} s = ${(size / 1e6 / peerSeconds).toFixed(0)} MB/s; counted ${peer[0]!.count} req lines (${countsAgree ? "= the ingest's requests" : "DIFFERS from the ingest's requests"})`,
    ],
    ["ratio ingest / peer (time)", peerSeconds === null ? "n/a" : `${(seconds / peerSeconds).toFixed(2)}  (the ingest takes this many times the filter's time)`],
    ["load average (1, 5, 15 min) before / after", `${loadBefore} / ${load()}`],
  ]);
  if (!passTime || !passRss || !countsAgree) process.exitCode = 1;
}

await main();

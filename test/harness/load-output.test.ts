import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { tableFromIPC, type Table } from "apache-arrow";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { strings } from "../../dashboards/records.js";
import { makePool } from "../../harness/campaigns/files.js";
import { ingestLoadOutput, type IngestResult } from "../../harness/campaigns/load-output.js";
import type { LoadPlan } from "../../harness/campaigns/load-plan.js";
import { freePort, loadPython, startLoad } from "../../harness/campaigns/locust.js";

/**
 * The load engine's output into the run record, on real output: a Locust master and worker
 * (harness/load) reading files from a local server whose every response is known and logged with
 * its arrival time; and on hand-written lines for what the engine cannot be made to do on cue.
 */
const ITERATIONS = 12;
const RATE = 10;
const DELAY_MS = 100;
const BODY_404 = "nope";
const SIZE = 1000;

const tmp = mkdtempSync(join(tmpdir(), "load-output-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const read = (path: string): Table => tableFromIPC(readFileSync(path));
const col = (t: Table, name: string): unknown[] => t.getChild(name)!.toArray() as unknown as unknown[];

interface Served {
  path: string;
  status: number;
  arrivedMs: number;
}

describe("ingest of the real load engine's output", () => {
  let server: Server;
  const served: Served[] = [];
  let output: Buffer;
  let result: IngestResult;
  let wall: { startMs: number; endMs: number };
  let exitCode: number | null;

  beforeAll(async () => {
    const pool = makePool(7, 1, SIZE);
    server = createServer((req, res) => {
      const arrivedMs = performance.timeOrigin + performance.now();
      req.resume();
      req.on("end", () =>
        setTimeout(() => {
          const path = req.url ?? "";
          const ok = path.startsWith("/ok/");
          served.push({ path, status: ok ? 200 : 404, arrivedMs });
          res.writeHead(ok ? 200 : 404, { "content-type": "application/octet-stream" });
          res.end(ok ? pool.payloads[0] : BODY_404);
        }, DELAY_MS),
      );
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const refused = `http://127.0.0.1:${await freePort()}`;
    // Iteration n reads file n % 3 from replica (n + i) % replicas: f0 is served at once; f1's
    // first try is 404 every other time, then its good copy; f2's only replica refuses connections.
    const plan: LoadPlan = {
      allowHosts: ["127.0.0.1"],
      timeoutSeconds: 5,
      prefix: "t",
      endpoints: { tap: null, soda: null, rucio: null, ingest: null, sites: [] },
      rucio: { account: "root", auth: "userpass", scope: "t" },
      poolSeed: 7,
      pool: pool.files,
      reads: [
        { name: "f0", pool: 0, replicas: [{ site: "A", url: `${base}/ok/f0` }] },
        { name: "f1", pool: 0, replicas: [{ site: "A", url: `${base}/missing/f1` }, { site: "B", url: `${base}/ok/f1` }] },
        { name: "f2", pool: 0, replicas: [{ site: "C", url: `${refused}/f2` }] },
      ],
      tap: [],
      catalogueGrows: false,
      soda: [],
      copies: 1,
      ingest: null,
      scenarios: [
        {
          name: "steady__webdav",
          phase: "steady",
          service: "webdav",
          startSeconds: 0,
          durationSeconds: ITERATIONS / RATE,
          gracefulStopSeconds: 5,
          mix: { read: 1 },
          executor: { kind: "constant-arrival-rate", rate: RATE, maxConcurrent: 20 },
        },
      ],
    };
    writeFileSync(join(tmp, "plan.json"), JSON.stringify(plan));
    writeFileSync(join(tmp, "secrets.json"), "{}");
    const python = loadPython();
    wall = { startMs: Date.now(), endMs: 0 };
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const p = yield* startLoad({ python, planFile: join(tmp, "plan.json"), secretsFile: join(tmp, "secrets.json"), workers: 1, logFile: join(tmp, "load.log"), cwd: tmp });
          // The ingest reads the master's stdout as the harness does (a pipe); a copy is kept for the other tests.
          const toIngest = new PassThrough();
          const copy: Buffer[] = [];
          p.master.stdout!.pipe(toIngest);
          p.master.stdout!.on("data", (b: Buffer) => copy.push(b));
          const exited = new Promise<number | null>((ok) => p.master.on("close", (code) => ok(code)));
          result = yield* Effect.promise(() => ingestLoadOutput(toIngest, { dir: join(tmp, "run"), batchRows: 5 }));
          exitCode = yield* Effect.promise(() => exited);
          output = Buffer.concat(copy);
        }),
      ),
    );
    wall.endMs = Date.now();
    if (exitCode !== 0) process.stderr.write(`load.log:\n${readFileSync(join(tmp, "load.log"), "utf8")}\n`);
  }, 90_000);

  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  // The schedule above: 4 reads of f0 (1 request each), 4 of f1 (n = 1, 7 start at the good copy,
  // n = 4, 10 at the missing one: 6 requests), 4 of f2 (1 refused request each).
  const REQUESTS = 4 + 6 + 4;

  it("has one row per request and per operation, all from worker w0", () => {
    expect(exitCode).toBe(0);
    expect(result.end).toEqual({ status: "complete", message: "" });
    expect(result.requestCount).toBe(REQUESTS);
    expect(result.operationCount).toBe(ITERATIONS);
    expect(result.malformedLines).toBe(0);
    const requests = read(join(tmp, "run", "requests.arrow"));
    const operations = read(join(tmp, "run", "operations.arrow"));
    expect(requests.numRows).toBe(REQUESTS);
    expect(operations.numRows).toBe(ITERATIONS);
    expect(requests.schema.fields.map((f) => f.name)).toEqual(["t_seconds", "service", "operation", "phase", "latency_seconds", "status", "ok", "bytes", "worker"]);
    expect(operations.schema.fields.map((f) => f.name)).toEqual(["t_seconds", "service", "operation", "phase", "seconds", "ok", "attempts", "worker"]);
    expect(strings(requests, "service")).toEqual(Array(REQUESTS).fill("webdav"));
    expect(col(requests, "operation")).toEqual(Array(REQUESTS).fill("GET"));
    expect(col(requests, "phase")).toEqual(Array(REQUESTS).fill("steady"));
    expect(col(requests, "worker")).toEqual(Array(REQUESTS).fill("w0"));
    expect(col(operations, "operation")).toEqual(Array(ITERATIONS).fill("read"));
    expect([...(col(operations, "ok") as boolean[])].filter((x) => x).length).toBe(8);
    expect(result.workers).toEqual([expect.objectContaining({ worker: "w0", requests: REQUESTS, errors: 6, iterations: ITERATIONS, dropped: 0 })]);
    // No temporary files left behind.
    expect(readdirSync(join(tmp, "run")).sort()).toEqual(["operations.arrow", "requests.arrow"]);
  });

  it("records what the server did: status, ok, bytes", () => {
    const t = read(join(tmp, "run", "requests.arrow"));
    const status = [...(col(t, "status") as number[])];
    const ok = col(t, "ok");
    const bytes = [...(col(t, "bytes") as number[])];
    const count = (s: number) => status.filter((x) => x === s).length;
    expect(count(200)).toBe(served.filter((s) => s.status === 200).length);
    expect(count(404)).toBe(served.filter((s) => s.status === 404).length);
    expect(count(200)).toBe(8);
    expect(count(404)).toBe(2);
    expect(count(0)).toBe(4);
    status.forEach((s, i) => {
      expect(ok[i]).toBe(s === 200);
      expect(bytes[i]).toBe(s === 200 ? SIZE : s === 404 ? BODY_404.length : 0);
    });
    const mem = result.requests.get("webdav")!;
    expect([...mem.status]).toEqual(status);
    expect([...mem.t]).toEqual([...(col(t, "t_seconds") as number[])]);
    expect([...mem.latency]).toEqual([...(col(t, "latency_seconds") as number[])]);
    expect(result.errorCount).toBe(REQUESTS - count(200));
  });

  it("places requests in time: sent on the arrival schedule, latency includes the server's delay", () => {
    const t = read(join(tmp, "run", "requests.arrow"));
    const ts = [...(col(t, "t_seconds") as number[])];
    const lat = [...(col(t, "latency_seconds") as number[])];
    const status = [...(col(t, "status") as number[])];
    const origin = result.originEpochMs!;
    expect(origin).toBeGreaterThanOrEqual(wall.startMs);
    expect(origin).toBeLessThanOrEqual(wall.endMs);
    for (let i = 0; i < ts.length; i++) {
      expect(ts[i]!).toBeGreaterThanOrEqual(-0.01);
      expect(ts[i]! + lat[i]!).toBeLessThanOrEqual((wall.endMs - origin) / 1000);
      if (status[i] !== 0) expect(lat[i]!).toBeGreaterThanOrEqual(DELAY_MS / 1000);
    }
    expect(result.firstSeconds).toBe(Math.min(...ts));
    expect(result.lastSeconds).toBeCloseTo(Math.max(...ts.map((x, i) => x + lat[i]!)), 9);
    // The sent time is when the server saw the request arrive (not when the response left it,
    // DELAY_MS later); a read's first request goes at its iteration's slot, n / RATE.
    const reached = ts.map((x, i) => ({ x, s: status[i]! })).filter((r) => r.s !== 0).sort((a, b) => a.x - b.x);
    const arrivals = [...served].sort((a, b) => a.arrivedMs - b.arrivedMs);
    expect(reached.length).toBe(arrivals.length);
    reached.forEach((r, k) => {
      const d = arrivals[k]!.arrivedMs - (origin + r.x * 1000);
      expect(d).toBeGreaterThan(-5);
      expect(d).toBeLessThan(DELAY_MS / 2);
    });
    const ops = read(join(tmp, "run", "operations.arrow"));
    const starts = [...(col(ops, "t_seconds") as number[])].sort((a, b) => a - b);
    starts.forEach((x, n) => expect(Math.abs(x - n / RATE)).toBeLessThan(0.05));
  });

  it("gives the same result whatever the chunking of the input", async () => {
    const pieces: Buffer[] = [];
    for (let i = 0; i < output.length; i += 7) pieces.push(output.subarray(i, i + 7));
    const r = await ingestLoadOutput(Readable.from(pieces), { dir: join(tmp, "chunked") });
    expect(r.requestCount).toBe(result.requestCount);
    expect(r.originEpochMs).toBe(result.originEpochMs);
    expect([...r.requests.get("webdav")!.t]).toEqual([...result.requests.get("webdav")!.t]);
    expect(read(join(tmp, "chunked", "requests.arrow")).numRows).toBe(REQUESTS);
  });

  it("skips a cut-off last line and still writes readable files", async () => {
    const text = output.toString();
    const last = text.lastIndexOf("\nreq\t");
    const cut = Buffer.from(text.slice(0, last + 20));
    const r = await ingestLoadOutput(Readable.from([cut]), { dir: join(tmp, "cut"), batchRows: 4 });
    expect(r.malformedLines).toBe(1);
    expect(r.requestCount).toBe(REQUESTS - 1);
    expect(read(join(tmp, "cut", "requests.arrow")).numRows).toBe(REQUESTS - 1);
    expect(r.end).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-written lines in the master's format (harness/load/srcnet_load/wire.py).

const ORIGIN = Date.parse("2026-11-25T04:52:38Z") / 1000 + 0.123456789;
const start = (workers = 1) => `start\t${ORIGIN}\t${workers}`;
function req(t: number, latency: number, service: string, operation: string, status: number, ok: boolean, o: { site?: string; path?: string; pool?: number; worker?: string } = {}): string {
  return ["req", o.worker ?? "w0", ORIGIN + t, service, operation, "steady", latency, status, ok ? 1 : 0, 10, o.site ?? "", o.path ?? "", o.pool ?? -1].join("\t");
}

const ingestLines = (lines: string[], dir: string, batchRows?: number) =>
  ingestLoadOutput(Readable.from([Buffer.from(lines.join("\n") + "\n")]), { dir: join(tmp, dir), ...(batchRows === undefined ? {} : { batchRows }) });

describe("ingest of hand-written lines", () => {
  it("keeps the files written: successful PUTs minus successful DELETEs of the same site and path", async () => {
    const r = await ingestLines(
      [
        start(),
        req(1, 0.005, "webdav", "PUT", 201, true, { path: "/c/f1", site: "UKSRC", pool: 1 }),
        req(1, 0.005, "webdav", "PUT", 201, true, { path: "/c/f2", site: "CHSRC", pool: 2 }),
        req(1, 0.005, "webdav", "PUT", 507, false, { path: "/c/f3", site: "UKSRC", pool: 3 }),
        req(1, 0.005, "webdav", "PUT", 201, true, { site: "UKSRC", pool: 4 }),
        req(1, 0.005, "webdav", "DELETE", 204, true, { path: "/c/f1", site: "UKSRC" }),
        req(1, 0.005, "webdav", "DELETE", 500, false, { path: "/c/f2", site: "CHSRC" }),
        req(1, 0.005, "webdav", "DELETE", 204, true, { path: "/c/f2", site: "AUSSRC" }),
        req(1, 0.005, "webdav", "PUT", 201, true, { path: "/c/f1", site: "CHSRC", pool: 1 }),
        req(1, 0.005, "webdav", "PUT", 201, true, { path: "/c/f5", site: "UKSRC", pool: 5 }),
        req(1, 0.005, "webdav", "DELETE", 204, true, { path: "/c/f5", site: "UKSRC" }),
        req(1, 0.005, "webdav", "PUT", 201, true, { path: "/c/f5", site: "UKSRC", pool: 6 }),
      ],
      "writes",
    );
    expect([...r.writes]).toEqual([
      { site: "CHSRC", path: "/c/f2", pool: 2 },
      { site: "CHSRC", path: "/c/f1", pool: 1 },
      { site: "UKSRC", path: "/c/f5", pool: 6 },
    ]);
    expect(r.requestCount).toBe(11);
  });

  it("keeps sub-millisecond times: rows relative to the origin", async () => {
    let started: number | null = null;
    const r = await ingestLoadOutput(Readable.from([Buffer.from([start(), req(2.000001, 0.1, "tap", "sync-query", 200, true), req(3, 0, "tap", "sync-query", 200, true)].join("\n") + "\n")]), {
      dir: join(tmp, "times"),
      onStart: (ms) => (started = ms),
    });
    expect(started).toBe(r.originEpochMs);
    expect(r.originEpochMs).toBeCloseTo(ORIGIN * 1000, 3);
    const t = r.requests.get("tap")!.t;
    // Epoch seconds near 1.8e9 carry about 2e-7 s of precision.
    expect(t[0]!).toBeCloseTo(2.000001, 6);
    expect(t[1]!).toBeCloseTo(3, 6);
    expect(r.lastSeconds).toBeCloseTo(3, 6);
  });

  it("merges workers: rows of every worker, each worker's totals and dropped iterations", async () => {
    const r = await ingestLines(
      [
        start(2),
        req(0, 0.01, "tap", "q", 200, true, { worker: "w0" }),
        req(0.5, 0.01, "tap", "q", 200, true, { worker: "w1" }),
        req(1, 0.01, "tap", "q", 503, false, { worker: "w1" }),
        "dropped\tw1\tsteady\ttap\t3",
        "worker\tw0\thost-a\t\t1\t0\t1\t0",
        "worker\tw1\thost-b\tn2\t2\t1\t2\t3",
        "end\tcomplete",
      ],
      "workers",
    );
    expect(r.workerCount).toBe(2);
    expect(r.workers).toEqual([
      { worker: "w0", host: "host-a", node: "", requests: 1, errors: 0, iterations: 1, dropped: 0 },
      { worker: "w1", host: "host-b", node: "n2", requests: 2, errors: 1, iterations: 2, dropped: 3 },
    ]);
    expect(r.dropped).toEqual([{ phase: "steady", service: "tap", count: 3 }]);
    expect(col(read(join(tmp, "workers", "requests.arrow")), "worker")).toEqual(["w0", "w1", "w1"]);
    expect(r.end).toEqual({ status: "complete", message: "" });
  });

  it("records services outside the contract's set across batches; an empty input gives both tables with their columns", async () => {
    const services = ["tap", "soda", "webdav", "other", "rucio", "ingest", "other", "another", "tap"];
    const r = await ingestLines([start(), ...services.map((s) => req(1, 0.001, s, "x", 200, true))], "dict", 2);
    expect(r.requestCount).toBe(services.length);
    expect(strings(read(join(tmp, "dict", "requests.arrow")), "service")).toEqual(services);

    const empty = await ingestLoadOutput(Readable.from([]), { dir: join(tmp, "empty") });
    expect(empty.originEpochMs).toBeNull();
    expect(empty.requestCount).toBe(0);
    const e = read(join(tmp, "empty", "requests.arrow"));
    expect(e.numRows).toBe(0);
    expect(e.schema.fields.length).toBe(9);
    expect(read(join(tmp, "empty", "operations.arrow")).schema.fields.length).toBe(8);
  });

  it("keeps the in-memory columns equal to the file over many batches", async () => {
    const n = 5000;
    const lines = [start()];
    for (let i = 0; i < n; i++) lines.push(req(1 + i / 1000, 0.001 * (1 + (i % 7)), i % 3 === 0 ? "tap" : "soda", "q", i % 5 === 0 ? 503 : 200, i % 5 !== 0));
    const r = await ingestLines(lines, "many", 1000);
    const t = read(join(tmp, "many", "requests.arrow"));
    expect(t.numRows).toBe(n);
    expect(t.batches.length).toBe(5);
    const service = strings(t, "service")!;
    const ts = col(t, "t_seconds") as number[];
    for (const svc of ["tap", "soda"]) {
      const mem = r.requests.get(svc)!;
      const rows = service.flatMap((s, i) => (s === svc ? [i] : []));
      expect(mem.length).toBe(rows.length);
      expect([...mem.t]).toEqual(rows.map((i) => ts[i]));
      expect([...mem.ok]).toEqual(rows.map((i) => (i % 5 !== 0 ? 1 : 0)));
    }
  });

  it("counts malformed lines and keeps the rest", async () => {
    const r = await ingestLines(
      [start(), "req\tw0\tgarbage\ttap\tq\tsteady\t0.1\t200\t1\t10\t\t\t-1", "req\tw0\t1", "not a record", "op\tw0\t1\tnope", req(1, 0.001, "soda", "cutout", 200, true)],
      "malformed",
    );
    expect(r.malformedLines).toBe(4);
    expect(r.requestCount).toBe(1);
  });

  it("operations begun and never finished become rows with no duration, not ok, at their start; a finished one is paired with its start", async () => {
    const r = await ingestLines(
      [
        start(),
        `begin\tw0\t0\t${ORIGIN + 0.01}\tingest\tingest\tload`,
        `begin\tw0\t1\t${ORIGIN + 0.02}\tingest\tingest\tload`,
        // The same id on another worker is another operation.
        `begin\tw1\t0\t${ORIGIN + 0.03}\tingest\tingest\tload`,
        `op\tw0\t0\t${ORIGIN + 0.01}\tingest\tingest\tload\t0.2\t1\t3`,
      ],
      "unfinished",
    );
    expect(r.unfinishedOperations).toBe(2);
    expect(r.operationCount).toBe(3);
    const t = read(join(tmp, "unfinished", "operations.arrow"));
    const seconds = t.getChild("seconds")!;
    expect(seconds.nullCount).toBe(2);
    const rows = [0, 1, 2].map((i) => ({ seconds: seconds.get(i) as number | null, ok: t.getChild("ok")!.get(i), attempts: t.getChild("attempts")!.get(i), worker: t.getChild("worker")!.get(i) }));
    expect(rows[0]).toEqual({ seconds: 0.2, ok: true, attempts: 3, worker: "w0" });
    expect(rows.slice(1).map((x) => [x.seconds, x.ok, x.attempts, x.worker]).sort()).toEqual([
      [null, false, 0, "w0"],
      [null, false, 0, "w1"],
    ]);
    const mem = r.operations.get("ingest.ingest")!;
    expect([...mem.seconds].filter((x) => Number.isNaN(x))).toHaveLength(2);
  });
});

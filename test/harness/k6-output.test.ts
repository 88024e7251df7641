import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PassThrough, Readable } from "node:stream";
import { tableFromIPC, type Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestK6Output, type IngestResult } from "../../harness/campaigns/k6-output.js";
import { strings } from "../../dashboards/records.js";

/**
 * The k6 output ingest, on real k6 output: a tiny k6 script using the campaign's record library
 * against a local server whose every response is known (and logged with its arrival time), and
 * on hand-written lines in k6's shape for what k6 cannot be made to do on cue.
 */
const K6 = fileURLToPath(new URL("../../.tools/bin/k6", import.meta.url));
const RECORD_LIB = fileURLToPath(new URL("../../harness/k6/lib/record.ts", import.meta.url));
const haveK6 = existsSync(K6);
if (!haveK6) process.stderr.write(`k6-output: k6 tests skipped: ${K6} is missing (build it with: bash scripts/go-tools.sh k6)\n`);

const ITERATIONS = 12;
const DELAY_MS = 100;
const BODY_OK = 1000;
const BODY_404 = "nope";

const tmp = mkdtempSync(join(tmpdir(), "k6-output-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const read = (path: string): Table => tableFromIPC(readFileSync(path));
const col = (t: Table, name: string): unknown[] => t.getChild(name)!.toArray() as unknown as unknown[];

/** Epoch ms with sub-millisecond resolution, on the same clock k6 stamps its samples with. */
const nowMs = () => performance.timeOrigin + performance.now();

interface Served {
  path: string;
  status: number;
  bytes: number;
  arrivedMs: number;
}

const SCRIPT = `
import http from "k6/http";
import exec from "k6/execution";
import { bodyBytes, markStart, recordOperation, recordRequest } from ${JSON.stringify(RECORD_LIB)};

export const options = {
  scenarios: {
    steady__webdav: { executor: "shared-iterations", vus: 1, iterations: ${ITERATIONS}, maxDuration: "30s", tags: { phase: "steady" } },
  },
};

export function setup() {
  markStart();
}

export default function () {
  const i = exec.scenario.iterationInTest;
  const url = i % 3 === 0 ? __ENV.BASE + "/ok/" + i : i % 3 === 1 ? __ENV.BASE + "/missing/" + i : __ENV.REFUSED + "/refused/" + i;
  const t0 = Date.now();
  const r = http.get(url, { timeout: "5s", tags: { name: "srcnet" } });
  const ms = Date.now() - t0;
  recordRequest("webdav", "GET", r, ms, r.status === 200, bodyBytes(r.body), { path: "/p/" + i, site: "UKSRC", pool: i });
  recordOperation("webdav", "read", ms, r.status === 200, 1);
}
`;


/** A port nothing listens on (bound, then released). */
async function refusedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

describe.skipIf(!haveK6)(`ingest of real k6 output${haveK6 ? "" : " (skipped: k6 binary missing, run bash scripts/go-tools.sh k6)"}`, () => {
  let server: Server;
  const served: Served[] = [];
  let output: Buffer;
  let result: IngestResult;
  let wall: { startMs: number; endMs: number };
  let k6Exit: number | null;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const arrivedMs = nowMs();
      req.resume();
      req.on("end", () =>
        setTimeout(() => {
          const path = req.url ?? "";
          if (path.startsWith("/ok/")) {
            served.push({ path, status: 200, bytes: BODY_OK, arrivedMs });
            res.writeHead(200, { "content-type": "application/octet-stream" });
            res.end(Buffer.alloc(BODY_OK, 7));
          } else {
            served.push({ path, status: 404, bytes: BODY_404.length, arrivedMs });
            res.writeHead(404, { "content-type": "text/plain" });
            res.end(BODY_404);
          }
        }, DELAY_MS),
      );
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const refused = `http://127.0.0.1:${await refusedPort()}`;
    const script = join(tmp, "script.ts");
    writeFileSync(script, SCRIPT);

    const startMs = Date.now();
    const child = spawn(K6, ["run", "-q", "--address", "", "--summary-mode=disabled", "--out", "json=-", "-e", `BASE=${base}`, "-e", `REFUSED=${refused}`, script], {
      cwd: tmp,
      env: { ...process.env, K6_NO_USAGE_REPORT: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    // The ingest reads k6's stdout as the harness does (a pipe); a copy is kept for the other tests.
    const toIngest = new PassThrough();
    const copy: Buffer[] = [];
    child.stdout.pipe(toIngest);
    child.stdout.on("data", (b: Buffer) => copy.push(b));
    const exited = new Promise<number | null>((ok) => child.on("close", (code) => ok(code)));
    result = await ingestK6Output(toIngest, { dir: join(tmp, "run"), batchRows: 5 });
    k6Exit = await exited;
    wall = { startMs, endMs: Date.now() };
    output = Buffer.concat(copy);
    if (k6Exit !== 0) process.stderr.write(`k6 stderr:\n${stderr}\n`);
  }, 60_000);

  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it("has one row per request and per operation", () => {
    expect(k6Exit).toBe(0);
    expect(result.requestCount).toBe(ITERATIONS);
    expect(result.operationCount).toBe(ITERATIONS);
    expect(result.malformedLines).toBe(0);
    const requests = read(join(tmp, "run", "requests.arrow"));
    const operations = read(join(tmp, "run", "operations.arrow"));
    expect(requests.numRows).toBe(ITERATIONS);
    expect(operations.numRows).toBe(ITERATIONS);
    expect(requests.schema.fields.map((f) => f.name)).toEqual(["t_seconds", "service", "operation", "phase", "latency_seconds", "status", "ok", "bytes"]);
    expect(operations.schema.fields.map((f) => f.name)).toEqual(["t_seconds", "service", "operation", "phase", "seconds", "ok", "attempts"]);
    expect(strings(requests, "service")).toEqual(Array(ITERATIONS).fill("webdav"));
    expect(col(requests, "operation")).toEqual(Array(ITERATIONS).fill("GET"));
    expect(col(requests, "phase")).toEqual(Array(ITERATIONS).fill("steady"));
    expect(strings(operations, "service")).toEqual(Array(ITERATIONS).fill("webdav"));
    expect(col(operations, "operation")).toEqual(Array(ITERATIONS).fill("read"));
    expect([...(col(operations, "attempts") as number[])]).toEqual(Array(ITERATIONS).fill(1));
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
    expect(count(0)).toBe(ITERATIONS - served.length);
    expect(count(200)).toBe(ITERATIONS / 3);
    expect(count(0)).toBe(ITERATIONS / 3);
    status.forEach((s, i) => {
      expect(ok[i]).toBe(s === 200);
      expect(bytes[i]).toBe(s === 200 ? BODY_OK : s === 404 ? BODY_404.length : 0);
    });
    // The in-memory columns hold the same rows.
    const mem = result.requests.get("webdav")!;
    expect(mem.length).toBe(ITERATIONS);
    expect([...mem.status]).toEqual(status);
    expect([...mem.t]).toEqual([...(col(t, "t_seconds") as number[])]);
    expect([...mem.latency]).toEqual([...(col(t, "latency_seconds") as number[])]);
    expect(result.errorCount).toBe(ITERATIONS - count(200));
  });

  it("places requests in time: sent time from the origin, latency includes the server's delay", () => {
    const t = read(join(tmp, "run", "requests.arrow"));
    const ts = [...(col(t, "t_seconds") as number[])];
    const lat = [...(col(t, "latency_seconds") as number[])];
    const status = [...(col(t, "status") as number[])];
    // A transport error's latency is the wall time around the call in whole ms (Date.now()).
    const setup = status.map((s) => (s === 0 ? 0.001 : 0));
    const origin = result.originEpochMs!;
    expect(origin).toBeGreaterThanOrEqual(wall.startMs);
    expect(origin).toBeLessThanOrEqual(wall.endMs);
    const wallSeconds = (wall.endMs - origin) / 1000;
    for (let i = 0; i < ts.length; i++) {
      expect(ts[i]! + setup[i]!).toBeGreaterThanOrEqual(0);
      expect(ts[i]! + lat[i]!).toBeLessThanOrEqual(wallSeconds);
      if (status[i] !== 0) expect(lat[i]!).toBeGreaterThanOrEqual(DELAY_MS / 1000);
      // One VU: a request is sent after the previous one ended.
      if (i > 0) expect(ts[i]! + setup[i]!).toBeGreaterThanOrEqual(ts[i - 1]! + lat[i - 1]! - 1e-6);
    }
    expect(result.firstSeconds).toBe(Math.min(...ts));
    expect(result.lastSeconds).toBeCloseTo(Math.max(...ts.map((x, i) => x + lat[i]!)), 9);
    // The sent time is when the server saw the request arrive, not when the response left it
    // (which is DELAY_MS later): matched in order, the requests that reached it.
    const reached = ts.map((x, i) => ({ x: x + setup[i]!, s: status[i]! })).filter((r) => r.s !== 0);
    expect(reached.length).toBe(served.length);
    reached.forEach((r, k) => {
      const sentMs = origin + r.x * 1000;
      expect(served[k]!.status).toBe(r.s);
      expect(served[k]!.arrivedMs - sentMs).toBeGreaterThan(-5);
      expect(served[k]!.arrivedMs - sentMs).toBeLessThan(DELAY_MS / 2);
    });
  });

  it("gives the same result whatever the chunking of the input", async () => {
    const pieces: Buffer[] = [];
    for (let i = 0; i < output.length; i += 7) pieces.push(output.subarray(i, i + 7));
    const r = await ingestK6Output(Readable.from(pieces), { dir: join(tmp, "chunked") });
    expect(r.requestCount).toBe(result.requestCount);
    expect(r.originEpochMs).toBe(result.originEpochMs);
    expect([...r.requests.get("webdav")!.t]).toEqual([...result.requests.get("webdav")!.t]);
    expect(read(join(tmp, "chunked", "requests.arrow")).numRows).toBe(ITERATIONS);
  });

  it("skips a cut-off last line and still writes readable files", async () => {
    const text = output.toString();
    const last = text.lastIndexOf('{"metric":"srcnet_req"');
    const cut = Buffer.from(text.slice(0, last + 60));
    const r = await ingestK6Output(Readable.from([cut]), { dir: join(tmp, "cut"), batchRows: 4 });
    expect(r.malformedLines).toBe(1);
    expect(r.requestCount).toBe(ITERATIONS - 1);
    const t = read(join(tmp, "cut", "requests.arrow"));
    expect(t.numRows).toBe(ITERATIONS - 1);
    expect(read(join(tmp, "cut", "operations.arrow")).numRows).toBe(ITERATIONS - 1);
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-written lines in k6's shape.

const BASE_SEC = Date.parse("2026-11-25T04:52:38Z") / 1000;
/** An RFC 3339 time `s` seconds after BASE_SEC, with a nanosecond fraction as k6 writes it. */
function stamp(s: number, ns: number): string {
  const d = new Date((BASE_SEC + s) * 1000).toISOString().slice(0, 19);
  return ns === 0 ? `${d}Z` : `${d}.${String(ns).padStart(9, "0").replace(/0+$/, "")}Z`;
}

function req(time: string, ms: number, service: string, operation: string, status: number, ok: boolean, meta: Record<string, string> = {}): string {
  const tags = { group: "", ok: ok ? "1" : "0", operation, phase: "steady", scenario: `steady__${service}`, service, status: String(status) };
  return JSON.stringify({ metric: "srcnet_req", type: "Point", data: { time, value: ms, tags, metadata: { bytes: "10", ...meta } } });
}
const start = (time: string) => JSON.stringify({ metric: "srcnet_start", type: "Point", data: { time, value: 1, tags: { group: "::setup" } } });
const builtin = (time: string) =>
  JSON.stringify({ metric: "http_req_duration", type: "Point", data: { time, value: 3, tags: { expected_response: "true", group: "", method: "PUT", name: "srcnet", status: "201" } } });

const ingestLines = (lines: string[], dir: string, batchRows?: number) =>
  ingestK6Output(Readable.from([Buffer.from(lines.join("\n") + "\n")]), { dir: join(tmp, dir), ...(batchRows === undefined ? {} : { batchRows }) });

describe("ingest of hand-written samples", () => {
  it("keeps the files written: successful PUTs minus successful DELETEs of the same site and path", async () => {
    const T = stamp(1, 500);
    const r = await ingestLines(
      [
        start(stamp(0, 0)),
        builtin(T),
        req(T, 5, "webdav", "PUT", 201, true, { path: "/c/f1", site: "UKSRC", pool: "1" }),
        req(T, 5, "webdav", "PUT", 201, true, { path: "/c/f2", site: "CHSRC", pool: "2" }),
        req(T, 5, "webdav", "PUT", 507, false, { path: "/c/f3", site: "UKSRC", pool: "3" }),
        req(T, 5, "webdav", "PUT", 201, true, { site: "UKSRC", pool: "4" }),
        req(T, 5, "webdav", "DELETE", 204, true, { path: "/c/f1", site: "UKSRC" }),
        req(T, 5, "webdav", "DELETE", 500, false, { path: "/c/f2", site: "CHSRC" }),
        req(T, 5, "webdav", "DELETE", 204, true, { path: "/c/f2", site: "AUSSRC" }),
        req(T, 5, "webdav", "PUT", 201, true, { path: "/c/f1", site: "CHSRC", pool: "1" }),
        req(T, 5, "webdav", "PUT", 201, true, { path: "/c/f5", site: "UKSRC", pool: "5" }),
        req(T, 5, "webdav", "DELETE", 204, true, { path: "/c/f5", site: "UKSRC" }),
        req(T, 5, "webdav", "PUT", 201, true, { path: "/c/f5", site: "UKSRC", pool: "6" }),
      ],
      "writes",
    );
    expect(r.writes).toEqual([
      { site: "CHSRC", path: "/c/f2", pool: 2 },
      { site: "CHSRC", path: "/c/f1", pool: 1 },
      { site: "UKSRC", path: "/c/f5", pool: 6 },
    ]);
    expect(r.requestCount).toBe(11);
  });

  it("keeps sub-millisecond times exact and reads time-zone offsets", async () => {
    const r = await ingestLines(
      [
        start(stamp(0, 123_456_789)),
        req(stamp(2, 223_457_790), 100.000_001, "tap", "sync-query", 200, true),
        // The same instant as BASE + 3 s, written in UTC+01:00.
        req(new Date((BASE_SEC + 3 + 3600) * 1000).toISOString().slice(0, 19) + ".123456789+01:00", 0, "tap", "sync-query", 200, true),
        req(stamp(4, 0), 0, "tap", "sync-query", 200, true),
      ],
      "times",
    );
    expect(r.originEpochMs).toBeCloseTo((BASE_SEC + 0.123456789) * 1000, 3);
    const t = r.requests.get("tap")!.t;
    expect(t[0]!).toBeCloseTo(2.000001, 12);
    expect(t[1]!).toBeCloseTo(3, 12);
    expect(t[2]!).toBeCloseTo(4 - 0.123456789, 12);
    expect(r.lastSeconds).toBeCloseTo(4 - 0.123456789, 12);
  });

  it("takes the first sample's sent time as the origin when srcnet_start is missing", async () => {
    let started: number | null = null;
    const r = await ingestK6Output(Readable.from([Buffer.from([req(stamp(10, 500_000_000), 250, "rucio", "add-rule", 201, true), req(stamp(11, 0), 100, "rucio", "add-rule", 201, true)].join("\n") + "\n")]), {
      dir: join(tmp, "no-start"),
      onStart: (ms) => (started = ms),
    });
    expect(started).toBe(r.originEpochMs);
    expect(r.originEpochMs).toBeCloseTo((BASE_SEC + 10.25) * 1000, 3);
    expect([...r.requests.get("rucio")!.t].map((x) => Number(x.toFixed(9)))).toEqual([0, 0.65]);
  });

  // (The table writer itself, dictionary deltas and empty tables included, is tested in test/records.)
  it("records services outside the contract's set across batches; an empty input gives both tables with their columns", async () => {
    const T = stamp(1, 0);
    const services = ["tap", "soda", "webdav", "other", "rucio", "ingest", "other", "another", "tap"];
    const r = await ingestLines([start(stamp(0, 0)), ...services.map((s) => req(T, 1, s, "x", 200, true))], "dict", 2);
    expect(r.requestCount).toBe(services.length);
    const t = read(join(tmp, "dict", "requests.arrow"));
    expect(strings(t, "service")).toEqual(services);

    const empty = await ingestK6Output(Readable.from([]), { dir: join(tmp, "empty") });
    expect(empty.originEpochMs).toBeNull();
    expect(empty.requestCount).toBe(0);
    const e = read(join(tmp, "empty", "requests.arrow"));
    expect(e.numRows).toBe(0);
    expect(e.schema.fields.length).toBe(8);
    expect(read(join(tmp, "empty", "operations.arrow")).schema.fields.length).toBe(7);
  });

  it("keeps the in-memory columns equal to the file over many batches", async () => {
    const n = 5000;
    const lines = [start(stamp(0, 0))];
    for (let i = 0; i < n; i++) lines.push(req(stamp(1 + Math.floor(i / 1000), (i % 1000) * 1_000_000 + 17), 1 + (i % 7), i % 3 === 0 ? "tap" : "soda", "q", i % 5 === 0 ? 503 : 200, i % 5 !== 0));
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
      expect(mem.t.length).toBe(rows.length);
      expect([...mem.t]).toEqual(rows.map((i) => ts[i]));
      expect([...mem.ok]).toEqual(rows.map((i) => (i % 5 !== 0 ? 1 : 0)));
    }
  });

  it("counts malformed campaign lines and ignores everything else", async () => {
    const r = await ingestLines(
      [
        start(stamp(0, 0)),
        '{"metric":"srcnet_req","type":"Point","data":{"time":"garbage","value":1}}',
        '{"metric":"srcnet_req","type":"Poi',
        "not json at all",
        '{"type":"Metric","data":{"name":"srcnet_req","type":"trend"},"metric":"srcnet_req"}',
        req(stamp(1, 0), 1, "soda", "cutout", 200, true),
      ],
      "malformed",
    );
    expect(r.malformedLines).toBe(2);
    expect(r.requestCount).toBe(1);
  });
});

/**
 * An operation k6 stops before it finishes (the end of the load comes during its polls) has no
 * sample of its own; its start, announced with beginOperation, makes it an unfinished row.
 */
const UNFINISHED_SCRIPT = `
import exec from "k6/execution";
import { sleep } from "k6";
import { beginOperation, markStart, recordOperation } from ${JSON.stringify(RECORD_LIB)};

export const options = {
  scenarios: {
    load__ingest: { executor: "per-vu-iterations", vus: 2, iterations: 1, maxDuration: "2s", gracefulStop: "0s", tags: { phase: "load" } },
  },
};

export function setup() {
  markStart();
}

export default function () {
  const id = beginOperation("ingest", "ingest");
  // VU 1 finishes in 0.2 s; VU 2 is still "polling" when the scenario ends at 2 s.
  sleep(exec.vu.idInTest === 1 ? 0.2 : 10);
  recordOperation("ingest", "ingest", 200, true, 3, { id });
}
`;

describe.skipIf(!haveK6)("operations k6 stops before they finish", () => {
  it("become rows with no duration, not ok, at their start; the finished one is paired with its start", async () => {
    const script = join(tmp, "unfinished.ts");
    writeFileSync(script, UNFINISHED_SCRIPT);
    const startMs = Date.now();
    const child = spawn(K6, ["run", "-q", "--address", "", "--summary-mode=disabled", "--out", "json=-", script], {
      cwd: tmp,
      env: { ...process.env, K6_NO_USAGE_REPORT: "true" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const r = await ingestK6Output(child.stdout, { dir: join(tmp, "unfinished") });
    await new Promise((ok) => child.on("close", ok));
    const wallSeconds = (Date.now() - startMs) / 1000;
    expect(r.unfinishedOperations).toBe(1);
    expect(r.operationCount).toBe(2);
    const t = read(join(tmp, "unfinished", "operations.arrow"));
    const seconds = t.getChild("seconds")!;
    const rows = [0, 1].map((i) => ({ seconds: seconds.get(i) as number | null, ok: t.getChild("ok")!.get(i), attempts: t.getChild("attempts")!.get(i), t: t.getChild("t_seconds")!.get(i) as number, phase: t.getChild("phase")!.get(i) }));
    const done = rows.find((x) => x.seconds !== null)!;
    const cut = rows.find((x) => x.seconds === null)!;
    expect(done).toMatchObject({ seconds: 0.2, ok: true, attempts: 3, phase: "load" });
    expect(cut).toMatchObject({ ok: false, attempts: 0, phase: "load" });
    expect(seconds.nullCount).toBe(1);
    // Both began right after setup, i.e. near the origin, well before k6 stopped the second at 2 s.
    for (const x of rows) expect(x.t).toBeGreaterThanOrEqual(-0.05);
    expect(cut.t).toBeLessThan(1);
    expect(wallSeconds).toBeLessThan(9);
    // In memory as in the file: the unfinished row's duration is NaN, and it is not ok.
    const mem = r.operations.get("ingest.ingest")!;
    expect(mem.length).toBe(2);
    expect([...mem.seconds].filter((x) => Number.isNaN(x))).toHaveLength(1);
    expect([...mem.ok].sort()).toEqual([0, 1]);
  }, 60_000);
});

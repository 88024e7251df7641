/**
 * Campaign ingest throughput: k6's JSON output to the run record's Arrow tables
 * (harness/campaigns/k6-output.ts). Target: 1 GB of output in < 30 s with peak RSS < 500 MB.
 *
 * - The input is synthesised in k6's exact shape (per request the built-in Point lines k6 writes,
 *   one `srcnet_req` with metadata, per iteration its `srcnet_op` and iteration lines; the first
 *   sample of each metric preceded by its Metric line), over the five services, four phases and
 *   a few VUs interleaved. It is kept in results/bench/campaign-ingest/ and reused while its size
 *   parameter and shape version are the same.
 * - Each run ingests the file in a child process reading it as a stream, so the peak RSS printed
 *   is the ingest's own (`process.resourceUsage().maxRSS` of the child); median of 3 runs (1 with
 *   --quick).
 * - Peer measured in the same run on the same file: jq, the standard streaming JSON filter,
 *   selecting the same samples (`jq -c 'select(.metric == "srcnet_req")' FILE > /dev/null`).
 *
 * Usage: tsx bench/campaign-ingest.ts [--bytes 1G] [--quick]
 */
import { spawnSync } from "node:child_process";
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeFully } from "../records/output.js";
import { ingestK6Output } from "../harness/campaigns/k6-output.js";
import { median, mib, printTable } from "./report.js";

const TARGET_SECONDS_PER_GB = 30;
const TARGET_RSS_BYTES = 500e6;
/** Bump when the synthesised lines change, so that an old file is not reused. */
const SHAPE_VERSION = 1;

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
  malformed: number;
}

async function child(file: string, dir: string): Promise<void> {
  const t0 = performance.now();
  const r = await ingestK6Output(createReadStream(file), { dir });
  const seconds = (performance.now() - t0) / 1000;
  const report: ChildReport = {
    seconds,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    requests: r.requestCount,
    operations: r.operationCount,
    malformed: r.malformedLines,
  };
  process.stdout.write(JSON.stringify(report) + "\n");
}

// ---------------------------------------------------------------------------------------------
// The input, in k6 v1.8's shape (copied from a real run of `k6 run --out json=-`).

const METRIC_DEFS: Record<string, string> = {
  http_reqs: '{"name":"http_reqs","type":"counter","contains":"default","thresholds":[],"submetrics":null}',
  http_req_duration:
    '{"name":"http_req_duration","type":"trend","contains":"time","thresholds":[],"submetrics":[{"name":"http_req_duration{expected_response:true}","suffix":"expected_response:true","tags":{"expected_response":"true"}}]}',
  http_req_blocked: '{"name":"http_req_blocked","type":"trend","contains":"time","thresholds":[],"submetrics":null}',
  http_req_connecting: '{"name":"http_req_connecting","type":"trend","contains":"time","thresholds":[],"submetrics":null}',
  http_req_tls_handshaking: '{"name":"http_req_tls_handshaking","type":"trend","contains":"time","thresholds":[],"submetrics":null}',
  http_req_sending: '{"name":"http_req_sending","type":"trend","contains":"time","thresholds":[],"submetrics":null}',
  http_req_waiting: '{"name":"http_req_waiting","type":"trend","contains":"time","thresholds":[],"submetrics":null}',
  http_req_receiving: '{"name":"http_req_receiving","type":"trend","contains":"time","thresholds":[],"submetrics":null}',
  http_req_failed: '{"name":"http_req_failed","type":"rate","contains":"default","thresholds":[],"submetrics":null}',
  srcnet_start: '{"name":"srcnet_start","type":"counter","contains":"default","thresholds":[],"submetrics":null}',
  srcnet_req: '{"name":"srcnet_req","type":"trend","contains":"time","thresholds":[],"submetrics":null}',
  srcnet_op: '{"name":"srcnet_op","type":"trend","contains":"time","thresholds":[],"submetrics":null}',
  data_sent: '{"name":"data_sent","type":"counter","contains":"data","thresholds":[],"submetrics":null}',
  data_received: '{"name":"data_received","type":"counter","contains":"data","thresholds":[],"submetrics":null}',
  iteration_duration: '{"name":"iteration_duration","type":"trend","contains":"time","thresholds":[],"submetrics":null}',
  iterations: '{"name":"iterations","type":"counter","contains":"default","thresholds":[],"submetrics":null}',
};

interface Op {
  service: string;
  operation: string;
  method: string;
  op: string;
  weight: number;
}
const OPS: Op[] = [
  { service: "tap", operation: "sync-query", method: "GET", op: "query", weight: 30 },
  { service: "tap", operation: "async-query", method: "POST", op: "query", weight: 5 },
  { service: "soda", operation: "cutout", method: "GET", op: "cutout", weight: 20 },
  { service: "webdav", operation: "GET", method: "GET", op: "read", weight: 25 },
  { service: "webdav", operation: "PUT", method: "PUT", op: "upload", weight: 8 },
  { service: "webdav", operation: "DELETE", method: "DELETE", op: "cleanup", weight: 2 },
  { service: "rucio", operation: "add-rule", method: "POST", op: "replicate", weight: 5 },
  { service: "ingest", operation: "ingest", method: "POST", op: "ingest", weight: 5 },
];
const PHASES = ["warm-up", "steady", "fault", "recovery"];
const SITES = ["UKSRC", "CHSRC", "AUSSRC", "SPSRC", "CNSRC"];

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

/** k6's time format: RFC 3339 in UTC, nanoseconds with trailing zeros dropped. */
class Clock {
  private sec = 0;
  private prefix = "";
  constructor(private epochNs: bigint) {}
  advance(ns: number): void {
    this.epochNs += BigInt(Math.max(1, Math.round(ns)));
  }
  at(offsetNs = 0): string {
    const ns = this.epochNs + BigInt(Math.round(offsetNs));
    const sec = Number(ns / 1_000_000_000n);
    const frac = Number(ns % 1_000_000_000n);
    if (sec !== this.sec || this.prefix === "") {
      this.sec = sec;
      this.prefix = new Date(sec * 1000).toISOString().slice(0, 19);
    }
    if (frac === 0) return `${this.prefix}Z`;
    return `${this.prefix}.${String(frac).padStart(9, "0").replace(/0+$/, "")}Z`;
  }
}

const ms = (x: number) => String(Math.round(x * 1e6) / 1e6);

function synthesise(path: string, bytes: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  const rand = rng(bytes % 2147483647);
  const clock = new Clock(BigInt(Date.parse("2026-11-25T04:52:38Z")) * 1_000_000n + 795_189_150n);
  const defined = new Set<string>();
  let buf = "";
  let written = 0;
  const flush = () => {
    const b = Buffer.from(buf);
    writeFully(fd, b);
    written += b.length;
    buf = "";
  };
  const point = (metric: string, time: string, value: string, tags: string, metadata = "") => {
    if (!defined.has(metric)) {
      defined.add(metric);
      buf += `{"type":"Metric","data":${METRIC_DEFS[metric]},"metric":"${metric}"}\n`;
    }
    buf += `{"metric":"${metric}","type":"Point","data":{"time":"${time}","value":${value},"tags":${tags}${metadata}}}\n`;
  };
  const totalWeight = OPS.reduce((s, o) => s + o.weight, 0);
  const pick = (): Op => {
    let x = rand() * totalWeight;
    for (const o of OPS) if ((x -= o.weight) < 0) return o;
    return OPS[0]!;
  };

  point("srcnet_start", clock.at(), "1", '{"group":"::setup"}');
  let k = 0;
  while (written + buf.length < bytes) {
    const o = pick();
    const phase = PHASES[Math.floor(k / 20000) % PHASES.length]!;
    const scenario = `${phase}__${o.service}`;
    const r = rand();
    const status = r < 0.01 ? 0 : r < 0.03 ? 503 : r < 0.05 ? 404 : o.method === "PUT" ? 201 : o.method === "DELETE" ? 204 : 200;
    const ok = status >= 200 && status < 300;
    const newConn = rand() < 0.05;
    const connecting = newConn ? 0.3 + rand() * 2 : 0;
    const blocked = newConn ? connecting + 0.05 : 0.002 + rand() * 0.01;
    const sending = 0.02 + rand() * 0.1;
    const waiting = status === 0 ? 0 : 5 + rand() * 200;
    const receiving = status === 0 ? 0 : 0.05 + rand() * 3;
    const duration = sending + waiting + receiving;
    // A few VUs: samples of different requests interleave at sub-millisecond steps.
    clock.advance(2e5 + rand() * 2e6);
    const end = clock.at();
    const expected = ok ? "true" : "false";
    const errorCode = status === 0 ? ',"error_code":"1212"' : "";
    const tags = `{"expected_response":"${expected}"${errorCode},"group":"","method":"${o.method}","name":"srcnet","phase":"${phase}","proto":"HTTP/1.1","scenario":"${scenario}","status":"${status}","url":"srcnet"}`;
    point("http_reqs", end, "1", tags);
    point("http_req_duration", end, ms(duration), tags);
    point("http_req_blocked", end, ms(blocked), tags);
    point("http_req_connecting", end, ms(connecting), tags);
    point("http_req_tls_handshaking", end, "0", tags);
    point("http_req_sending", end, ms(sending), tags);
    point("http_req_waiting", end, ms(waiting), tags);
    point("http_req_receiving", end, ms(receiving), tags);
    point("http_req_failed", end, ok ? "0" : "1", tags);
    const payload = o.method === "GET" || o.method === "PUT" ? Math.floor(rand() * 4_000_000) : Math.floor(rand() * 4000);
    const reqTags = `{"group":"","ok":"${ok ? "1" : "0"}","operation":"${o.operation}","phase":"${phase}","scenario":"${scenario}","service":"${o.service}","status":"${status}"}`;
    const meta =
      o.service === "webdav"
        ? `,"metadata":{"bytes":"${payload}","path":"/srcnet-bench/run1/f${k % 5000}","site":"${SITES[k % SITES.length]}","pool":"${k % 64}"}`
        : `,"metadata":{"bytes":"${payload}"}`;
    const latency = blocked + connecting + sending + waiting + receiving;
    point("srcnet_req", clock.at(2e5), ms(latency), reqTags, meta);
    const iterTags = `{"group":"","phase":"${phase}","scenario":"${scenario}"}`;
    const opEnd = clock.at(3e5);
    point("srcnet_op", opEnd, ms(latency + 0.2), `{"group":"","ok":"${ok ? "1" : "0"}","operation":"${o.op}","phase":"${phase}","scenario":"${scenario}","service":"${o.service}"}`, `,"metadata":{"attempts":"1"}`);
    point("data_sent", opEnd, String(150 + (o.method === "PUT" ? payload : 0)), iterTags);
    point("data_received", opEnd, String(300 + (o.method === "GET" ? payload : 0)), iterTags);
    point("iteration_duration", opEnd, ms(latency + 0.5), iterTags);
    point("iterations", opEnd, "1", iterTags);
    k++;
    if (buf.length > 1 << 22) flush();
  }
  flush();
  closeSync(fd);
  renameSync(tmp, path);
}

// ---------------------------------------------------------------------------------------------

function ingestRun(file: string, dir: string): ChildReport {
  rmSync(dir, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [...process.execArgv, self, "--child", file, dir], { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`ingest child exited with ${r.status ?? r.signal}`);
  return JSON.parse(r.stdout.toString().trim().split("\n").pop()!) as ChildReport;
}

const jqVersion = (() => {
  const r = spawnSync("jq", ["--version"], { stdio: ["ignore", "pipe", "ignore"] });
  return r.status === 0 ? r.stdout.toString().trim() : null;
})();

/** Seconds jq takes to filter the file's srcnet_req samples (output discarded). */
function jqRun(file: string): number {
  const devNull = openSync("/dev/null", "w");
  try {
    const t0 = performance.now();
    const r = spawnSync("jq", ["-c", 'select(.metric == "srcnet_req")', file], { stdio: ["ignore", devNull, "inherit"] });
    if (r.status !== 0) throw new Error(`jq exited with ${r.status ?? r.signal}`);
    return (performance.now() - t0) / 1000;
  } finally {
    closeSync(devNull);
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { bytes: { type: "string", default: "1G" }, quick: { type: "boolean", default: false }, child: { type: "boolean", default: false } },
    allowPositionals: true,
  });
  if (values.child) return child(positionals[0]!, positionals[1]!);

  const bytes = parseBytes(values.bytes!);
  const runs = values.quick ? 1 : 3;
  const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");
  const benchDir = join(root, "results", "bench", "campaign-ingest");
  mkdirSync(benchDir, { recursive: true });
  const file = join(benchDir, `k6-output-${bytes}-v${SHAPE_VERSION}.json`);
  if (!existsSync(file)) {
    process.stderr.write(`campaign-ingest: synthesising ${(bytes / 1e9).toFixed(2)} GB of k6 output into ${file}\n`);
    const t0 = performance.now();
    synthesise(file, bytes);
    process.stderr.write(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  } else process.stderr.write(`campaign-ingest: reusing ${file}\n`);
  const size = statSync(file).size;
  const gb = size / 1e9;
  const loadBefore = load();

  const out = join(benchDir, "out");
  const ours = Array.from({ length: runs }, (_, k) => {
    const r = ingestRun(file, out);
    process.stderr.write(`  ingest run ${k + 1}: ${r.seconds.toFixed(2)} s, peak RSS ${mib(r.maxRssBytes)}\n`);
    return r;
  });
  const outBytes = statSync(join(out, "requests.arrow")).size + statSync(join(out, "operations.arrow")).size;
  rmSync(out, { recursive: true, force: true });
  const seconds = median(ours.map((r) => r.seconds));
  const rss = median(ours.map((r) => r.maxRssBytes));
  const targetSeconds = TARGET_SECONDS_PER_GB * gb;

  const peer =
    jqVersion === null
      ? null
      : Array.from({ length: runs }, (_, k) => {
          const s = jqRun(file);
          process.stderr.write(`  jq run ${k + 1}: ${s.toFixed(2)} s\n`);
          return s;
        });
  const peerSeconds = peer === null ? null : median(peer);
  const verdict = (pass: boolean) => (pass ? "PASS" : "FAIL");
  const passTime = seconds < targetSeconds;
  const passRss = rss < TARGET_RSS_BYTES;

  printTable(`campaign ingest: ${gb.toFixed(2)} GB of k6 JSON output (${ours[0]!.requests} requests, ${ours[0]!.operations} operations) in ${benchDir}`, [
    ["ingest: seconds per run", ours.map((r) => r.seconds.toFixed(2)).join(", ")],
    [`ingest: seconds, median of ${runs}`, `${seconds.toFixed(2)} s = ${(size / 1e6 / seconds).toFixed(0)} MB/s (target < ${targetSeconds.toFixed(1)} s, ${TARGET_SECONDS_PER_GB} s per GB): ${verdict(passTime)}`],
    [`ingest: peak RSS, median of ${runs}`, `${mib(rss)} = ${(rss / 1e6).toFixed(0)} MB (target < ${TARGET_RSS_BYTES / 1e6} MB): ${verdict(passRss)}`],
    ["ingest: Arrow written", `${(outBytes / 1e6).toFixed(1)} MB (requests.arrow + operations.arrow); ${ours[0]!.malformed} malformed lines`],
    [
      "peer: jq -c 'select(.metric == \"srcnet_req\")'",
      peer === null || peerSeconds === null
        ? "not measured: jq is not installed (bash scripts/setup.sh --bench installs it)"
        : `${jqVersion}: ${peer.map((s) => s.toFixed(2)).join(", ")} s, median ${peerSeconds.toFixed(2)} s = ${(size / 1e6 / peerSeconds).toFixed(0)} MB/s`,
    ],
    ["ratio peer / ours (time)", peerSeconds === null ? "n/a" : `${(peerSeconds / seconds).toFixed(1)}x`],
    ["load average (1, 5, 15 min) before / after", `${loadBefore} / ${load()}`],
  ]);
  if (!passTime || !passRss) process.exitCode = 1;
}

await main();

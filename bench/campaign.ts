/**
 * The harness must not be the bottleneck of its own load engine. Plain HTTP GETs of one 1 KiB
 * file from one of the stack's XRootD storage endpoints (a container on this machine), for 1 and 2
 * Locust workers, measured in the same run:
 *
 * - the harness: `testbed campaign run` end to end against the endpoint as a config target, with
 *   `--workers N`: one phase of BENCH_CONNECTIONS constant VUs reading the file (the campaign's
 *   read operation with its size and MD5 check, every request a row streamed by the workers
 *   through the Locust master into the run record). Its rate is the GETs in requests.arrow over
 *   the load's duration (first sent to last answered).
 * - the named peer: a bare Locust loop (bench/peers/bare_locust.py) with the same number of
 *   workers: `locust --headless --master --expect-workers N` plus N `locust --worker` processes,
 *   BENCH_CONNECTIONS FastHttpUsers whose task is a bare `self.client.get(url)`, for
 *   BENCH_SECONDS. Master plus workers for N = 1 as well (not one plain process): the harness
 *   runs a master and N workers for every N, so the peer has the same processes and the ratio
 *   charges the harness only for what it adds (plan, executors, content check, the rows). Its
 *   rate is from Locust's own stats (`--json-file`): requests over last request - first.
 * - reference: `wrk` (BENCH_CONNECTIONS connections, 2 threads) on the same URL for BENCH_SECONDS:
 *   the ceiling of a C event loop on this machine, which no Python load engine reaches.
 *
 * BENCH_RUNS (default 3) interleaved rounds (in each: wrk, then for each worker count the peer
 * and the harness, their order alternating from one round to the next); medians and the ratios
 * harness / bare Locust (target >= 0.9 per worker count) and harness / wrk. Everything shares the
 * machine's cores with XRootD, as it would in CI. Every load is bounded in time: wrk and Locust by
 * their own duration, each process also by a deadline after which it is ended by its PID.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { Effect } from "effect";
import { ensureBase, ensureImage } from "../harness/docker/images.js";
import { LABEL_ROLE, LABEL_STACK, removeStack } from "../harness/docker/labels.js";
import { freePort, loadPython } from "../harness/campaigns/locust.js";
import { SITE_HTTP_PORT } from "../harness/stack/plan.js";
import { REQUEST_COLUMNS } from "../records/campaign-record.js";
import { median, printTable } from "./report.js";

process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";

const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const seconds = Math.max(2, Number(process.env.BENCH_SECONDS ?? 10));
const connections = Math.max(1, Number(process.env.BENCH_CONNECTIONS ?? 16));
const WORKER_COUNTS = [1, 2] as const;
const FILE_BYTES = 1024;
/** harness / bare Locust, per worker count. */
const TARGET = 0.9;
const STACK = "bench-campaign";
const root = join(import.meta.dirname, "..");
const LOCUSTFILE = join(root, "bench", "peers", "bare_locust.py");
const log = (l: string) => process.stderr.write(`bench: ${l}\n`);
const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");

// ---------------------------------------------------------------------------------------------
// Processes, each with a deadline.

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  timedOut: boolean;
}

/**
 * Runs a command to its end, stdout collected, stderr to `logFile` (or inherited). At `deadlineMs`
 * it gets `signal`, and SIGKILL 20 s later if it is still running: ended by its own PID only.
 */
function run(cmd: string, args: string[], o: { deadlineMs: number; signal?: NodeJS.Signals; logFile?: string; env?: NodeJS.ProcessEnv; cwd?: string }): { child: ReturnType<typeof spawn>; done: Promise<Ended> } {
  const err = o.logFile === undefined ? "inherit" : openSync(o.logFile, "a");
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", err], env: o.env ?? process.env, cwd: o.cwd ?? root });
  if (typeof err === "number") closeSync(err);
  const chunks: Buffer[] = [];
  child.stdout!.on("data", (b: Buffer) => chunks.push(b));
  let timedOut = false;
  let kill: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill(o.signal ?? "SIGTERM");
    kill = setTimeout(() => child.kill("SIGKILL"), 20_000);
  }, o.deadlineMs);
  const done = new Promise<Ended>((resolve, reject) => {
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (kill !== undefined) clearTimeout(kill);
      resolve({ code, signal, stdout: Buffer.concat(chunks).toString("utf8"), timedOut });
    });
  });
  return { child, done };
}

const tail = (file: string, lines = 15) => {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
};

// ---------------------------------------------------------------------------------------------
// The three measurements.

async function wrk(url: string): Promise<number> {
  const r = await run("wrk", ["-t2", `-c${connections}`, `-d${seconds}s`, url], { deadlineMs: (seconds + 30) * 1000 }).done;
  if (r.code !== 0) throw new Error(`wrk exited with ${r.code ?? r.signal}${r.timedOut ? " (past its deadline)" : ""}:\n${r.stdout}`);
  const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(r.stdout);
  if (m === null) throw new Error(`wrk printed no rate:\n${r.stdout}`);
  if (non2xx !== null) throw new Error(`wrk saw ${non2xx[1]} failed responses`);
  return Number(m[1]);
}

interface LocustEntry {
  name: string;
  method: string;
  num_requests: number;
  num_failures: number;
  start_time: number;
  last_request_timestamp: number | null;
}

/** The bare Locust loop: a headless master and `workers` worker processes; requests per second. */
async function bareLocust(dir: string, tag: string, locust: string, url: string, workers: number): Promise<number> {
  const port = await freePort();
  const logFile = join(dir, `${tag}.log`);
  const jsonFile = join(dir, tag);
  const env = { ...process.env, BARE_LOCUST_URL: url, PYTHONUNBUFFERED: "1" };
  const common = ["-f", LOCUSTFILE, "--loglevel", "WARNING"];
  const master = run(
    locust,
    [
      ...common,
      "--headless",
      "--master",
      "--master-bind-host", "127.0.0.1",
      "--master-bind-port", String(port),
      "--expect-workers", String(workers),
      "--expect-workers-max-wait", "60",
      "-u", String(connections),
      "-r", String(connections),
      "-t", `${seconds}s`,
      "--stop-timeout", "2",
      "--only-summary",
      "--json-file", jsonFile,
    ],
    { deadlineMs: (seconds + 120) * 1000, signal: "SIGINT", logFile, env },
  );
  const ws = Array.from({ length: workers }, () =>
    run(locust, [...common, "--worker", "--master-host", "127.0.0.1", "--master-port", String(port)], { deadlineMs: (seconds + 150) * 1000, logFile, env }),
  );
  try {
    const m = await master.done;
    // The master tells its workers to quit as it ends; one that has not within 20 s is ended.
    const grace = setTimeout(() => ws.forEach((w) => w.child.kill("SIGTERM")), 20_000);
    const wEnded = await Promise.all(ws.map((w) => w.done)).finally(() => clearTimeout(grace));
    if (m.code !== 0) throw new Error(`bare Locust master exited with ${m.code ?? m.signal}${m.timedOut ? " (past its deadline)" : ""}:\n${tail(logFile)}`);
    if (wEnded.some((w) => w.timedOut)) log(`bare Locust: a worker outlived its master and was ended (${tag})`);
  } finally {
    // Should they still run (the master failed), each ends by its PID.
    for (const p of [master, ...ws]) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  }
  const entries = JSON.parse(readFileSync(`${jsonFile}.json`, "utf8")) as LocustEntry[];
  const e = entries.find((x) => x.method === "GET");
  if (e === undefined || e.last_request_timestamp === null) throw new Error(`bare Locust recorded no GET:\n${tail(logFile)}`);
  if (e.num_failures > 0) throw new Error(`bare Locust saw ${e.num_failures} failed GETs of ${e.num_requests}:\n${tail(logFile)}`);
  return e.num_requests / (e.last_request_timestamp - e.start_time);
}

/** `testbed campaign run` end to end: GETs in requests.arrow over first sent to last answered. */
async function harness(dir: string, tag: string, targetFile: string, campaignFile: string, workers: number): Promise<number> {
  const out = join(dir, tag);
  const logFile = join(dir, `${tag}.log`);
  const args = [join(root, "bin", "testbed.mjs"), "campaign", "run", campaignFile, "--target", targetFile, "--workers", String(workers), "--out", out, "--no-progress"];
  // SIGINT at the deadline: the CLI stops the load and writes what ran, as on Ctrl-C.
  const r = await run(process.execPath, args, { deadlineMs: (seconds + 300) * 1000, signal: "SIGINT", logFile }).done;
  if (r.code !== 0) throw new Error(`campaign run exited with ${r.code ?? r.signal}${r.timedOut ? " (past its deadline)" : ""}:\n${tail(logFile)}\n${r.stdout}`);
  const C = REQUEST_COLUMNS;
  const t = tableFromIPC(readFileSync(join(out, "requests.arrow")));
  const time = t.getChild(C.time)!;
  const latency = t.getChild(C.latency)!;
  const operation = t.getChild(C.operation)!;
  const ok = t.getChild(C.ok)!;
  let gets = 0;
  let failed = 0;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < t.numRows; i++) {
    if (operation.get(i) !== "GET") continue;
    gets++;
    if (ok.get(i) !== true) failed++;
    const s = time.get(i) as number;
    first = Math.min(first, s);
    last = Math.max(last, s + (latency.get(i) as number));
  }
  if (gets === 0) throw new Error(`the harness recorded no GET:\n${tail(logFile)}`);
  if (failed > 0) throw new Error(`the harness saw ${failed} failed GETs of ${gets}`);
  const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { load?: { end?: string; malformedLines?: number } };
  if (summary.load?.end !== "complete") throw new Error(`the harness's load ended ${summary.load?.end ?? "without an end line"}`);
  rmSync(out, { recursive: true, force: true });
  return gets / (last - first);
}

// ---------------------------------------------------------------------------------------------

const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(", ");

async function main(): Promise<void> {
  const image = await Effect.runPromise(Effect.flatMap(ensureBase(log), (base) => ensureImage("xrootd", base.tag, log)));
  const python = loadPython();
  const locust = join(dirname(python), "locust");
  const { GenericContainer, Wait } = await import("testcontainers");
  await Effect.runPromise(removeStack(STACK));
  const dir = mkdtempSync(join(tmpdir(), "bench-campaign-"));
  try {
    const c = await new GenericContainer(image.tag)
      .withName(`srcnet-${STACK}-storage`)
      .withLabels({ [LABEL_STACK]: STACK, [LABEL_ROLE]: "storage-bench" })
      .withEnvironment({ SITE: "BENCH" })
      .withTmpFs({ "/srv/storage": "rw,size=64m" })
      .withExposedPorts(SITE_HTTP_PORT)
      .withWaitStrategy(Wait.forLogMessage("srcnet-xrootd: ready"))
      .start();
    const base = `http://127.0.0.1:${c.getMappedPort(SITE_HTTP_PORT)}`;
    // The harness places its own file under /campaign/<prefix>/seed/; wrk and the bare loop read one of the same size.
    const url = `${base}/bench/file.bin`;
    // The port mapping may answer a moment after the server's "ready" line: a few tries, bounded.
    let put: Response | null = null;
    for (let attempt = 1; put === null; attempt++) {
      try {
        put = await fetch(url, { method: "PUT", body: new Uint8Array(FILE_BYTES).fill(7) });
      } catch (e) {
        if (attempt >= 10) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    if (![200, 201, 204].includes(put.status)) throw new Error(`PUT: HTTP ${put.status}`);
    const targetFile = join(dir, "target.yaml");
    writeFileSync(targetFile, `name: one XRootD storage endpoint\nallowHosts: [127.0.0.1]\nsites: [{ name: BENCH, webdav: '${base}' }]\n`);
    const campaignFile = join(dir, "gets.yaml");
    writeFileSync(
      campaignFile,
      [
        "name: bench-gets",
        `files: { count: 1, size: ${FILE_BYTES}, seeded: 1 }`,
        "copies: 1",
        "phases:",
        `  - { name: gets, duration: ${seconds} s, load: { webdav: { executor: constant-vus, vus: ${connections}, mix: { read: 1 } } } }`,
        "",
      ].join("\n"),
    );
    const locustVersion = (await run(locust, ["--version"], { deadlineMs: 60_000 }).done).stdout.trim().split(" ").slice(0, 2).join(" ");
    const wrkVersion = ((await run("wrk", ["-v"], { deadlineMs: 10_000 }).done).stdout || "").split("\n")[0]?.trim().split(" ").slice(0, 2).join(" ");
    const loadBefore = load();
    log(`${runs} rounds of ${seconds} s loads, ${connections} connections, ${FILE_BYTES}-byte file, ${WORKER_COUNTS.join(" and ")} workers; load average ${loadBefore}`);
    const peak: number[] = [];
    const ours = new Map<number, number[]>(WORKER_COUNTS.map((n) => [n, []]));
    const bare = new Map<number, number[]>(WORKER_COUNTS.map((n) => [n, []]));
    for (let i = 0; i < runs; i++) {
      peak.push(await wrk(url));
      const line = [`wrk ${peak[i]!.toFixed(0)}/s`];
      for (const n of WORKER_COUNTS) {
        const peer = async () => bare.get(n)!.push(await bareLocust(dir, `bare-${n}w-${i}`, locust, url, n));
        const it = async () => ours.get(n)!.push(await harness(dir, `harness-${n}w-${i}`, targetFile, campaignFile, n));
        // Alternate which goes first, so neither always follows wrk's or the other's load.
        if (i % 2 === 0) {
          await peer();
          await it();
        } else {
          await it();
          await peer();
        }
        line.push(`${n} worker(s): bare Locust ${bare.get(n)![i]!.toFixed(0)}/s, harness ${ours.get(n)![i]!.toFixed(0)}/s`);
      }
      log(`round ${i + 1}: ${line.join("; ")}`);
    }
    const wrkMedian = median(peak);
    const rows: [string, string][] = [[`reference: wrk -t2 -c${connections}`, `${wrkMedian.toFixed(0)} requests/s  (runs: ${fmt(peak)}; ${wrkVersion})`]];
    for (const n of WORKER_COUNTS) {
      const h = median(ours.get(n)!);
      const b = median(bare.get(n)!);
      const ratio = h / b;
      rows.push(
        [`${n} worker(s): peer: bare Locust (master + ${n})`, `${b.toFixed(0)} requests/s  (runs: ${fmt(bare.get(n)!)}; ${locustVersion}, FastHttpUser)`],
        [`${n} worker(s): harness: campaign run`, `${h.toFixed(0)} requests/s  (runs: ${fmt(ours.get(n)!)}; read + MD5 check, rows into the record)`],
        [`${n} worker(s): ratio harness / bare Locust`, `${ratio.toFixed(2)}  (target >= ${TARGET}: ${ratio >= TARGET ? "PASS" : "FAIL"})`],
        [`${n} worker(s): harness / wrk`, `${(h / wrkMedian).toFixed(2)}  (bare Locust / wrk ${(b / wrkMedian).toFixed(2)})`],
      );
    }
    rows.push(["load average (1, 5, 15 min) before / after", `${loadBefore} / ${load()}`]);
    printTable(`WebDAV GETs of a ${FILE_BYTES}-byte file, ${connections} connections, ${seconds} s loads (median of ${runs} interleaved rounds)`, rows);
  } finally {
    await Effect.runPromise(removeStack(STACK));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

/**
 * The harness must not be the bottleneck. Plain WebDAV GETs of one small file from one of the
 * stack's nginx WebDAV endpoints (a container on this machine), side by side:
 *
 * - peer: `wrk` (BENCH_CONNECTIONS connections, 2 threads) for BENCH_SECONDS;
 * - the harness: `testbed campaign run` end to end against the same endpoint as a config target,
 *   one phase of BENCH_CONNECTIONS constant VUs reading the file (k6, the campaign's own read
 *   operation with its MD5 check, k6's JSON streamed into the run record). Its rate is the GETs
 *   in requests.arrow over the load's duration.
 *
 * - reference: k6 alone, the same VUs in a bare `http.get` loop with no output: the ceiling of
 *   the load engine itself on this machine, which no k6-based harness can pass.
 *
 * BENCH_RUNS (default 3) alternating runs of each; medians and their ratio (target >= 0.7).
 * Both share the machine's cores with nginx, as they would in CI.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Effect } from "effect";
import { ensureBase, ensureImage } from "../harness/docker/images.js";
import { LABEL_ROLE, LABEL_STACK, removeStack } from "../harness/docker/labels.js";
import { median, printTable } from "./report.js";

process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";

const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const seconds = Math.max(2, Number(process.env.BENCH_SECONDS ?? 10));
const connections = Math.max(1, Number(process.env.BENCH_CONNECTIONS ?? 16));
const FILE_BYTES = 1024;
const TARGET = 0.7;
const STACK = "bench-campaign";
const root = join(import.meta.dirname, "..");
const log = (l: string) => process.stderr.write(`bench: ${l}\n`);

function wrk(url: string): number {
  const out = execFileSync("wrk", ["-t2", `-c${connections}`, `-d${seconds}s`, url], { encoding: "utf8" });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  if (m === null) throw new Error(`wrk printed no rate:\n${out}`);
  if (non2xx !== null) throw new Error(`wrk saw ${non2xx[1]} failed responses`);
  return Number(m[1]);
}

function k6Alone(dir: string, url: string): number {
  const script = join(dir, "plain.js");
  writeFileSync(script, `import http from "k6/http";\nexport const options = { vus: ${connections}, duration: "${seconds}s" };\nexport default function () { http.get(${JSON.stringify(url)}, { tags: { name: "bench" } }); }\n`);
  const out = execFileSync(join(root, ".tools", "bin", "k6"), ["run", "-q", "--summary-mode=compact", "--no-usage-report", script], { encoding: "utf8", env: { ...process.env, K6_NO_USAGE_REPORT: "true" } });
  const m = /http_reqs\.*:\s+\d+\s+([\d.]+)\/s/.exec(out);
  if (m === null) throw new Error(`k6 printed no rate:\n${out}`);
  return Number(m[1]);
}

function harness(dir: string, i: number, targetFile: string, campaignFile: string): number {
  const out = join(dir, `run-${i}`);
  const r = spawnSync(process.execPath, [join(root, "bin", "testbed.mjs"), "campaign", "run", campaignFile, "--target", targetFile, "--out", out, "--no-progress"], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`campaign run failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  const s = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { services: { webdav: { requests: number; errors: number } }; durationSeconds: number };
  if (s.services.webdav.errors > 0) throw new Error(`the harness saw ${s.services.webdav.errors} failed GETs`);
  return s.services.webdav.requests / s.durationSeconds;
}

async function main(): Promise<void> {
  const image = await Effect.runPromise(Effect.flatMap(ensureBase(log), (base) => ensureImage("webdav", base.tag, log)));
  const { GenericContainer, Wait } = await import("testcontainers");
  await Effect.runPromise(removeStack(STACK));
  const dir = mkdtempSync(join(tmpdir(), "bench-campaign-"));
  try {
    const c = await new GenericContainer(image.tag)
      .withName(`srcnet-${STACK}-webdav`)
      .withLabels({ [LABEL_STACK]: STACK, [LABEL_ROLE]: "webdav-bench" })
      .withEnvironment({ SITE: "BENCH" })
      .withTmpFs({ "/srv/storage": "rw,size=64m" })
      .withExposedPorts(80)
      .withWaitStrategy(Wait.forLogMessage("srcnet-webdav: ready"))
      .start();
    const base = `http://127.0.0.1:${c.getMappedPort(80)}`;
    // The harness places its own file under /campaign/<prefix>/seed/; wrk reads one of the same size.
    const put = await fetch(`${base}/bench/file.bin`, { method: "PUT", body: new Uint8Array(FILE_BYTES).fill(7) });
    if (put.status !== 201 && put.status !== 204) throw new Error(`PUT: HTTP ${put.status}`);
    const targetFile = join(dir, "target.yaml");
    writeFileSync(targetFile, `name: one nginx WebDAV endpoint\nallowHosts: [127.0.0.1]\nsites: [{ name: BENCH, webdav: '${base}' }]\n`);
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
    const k6Version = execFileSync(join(root, ".tools", "bin", "k6"), ["version"], { encoding: "utf8" }).trim().split("\n")[0];
    const wrkVersion = (spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout || "").split("\n")[0]?.trim();
    log(`${runs} runs of ${seconds} s each, ${connections} connections, ${FILE_BYTES}-byte file; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    const peer: number[] = [];
    const ours: number[] = [];
    const engine: number[] = [];
    for (let i = 0; i < runs; i++) {
      peer.push(wrk(`${base}/bench/file.bin`));
      ours.push(harness(dir, i, targetFile, campaignFile));
      engine.push(k6Alone(dir, `${base}/bench/file.bin`));
      log(`run ${i + 1}: wrk ${peer[i]!.toFixed(0)}/s, harness ${ours[i]!.toFixed(0)}/s, k6 alone ${engine[i]!.toFixed(0)}/s`);
    }
    const ratio = median(ours) / median(peer);
    printTable(`WebDAV GETs of a ${FILE_BYTES}-byte file, ${connections} connections, ${seconds} s (median of ${runs})`, [
      ["peer: wrk", `${median(peer).toFixed(0)} requests/s  (runs: ${peer.map((x) => x.toFixed(0)).join(", ")}; ${wrkVersion})`],
      ["harness: campaign run (k6 + ingest)", `${median(ours).toFixed(0)} requests/s  (runs: ${ours.map((x) => x.toFixed(0)).join(", ")}; ${k6Version})`],
      ["reference: k6 alone (bare GET loop)", `${median(engine).toFixed(0)} requests/s  (runs: ${engine.map((x) => x.toFixed(0)).join(", ")}); k6 alone / wrk ${(median(engine) / median(peer)).toFixed(2)}`],
      ["harness / k6 alone", (median(ours) / median(engine)).toFixed(2)],
      ["ratio harness / wrk", `${ratio.toFixed(2)}  (target >= ${TARGET}: ${ratio >= TARGET ? "PASS" : "FAIL"})`],
      ["load average", loadavg().map((x) => x.toFixed(2)).join(" ")],
    ]);
  } finally {
    await Effect.runPromise(removeStack(STACK));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

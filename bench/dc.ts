/**
 * Data-challenge benchmark: the dc-srcnet-0.1 preset (SRCNet 0.1's 24-hour challenge, 1 M file
 * transfers) beside a named peer, the srcnet-0.1 preset (its four weeks of products, replication
 * and tape), each run in its own
 * process (so that peak memory is the run's own), interleaved BENCH_RUNS times (default 3).
 * Prints medians of wall time and peak RSS against the targets (< 10 s, < 1 GB) and the ratio of
 * the two runs' event rates.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadScenario } from "../scenarios/load.js";
import { runSrcnet } from "../sim/srcnet/run.js";
import { median, mib, peakRss, printTable } from "./report.js";

interface One {
  wallSeconds: number;
  peakRssBytes: number;
  events: number;
  transfers: number;
}

const PEER = "srcnet-0.1";
const PRESET = "dc-srcnet-0.1";

if (process.argv[2] === "--one") {
  const sc = loadScenario(process.argv[3]!);
  const run = runSrcnet(sc);
  const one: One = { wallSeconds: run.wallSeconds, peakRssBytes: peakRss(), events: run.events, transfers: run.summary.transfers.completed };
  process.stdout.write(`${JSON.stringify(one)}\n`);
} else {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const self = fileURLToPath(import.meta.url);
  const one = (preset: string): One => {
    const out = execFileSync(process.execPath, ["--import", "tsx", self, "--one", preset], { stdio: ["ignore", "pipe", "inherit"] }).toString();
    return JSON.parse(out.trim().split("\n").pop()!) as One;
  };
  const dc: One[] = [];
  const peer: One[] = [];
  for (let i = 0; i < runs; i++) {
    dc.push(one(PRESET));
    peer.push(one(PEER));
    process.stderr.write(`  run ${i + 1}/${runs}: ${PRESET} ${dc[i]!.wallSeconds.toFixed(2)} s, ${PEER} ${peer[i]!.wallSeconds.toFixed(2)} s\n`);
  }
  const m = (xs: One[], k: keyof One) => median(xs.map((x) => x[k]));
  const rate = (xs: One[]) => median(xs.map((x) => x.events / x.wallSeconds));
  const perTransfer = (xs: One[]) => median(xs.map((x) => (x.wallSeconds / x.transfers) * 1e6));
  printTable(`${PRESET}: one simulated day (medians of ${runs} interleaved runs)`, [
    ["wall time", `${m(dc, "wallSeconds").toFixed(2)} s (target < 10 s)`],
    ["peak RSS", `${mib(m(dc, "peakRssBytes"))} (target < 1024 MiB)`],
    ["events", `${m(dc, "events")} (${(rate(dc) / 1e6).toFixed(2)} M events/s)`],
    ["transfers", `${m(dc, "transfers")} completed`],
    [`peer: ${PEER}, 4 weeks`, `${m(peer, "wallSeconds").toFixed(2)} s, ${mib(m(peer, "peakRssBytes"))}, ${m(peer, "events")} events, ${m(peer, "transfers")} transfers`],
    ["event rate vs peer", `${(rate(dc) / rate(peer)).toFixed(2)}x (${(rate(dc) / 1e6).toFixed(2)} vs ${(rate(peer) / 1e6).toFixed(2)} M events/s)`],
    ["wall per transfer vs peer", `${(perTransfer(dc) / perTransfer(peer)).toFixed(2)}x (${perTransfer(dc).toFixed(2)} vs ${perTransfer(peer).toFixed(2)} us)`],
  ]);
}

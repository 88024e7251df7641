/**
 * Network benchmark: 10,000 flows over a 20-site, 4-region WAN (60 links) with a ramping
 * arrival rate, so that 100 to 2,000 flows are in flight, on our network and on SimGrid 3.32
 * (a C++ driver, bench/peers/simgrid_flows.cpp) with the same model: CM02 latency-weighted
 * sharing, TCP-gamma window cap. Prints both wall times (median of 3, simulation only), the
 * ratio, peak memory, and how closely the completion times agree. Target: ratio <= 1.0.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RandomStreams, Simulation } from "../sim/kernel/index.js";
import { Network } from "../sim/network/index.js";
import { median, mib, peakRss, printTable, runPeer } from "./report.js";

const FLOWS = Number(process.env.BENCH_FLOWS ?? 10_000);
const RUNS = 3;
const GAMMA = 4 * 2 ** 20; // bytes

interface Workload {
  links: { bandwidth: number; latency: number }[]; // bytes/s, s
  routes: Map<string, number[]>; // "src,dst" -> links
  flows: { start: number; bytes: number; src: number; dst: number }[];
}

function workload(seed: number): Workload {
  const r = new RandomStreams(seed).stream("workload");
  const links: Workload["links"] = [];
  const add = (gbps: number, latency: number) => links.push({ bandwidth: (gbps * 1e9) / 8, latency }) - 1;
  const sites = 20;
  const region = (s: number) => s % 4;
  const up = Array.from({ length: sites }, () => add(10, 0.001));
  const down = Array.from({ length: sites }, () => add(10, 0.001));
  const rUp = Array.from({ length: 4 }, () => add(40, 0.005));
  const rDown = Array.from({ length: 4 }, () => add(40, 0.005));
  const regionLatency = [
    [0, 0.02, 0.08, 0.15],
    [0.02, 0, 0.07, 0.14],
    [0.08, 0.07, 0, 0.1],
    [0.15, 0.14, 0.1, 0],
  ];
  const backbone = new Map<string, number>();
  for (let a = 0; a < 4; a++)
    for (let b = 0; b < 4; b++) if (a !== b) backbone.set(`${a},${b}`, add(a + b === 3 ? 20 : 100, regionLatency[a]![b]!));
  const routes = new Map<string, number[]>();
  for (let s = 0; s < sites; s++)
    for (let d = 0; d < sites; d++) {
      if (s === d) continue;
      const [a, b] = [region(s), region(d)];
      routes.set(`${s},${d}`, a === b ? [up[s]!, down[d]!] : [up[s]!, rUp[a]!, backbone.get(`${a},${b}`)!, rDown[b]!, down[d]!]);
    }
  // Arrival rate ramps from 100/s to 1,100/s; sizes log-normal, median 20 MB.
  const flows: Workload["flows"] = [];
  let t = 0;
  for (let i = 0; i < FLOWS; i++) {
    const rate = 100 + (1000 * i) / FLOWS;
    t += r.exponential(rate);
    const src = r.integer(sites);
    let dst = r.integer(sites - 1);
    if (dst >= src) dst++;
    flows.push({ start: t, bytes: Math.max(1, Math.round(r.lognormal(Math.log(20e6), 1))), src, dst });
  }
  return { links, routes, flows };
}

function runOurs(w: Workload) {
  const sim = new Simulation();
  const net = new Network(sim, { sharing: "latency-weighted" });
  const ids = w.links.map((l) => net.addLink({ bandwidthBitsPerSecond: l.bandwidth * 8, latencySeconds: l.latency }));
  const routes = new Map([...w.routes].map(([k, v]) => [k, v.map((l) => ids[l]!)]));
  const done = new Float64Array(w.flows.length);
  const inFlight: number[] = [];
  let next = 0;
  const start = () => {
    const i = next++;
    const f = w.flows[i]!;
    inFlight.push(net.liveFlows);
    net.startFlow({ route: routes.get(`${f.src},${f.dst}`)!, bytes: f.bytes, windowBytes: GAMMA, onComplete: () => (done[i] = sim.now) });
    if (next < w.flows.length) sim.scheduleAt(w.flows[next]!.start, start);
  };
  sim.scheduleAt(w.flows[0]!.start, start);
  const t0 = performance.now();
  sim.run();
  return { wall: (performance.now() - t0) / 1000, done, inFlight, end: sim.now };
}

function peerInput(w: Workload): string {
  const lines = [`gamma ${GAMMA}`, "hosts 20", `links ${w.links.length}`];
  for (const l of w.links) lines.push(`${l.bandwidth} ${l.latency}`);
  lines.push(`routes ${w.routes.size}`);
  for (const [k, v] of w.routes) lines.push(`${k.replace(",", " ")} ${v.length} ${v.join(" ")}`);
  lines.push(`flows ${w.flows.length}`);
  for (const f of w.flows) lines.push(`${f.start} ${f.bytes} ${f.src} ${f.dst}`);
  return lines.join("\n") + "\n";
}

const w = workload(2027);
const dir = mkdtempSync(join(tmpdir(), "bench-network-"));
try {
  const peerBin = join(import.meta.dirname, "..", ".tools", "bin", "simgrid-flows");
  writeFileSync(join(dir, "in.txt"), peerInput(w));
  const simgridVersion = execFileSync("/usr/bin/python3", ["-c", "import simgrid; print(simgrid.simgrid_version)"]).toString().trim();
  process.stderr.write(`network: ${w.flows.length} flows, ${w.links.length} links: ${RUNS} runs here and in SimGrid ${simgridVersion}\n`);
  const ours = Array.from({ length: RUNS }, () => runOurs(w));
  type Peer = { wallSeconds: number; maxRssBytes: number; simulatedSeconds: number };
  const peer = Array.from({ length: RUNS }, () => runPeer<Peer>(peerBin, [join(dir, "in.txt"), join(dir, "out.txt")]));
  const theirs = readFileSync(join(dir, "out.txt"), "utf8").trim().split("\n").map(Number);
  let worst = 0;
  ours[0]!.done.forEach((t, i) => (worst = Math.max(worst, Math.abs(t - theirs[i]!) / theirs[i]!)));
  const inFlight = [...ours[0]!.inFlight].sort((a, b) => a - b);
  const q = (p: number) => inFlight[Math.floor(p * (inFlight.length - 1))]!;
  const oursWall = median(ours.map((r) => r.wall));
  const peerWall = median(peer.map((r) => r.wallSeconds));
  printTable(`${w.flows.length} flows over ${w.links.length} links (latency-weighted, window ${GAMMA} B)`, [
    ["flows in flight at arrivals", `p10 ${q(0.1)}, median ${q(0.5)}, p90 ${q(0.9)}, max ${q(1)}`],
    ["testbed network", `${oursWall.toFixed(3)} s median of ${RUNS}, peak RSS ${mib(peakRss())}`],
    [`SimGrid ${simgridVersion} (C++)`, `${peerWall.toFixed(3)} s median of ${RUNS}, peak RSS ${mib(Math.max(...peer.map((r) => r.maxRssBytes)))}`],
    ["wall-time ratio (ours/SimGrid)", `${(oursWall / peerWall).toFixed(3)} (target <= 1.0)`],
    ["completion times vs SimGrid", `max relative difference ${worst.toExponential(2)}; simulated end ${ours[0]!.end.toFixed(3)} s vs ${peer[0]!.simulatedSeconds.toFixed(3)} s`],
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

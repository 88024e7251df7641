/**
 * Kernel benchmark: an M/M/1 queue with 1,000,000 customers (lambda 0.9, mu 1) on our kernel
 * and on SimPy, the same model in each. Prints both wall times (median of several runs), the
 * ratio, our events/s and peak memory. Targets: >= 50x SimPy, >= 5 M events/s.
 */
import { join } from "node:path";
import { Resource, Simulation } from "../sim/kernel/index.js";
import { median, mib, peakRss, printTable, runPeer } from "./report.js";

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 1_000_000);
const LAMBDA = 0.9;
const MU = 1;
const RUNS_OURS = 7;
const RUNS_PEER = 3;

function mm1(seed: number) {
  const sim = new Simulation({ seed });
  const arrivals = sim.random.stream("arrivals");
  const service = sim.random.stream("service");
  const server = new Resource(sim, 1);
  let arrived = 0;
  let sojourn = 0;
  const depart = (t0: number) => {
    sojourn += sim.now - t0;
    server.release();
  };
  const serve = (t0: number) => sim.schedule(service.exponential(MU), depart, t0);
  const arrive = () => {
    server.acquire(serve, sim.now);
    if (++arrived < CUSTOMERS) sim.schedule(arrivals.exponential(LAMBDA), arrive);
  };
  sim.schedule(arrivals.exponential(LAMBDA), arrive);
  const t0 = performance.now();
  sim.run();
  const wall = (performance.now() - t0) / 1000;
  return { wall, events: sim.eventsProcessed, meanSojourn: sojourn / CUSTOMERS };
}

const python = join(import.meta.dirname, "..", ".tools", "venv-simpy-4.1.1", "bin", "python");
const peerScript = join(import.meta.dirname, "peers", "mm1_simpy.py");
type Peer = { simpyVersion: string; wallSeconds: number; meanSojourn: number; maxRssBytes: number };

process.stderr.write(`kernel: M/M/1, ${CUSTOMERS} customers: ${RUNS_OURS} runs here, ${RUNS_PEER} in SimPy\n`);
const ours = Array.from({ length: RUNS_OURS }, (_, i) => mm1(i + 1));
const peer = Array.from({ length: RUNS_PEER }, (_, i) =>
  runPeer<Peer>(python, [peerScript, String(CUSTOMERS), String(LAMBDA), String(MU), String(i + 1)]),
);
const oursWall = median(ours.map((r) => r.wall));
const peerWall = median(peer.map((r) => r.wallSeconds));
const eventsPerSecond = median(ours.map((r) => r.events / r.wall));
const expected = 1 / (MU - LAMBDA);
printTable(`M/M/1, ${CUSTOMERS} customers (analytic mean sojourn ${expected})`, [
  ["testbed kernel", `${oursWall.toFixed(3)} s median of ${RUNS_OURS}, ${(eventsPerSecond / 1e6).toFixed(2)} M events/s, mean sojourn ${median(ours.map((r) => r.meanSojourn)).toFixed(3)}, peak RSS ${mib(peakRss())}`],
  [`SimPy ${peer[0]!.simpyVersion}`, `${peerWall.toFixed(3)} s median of ${RUNS_PEER}, mean sojourn ${median(peer.map((r) => r.meanSojourn)).toFixed(3)}, peak RSS ${mib(Math.max(...peer.map((r) => r.maxRssBytes)))}`],
  ["speed-up vs SimPy", `${(peerWall / oursWall).toFixed(1)}x (target >= 50x)`],
  ["events/s", `${(eventsPerSecond / 1e6).toFixed(2)} M (target >= 5 M)`],
]);

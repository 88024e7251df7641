/**
 * SRCNet model benchmark: one simulated year of the sv-2027 preset (14 PB/week) at product
 * granularity. Prints wall time, events/s, transfers and peak RSS. Target: < 60 s and < 2 GB
 * on one core (the simulation is single-threaded).
 */
import { loadScenario } from "../scenarios/load.js";
import { runSrcnet } from "../sim/srcnet/run.js";
import { mib, peakRss, printTable } from "./report.js";

const sc = loadScenario(process.env.BENCH_SCENARIO ?? "sv-2027");
sc.durationSeconds = Math.max(sc.durationSeconds, 365 * 86_400);
process.stderr.write(`srcnet: ${sc.name}, ${(sc.durationSeconds / 86_400).toFixed(0)} simulated days\n`);
let lastPrint = 0;
const run = runSrcnet(sc, (t) => {
  if (t - lastPrint >= 30 * 86_400) {
    lastPrint = t;
    process.stderr.write(`  day ${(t / 86_400).toFixed(0)}: ${(performance.now() / 1000).toFixed(0)} s\n`);
  }
});
const s = run.summary;
printTable(`${sc.name}: one simulated year at product granularity`, [
  ["wall time", `${run.wallSeconds.toFixed(1)} s (target < 60 s)`],
  ["peak RSS", `${mib(peakRss())} (target < 2048 MiB)`],
  ["events", `${run.events} (${(run.events / run.wallSeconds / 1e6).toFixed(2)} M events/s)`],
  ["products", `${s.products.created} created, ${s.products.fullyReplicated} with all copies`],
  ["transfers", `${s.transfers.completed} completed`],
  ["volume ingested", `${(s.volume.ingestedBytes / 1e15).toFixed(1)} PB`],
]);

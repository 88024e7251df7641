import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { SrcnetSummary } from "../sim/srcnet/run.js";
import { UsageError } from "../errors/index.js";
import { progress, type Progress } from "./progress.js";

/** The README's main job: the preset `npm start` simulates. */
export const DEFAULT_SCENARIO = "sv-2026";

const stamp = () => new Date().toISOString().replace(/[:.]/g, "-");
const collect = (value: string, previous: string[]) => [...previous, value];

function parseSeed(text: string | undefined, option: string): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${option}: expected an integer >= 0, found "${text}"`);
  return n;
}

function newDir(dir: string, option: string): string {
  if (existsSync(dir)) throw new UsageError(`${option}: ${dir} already exists; choose a new directory`);
  return dir;
}

const days = (s: number) => `${(s / 86_400).toFixed(1)} d`;
const pb = (b: number) => `${(b / 1e15).toFixed(2)} PB`;

function headline(s: SrcnetSummary): string {
  const lag = s.replicationLagSeconds;
  const full = Object.entries(s.sites)
    .filter(([, v]) => v.diskFullOn !== null)
    .map(([k, v]) => `${k} ${v.diskFullOn!.slice(0, 10)}`);
  const rec = s.faults.filter((f) => f.timeToRecoverySeconds !== null).map((f) => `${f.target} ${days(f.timeToRecoverySeconds!)}`);
  return [
    `${s.scenario}: ${pb(s.volume.ingestedBytes)} ingested in ${days(s.simulatedSeconds)}, ${s.products.created} products`,
    lag ? `replication lag p50 ${(lag.p50 / 3600).toFixed(2)} h, p95 ${(lag.p95 / 3600).toFixed(2)} h, max ${(lag.max / 3600).toFixed(2)} h` : "no product fully replicated",
    `under-replicated peak ${pb(s.underReplicatedBytes.peak)}; backlog at end ${pb(s.volume.backlogBytes)}; lost ${pb(s.volume.lostBytes)}`,
    `disk full: ${full.length > 0 ? full.join(", ") : "none"}`,
    ...(rec.length > 0 ? [`recovery: ${rec.join(", ")}`] : []),
  ].join("\n");
}

export function registerSim(program: Command): void {
  const sim = program.command("sim").description("simulate SRCNet scenarios");
  sim
    .command("run")
    .description("simulate a scenario (preset name or YAML file) and write a run record")
    .argument("[scenario]", "preset name or scenario file", DEFAULT_SCENARIO)
    .option("--set <path=value>", "override a scenario value (repeatable)", collect, [])
    .option("--seed <n>", "random seed (overrides the scenario's)")
    .option("--out <dir>", "run directory to create (default: results/sim-<scenario>-<time>)")
    .option("--no-progress", "do not show progress on stderr")
    .action(async (scenario: string, opts: { set: string[]; seed?: string; out?: string; progress: boolean }) => {
      const seed = parseSeed(opts.seed, "--seed");
      const out = newDir(opts.out ?? join("results", `sim-${scenario.replace(/[^\w.-]+/g, "_")}-${stamp()}`), "--out");
      // Heavy modules load only when a command runs, so that --help and errors answer at once.
      const { runPoint } = await import("../sim/srcnet/point.js");
      // The bar is made at the first report, when the run's length is known.
      const ui: { bar: Progress | null } = { bar: null };
      try {
        const r = runPoint({ scenario, set: opts.set, seed, out }, (t, total) => {
          ui.bar ??= progress(total, "simulated days", 86_400, opts.progress);
          ui.bar.update(t);
        });
        ui.bar?.stop();
        process.stdout.write(`${headline(r.summary)}\n${r.events} events in ${r.wallSeconds.toFixed(1)} s\nrun record: ${out}\n`);
      } finally {
        ui.bar?.stop();
      }
    });

  sim
    .command("sweep")
    .description("run a scenario over varied parameters and seeds, in parallel; one run record per point and a sweep table")
    .argument("<scenario>", "preset name or scenario file")
    .option("--vary <key=v1,v2,...>", "a parameter and its values (repeatable: the cross product is swept)", collect, [])
    .option("--seeds <n>", "seeds per combination (1, 2, ... n)", "1")
    .option("--set <path=value>", "fixed override for every point (repeatable)", collect, [])
    .option("--parallel <n>", "worker threads (default: one per core)")
    .option("--out <dir>", "sweep directory to create (default: results/sweep-<scenario>-<time>)")
    .option("--no-progress", "do not show progress on stderr")
    .action(async (scenario: string, opts: { vary: string[]; seeds: string; set: string[]; parallel?: string; out?: string; progress: boolean }) => {
      const vary = opts.vary.map((v) => {
        const eq = v.indexOf("=");
        if (eq <= 0 || eq === v.length - 1) throw new UsageError(`--vary: expected key=v1,v2,..., found "${v}"`);
        return { key: v.slice(0, eq), values: v.slice(eq + 1).split(",").map((x) => x.trim()) };
      });
      const nSeeds = Number(opts.seeds);
      if (!Number.isInteger(nSeeds) || nSeeds < 1) throw new UsageError(`--seeds: expected an integer >= 1, found "${opts.seeds}"`);
      const parallel = opts.parallel === undefined ? undefined : Number(opts.parallel);
      if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1)) {
        throw new UsageError(`--parallel: expected an integer >= 1, found "${opts.parallel}"`);
      }
      const outDir = newDir(opts.out ?? join("results", `sweep-${scenario.replace(/[^\w.-]+/g, "_")}-${stamp()}`), "--out");
      const { runSweep, sweepPoints } = await import("../sim/srcnet/sweep.js");
      const { tableFromArrays, tableToIPC } = await import("apache-arrow");
      const points = sweepPoints({ scenario, set: opts.set, vary, seeds: Array.from({ length: nSeeds }, (_, i) => i + 1), outDir });
      // Validate every point before starting any: a typo in a value fails at once with exit code 2.
      const { loadScenario } = await import("../scenarios/load.js");
      for (const p of points) loadScenario(p.scenario, { set: p.set });
      mkdirSync(outDir, { recursive: true });
      const bar = progress(points.length, `points`, 1, opts.progress);
      const results = await runSweep(points, { ...(parallel !== undefined ? { parallel } : {}), onProgress: (f) => bar.update(f * points.length) });
      bar.stop();
      const rows = points.map((p, i) => {
        const r = results[i]!;
        const s = "summary" in r ? r.summary : null;
        const recov = s?.faults.map((f) => f.timeToRecoverySeconds ?? NaN) ?? [];
        const fullDates = s ? Object.values(s.sites).flatMap((v) => (v.diskFullOn ? [Date.parse(v.diskFullOn)] : [])) : [];
        return {
          point: i,
          ...p.values,
          seed: p.seed!,
          status: "error" in r ? `failed: ${r.error}` : "complete",
          replicationLagP50Seconds: s?.replicationLagSeconds?.p50 ?? NaN,
          replicationLagP95Seconds: s?.replicationLagSeconds?.p95 ?? NaN,
          replicationLagMaxSeconds: s?.replicationLagSeconds?.max ?? NaN,
          underReplicatedPeakBytes: s?.underReplicatedBytes.peak ?? NaN,
          backlogBytes: s?.volume.backlogBytes ?? NaN,
          lostBytes: s?.volume.lostBytes ?? NaN,
          maxRecoverySeconds: recov.length > 0 ? Math.max(...recov) : NaN,
          firstDiskFull: fullDates.length > 0 ? new Date(Math.min(...fullDates)).toISOString() : "",
          jobWaitP95Seconds: s?.jobs.waitSeconds?.p95 ?? NaN,
          provisionedCost: s?.cost.provisioned ?? NaN,
          run: p.out,
        };
      });
      const columns: Record<string, unknown[]> = {};
      for (const row of rows) for (const [k, v] of Object.entries(row)) (columns[k] ??= []).push(v);
      const table = tableFromArrays(
        Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, typeof v[0] === "number" ? Float64Array.from(v as number[]) : (v as string[])])),
      );
      const { writeAtomically } = await import("../records/run-record.js");
      writeAtomically(join(outDir, "sweep.arrow"), tableToIPC(table, "file"));
      writeAtomically(join(outDir, "sweep.json"), JSON.stringify({ scenario, set: opts.set, vary, seeds: nSeeds, points: rows }, null, 2) + "\n");
      const failed = rows.filter((r) => r.status !== "complete");
      process.stdout.write(`${rows.length} points, ${failed.length} failed; sweep table: ${join(outDir, "sweep.arrow")}\n`);
      for (const r of failed) process.stderr.write(`point ${r.point}: ${r.status}\n`);
      if (failed.length > 0) process.exitCode = 1;
    });
}

/**
 * The sweep table (`sweep.arrow`, `sweep.json`): one row per point, read back from the points'
 * run records, so every engine (threads, Slurm), and a sweep finished by `--resume`, writes the
 * same bytes for the same points and seeds. Only `host` and `wall_seconds` say where and how
 * long a point ran; nothing else in it depends on the run (run directories are relative to the
 * sweep directory).
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { writeAtomically, type RunProvenance } from "../../records/run-record.js";
import type { SrcnetSummary } from "./run.js";
import type { SweepPlan, SweepPoint } from "./sweep.js";

export type SweepRow = Record<string, string | number>;

const readJson = <T>(file: string): T | null => {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return null;
  }
};

/**
 * One row per point. A point without a complete or failed run record is `failed: <why>`, the
 * reason taken from `why` (what its engine knows: the worker's error, the Slurm task's end) or
 * else from the record.
 */
export function sweepRows(points: SweepPoint[], sweepDir: string, why: Map<number, string> = new Map()): SweepRow[] {
  return points.map((p, i) => {
    const run = readJson<RunProvenance>(join(p.out, "run.json"));
    const s = run?.status === "complete" ? readJson<SrcnetSummary>(join(p.out, "summary.json")) : null;
    const status =
      run?.status === "complete" && s !== null
        ? "complete"
        : run?.status === "failed"
          ? `failed: ${run.error ?? "no reason recorded"}`
          : `failed: ${why.get(p.index) ?? (run === null ? "the point did not run" : "its run record is incomplete (the run was stopped)")}`;
    const recov = s?.faults.map((f) => f.timeToRecoverySeconds ?? NaN) ?? [];
    const fullDates = s ? Object.values(s.sites).flatMap((v) => (v.diskFullOn ? [Date.parse(v.diskFullOn)] : [])) : [];
    const ended = run?.endedAt ? Date.parse(run.endedAt) : NaN;
    return {
      point: i,
      ...p.values,
      seed: p.seed!,
      status,
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
      run: relative(sweepDir, p.out),
      // Where and how long it ran (run.json: machine.hostname, endedAt - startedAt).
      host: run?.machine.hostname ?? "",
      wall_seconds: run !== null && Number.isFinite(ended) ? (ended - Date.parse(run.startedAt)) / 1000 : NaN,
    };
  });
}

/** Writes `sweep.arrow` and `sweep.json` (the plan's description and the rows), each atomically. */
export function writeSweepTable(sweepDir: string, plan: SweepPlan, rows: SweepRow[]): void {
  const columns: Record<string, unknown[]> = {};
  for (const row of rows) for (const [k, v] of Object.entries(row)) (columns[k] ??= []).push(v);
  const table = tableFromArrays(
    Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, typeof v[0] === "number" ? Float64Array.from(v as number[]) : (v as string[])])),
  );
  writeAtomically(join(sweepDir, "sweep.arrow"), tableToIPC(table, "file"));
  writeAtomically(join(sweepDir, "sweep.json"), JSON.stringify({ scenario: plan.scenario, set: plan.set, vary: plan.vary, seeds: plan.seeds, points: rows }, null, 2) + "\n");
}

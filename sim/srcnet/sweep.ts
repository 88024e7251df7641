import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { writeAtomically } from "../../records/run-record.js";
import type { PointResult, SimPoint } from "./point.js";

/**
 * A parameter sweep: the cross product of varied keys and seeds, one point per combination. Its
 * points run on an engine: worker threads here (`runSweep`), or a Slurm job array on a cluster
 * (sweep-slurm.ts); either way each point is a `SimPoint` run by `runPoint`, writing its run
 * record as `point-NNNN` in the sweep directory.
 */
export interface SweepSpec {
  scenario: string;
  set: string[];
  vary: { key: string; values: string[] }[];
  seeds: number[];
  outDir: string;
}

export interface SweepPoint extends SimPoint {
  index: number;
  values: Record<string, string>;
}

/** Where the engines run the points. */
export type SweepEngine =
  | { kind: "threads"; parallel?: number }
  | { kind: "slurm"; partition?: string; account?: string; pointsPerTask: number };

/** A point's run directory, relative to the sweep directory. */
export const pointName = (index: number): string => `point-${String(index).padStart(4, "0")}`;

export function sweepPoints(spec: SweepSpec): SweepPoint[] {
  let combos: Record<string, string>[] = [{}];
  for (const v of spec.vary) combos = combos.flatMap((c) => v.values.map((x) => ({ ...c, [v.key]: x })));
  const points: SweepPoint[] = [];
  for (const values of combos)
    for (const seed of spec.seeds) {
      const index = points.length;
      points.push({
        index,
        values,
        scenario: spec.scenario,
        set: [...spec.set, ...Object.entries(values).map(([k, x]) => `${k}=${x}`)],
        seed,
        out: join(spec.outDir, pointName(index)),
      });
    }
  return points;
}

/**
 * What a sweep directory is a sweep of (`plan.json`, written before any point runs): `--resume`
 * continues a sweep only with the same plan.
 */
export interface SweepPlan {
  scenario: string;
  set: string[];
  vary: { key: string; values: string[] }[];
  seeds: number;
  points: number;
}

export const PLAN_FILE = "plan.json";

export function writePlan(dir: string, plan: SweepPlan): void {
  mkdirSync(dir, { recursive: true });
  writeAtomically(join(dir, PLAN_FILE), JSON.stringify(plan, null, 2) + "\n");
}

/** The plan of an existing sweep directory, or null when it has none. */
export function readPlan(dir: string): SweepPlan | null {
  const file = join(dir, PLAN_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as SweepPlan) : null;
}

/** A point's run record status: null when it has none (or an unreadable one). */
export function pointStatus(point: SimPoint): "complete" | "failed" | "incomplete" | null {
  try {
    return (JSON.parse(readFileSync(join(point.out, "run.json"), "utf8")) as { status: "complete" | "failed" | "incomplete" }).status;
  } catch {
    return null;
  }
}

/**
 * The points still to run: those without a complete run record. Their directories (a failed or
 * interrupted run's) are removed, so that each runs afresh.
 */
export function pendingPoints<P extends SimPoint>(points: P[]): P[] {
  const pending = points.filter((p) => pointStatus(p) !== "complete");
  for (const p of pending) rmSync(p.out, { recursive: true, force: true });
  return pending;
}

/**
 * Runs points on worker threads (at most `parallel`, default one per core); `onProgress` gets the
 * mean completed fraction. Resolves with one result or error message per point, in order.
 */
export async function runSweep(
  points: SweepPoint[],
  options: { parallel?: number; onProgress?: (fraction: number) => void } = {},
): Promise<(PointResult | { error: string })[]> {
  const parallel = Math.max(1, Math.min(options.parallel ?? cpus().length, points.length));
  const results: (PointResult | { error: string })[] = new Array(points.length);
  const fractions = new Array<number>(points.length).fill(0);
  let next = 0;
  const report = () => options.onProgress?.(fractions.reduce((a, b) => a + b, 0) / Math.max(1, points.length));
  const workerUrl = new URL("./sweep-worker.mjs", import.meta.url);
  await Promise.all(
    Array.from({ length: parallel }, () => {
      const w = new Worker(workerUrl);
      return new Promise<void>((resolve, reject) => {
        const feed = () => {
          if (next >= points.length) {
            void w.terminate().then(() => resolve());
            return;
          }
          const i = next++;
          const { index: _i, values: _v, ...point } = points[i]!;
          w.postMessage({ index: i, point });
        };
        w.on("message", (m: { type: string; index: number; fraction?: number; result?: PointResult; message?: string }) => {
          if (m.type === "progress") {
            fractions[m.index] = m.fraction!;
            report();
            return;
          }
          fractions[m.index] = 1;
          results[m.index] = m.type === "done" ? m.result! : { error: m.message! };
          report();
          feed();
        });
        w.on("error", reject);
        feed();
      });
    }),
  );
  return results;
}

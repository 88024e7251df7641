import { cpus } from "node:os";
import { Worker } from "node:worker_threads";
import type { PointResult, SimPoint } from "./point.js";

/** A parameter sweep: the cross product of varied keys and seeds, one point per combination. */
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
        out: `${spec.outDir}/point-${String(index).padStart(4, "0")}`,
      });
    }
  return points;
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
  const report = () => options.onProgress?.(fractions.reduce((a, b) => a + b, 0) / points.length);
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

/**
 * `bench compare`: candidate runs against a baseline, metric by metric. Runs are matched by kind
 * and scenario name (a baseline folder may hold several scenarios); the baseline is the most
 * recent `window` complete runs of each, the candidate every complete run of it.
 */
import { UsageError } from "../../errors/index.js";
import { flattenMetrics } from "../metrics.js";
import { discoverRecords, type RunInfo } from "../records.js";
import type { Thresholds } from "./config.js";
import { compareMetric, type Comparison } from "./verdict.js";

export interface GroupComparison {
  kind: string;
  scenario: string;
  baselineRuns: number;
  candidateRuns: number;
  comparisons: Comparison[];
}

const completeRuns = (dir: string, option: string): RunInfo[] => {
  const found = discoverRecords([dir]);
  // Points of a sweep that varies parameters are different configurations, not repetitions.
  const varied = new Set(found.sweeps.filter((s) => s.vary.length > 0).map((s) => s.id));
  const runs = found.runs.filter((r) => r.run.status === "complete" && r.summary !== null && (r.sweep === null || !varied.has(r.sweep)));
  if (runs.length === 0) {
    const why = found.runs.length > 0 ? `${found.runs.length} run records, none complete with a summary` : found.problems[0] ?? "no run.json below it";
    throw new UsageError(`${option} ${dir}: expected complete run records, found ${why}`);
  }
  return runs;
};

const keyOf = (r: RunInfo) => `${r.run.kind}\u0000${r.run.scenario.name}`;

export function compareRuns(baselineDir: string, candidateDir: string, thresholds: Thresholds): GroupComparison[] {
  const baseline = completeRuns(baselineDir, "--baseline");
  const candidate = completeRuns(candidateDir, "--candidate");
  const groups = new Map<string, { base: RunInfo[]; cand: RunInfo[] }>();
  for (const r of baseline) {
    const g = groups.get(keyOf(r)) ?? { base: [], cand: [] };
    g.base.push(r);
    groups.set(keyOf(r), g);
  }
  for (const r of candidate) groups.get(keyOf(r))?.cand.push(r);
  const matched = [...groups].filter(([, g]) => g.cand.length > 0);
  if (matched.length === 0) {
    const names = (rs: RunInfo[]) => [...new Set(rs.map((r) => `${r.run.kind} ${r.run.scenario.name}`))].join(", ");
    throw new UsageError(`--candidate ${candidateDir}: expected runs of the same kind and scenario as the baseline (${names(baseline)}), found ${names(candidate)}`);
  }
  return matched.map(([key, g]) => {
    const [kind, scenario] = key.split("\u0000") as [string, string];
    // discoverRecords sorts by start time: the window is the most recent baseline runs.
    const base = g.base.slice(-thresholds.window).map((r) => flattenMetrics(r.summary));
    const cand = g.cand.map((r) => flattenMetrics(r.summary));
    const metrics = [...new Set([...base.flatMap((m) => [...m.keys()]), ...cand.flatMap((m) => [...m.keys()])])];
    const comparisons: Comparison[] = [];
    for (const m of metrics) {
      const rule = thresholds.rule(m);
      if (rule.ignore) continue;
      const values = (ms: Map<string, number>[]) => ms.map((x) => x.get(m)).filter((v): v is number => v !== undefined);
      comparisons.push(compareMetric(m, values(base), values(cand), rule));
    }
    return { kind, scenario, baselineRuns: base.length, candidateRuns: cand.length, comparisons };
  });
}

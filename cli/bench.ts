import type { Command } from "commander";
import type { GroupComparison } from "../dashboards/regression/compare-runs.js";

const pad = (rows: string[][]): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()).join("\n");
};

export function registerBench(program: Command): void {
  const bench = program.command("bench").description("regression benchmarks: compare runs against a baseline");
  bench
    .command("compare")
    .description("compare candidate runs with baseline runs metric by metric; exit 1 on a significant regression")
    .requiredOption("--baseline <dir>", "folder of baseline run records (the most recent `window` runs are used)")
    .requiredOption("--candidate <dir>", "folder of candidate run records")
    .option("--thresholds <file>", "regression thresholds (YAML): test, alpha, minEffect, window, per-metric rules")
    .option("--only-changes", "print only metrics whose verdict is not 'unchanged'")
    .option("--json", "print the comparisons as JSON instead of a table")
    .action(async (opts: { baseline: string; candidate: string; thresholds?: string; onlyChanges?: boolean; json?: boolean }) => {
      const { loadThresholds, thresholdsFrom } = await import("../dashboards/regression/config.js");
      const { compareRuns } = await import("../dashboards/regression/compare-runs.js");
      const { fmtChange, fmtMetric } = await import("../dashboards/site/html.js");
      const thresholds = opts.thresholds === undefined ? thresholdsFrom() : loadThresholds(opts.thresholds);
      const groups: GroupComparison[] = compareRuns(opts.baseline, opts.candidate, thresholds);
      const regressions = groups.flatMap((g) => g.comparisons.filter((c) => c.verdict === "regression"));
      if (opts.json) {
        process.stdout.write(JSON.stringify({ regression: regressions.length > 0, groups }, null, 2) + "\n");
      } else {
        for (const g of groups) {
          process.stdout.write(
            `${g.kind} ${g.scenario}: ${g.baselineRuns} baseline runs, ${g.candidateRuns} candidate runs ` +
              `(${g.candidateRuns === 1 ? "prediction test" : thresholds.test}, alpha ${thresholds.alpha}, min effect ${fmtChange(thresholds.minEffect).replace("+", "")})\n`,
          );
          const shown = g.comparisons.filter((c) => !opts.onlyChanges || c.verdict !== "unchanged");
          const rows = [
            ["metric", "baseline median", "candidate median", "change", "p-value", "verdict"],
            ...shown.map((c) => [
              c.metric,
              fmtMetric(c.metric, c.baselineMedian),
              fmtMetric(c.metric, c.candidateMedian),
              fmtChange(c.change),
              Number.isNaN(c.pValue) ? "—" : c.pValue < 1e-4 ? c.pValue.toExponential(1) : c.pValue.toFixed(4),
              c.verdict === "regression" ? "REGRESSION" : c.verdict,
            ]),
          ];
          process.stdout.write(`${pad(rows)}\n`);
          const count = (v: string) => g.comparisons.filter((c) => c.verdict === v).length;
          process.stdout.write(
            `${g.comparisons.length} metrics: ${count("regression")} regressions, ${count("improvement")} improvements, ${count("changed")} changed, ` +
              `${count("unchanged")} unchanged, ${count("insufficient data")} with too few runs\n`,
          );
          // Why some metrics could not be judged, each reason once (they depend on the window, not the metric).
          for (const r of new Set(g.comparisons.flatMap((c) => (c.reason === undefined ? [] : [c.reason])))) process.stdout.write(`  too few runs: ${r}\n`);
          process.stdout.write("\n");
        }
        const all = groups.flatMap((g) => g.comparisons);
        const judged = all.filter((c) => c.verdict !== "insufficient data").length;
        process.stdout.write(
          regressions.length > 0
            ? `verdict: REGRESSION (${regressions.map((c) => c.metric).join(", ")})\n`
            : all.length > 0 && judged === 0
              ? "verdict: nothing could be judged: too few runs for every metric (see above)\n"
              : "verdict: no significant regression\n",
        );
      }
      if (regressions.length > 0) process.exitCode = 1;
    });
}

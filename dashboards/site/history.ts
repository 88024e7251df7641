/**
 * History of one kind + scenario name: every metric (numeric leaf of summary.json) against the
 * date and commit of each complete run, with steps found by the step detector and the latest
 * run's verdict against the runs before it. Regressions are marked red, improvements green.
 */
import { flattenMetrics, metricGroups } from "../metrics.js";
import type { RunInfo } from "../records.js";
import type { Thresholds } from "../regression/config.js";
import { compareMetric, historySteps, type ClassifiedStep, type Comparison } from "../regression/verdict.js";
import { shortCommit } from "./common.js";
import { colourOf, type Trace } from "./figures.js";
import { badge, fmtChange, fmtMetric, link, Page, type Cell } from "./html.js";

export interface HistoryResult {
  page: Page;
  steps: (ClassifiedStep & { metric: string; run: RunInfo })[];
  latest: Comparison[];
}

const verdictBadge = (v: string) => badge(v, v === "regression" ? "bad" : v === "improvement" ? "ok" : "info");

export function historyPage(title: string, runs: RunInfo[], thresholds: Thresholds, runHref: (r: RunInfo) => string, crumbs: { text: string; href?: string }[]): HistoryResult {
  const page = new Page(title, "../", crumbs);
  const flats = runs.map((r) => flattenMetrics(r.summary));
  const groups = new Map<string, { group: string; member: string }>();
  for (const r of runs) for (const [k, v] of metricGroups(r.summary)) groups.set(k, v);
  const metrics = [...new Set(flats.flatMap((f) => [...f.keys()]))];

  const steps: HistoryResult["steps"] = [];
  const latest: Comparison[] = [];
  const charts = new Map<string, { metric: string; member: string; values: number[] }[]>();
  let constant = 0;
  let ignored = 0;
  for (const m of metrics) {
    const rule = thresholds.rule(m);
    if (rule.ignore) {
      ignored++;
      continue;
    }
    const values = flats.map((f) => f.get(m) ?? NaN);
    const finite = values.map((v, i) => [v, i] as const).filter(([v]) => Number.isFinite(v));
    if (finite.length < 2) continue;
    if (finite.every(([v]) => v === finite[0]![0])) {
      constant++;
      continue;
    }
    for (const s of historySteps(finite.map(([v]) => v), rule, thresholds.steps)) {
      if (s.verdict === "unchanged") continue;
      steps.push({ ...s, index: finite[s.index]![1], metric: m, run: runs[finite[s.index]![1]]! });
    }
    const last = values[values.length - 1]!;
    if (Number.isFinite(last)) {
      const base = values.slice(0, -1).filter(Number.isFinite).slice(-thresholds.window);
      latest.push(compareMetric(m, base, [last], rule));
    }
    const g = groups.get(m) ?? { group: m, member: "" };
    let list = charts.get(g.group);
    if (list === undefined) charts.set(g.group, (list = []));
    list.push({ metric: m, member: g.member, values });
  }

  const last = runs[runs.length - 1]!;
  page.p(
    `${runs.length} complete runs from ${runs[0]!.run.startedAt.slice(0, 10)} to ${last.run.startedAt.slice(0, 10)}; ${charts.size} charts of metrics that changed` +
      `${constant > 0 ? `, ${constant} metrics constant throughout (not drawn)` : ""}${ignored > 0 ? `, ${ignored} ignored by rule` : ""}. ` +
      `Steps: binary segmentation with a permutation test at alpha ${thresholds.steps.alpha}, kept when the change is at least the metric's minimum effect (default ${fmtChange(thresholds.minEffect)}).`,
  );

  const marked = steps.filter((s) => s.verdict === "regression" || s.verdict === "improvement");
  page.h2("Steps in the history");
  if (steps.length === 0) page.p("No step found.", "empty");
  else {
    const order = { regression: 0, improvement: 1, changed: 2, unchanged: 3, "insufficient data": 4 };
    page.table(
      ["metric", "from run", "commit", "before", "after", "change", "p", "verdict"],
      [...steps]
        .sort((a, b) => order[a.verdict] - order[b.verdict] || a.metric.localeCompare(b.metric))
        .map((s): Cell[] => [s.metric, link(runHref(s.run), s.run.run.startedAt.slice(0, 19).replace("T", " ")), shortCommit(s.run), fmtMetric(s.metric, s.before), fmtMetric(s.metric, s.after), fmtChange(s.change), s.pValue.toFixed(3), verdictBadge(s.verdict)]),
    );
  }
  const flagged = latest.filter((c) => c.verdict !== "unchanged" && c.verdict !== "insufficient data");
  page.h2(`Latest run against the ${Math.min(thresholds.window, runs.length - 1)} before it`);
  if (flagged.length === 0) page.p(`No metric of the latest run (${shortCommit(last)}) differs significantly from the runs before it.`, "empty");
  else
    page.table(
      ["metric", "baseline median", "latest", "change", "p", "verdict"],
      flagged.map((c) => [c.metric, fmtMetric(c.metric, c.baselineMedian), fmtMetric(c.metric, c.candidateMedian), fmtChange(c.change), c.pValue.toPrecision(3), verdictBadge(c.verdict)]),
    );

  page.h2("Metrics");
  const x = runs.map((r) => r.run.startedAt);
  const hover = runs.map((r) => `${shortCommit(r)}${r.run.git.dirty ? " (dirty)" : ""}`);
  for (const [group, members] of charts) {
    const colour = colourOf(members.map((m) => m.member));
    const traces: Trace[] = members.map((m) => ({
      type: "scatter",
      mode: "lines+markers",
      name: m.member || m.metric,
      x,
      y: m.values.map((v) => (Number.isFinite(v) ? v : null)),
      text: hover,
      line: { color: colour(m.member) },
      marker: { size: 5 },
      hovertemplate: `${m.member ? `${m.member}: ` : ""}%{y:.4g}<br>%{text}<br>%{x}<extra></extra>`,
    }));
    for (const kind of ["regression", "improvement"] as const) {
      const hits = marked.filter((s) => s.verdict === kind && members.some((m) => m.metric === s.metric));
      if (hits.length === 0) continue;
      traces.push({
        type: "scatter",
        mode: "markers",
        name: kind,
        x: hits.map((s) => x[s.index]),
        y: hits.map((s) => flats[s.index]!.get(s.metric) ?? null),
        text: hits.map((s) => `${kind} at ${shortCommit(s.run)}: ${fmtChange(s.change)}${s.metric !== group ? ` (${groups.get(s.metric)?.member ?? s.metric})` : ""}`),
        marker: { symbol: kind === "regression" ? "triangle-up" : "triangle-down", size: 13, color: kind === "regression" ? "#d62728" : "#2ca02c", line: { width: 1, color: "#000" } },
        hovertemplate: "%{text}<extra></extra>",
      });
    }
    // Members of one group can differ by orders of magnitude (TAP and ingest latency): a log
    // axis then keeps every member's relative changes visible.
    const values = members.flatMap((m) => m.values.filter(Number.isFinite));
    const lo = Math.min(...values);
    const log = lo > 0 && Math.max(...values) / lo > 20;
    page.chart({
      title: group,
      note: log ? "log scale" : undefined,
      data: traces,
      layout: {
        xaxis: { title: { text: "run started (hover: commit)" }, type: "date" },
        yaxis: { title: { text: group }, ...(log ? { type: "log" } : {}) },
        showlegend: members.some((m) => m.member !== "") || traces.length > members.length,
      },
    });
  }
  page.h2("Runs").table(
    ["started", "commit", "dirty", "seed", "tool", "run"],
    runs.map((r) => [r.run.startedAt.slice(0, 19).replace("T", " "), shortCommit(r), r.run.git.dirty === null ? "—" : r.run.git.dirty ? "yes" : "no", r.run.seed, r.run.tool.version, link(runHref(r), "run page")]),
  );
  return { page, steps, latest };
}

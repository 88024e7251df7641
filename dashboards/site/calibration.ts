/**
 * The page of one calibration record (`testbed calibrate`, kind "calibration"): the fitted
 * transfer parameters against the simulator's defaults, the relative errors of the predicted
 * transfer durations before and after the fit on the fitted run and the held-out run, predicted
 * against measured durations per transfer (`calibration.arrow`) and the spread of the errors left.
 */
import { basename, resolve } from "node:path";
import { numbers, readTable, strings, type RunInfo } from "../records.js";
import { at, missingSummary, provenanceSection, summaryMetricsSection } from "./common.js";
import type { Trace } from "./figures.js";
import { esc, fmtNumber, fmtPercent, fmtSeconds, link, Page, type Cell } from "./html.js";

/** Points per scatter trace (every k-th transfer beyond it). */
const SCATTER_POINTS = 4000;

const PARAMS = [
  { key: "bandwidthFactor", label: "bandwidth factor", fmt: (x: number) => fmtNumber(x) },
  { key: "latencyFactor", label: "latency factor", fmt: (x: number) => fmtNumber(x) },
  { key: "setupSeconds", label: "setup time per file", fmt: (x: number) => fmtSeconds(x) },
] as const;

const numAt = (doc: unknown, path: string): number => {
  const v = at(doc, path);
  return typeof v === "number" ? v : NaN;
};

/** The run record a calibration names by its directory: the same path, else the only run of that directory name. */
function findRun(path: unknown, runs: readonly RunInfo[]): RunInfo | null {
  if (typeof path !== "string" || path === "") return null;
  const abs = resolve(path);
  const exact = runs.find((r) => r.dir === abs);
  if (exact !== undefined) return exact;
  const named = runs.filter((r) => basename(r.dir) === basename(abs));
  return named.length === 1 ? named[0]! : null;
}

function inputsSection(page: Page, s: unknown, runs: readonly RunInfo[], runHref: (r: RunInfo) => string): void {
  const row = (label: string, path: unknown): Cell[] => {
    if (typeof path !== "string" || path === "") return [label, "—"];
    const r = findRun(path, runs);
    return [label, r === null ? path : { html: `${link(runHref(r), `${r.run.kind}: ${r.run.startedAt.slice(0, 16).replace("T", " ")}`).html} <code>${esc(path)}</code>` }];
  };
  const linksFrom = at(s, "linksFrom");
  const rows: Cell[][] = [
    row("fitted on", at(s, "fitRun")),
    row("held out", at(s, "holdoutRun")),
    ["links from", Array.isArray(linksFrom) ? linksFrom.map(String).join(", ") : "—"],
    ["overlay", typeof at(s, "overlay") === "string" ? { html: `<code>${esc(at(s, "overlay"))}</code> (<code>testbed sim run &lt;scenario&gt; --overlay FILE</code>)` } : "—"],
  ];
  page.h2("Inputs").table(["", ""], rows.map(([k, v]) => [{ html: `<b>${esc(k)}</b>` }, v]), { cls: "kv" });
}

function paramsSection(page: Page, s: unknown): void {
  page.h2("Fitted parameters");
  page.table(
    ["parameter", "before (simulator default)", "fitted"],
    PARAMS.map((p) => [p.label, p.fmt(numAt(s, `before.${p.key}`)), p.fmt(numAt(s, `params.${p.key}`))]),
  );
  const loss = numAt(s, "loss");
  const evals = numAt(s, "evaluations");
  if (Number.isFinite(loss) || Number.isFinite(evals)) page.p(`Loss ${esc(fmtNumber(loss))} after ${esc(fmtNumber(evals))} evaluations.`);
}

function errorsSection(page: Page, s: unknown): void {
  const errors = at(s, "errors");
  if (!Array.isArray(errors) || errors.length === 0) return;
  page.h2("Relative error of predicted durations");
  page.table(
    ["run", "transfers", "skipped: unfinished", "skipped: unknown link", "median before", "p95 before", "median after", "p95 after"],
    errors.map((e): Cell[] => [
      String(at(e, "run") ?? "—") === "holdout" ? "held out" : String(at(e, "run") ?? "—"),
      numAt(e, "transfers"),
      numAt(e, "skipped.unfinished"),
      numAt(e, "skipped.unknownLink"),
      fmtPercent(numAt(e, "before.median")),
      fmtPercent(numAt(e, "before.p95")),
      fmtPercent(numAt(e, "after.median")),
      fmtPercent(numAt(e, "after.p95")),
    ]),
    { caption: "|predicted - measured| / measured per finished transfer; before: the simulator's defaults, after: the fitted parameters" },
  );
}

function every<T>(xs: T[], budget: number): T[] {
  if (xs.length <= budget) return xs;
  const k = Math.ceil(xs.length / budget);
  return xs.filter((_, i) => i % k === 0);
}

function charts(page: Page, run: RunInfo): void {
  const t = readTable(run, "calibration");
  if (t === null || t.numRows === 0) return;
  const side = strings(t, "run");
  const measured = numbers(t, "measured_seconds");
  const before = numbers(t, "predicted_before_seconds");
  const after = numbers(t, "predicted_after_seconds");
  if (side === null || measured === null || before === null || after === null) {
    page.p("calibration.arrow lacks the measured and predicted duration columns; its charts are left out.", "empty");
    return;
  }
  const sides = [...new Set(side)].sort();
  const label = (s: string) => (s === "holdout" ? "held out" : s);
  const idx = (s: string) => side.flatMap((x, i) => (x === s && measured[i]! > 0 ? [i] : []));
  let lo = Infinity;
  let hi = 0;
  const scatter: Trace[] = [];
  const colours: Record<string, [string, string]> = { fit: ["#aec7e8", "#1f77b4"], holdout: ["#ffbb78", "#ff7f0e"] };
  for (const s of sides) {
    const rows = every(idx(s), SCATTER_POINTS);
    const [light, dark] = colours[s] ?? ["#c7c7c7", "#7f7f7f"];
    for (const [what, pred, colour] of [["before", before, light], ["after", after, dark]] as const) {
      const x = rows.map((i) => measured[i]!);
      const y = rows.map((i) => pred[i]!);
      for (const v of [...x, ...y]) if (v > 0 && Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
      scatter.push({ type: "scatter", mode: "markers", name: `${label(s)} ${what}`, x, y, marker: { size: 4, color: colour, opacity: 0.7 }, hovertemplate: `${label(s)} ${what}: measured %{x:.3g} s, predicted %{y:.3g} s<extra></extra>` });
    }
  }
  if (Number.isFinite(lo) && hi > 0) scatter.push({ type: "scatter", mode: "lines", name: "predicted = measured", x: [lo, hi], y: [lo, hi], line: { color: "#333", dash: "dot", width: 1 }, hoverinfo: "skip" });
  page.chart({
    title: "Predicted against measured duration",
    note: `one marker per finished transfer${t.numRows > SCATTER_POINTS ? ` (at most ${fmtNumber(SCATTER_POINTS)} per series)` : ""}; pale: simulator defaults, dark: fitted; dotted: y = x`,
    data: scatter,
    layout: { xaxis: { title: { text: "measured (s)" }, type: "log" }, yaxis: { title: { text: "predicted (s)" }, type: "log" } },
  });
  const hist: Trace[] = sides.map((s) => ({
    type: "histogram",
    name: label(s),
    x: idx(s)
      .map((i) => Math.abs(after[i]! - measured[i]!) / measured[i]!)
      .filter(Number.isFinite)
      .map((e) => e * 100),
    opacity: 0.65,
    marker: { color: (colours[s] ?? ["", "#7f7f7f"])[1] },
  }));
  page.chart({
    title: "Relative error after the fit",
    note: "|predicted - measured| / measured with the fitted parameters",
    data: hist,
    layout: { barmode: "overlay", xaxis: { title: { text: "relative error (%)" } }, yaxis: { title: { text: "transfers" } } },
  });
}

export function calibrationPage(run: RunInfo, runs: readonly RunInfo[], runHref: (r: RunInfo) => string, crumbs: { text: string; href?: string }[]): Page {
  const page = new Page(`Calibration: ${basename(String(at(run.summary, "fitRun") ?? run.run.scenario.name))}`, "../", crumbs);
  provenanceSection(page, run);
  if (missingSummary(page, run)) return page;
  inputsSection(page, run.summary, runs, runHref);
  paramsSection(page, run.summary);
  errorsSection(page, run.summary);
  charts(page, run);
  summaryMetricsSection(page, run);
  return page;
}

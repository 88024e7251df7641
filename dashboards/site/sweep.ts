/**
 * The page of one sweep (`testbed sim sweep`): each metric of sweep.json against each varied
 * parameter, one marker per point (seed), a line through the medians; then where each point ran
 * (its host) and its wall time.
 */
import { basename } from "node:path";
import { median } from "simple-statistics";
import type { RunInfo, SweepInfo } from "../records.js";
import { colourOf, type Trace } from "./figures.js";
import { esc, fmtSeconds, link, Page, statusBadge, type Cell } from "./html.js";

/** Columns of sweep.json rows that are bookkeeping (or say where and how long a point ran), not metrics. */
const NOT_METRICS = new Set(["point", "seed", "status", "run", "host", "wall_seconds"]);

export function sweepMetrics(sweep: SweepInfo): string[] {
  const varied = new Set(sweep.vary.map((v) => v.key));
  const cols = new Set<string>();
  for (const r of sweep.rows) for (const k of Object.keys(r)) if (!NOT_METRICS.has(k) && !varied.has(k)) cols.add(k);
  return [...cols].filter((c) => sweep.rows.some((r) => typeof r[c] === "number" && Number.isFinite(r[c] as number)));
}

export function sweepPage(sweep: SweepInfo, runs: RunInfo[], runHref: (r: RunInfo) => string, crumbs: { text: string; href?: string }[]): Page {
  const page = new Page(`Sweep: ${sweep.scenario}`, "../", crumbs);
  page.h2("Sweep").table(
    ["", ""],
    [
      [{ html: "<b>scenario</b>" }, sweep.scenario],
      [{ html: "<b>varied</b>" }, sweep.vary.map((v) => `${v.key} = ${v.values.join(", ")}`).join("; ")],
      [{ html: "<b>fixed</b>" }, sweep.set.length > 0 ? sweep.set.join("; ") : "—"],
      [{ html: "<b>seeds per combination</b>" }, sweep.seeds],
      [{ html: "<b>points</b>" }, sweep.rows.length],
      [{ html: "<b>directory</b>" }, sweep.dir],
    ],
    { cls: "kv" },
  );
  const all = sweepMetrics(sweep);
  // Metrics with one value at every point say nothing against a parameter: listed, not drawn.
  const constant = all.filter((m) => new Set(sweep.rows.map((r) => r[m]).filter((x) => typeof x === "number")).size === 1);
  const metrics = all.filter((m) => !constant.includes(m));
  if (constant.length > 0) page.p(esc(`The same at every point (not drawn): ${constant.map((m) => `${m} = ${sweep.rows.find((r) => typeof r[m] === "number")![m]}`).join(", ")}.`));
  for (const v of sweep.vary) {
    const others = sweep.vary.filter((o) => o.key !== v.key).map((o) => o.key);
    const numeric = v.values.every((x) => x.trim() !== "" && Number.isFinite(Number(x)));
    const groupOf = (r: Record<string, unknown>) => (others.length === 0 ? "" : others.map((k) => `${k}=${String(r[k])}`).join(", "));
    const groups = [...new Set(sweep.rows.map(groupOf))];
    const colour = colourOf(groups);
    page.h2(`Against ${v.key}`);
    for (const m of metrics) {
      const traces: Trace[] = [];
      for (const g of groups) {
        const rows = sweep.rows.filter((r) => groupOf(r) === g && typeof r[m] === "number" && Number.isFinite(r[m] as number));
        if (rows.length === 0) continue;
        const xOf = (r: Record<string, unknown>) => (numeric ? Number(r[v.key]) : String(r[v.key]));
        const name = g === "" ? m : g;
        traces.push({ type: "scatter", mode: "markers", name: `${name} (each seed)`, legendgroup: name, showlegend: groups.length > 1, x: rows.map(xOf), y: rows.map((r) => r[m]), marker: { color: colour(g), opacity: 0.6 }, text: rows.map((r) => `point ${r.point}, seed ${r.seed}`) });
        const xs = v.values.filter((x) => rows.some((r) => String(r[v.key]) === x));
        traces.push({
          type: "scatter",
          mode: "lines",
          name: `${name} (median)`,
          legendgroup: name,
          showlegend: false,
          x: xs.map((x) => (numeric ? Number(x) : x)),
          y: xs.map((x) => median(rows.filter((r) => String(r[v.key]) === x).map((r) => r[m] as number))),
          line: { color: colour(g) },
        });
      }
      page.chart({
        title: `${m} against ${v.key}`,
        data: traces,
        layout: {
          // A few numeric values: ticks at those values only (no 2.2, 2.4 ... between replicas 2 and 3).
          xaxis: {
            title: { text: v.key },
            ...(numeric ? (v.values.length <= 12 ? { tickvals: v.values.map(Number) } : {}) : { type: "category", categoryorder: "array", categoryarray: v.values }),
          },
          yaxis: { title: { text: m } },
          showlegend: groups.length > 1,
        },
      });
    }
  }
  // Where each point ran and for how long (sweeps written before these columns have neither).
  const wall = (r: Record<string, unknown>) => (typeof r.wall_seconds === "number" && Number.isFinite(r.wall_seconds) ? r.wall_seconds : null);
  const hostOf = (r: Record<string, unknown>) => (typeof r.host === "string" && r.host !== "" ? r.host : "unknown");
  const timed = sweep.rows.filter((r) => wall(r) !== null);
  if (timed.length > 0) {
    const hosts = [...new Set(timed.map(hostOf))].sort();
    const colour = colourOf(hosts);
    page.h2("Where the points ran").chart({
      title: "Wall time per point, by host",
      note: "from each point's run record (start to end, tables written included)",
      wide: true,
      data: hosts.map((h) => {
        const rows = timed.filter((r) => hostOf(r) === h);
        return { type: "bar", name: h, x: rows.map((r) => r.point), y: rows.map((r) => wall(r)), marker: { color: colour(h) }, hovertemplate: `point %{x} on ${h}: %{y:.3g} s<extra></extra>` };
      }),
      layout: { xaxis: { title: { text: "point" }, type: "category" }, yaxis: { title: { text: "wall time (s)" } }, barmode: "group", showlegend: true },
    });
  }
  // A point's run is the run of this sweep in the directory of the same name.
  const byName = new Map(runs.filter((r) => r.sweep === sweep.id).map((r) => [basename(r.dir), r]));
  page.h2("Points").table(
    ["point", ...sweep.vary.map((v) => v.key), "seed", "status", "host", "wall time", "run"],
    sweep.rows.map((r): Cell[] => {
      const run = byName.get(basename(String(r.run)));
      const w = wall(r);
      return [
        r.point,
        ...sweep.vary.map((v) => String(r[v.key])),
        r.seed,
        r.status === "complete" ? statusBadge("complete") : statusBadge(`failed`),
        typeof r.host === "string" && r.host !== "" ? r.host : "—",
        w === null ? "—" : { html: esc(fmtSeconds(w)), sort: w },
        run ? link(runHref(run), "run page") : "—",
      ];
    }),
  );
  return page;
}

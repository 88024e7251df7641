/**
 * The page of one simulation run, from its Arrow tables and summary.json (records/README.md):
 * storage fill per site and class, replication-lag distribution, under-replicated volume with
 * fault bands, link utilisation, cost.
 */
import type { Table } from "apache-arrow";
import { quantileSorted } from "simple-statistics";
import { numbers, readTable, strings, type RunInfo } from "../records.js";
import { at, missingSummary, num, provenanceSection, summaryMetricsSection } from "./common.js";
import { bucketMax, colourOf, decimate, faultBands, timeLayout, type FaultSpan, type Trace } from "./figures.js";
import { fmtBytes, fmtNumber, fmtPercent, fmtSeconds, Page, type Cell } from "./html.js";

const DAY = 86_400;
/** Time columns of the link heatmap. */
const HEATMAP_COLUMNS = 400;
/** Links in the per-link bar chart (the busiest by p95). */
const TOP_LINKS = 40;

export function simulationFaults(t: Table | null): (FaultSpan & { startSeconds: number })[] {
  if (t === null || t.numRows === 0) return [];
  const kind = strings(t, "kind") ?? [];
  const target = strings(t, "target") ?? [];
  const start = numbers(t, "atSeconds") ?? new Float64Array(t.numRows);
  const end = numbers(t, "endSeconds");
  const rec = numbers(t, "recoveredAtSeconds");
  return Array.from({ length: t.numRows }, (_, i) => ({
    kind: kind[i] ?? "",
    target: target[i] ?? "",
    startSeconds: start[i]!,
    start: start[i]! / DAY,
    end: end && Number.isFinite(end[i]!) ? end[i]! / DAY : null,
    recovered: rec && Number.isFinite(rec[i]!) ? rec[i]! / DAY : null,
  }));
}

/** Approximate width in pixels of the longest label at a font size (about 0.6 em per character). */
const labelWidth = (labels: string[], fontSize: number) => Math.min(260, Math.ceil(Math.max(0, ...labels.map((l) => l.length)) * fontSize * 0.6));

/** Rows grouped by a key, keeping row order. */
function groupRows(keys: string[]): Map<string, number[]> {
  const g = new Map<string, number[]>();
  keys.forEach((k, i) => {
    let a = g.get(k);
    if (a === undefined) g.set(k, (a = []));
    a.push(i);
  });
  return g;
}

function storageCharts(page: Page, t: Table | null): void {
  if (t === null) return;
  const time = numbers(t, "timeSeconds")!;
  const site = strings(t, "site")!;
  const cls = strings(t, "storageClass")!;
  const used = numbers(t, "usedBytes")!;
  const cap = numbers(t, "capacityBytes")!;
  const groups = groupRows(site.map((s, i) => `${cls[i]}\u0000${s}`));
  const colour = colourOf(site);
  for (const c of [...new Set(cls)].sort()) {
    const traces: Trace[] = [];
    for (const [key, rows] of groups) {
      const [gc, s] = key.split("\u0000") as [string, string];
      if (gc !== c) continue;
      const x = Float64Array.from(rows, (i) => time[i]! / DAY);
      const y = Float64Array.from(rows, (i) => (cap[i]! > 0 ? used[i]! / cap[i]! : NaN));
      const d = decimate(x, y);
      const capBytes = cap[rows[rows.length - 1]!]!;
      traces.push({ type: "scatter", mode: "lines", name: s, x: d.x, y: d.y, line: { width: 1.5, color: colour(s) }, hovertemplate: `${s}: %{y:.1%} of ${fmtBytes(capBytes)}<extra></extra>` });
    }
    page.chart({
      title: `Storage fill: ${c}`,
      note: "used / capacity per site",
      data: traces,
      layout: timeLayout("simulated days", "fill", { yaxis: { title: { text: "fill" }, tickformat: ".0%", rangemode: "tozero" } }),
    });
  }
}

function lagChart(page: Page, run: RunInfo): void {
  const ev = readTable(run, "product_events");
  const lag = at(run.summary, "replicationLagSeconds") as Record<string, number> | null | undefined;
  const marks = lag ? (["p50", "p95"] as const).filter((k) => Number.isFinite(lag[k])) : [];
  if (ev !== null && ev.numRows > 0) {
    // Per product: creation to its first replica, i.e. until a second copy exists.
    const time = numbers(ev, "timeSeconds")!;
    const product = numbers(ev, "product")!;
    const event = strings(ev, "event")!;
    const created = new Map<number, number>();
    const lags: number[] = [];
    const done = new Set<number>();
    for (let i = 0; i < ev.numRows; i++) {
      const p = product[i]!;
      if (event[i] === "created") created.set(p, time[i]!);
      else if (event[i] === "replicated" && !done.has(p) && created.has(p)) {
        done.add(p);
        lags.push((time[i]! - created.get(p)!) / 3600);
      }
    }
    if (lags.length > 0) {
      lags.sort((a, b) => a - b);
      const k = Math.min(lags.length, 600);
      const qs = Array.from({ length: k }, (_, i) => (k === 1 ? 1 : i / (k - 1)));
      const x = qs.map((q) => quantileSorted(lags, q));
      const positive = x[0]! > 0;
      page.chart({
        title: "Replication lag distribution",
        note: `creation to second copy, ${fmtNumber(lags.length)} products (product_events); dashed: summary p50 / p95 to the policy's full copy count`,
        data: [
          { type: "scatter", mode: "lines", name: "products with a second copy", x, y: qs, line: { shape: "hv" }, hovertemplate: "%{x:.3g} h: %{y:.1%}<extra></extra>" },
          ...marks.map((m) => ({
            type: "scatter",
            mode: "lines",
            name: `summary ${m}`,
            x: [lag![m]! / 3600, lag![m]! / 3600],
            y: [0, 1],
            line: { dash: "dash", width: 1 },
            hovertemplate: `summary ${m}: ${fmtSeconds(lag![m]!)}<extra></extra>`,
          })),
        ],
        layout: {
          xaxis: { title: { text: "hours" }, type: positive ? "log" : "linear" },
          yaxis: { title: { text: "fraction of products" }, tickformat: ".0%", range: [0, 1.02] },
        },
      });
      return;
    }
  }
  if (lag) {
    const keys = (["p50", "mean", "p95", "max"] as const).filter((k) => Number.isFinite(lag[k]));
    page.chart({
      title: "Replication lag distribution",
      note: "from summary.json (run with output.productEvents for the full distribution)",
      data: [{ type: "bar", x: keys, y: keys.map((k) => lag[k]! / 3600), text: keys.map((k) => fmtSeconds(lag[k]!)), textposition: "auto", hovertemplate: "%{x}: %{text}<extra></extra>" }],
      layout: { xaxis: { title: { text: "statistic" } }, yaxis: { title: { text: "hours" }, rangemode: "tozero" } },
    });
  } else page.p("No product was fully replicated in this run: no replication lag.", "empty");
}

function stateChart(page: Page, t: Table | null, faults: FaultSpan[], endDays: number): void {
  if (t === null) return;
  const time = numbers(t, "timeSeconds")!;
  const x = Float64Array.from(time, (s) => s / DAY);
  const traces: Trace[] = [];
  for (const [col, name] of [
    ["underReplicatedBytes", "under-replicated"],
    ["backlogBytes", "backlog (waiting to ingest)"],
  ] as const) {
    const y = numbers(t, col);
    if (y === null) continue;
    const d = decimate(x, Float64Array.from(y, (b) => b / 1e15));
    traces.push({ type: "scatter", mode: "lines", name, x: d.x, y: d.y, hovertemplate: `${name}: %{y:.3g} PB<extra></extra>` });
  }
  const bands = faultBands(faults, endDays);
  page.chart({
    title: "Under-replicated volume",
    note: faults.length > 0 ? "bands: faults (red) and recovery until every product had its copies again (orange)" : "no faults in this run",
    wide: true,
    data: traces,
    layout: timeLayout("simulated days", "PB", { shapes: bands.shapes, annotations: bands.annotations }),
  });
}

function linkCharts(page: Page, t: Table | null): void {
  if (t === null || t.numRows === 0) return;
  const time = numbers(t, "timeSeconds")!;
  const name = strings(t, "link")!;
  const util = numbers(t, "utilisation")!;
  // A name seen twice in one sample is a second link of that name: keep them apart.
  const keys: string[] = new Array(t.numRows);
  let seen = new Map<string, number>();
  for (let i = 0; i < t.numRows; i++) {
    if (i > 0 && time[i] !== time[i - 1]) seen = new Map();
    const n = (seen.get(name[i]!) ?? 0) + 1;
    seen.set(name[i]!, n);
    keys[i] = n === 1 ? name[i]! : `${name[i]} #${n}`;
  }
  const groups = groupRows(keys);
  const stats: { link: string; rows: number[]; p95: number; max: number }[] = [];
  for (const [link, rows] of groups) {
    const v = Float64Array.from(rows, (i) => util[i]!).sort();
    const max = v[v.length - 1]!;
    stats.push({ link, rows, p95: quantileSorted(v as unknown as number[], 0.95), max });
  }
  const active = stats.filter((s) => s.max > 0);
  const idle = stats.length - active.length;
  if (active.length === 0) {
    page.p(`Link utilisation: all ${stats.length} links idle throughout.`, "empty");
    return;
  }
  active.sort((a, b) => a.link.localeCompare(b.link));
  const first = active[0]!.rows;
  const columns = Math.min(HEATMAP_COLUMNS, first.length);
  const xs = bucketMax(Float64Array.from(first, (i) => time[i]! / DAY), columns);
  page.chart({
    title: "Link utilisation over time",
    note: `busiest hour in each of ${columns} time slices, ${active.length} links${idle > 0 ? `; ${idle} idle throughout, not shown` : ""}`,
    wide: true,
    data: [
      {
        type: "heatmap",
        x: xs,
        y: active.map((s) => s.link),
        z: active.map((s) => bucketMax(Float64Array.from(s.rows, (i) => util[i]!), columns)),
        colorscale: "Viridis",
        // One pixel per cell, scaled by the browser: far faster than a rectangle per cell.
        zsmooth: "fast",
        zmin: 0,
        zmax: Math.max(1, ...active.map((s) => s.max)),
        colorbar: { title: { text: "utilisation" }, tickformat: ".0%" },
        hovertemplate: "%{y}<br>day %{x:.1f}: %{z:.1%}<extra></extra>",
      },
    ],
    // Margins from the longest name instead of automargin, which costs plotly a second layout pass.
    layout: {
      height: Math.max(320, Math.min(1800, 120 + active.length * 9)),
      margin: { l: labelWidth(active.map((s) => s.link), 9) + 16, r: 20, t: 30, b: 50 },
      xaxis: { title: { text: "simulated days" } },
      yaxis: { tickfont: { size: 9 } },
    },
  });
  const top = [...active].sort((a, b) => b.p95 - a.p95).slice(0, TOP_LINKS);
  page.chart({
    title: "Link utilisation, busiest links",
    note: `p95 and maximum of the hourly utilisation, the ${top.length} busiest links by p95`,
    wide: true,
    data: [
      { type: "bar", name: "p95", x: top.map((s) => s.link), y: top.map((s) => s.p95), hovertemplate: "%{x}: p95 %{y:.1%}<extra></extra>" },
      { type: "bar", name: "max", x: top.map((s) => s.link), y: top.map((s) => s.max), hovertemplate: "%{x}: max %{y:.1%}<extra></extra>" },
    ],
    layout: {
      barmode: "group",
      margin: { l: 70, r: 20, t: 30, b: Math.round(labelWidth(top.map((s) => s.link), 11) * Math.SQRT1_2) + 30 },
      yaxis: { title: { text: "utilisation" }, tickformat: ".0%" },
      xaxis: { tickangle: -45 },
    },
  });
}

function costChart(page: Page, summary: unknown): void {
  const provisioned = num(summary, "cost.provisioned");
  const used = num(summary, "cost.used");
  const bars = [
    ["provisioned", provisioned],
    ["used", used],
  ].filter(([, v]) => Number.isFinite(v as number)) as [string, number][];
  page.chart({
    title: "Storage cost",
    note: "provisioned: capacity x cost per TB-year x run length; used: volume stored over time x cost per TB-year (scenario's currency)",
    data: [{ type: "bar", x: bars.map((b) => b[0]), y: bars.map((b) => b[1]), text: bars.map((b) => fmtNumber(Math.round(b[1]))), textposition: "auto" }],
    layout: { yaxis: { title: { text: "cost" }, rangemode: "tozero" } },
  });
}

function headline(page: Page, s: unknown): void {
  const rows: [string, string][] = [
    ["simulated", fmtSeconds(num(s, "simulatedSeconds"))],
    ["products", `${fmtNumber(num(s, "products.created"))} created, ${fmtNumber(num(s, "products.fullyReplicated"))} with all copies, ${fmtNumber(num(s, "products.lost"))} lost`],
    ["volume", `${fmtBytes(num(s, "volume.ingestedBytes"))} ingested; backlog at end ${fmtBytes(num(s, "volume.backlogBytes"))}; lost ${fmtBytes(num(s, "volume.lostBytes"))}`],
    ["replication lag", `p50 ${fmtSeconds(num(s, "replicationLagSeconds.p50"))}, p95 ${fmtSeconds(num(s, "replicationLagSeconds.p95"))}, max ${fmtSeconds(num(s, "replicationLagSeconds.max"))}`],
    ["under-replicated", `peak ${fmtBytes(num(s, "underReplicatedBytes.peak"))}, at end ${fmtBytes(num(s, "underReplicatedBytes.final"))}`],
    ["transfers", `${fmtNumber(num(s, "transfers.completed"))} completed, ${fmtNumber(num(s, "transfers.aborted"))} aborted`],
    ["tape", `${fmtNumber(num(s, "tape.migrations"))} migrations, ${fmtNumber(num(s, "tape.recalls"))} recalls`],
    ["analysis jobs", `${fmtNumber(num(s, "jobs.completed"))} of ${fmtNumber(num(s, "jobs.submitted"))} completed; wait p95 ${fmtSeconds(num(s, "jobs.waitSeconds.p95"))}`],
  ];
  page.h2("Headline").table(["", ""], rows.map(([k, v]) => [{ html: `<b>${k}</b>` }, v]), { cls: "kv" });
}

function sitesTable(page: Page, s: unknown): void {
  const sites = at(s, "sites");
  if (sites === null || typeof sites !== "object") return;
  const rows: Cell[][] = Object.entries(sites as Record<string, Record<string, unknown>>).map(([name, v]) => [
    name,
    fmtBytes(Number(v.diskCapacityBytes)),
    fmtPercent(Number(v.diskPeakFill)),
    (v.diskFullOn as string | null)?.slice(0, 10) ?? "—",
    fmtBytes(Number(v.tapeCapacityBytes)),
    fmtBytes(Number(v.tapeFinalBytes)),
    (v.tapeFullOn as string | null)?.slice(0, 10) ?? "—",
  ]);
  page.h2("Sites").table(["site", "disk", "disk peak fill", "disk full on", "tape", "tape at end", "tape full on"], rows);
}

function faultTable(page: Page, s: unknown): void {
  const faults = at(s, "faults");
  if (!Array.isArray(faults) || faults.length === 0) return;
  page.h2("Faults").table(
    ["kind", "target", "at", "ended", "products left short", "volume", "time to recovery"],
    faults.map((f: Record<string, unknown>) => [
      String(f.kind),
      String(f.target),
      `day ${(Number(f.atSeconds) / DAY).toFixed(2)}`,
      f.endSeconds === null ? "open at end" : `day ${(Number(f.endSeconds) / DAY).toFixed(2)}`,
      Number(f.productsAffected),
      fmtBytes(Number(f.bytesAffected)),
      f.timeToRecoverySeconds === null ? "not within the run" : fmtSeconds(Number(f.timeToRecoverySeconds)),
    ]),
  );
}

export function simulationPage(run: RunInfo, crumbs: { text: string; href?: string }[]): Page {
  const page = new Page(`Simulation: ${run.run.scenario.name} (seed ${run.run.seed})`, "../", crumbs);
  provenanceSection(page, run);
  if (missingSummary(page, run)) return page;
  const s = run.summary;
  headline(page, s);
  const faults = simulationFaults(readTable(run, "faults"));
  const endDays = num(s, "simulatedSeconds") / DAY;
  page.h2("Storage");
  storageCharts(page, readTable(run, "storage"));
  page.h2("Replication");
  lagChart(page, run);
  stateChart(page, readTable(run, "state"), faults, Number.isFinite(endDays) ? endDays : 0);
  page.h2("Network");
  linkCharts(page, readTable(run, "links"));
  page.h2("Cost");
  costChart(page, s);
  faultTable(page, s);
  sitesTable(page, s);
  summaryMetricsSection(page, run);
  return page;
}

/** The under-replicated volume with fault bands alone (for the simulated-vs-measured page). */
export function underReplicatedChart(page: Page, run: RunInfo): void {
  const endDays = num(run.summary, "simulatedSeconds") / DAY;
  stateChart(page, readTable(run, "state"), simulationFaults(readTable(run, "faults")), Number.isFinite(endDays) ? endDays : 0);
}

/**
 * The page of one campaign run (records/README.md, "Campaign records"): throughput, latency
 * percentiles and errors per service over time with the injected faults drawn on the timeline,
 * the integrity check and the threshold verdicts.
 */
import type { Table } from "apache-arrow";
import { quantileSorted } from "simple-statistics";
import { CAMPAIGN_SERVICES, FAULT_COLUMNS, parseCampaignSummary, REQUEST_COLUMNS, type CampaignSummary } from "../../records/campaign-record.js";
import { booleans, numbers, readTable, runSubject, strings, type RunInfo } from "../records.js";
import { missingSummary, provenanceSection, summaryMetricsSection } from "./common.js";
import { replicationSections } from "./replication.js";
import { colourOf, faultBands, timeLayout, type FaultSpan, type Trace } from "./figures.js";
import { badge, esc, fmtBytes, fmtMetric, fmtNumber, fmtPercent, fmtSeconds, Page, type Cell } from "./html.js";

const NICE_SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];

/** Bin width for about 100 bins over the campaign. */
export function binSeconds(durationSeconds: number): number {
  const want = durationSeconds / 100;
  return NICE_SECONDS.find((s) => s >= want) ?? Math.ceil(want / 86_400) * 86_400;
}

/** The time unit of the x axis, chosen by the campaign's length. */
export function timeUnit(durationSeconds: number): { name: string; seconds: number } {
  if (durationSeconds <= 900) return { name: "seconds", seconds: 1 };
  if (durationSeconds <= 6 * 3600) return { name: "minutes", seconds: 60 };
  return { name: "hours", seconds: 3600 };
}

export function campaignFaults(t: Table | null, unitSeconds: number): FaultSpan[] {
  if (t === null || t.numRows === 0) return [];
  const start = numbers(t, FAULT_COLUMNS.start) ?? new Float64Array(t.numRows);
  const end = numbers(t, FAULT_COLUMNS.end);
  const kind = strings(t, FAULT_COLUMNS.kind) ?? [];
  const target = strings(t, FAULT_COLUMNS.target) ?? [];
  return Array.from({ length: t.numRows }, (_, i) => ({
    kind: kind[i] ?? "",
    target: target[i] ?? "",
    start: start[i]! / unitSeconds,
    end: end && Number.isFinite(end[i]!) ? end[i]! / unitSeconds : null,
  }));
}

export interface ServiceSeries {
  service: string;
  /** Bin starts in the chart's unit. */
  x: number[];
  throughput: number[];
  errors: number[];
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
}

/** Requests binned per service: successful requests/s, errors per bin, latency percentiles of successful requests per bin (ms). */
export function serviceSeries(t: Table, durationSeconds: number, binS: number, unitS: number): ServiceSeries[] {
  const time = numbers(t, REQUEST_COLUMNS.time)!;
  const service = strings(t, REQUEST_COLUMNS.service)!;
  const latency = numbers(t, REQUEST_COLUMNS.latency)!;
  const ok = booleans(t, REQUEST_COLUMNS.ok)!;
  let tMax = durationSeconds;
  for (const x of time) if (x > tMax) tMax = x;
  const bins = Math.max(1, Math.ceil(tMax / binS + 1e-9));
  const known = new Set<string>(CAMPAIGN_SERVICES);
  const names = [...new Set(service)].sort((a, b) => (known.has(a) ? CAMPAIGN_SERVICES.indexOf(a as never) : 99) - (known.has(b) ? CAMPAIGN_SERVICES.indexOf(b as never) : 99) || a.localeCompare(b));
  const per = new Map(names.map((n) => [n, { count: new Float64Array(bins), errors: new Float64Array(bins), lat: Array.from({ length: bins }, () => [] as number[]) }]));
  for (let i = 0; i < t.numRows; i++) {
    const s = per.get(service[i]!)!;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(time[i]! / binS)));
    s.count[b]!++;
    if (!ok[i]) s.errors[b]!++;
    // Latency of successful requests, as the summary's percentiles (a failure's time is not service time).
    else if (Number.isFinite(latency[i]!)) s.lat[b]!.push(latency[i]! * 1000);
  }
  const x = Array.from({ length: bins }, (_, b) => (b * binS) / unitS);
  return names.map((name) => {
    const s = per.get(name)!;
    const pct = (q: number) =>
      s.lat.map((l) => {
        if (l.length === 0) return null;
        l.sort((a, b) => a - b);
        return quantileSorted(l, q);
      });
    return { service: name, x, throughput: Array.from(s.count, (c, b) => (c - s.errors[b]!) / binS), errors: Array.from(s.errors), p50: pct(0.5), p95: pct(0.95), p99: pct(0.99) };
  });
}

function verdictSection(page: Page, s: CampaignSummary): void {
  page.h2("Verdict");
  page.p(`${badge(s.verdict.toUpperCase(), s.verdict === "pass" ? "ok" : "bad").html} over ${esc(fmtSeconds(s.durationSeconds))} of load`);
  if (s.thresholds.length > 0) {
    page.table(
      ["metric", "threshold", "value", "verdict"],
      s.thresholds.map((t) => [t.metric, `${t.op} ${fmtMetric(t.metric, t.limit)}`, t.value === null ? "missing" : fmtMetric(t.metric, t.value), badge(t.pass ? "pass" : "fail", t.pass ? "ok" : "bad")]),
      { caption: "Thresholds" },
    );
  }
  const i = s.integrity;
  const intact = i.lost === 0 && i.corrupted === 0 && i.verified === i.replicas;
  page.h2("Integrity");
  page.table(
    ["files", "replicas", "verified", "lost", "corrupted", "result"],
    [[i.files, i.replicas, i.verified, i.lost, i.corrupted, badge(intact ? "intact" : "damaged", intact ? "ok" : "bad")]],
    { caption: "Checksums of every replica at the end of the campaign" },
  );
  page.h2("Services");
  const rows: Cell[][] = Object.entries(s.services).map(([name, v]) => [
    name,
    v.requests,
    v.errors,
    fmtPercent(v.errorRate),
    `${fmtNumber(v.throughputPerSecond)} /s`,
    v.latencySeconds === null ? "—" : fmtSeconds(v.latencySeconds.p50),
    v.latencySeconds === null ? "—" : fmtSeconds(v.latencySeconds.p90),
    v.latencySeconds === null ? "—" : fmtSeconds(v.latencySeconds.p95),
    v.latencySeconds === null ? "—" : fmtSeconds(v.latencySeconds.p99),
  ]);
  page.table(["service", "requests", "errors", "error rate", "throughput", "p50", "p90", "p95", "p99"], rows);
}

export function campaignCharts(page: Page, run: RunInfo, durationSeconds: number, opts: { latency?: boolean } = {}): void {
  const requests = readTable(run, "requests");
  if (requests === null || requests.numRows === 0) {
    page.p("This campaign recorded no requests (requests.arrow missing or empty).", "empty");
    return;
  }
  const unit = timeUnit(durationSeconds);
  const binS = binSeconds(durationSeconds);
  const faults = campaignFaults(readTable(run, "faults"), unit.seconds);
  const series = serviceSeries(requests, durationSeconds, binS, unit.seconds);
  const colour = colourOf(series.map((s) => s.service));
  const end = durationSeconds / unit.seconds;
  const bands = () => faultBands(faults, end);
  const per = (key: "throughput" | "errors", unitLabel: string): Trace[] =>
    series.map((s) => ({ type: "scatter", mode: "lines", name: s.service, x: s.x, y: s[key], line: { shape: "hv", color: colour(s.service) }, hovertemplate: `${s.service}: %{y:.3g} ${unitLabel}<extra></extra>` }));
  const xTitle = `${unit.name} since start (bins of ${fmtSeconds(binS)})`;
  page.chart({ title: "Throughput per service", note: faults.length > 0 ? "red bands: injected faults" : undefined, wide: true, data: per("throughput", "req/s"), layout: timeLayout(xTitle, "successful requests / s", bands()) });
  page.chart({ title: "Errors per service", note: "failed requests per bin (transport errors and bad statuses)", wide: true, data: per("errors", "errors"), layout: timeLayout(xTitle, `errors per ${fmtSeconds(binS)}`, bands()) });
  if (opts.latency === false) return;
  // One figure, one row per service on a shared time axis: a single plot to lay out, not one per service.
  const rows = series.length;
  const axis = (i: number) => (i === 0 ? "" : String(i + 1));
  const dash = { p50: "solid", p95: "dash", p99: "dot" } as const;
  const layout: Record<string, unknown> = {
    ...timeLayout(xTitle, "ms", bands()),
    height: 90 + 160 * rows,
    grid: { rows, columns: 1, pattern: "independent", roworder: "top to bottom" },
  };
  series.forEach((s, i) => {
    layout[`yaxis${axis(i)}`] = { title: { text: `${s.service} (ms)` }, rangemode: "tozero" };
    layout[`xaxis${axis(i)}`] = { matches: "x", showticklabels: i === rows - 1, ...(i === rows - 1 ? { title: { text: xTitle } } : {}) };
  });
  page.chart({
    title: "Latency per service",
    note: "p50 (solid), p95 (dashed), p99 (dotted) of successful requests in each bin",
    wide: true,
    data: series.flatMap((s, i) =>
      (["p50", "p95", "p99"] as const).map((q) => ({
        type: "scatter",
        mode: "lines",
        name: `${s.service} ${q}`,
        legendgroup: s.service,
        xaxis: `x${axis(i)}`,
        yaxis: `y${axis(i)}`,
        x: s.x,
        y: s[q],
        line: { color: colour(s.service), dash: dash[q], width: q === "p50" ? 1.5 : 1 },
        hovertemplate: `${s.service} ${q}: %{y:.3g} ms<extra></extra>`,
      })),
    ),
    layout,
  });
}

function faultsTable(page: Page, run: RunInfo): void {
  const faults = campaignFaults(readTable(run, "faults"), 1);
  if (faults.length === 0) return;
  page.h2("Faults injected").table(
    ["kind", "target", "from", "to", "duration"],
    faults.map((f) => [f.kind, f.target, fmtSeconds(f.start), f.end === null ? "open at end" : fmtSeconds(f.end), f.end === null ? "—" : fmtSeconds(f.end - f.start)]),
  );
}

export function campaignPage(run: RunInfo, crumbs: { text: string; href?: string }[]): Page {
  const page = new Page(`Campaign: ${runSubject(run.run)}`, "../", crumbs);
  provenanceSection(page, run);
  if (missingSummary(page, run)) return page;
  const parsed = parseCampaignSummary(run.summary);
  let duration = NaN;
  if ("summary" in parsed) {
    verdictSection(page, parsed.summary);
    duration = parsed.summary.durationSeconds;
  } else {
    page.p(`${badge("summary does not follow the campaign contract", "warn").html} ${esc(parsed.error)}`, "warning");
  }
  page.h2("Over time");
  if (!Number.isFinite(duration)) {
    const t = readTable(run, "requests");
    const time = t ? numbers(t, REQUEST_COLUMNS.time) : null;
    duration = time && time.length > 0 ? time.reduce((m, x) => (x > m ? x : m), 1) : 1;
  }
  campaignCharts(page, run, duration);
  faultsTable(page, run);
  const unit = timeUnit(duration);
  replicationSections(page, run, unit, campaignFaults(readTable(run, "faults"), unit.seconds), duration);
  const bytes = readTable(run, "requests");
  const b = bytes ? numbers(bytes, REQUEST_COLUMNS.bytes) : null;
  if (b) page.p(`Payload moved: ${esc(fmtBytes(b.reduce((a, x) => a + (Number.isFinite(x) ? x : 0), 0)))} in ${fmtNumber(b.length)} requests.`);
  summaryMetricsSection(page, run);
  return page;
}

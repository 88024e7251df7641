/**
 * Simulated against measured for a simulation made from a campaign (`sim run --from-campaign`):
 * the two runs' `transfers.arrow` side by side, every observable computed by the same function
 * (dashboards/transfer-observables.ts) on each: per-link transfer durations, the replication lag
 * after each of the campaign's rules, the recovery after each site loss.
 */
import { readTransferRows, runSubject, type RunInfo } from "../records.js";
import { quantileSorted } from "../../records/campaign-record.js";
import { ratio, transferObservables, type Dist, type TransferObservables } from "../transfer-observables.js";
import { shortCommit } from "./common.js";
import { colourOf, type Trace } from "./figures.js";
import { badge, esc, fmtNumber, fmtSeconds, link, Page, type Cell } from "./html.js";
import { campaignTimes, replicationOf, siteLossesOf } from "./replication.js";

/** Points per ECDF line. */
const ECDF_POINTS = 200;

/** An empirical CDF of sorted samples as a step line (at most ECDF_POINTS points). */
export function ecdfTrace(sorted: readonly number[], name: string, style: Record<string, unknown>): Trace {
  const n = sorted.length;
  const k = Math.min(n, ECDF_POINTS);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < k; i++) {
    const q = k === 1 ? 1 : i / (k - 1);
    x.push(quantileSorted(sorted, q));
    y.push(q);
  }
  return { type: "scatter", mode: "lines", name, x, y, line: { shape: "hv", ...style }, hovertemplate: `${name}: %{x:.3g} s, %{y:.1%}<extra></extra>` };
}

const fmtRatio = (r: number) => (Number.isFinite(r) ? `×${fmtNumber(Number(r.toPrecision(3)))}` : "—");
/** A ratio cell, flagged when the two sides are more than a factor 2 apart. */
const ratioCell = (r: number): Cell => (Number.isFinite(r) && (r > 2 || r < 0.5) ? { html: badge(fmtRatio(r), "warn").html } : fmtRatio(r));
const n = (x: number | undefined): Cell => (x === undefined ? 0 : x);
/** p50, p95, max of each side and their ratios, as cells. */
const distCells = (m: Dist | null | undefined, s: Dist | null | undefined): Cell[] =>
  (["p50", "p95", "max"] as const).flatMap((q) => [fmtSeconds(m?.[q]), fmtSeconds(s?.[q]), ratioCell(ratio(s?.[q], m?.[q]))]);
const distHeaders = ["p50 measured", "p50 simulated", "ratio", "p95 measured", "p95 simulated", "ratio", "max measured", "max simulated", "ratio"];

function linksSection(page: Page, m: TransferObservables, s: TransferObservables): void {
  const names = [...new Set([...m.links.map((l) => l.link), ...s.links.map((l) => l.link)])].sort();
  const ml = new Map(m.links.map((l) => [l.link, l]));
  const sl = new Map(s.links.map((l) => [l.link, l]));
  page.h2("Transfer durations per link", "links");
  page.table(
    ["link", "finished measured", "finished simulated", ...distHeaders],
    names.map((k) => [k, n(ml.get(k)?.finished), n(sl.get(k)?.finished), ...distCells(ml.get(k)?.duration, sl.get(k)?.duration)]),
    { caption: "t_end - t_start of each finished transfer; ratio: simulated / measured" },
  );
  const colour = colourOf(names);
  const data: Trace[] = names.flatMap((k) => [
    ...(ml.get(k)?.durations.length ? [ecdfTrace(ml.get(k)!.durations, `${k} measured`, { color: colour(k) })] : []),
    ...(sl.get(k)?.durations.length ? [ecdfTrace(sl.get(k)!.durations, `${k} simulated`, { color: colour(k), dash: "dash" })] : []),
  ]);
  page.chart({
    title: "Transfer durations per link",
    note: "share of finished transfers taking at most x; solid: measured, dashed: simulated",
    wide: true,
    data,
    layout: { xaxis: { title: { text: "duration (s)" }, type: "log" }, yaxis: { title: { text: "share of transfers" }, tickformat: ".0%", range: [0, 1.02] } },
  });
}

function lagSection(page: Page, campaign: RunInfo, m: TransferObservables, s: TransferObservables): void {
  if (m.rules.length === 0) return;
  const rules = (replicationOf(campaign.summary)?.rules ?? []).filter((r) => Number.isFinite(r.addedSeconds)).sort((a, b) => a.addedSeconds - b.addedSeconds);
  page.h2("Replication lag", "lag");
  page.table(
    ["rule", "added at", "transfers measured", "transfers simulated", ...distHeaders],
    [
      ...m.rules.map((r, i): Cell[] => [rules[i]?.name ?? `rule ${i + 1}`, fmtSeconds(r.addedSeconds), r.lags.length, s.rules[i]?.lags.length ?? 0, ...distCells(r.lag, s.rules[i]?.lag)]),
      [{ html: "<b>all rules</b>" }, "", m.lags.length, s.lags.length, ...distCells(m.lag, s.lag)],
    ],
    { caption: "t_end - the rule's time, for each finished transfer submitted after the rule and before the next one (and before any site loss)" },
  );
  page.chart({
    title: "Replication lag",
    note: "share of the rules' finished transfers ended within x of their rule; solid: measured, dashed: simulated",
    data: [
      ...(m.lags.length > 0 ? [ecdfTrace(m.lags, "measured", { color: "#1f77b4" })] : []),
      ...(s.lags.length > 0 ? [ecdfTrace(s.lags, "simulated", { color: "#ff7f0e", dash: "dash" })] : []),
    ],
    layout: { xaxis: { title: { text: "lag (s)" } }, yaxis: { title: { text: "share of transfers" }, tickformat: ".0%", range: [0, 1.02] } },
  });
}

function recoverySection(page: Page, campaign: RunInfo, m: TransferObservables, s: TransferObservables): void {
  if (m.recoveries.length === 0) return;
  const losses = new Map(siteLossesOf(campaign.summary).map((l) => [l.site, l]));
  page.h2("Recovery after site loss", "recovery");
  page.table(
    ["site", "lost at", "transfers measured", "transfers simulated", "finished measured", "finished simulated", "recovery measured", "recovery simulated", "ratio", "files lost measured", "files lost simulated"],
    m.recoveries.map((r, i) => {
      const o = s.recoveries[i];
      const lost = losses.get(r.site)?.lostFiles;
      return [
        r.site,
        fmtSeconds(r.atSeconds),
        r.transfers,
        o?.transfers ?? 0,
        r.finished,
        o?.finished ?? 0,
        fmtSeconds(r.recoverySeconds),
        fmtSeconds(o?.recoverySeconds),
        ratioCell(ratio(o?.recoverySeconds, r.recoverySeconds)),
        lost !== undefined && Number.isFinite(lost) ? lost : "—",
        o?.filesUnfinished ?? 0,
      ];
    }),
    {
      caption:
        "Transfers into the lost site submitted after the loss; recovery: the last one's end - the loss. Files lost, measured: no surviving copy at the end (the campaign's summary); simulated: files whose recovery transfers did not finish",
    },
  );
}

export function transferComparisonPage(sim: RunInfo, campaign: RunInfo, runHref: (r: RunInfo) => string, crumbs: { text: string; href?: string }[]): Page {
  const page = new Page(`Simulated vs measured: ${runSubject(campaign.run)}`, "../", crumbs);
  page.p(
    `Simulation ${link(runHref(sim), `${sim.run.startedAt.slice(0, 10)} ${shortCommit(sim)}`).html} (seed ${sim.run.seed}) was made from campaign ` +
      `${link(runHref(campaign), `${campaign.run.startedAt.slice(0, 10)} ${shortCommit(campaign)}`).html} (<code>${esc(campaign.dir.split(/[\\/]/).pop() ?? "")}</code>): ` +
      `every observable below is computed the same way from each run's transfers.arrow.`,
  );
  page.p(
    "The submit times are the measured ones: each file copy the campaign made entered the simulation when Rucio first submitted it, on the same link with the same size. " +
      "The simulation reproduces the transfer layer (queues, link sharing, durations); Rucio's scheduling is an input here, not a result.",
    "note",
  );
  const ms = readTransferRows(campaign);
  const ss = readTransferRows(sim);
  const missing: string[] = [];
  for (const [side, r] of [["campaign", ms], ["simulation", ss]] as const) {
    if (r === null) missing.push(`the ${side} has no transfers.arrow`);
    else if ("error" in r) missing.push(`the ${side}'s transfers.arrow is unreadable: ${r.error}`);
  }
  if (missing.length > 0 || ms === null || ss === null || !("rows" in ms) || !("rows" in ss)) {
    page.p(`${badge("nothing to compare", "warn").html} ${esc(missing.join("; "))}.`, "warning");
    return page;
  }
  const times = campaignTimes(campaign.summary);
  const m = transferObservables(ms.rows, times);
  const s = transferObservables(ss.rows, times);
  page.p(`${fmtNumber(ms.rows.length)} measured and ${fmtNumber(ss.rows.length)} simulated transfers.`);
  linksSection(page, m, s);
  lagSection(page, campaign, m, s);
  recoverySection(page, campaign, m, s);
  return page;
}

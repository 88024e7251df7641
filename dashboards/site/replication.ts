/**
 * The replication sections of a campaign page (summary.json `replication` and `siteLoss`, as the
 * harness's replication campaigns write them, and `transfers.arrow` with `links.json`): the rules
 * Rucio was given and when each was OK, each link's transfers, the bytes each link moved over
 * time, and what each site loss cost (files recovered, how long it took, the files lost by name).
 * Campaigns without these sections get none of them.
 */
import type { ReplicationSummary, RuleSummary, SiteLossSummary as RecordedSiteLoss } from "../../records/campaign-record.js";
import type { TransferRow } from "../../records/transfer-record.js";
import { readPlannedLinks, readTransferRows, type RunInfo } from "../records.js";
import { destinationOf, type CampaignTimes, type Dist } from "../transfer-observables.js";
import { at } from "./common.js";
import { colourOf, decimate, faultBands, timeLayout, type FaultSpan, type Trace } from "./figures.js";
import { badge, esc, fmtBytes, fmtNumber, fmtSeconds, Page, type Cell } from "./html.js";

/** A site loss as the page shows it: the summary's entry with its site. */
export interface SiteLossSummary extends RecordedSiteLoss {
  site: string;
}

const obj = (v: unknown): Record<string, unknown> | null => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
const n = (v: unknown): number => (typeof v === "number" ? v : NaN);
const nOrNull = (v: unknown): number | null => (typeof v === "number" ? v : null);
const s = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));
const distOf = (v: unknown): Dist | null => {
  const o = obj(v);
  return o === null ? null : { count: n(o.count), p50: n(o.p50), p95: n(o.p95), max: n(o.max) };
};

/** summary.json `replication`, read leniently (a field missing shows as "—"); null when absent. */
export function replicationOf(summary: unknown): ReplicationSummary | null {
  const r = obj(at(summary, "replication"));
  if (r === null) return null;
  const rules = Array.isArray(r.rules) ? r.rules.flatMap((x) => (obj(x) === null ? [] : [obj(x)!])) : [];
  const links = obj(r.links) ?? {};
  return {
    rules: rules.map((o) => ({
      name: s(o.name),
      // Read leniently: an unknown kind is shown as it was written.
      kind: s(o.kind) as RuleSummary["kind"],
      id: typeof o.id === "string" ? o.id : null,
      dataset: s(o.dataset),
      copies: n(o.copies),
      rses: s(o.rses),
      addedSeconds: n(o.addedSeconds),
      okAfterSeconds: nOrNull(o.okAfterSeconds),
      state: s(o.state),
      locksOk: n(o.locksOk),
      locksReplicating: n(o.locksReplicating),
      locksStuck: n(o.locksStuck),
      lagSeconds: distOf(o.lagSeconds),
      ...(o.error !== undefined ? { error: s(o.error) } : {}),
    })),
    rulesOk: n(r.rulesOk),
    rulesNotOk: n(r.rulesNotOk),
    ruleOkSeconds: distOf(r.ruleOkSeconds),
    lagSeconds: distOf(r.lagSeconds),
    links: Object.fromEntries(
      Object.entries(links).map(([k, v]) => {
        const o = obj(v) ?? {};
        return [k, { transfers: n(o.transfers), finished: n(o.finished), failed: n(o.failed), bytes: n(o.bytes), throughputBytesPerSecond: n(o.throughputBytesPerSecond), durationSeconds: distOf(o.durationSeconds) }];
      }),
    ),
  };
}

/** summary.json `siteLoss`, one entry per site lost, in the order of the losses; empty when absent. */
export function siteLossesOf(summary: unknown): SiteLossSummary[] {
  const l = obj(at(summary, "siteLoss"));
  if (l === null) return [];
  return Object.entries(l)
    .flatMap(([site, v]) => {
      const o = obj(v);
      if (o === null) return [];
      const moved = obj(o.bytesMovedByLink) ?? {};
      return [
        {
          site,
          atSeconds: n(o.atSeconds),
          declaredSeconds: n(o.declaredSeconds),
          filesAffected: n(o.filesAffected),
          filesRecoverable: n(o.filesRecoverable),
          filesRecovered: n(o.filesRecovered),
          recoverySeconds: nOrNull(o.recoverySeconds),
          lostFiles: n(o.lostFiles),
          lost: Array.isArray(o.lost) ? o.lost.map(s) : [],
          bytesMovedByLink: Object.fromEntries(Object.entries(moved).map(([k, b]) => [k, n(b)])),
          ...(o.error !== undefined ? { error: s(o.error) } : {}),
        },
      ];
    })
    .sort((a, b) => a.atSeconds - b.atSeconds || a.site.localeCompare(b.site));
}

/** When the campaign's rules were added and its sites lost: what both sides of a comparison are cut by. */
export function campaignTimes(summary: unknown): CampaignTimes {
  return {
    rules: (replicationOf(summary)?.rules ?? []).filter((r) => Number.isFinite(r.addedSeconds)),
    losses: siteLossesOf(summary).filter((l) => Number.isFinite(l.atSeconds)),
  };
}

const stateBadge = (state: string): Cell => (state === "" ? "—" : badge(state, state === "OK" ? "ok" : state === "STUCK" ? "bad" : "warn"));
const fmtRate = (bytesPerSecond: number) => (Number.isFinite(bytesPerSecond) ? `${fmtNumber(bytesPerSecond / 1e6)} MB/s` : "—");
const fmtBits = (bitsPerSecond: number) => (Number.isFinite(bitsPerSecond) && bitsPerSecond > 0 ? `${fmtNumber(bitsPerSecond / 1e9)} Gbit/s` : "—");
/** A count cell: numbers right-aligned, missing as "—". */
const count = (x: number): Cell => (Number.isFinite(x) ? x : "—");

function rulesTable(page: Page, r: ReplicationSummary): void {
  page.h2("Replication rules", "replication");
  page.p(
    `${fmtNumber(Number.isFinite(r.rulesOk) ? r.rulesOk : r.rules.filter((x) => x.okAfterSeconds !== null).length)} of ${fmtNumber(r.rules.length)} rules OK` +
      (r.ruleOkSeconds ? `; time to OK p50 ${esc(fmtSeconds(r.ruleOkSeconds.p50))}, p95 ${esc(fmtSeconds(r.ruleOkSeconds.p95))}, max ${esc(fmtSeconds(r.ruleOkSeconds.max))}` : "") +
      (r.lagSeconds ? `; replication lag of ${fmtNumber(r.lagSeconds.count)} files p50 ${esc(fmtSeconds(r.lagSeconds.p50))}, p95 ${esc(fmtSeconds(r.lagSeconds.p95))}` : "") +
      ".",
  );
  if (r.rules.length === 0) return;
  page.table(
    ["kind", "dataset", "copies", "RSE expression", "added at", "OK after", "state", "locks OK", "replicating", "stuck", "lag p50", "lag p95", "error"],
    r.rules.map((x) => [
      x.kind,
      x.dataset,
      count(x.copies),
      x.rses,
      fmtSeconds(x.addedSeconds),
      x.okAfterSeconds === null ? "not OK" : fmtSeconds(x.okAfterSeconds),
      stateBadge(x.state),
      count(x.locksOk),
      count(x.locksReplicating),
      count(x.locksStuck),
      fmtSeconds(x.lagSeconds?.p50),
      fmtSeconds(x.lagSeconds?.p95),
      x.error ?? "",
    ]),
    { caption: "Times since the campaign's start; lag: from the rule until each file's last copy it caused" },
  );
}

function linksTable(page: Page, run: RunInfo, r: ReplicationSummary): void {
  const names = Object.keys(r.links).sort();
  if (names.length === 0) return;
  const planned = readPlannedLinks(run);
  const withPlan = planned.size > 0;
  page.h2("Links");
  page.table(
    ["link", "transfers", "finished", "failed", "bytes", "throughput", "duration p50", "duration p95", ...(withPlan ? ["planned bandwidth", "planned latency"] : [])],
    names.map((k) => {
      const l = r.links[k]!;
      const p = planned.get(k);
      return [
        k,
        count(l.transfers),
        count(l.finished),
        count(l.failed),
        fmtBytes(l.bytes),
        fmtRate(l.throughputBytesPerSecond),
        fmtSeconds(l.durationSeconds?.p50),
        fmtSeconds(l.durationSeconds?.p95),
        ...(withPlan ? [fmtBits(p?.bandwidthBitsPerSecond ?? NaN), fmtSeconds(p?.latencySeconds)] : []),
      ];
    }),
    { caption: "Transfer attempts per link; throughput: finished bytes over the span from the link's first start to its last end" },
  );
}

/** Finished bytes per link, accumulated at each transfer's end: one step line per link. */
export function cumulativeBytes(rows: readonly TransferRow[], unitSeconds: number): Trace[] {
  const by = new Map<string, TransferRow[]>();
  for (const r of rows) if (r.state === "FINISHED" && Number.isFinite(r.endSeconds)) by.set(r.link, [...(by.get(r.link) ?? []), r]);
  const colour = colourOf([...by.keys()]);
  return [...by]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([link, rs]) => {
      rs.sort((a, b) => a.endSeconds - b.endSeconds);
      const x = new Float64Array(rs.length + 1);
      const y = new Float64Array(rs.length + 1);
      x[0] = Math.min(...rs.map((r) => r.submitSeconds)) / unitSeconds;
      rs.forEach((r, i) => {
        x[i + 1] = r.endSeconds / unitSeconds;
        y[i + 1] = y[i]! + r.bytes / 1e6;
      });
      const d = decimate(x, y);
      return { type: "scatter", mode: "lines", name: link, x: d.x, y: d.y, line: { shape: "hv", color: colour(link) }, hovertemplate: `${link}: %{y:.4g} MB<extra></extra>` };
    });
}

function transfersChart(page: Page, rows: readonly TransferRow[], unit: { name: string; seconds: number }, faults: FaultSpan[], endSeconds: number): void {
  const data = cumulativeBytes(rows, unit.seconds);
  let end = endSeconds;
  for (const r of rows) if (r.endSeconds > end) end = r.endSeconds;
  page.chart({
    title: "Bytes moved per link",
    note: `finished transfers, accumulated at their end${faults.length > 0 ? "; red bands: injected faults" : ""}`,
    wide: true,
    data,
    layout: timeLayout(`${unit.name} since start`, "MB moved", faultBands(faults, end / unit.seconds)),
  });
}

function siteLossTable(page: Page, losses: SiteLossSummary[], rows: readonly TransferRow[] | null): void {
  if (losses.length === 0) return;
  page.h2("Site loss", "site-loss");
  page.table(
    ["site", "lost at", "declared at", "files affected", "recoverable", "recovered", "recovery time", "files lost", "bytes moved to recover", "error"],
    losses.map((l) => {
      const moved = Object.entries(l.bytesMovedByLink).sort(([a], [b]) => a.localeCompare(b));
      const recovered = l.filesRecovered === l.filesRecoverable;
      return [
        l.site,
        fmtSeconds(l.atSeconds),
        fmtSeconds(l.declaredSeconds),
        count(l.filesAffected),
        count(l.filesRecoverable),
        { html: `${esc(fmtNumber(l.filesRecovered))} ${badge(recovered ? "all" : "not all", recovered ? "ok" : "bad").html}` },
        l.recoverySeconds === null ? "never (not every file recovered)" : fmtSeconds(l.recoverySeconds),
        { html: l.lostFiles > 0 ? badge(fmtNumber(l.lostFiles), "bad").html : esc(fmtNumber(l.lostFiles)) },
        moved.length === 0 ? "—" : moved.map(([k, b]) => `${k} ${fmtBytes(b)}`).join(", "),
        l.error ?? "",
      ];
    }),
    { caption: "Times since the campaign's start; recovery time: from the loss until every recoverable file had its copies again" },
  );
  for (const l of losses) {
    if (l.lost.length === 0) continue;
    page.h3(`Files lost with ${l.site} (no surviving copy)`);
    page.raw(`<ul class="lost-files">${l.lost.map((f) => `<li><code>${esc(f)}</code></li>`).join("")}</ul>`);
  }
  if (rows !== null) {
    // Transfers into the lost site after the loss: the recovery as the transfer service saw it.
    const lines = losses.map((l) => {
      const into = rows.filter((r) => r.submitSeconds >= l.atSeconds && destinationOf(r) === l.site);
      const done = into.filter((r) => r.state === "FINISHED");
      return `${esc(l.site)}: ${fmtNumber(into.length)} transfers into it after the loss, ${fmtNumber(done.length)} finished (${esc(fmtBytes(done.reduce((a, r) => a + r.bytes, 0)))})`;
    });
    page.p(lines.join("; ") + ".");
  }
}

/**
 * Every replication section the run has: rules, links, bytes per link over time, site losses.
 * `unit` is the time axis of the page's other charts, `faults` on it.
 */
export function replicationSections(page: Page, run: RunInfo, unit: { name: string; seconds: number }, faults: FaultSpan[], durationSeconds: number): void {
  const r = replicationOf(run.summary);
  const losses = siteLossesOf(run.summary);
  // Campaigns without replication sections render as they always have, transfers.arrow or not.
  if (r === null && losses.length === 0) return;
  const read = readTransferRows(run);
  const rows = read !== null && "rows" in read ? read.rows : null;
  if (r !== null) {
    rulesTable(page, r);
    linksTable(page, run, r);
  }
  if (read !== null && "error" in read) page.p(`${badge("transfers.arrow unreadable", "warn").html} ${esc(read.error)}`, "warning");
  if (rows !== null && rows.length > 0) {
    if (r === null) page.h2("Transfers");
    transfersChart(page, rows, unit, faults, Number.isFinite(durationSeconds) ? durationSeconds : 0);
  }
  siteLossTable(page, losses, rows);
}

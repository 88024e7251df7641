/** Sections every run page shares: provenance and the full list of summary metrics. */
import { flattenMetrics } from "../metrics.js";
import type { RunInfo } from "../records.js";
import { badge, esc, fmtMetric, statusBadge, type Cell, type Page } from "./html.js";

/** A value at a dotted path of a JSON document, or undefined. */
export function at(doc: unknown, path: string): unknown {
  let v: unknown = doc;
  for (const k of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

export const num = (doc: unknown, path: string): number => {
  const v = at(doc, path);
  return typeof v === "number" ? v : NaN;
};

export const shortCommit = (r: RunInfo) => (r.run.git.commit ? r.run.git.commit.slice(0, 10) : "—");

export const machineText = (r: RunInfo) =>
  r.run.machine ? `${r.run.machine.hostname}${r.run.machine.cpus ? ` (${r.run.machine.cpus} cpus${r.run.machine.arch ? `, ${r.run.machine.arch}` : ""})` : ""}` : "—";

export const dateText = (iso: string | null) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "—");

export function provenanceSection(page: Page, r: RunInfo): void {
  const p = r.run;
  const rows: [string, Cell][] = [
    ["kind", p.kind],
    ...(p.campaign !== undefined ? [["campaign", `${p.campaign.name}${p.campaign.sha256 ? ` (sha256 ${p.campaign.sha256.slice(0, 12)}…)` : ""}`] as [string, Cell]] : []),
    ["scenario", `${p.scenario.name}${p.scenario.sha256 ? ` (sha256 ${p.scenario.sha256.slice(0, 12)}…)` : ""}`],
    ["seed", p.seed],
    ["status", p.error ? { html: `${statusBadge(p.status).html} ${esc(p.error)}` } : statusBadge(p.status)],
    ["git commit", `${p.git.commit ?? "unknown"}${p.git.dirty ? " (dirty: uncommitted changes)" : ""}`],
    ["tool", `${p.tool.name} ${p.tool.version}`],
    ["started", dateText(p.startedAt)],
    ["ended", dateText(p.endedAt)],
    ["machine", machineText(r)],
    ["command", p.command ? `testbed ${p.command.join(" ")}` : "—"],
    ["services", p.services && p.services.length > 0 ? p.services.map((s) => `${s.name} ${s.version}`).join(", ") : "—"],
    ["record", r.dir],
  ];
  page.h2("Provenance").table(["", ""], rows.map(([k, v]) => [{ html: `<b>${esc(k)}</b>` }, v]), { cls: "kv" });
}

/** Every numeric leaf of summary.json, folded away by default. */
export function summaryMetricsSection(page: Page, r: RunInfo): void {
  const flat = flattenMetrics(r.summary);
  if (flat.size === 0) return;
  const rows: Cell[][] = [...flat].map(([k, v]) => [k, fmtMetric(k, v), v]);
  page.raw(`<details><summary>All ${flat.size} metrics of summary.json</summary>`).table(["metric", "value", "raw"], rows).raw("</details>");
}

export function missingSummary(page: Page, r: RunInfo): boolean {
  if (r.summary !== null) return false;
  page.p(`${badge("no summary", "warn").html} This run has no readable summary.json (status: ${esc(r.run.status)}).`, "warning");
  return true;
}

/**
 * Builds the static site from run records: an index, a page per run (simulation, campaign or
 * other), per sweep, per history (kind + scenario name) and per simulated-vs-measured pair.
 * The site is written to a temporary directory beside `out` and renamed into place, so a
 * half-built site never looks complete; a previous site at `out` is replaced only if this
 * builder made it (it carries a marker file) or the folder is empty.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../errors/index.js";
import { derivedFromCampaign, discoverRecords, runSubject, type Discovery, type RunInfo } from "../records.js";
import type { Thresholds } from "../regression/config.js";
import { calibrationPage } from "./calibration.js";
import { campaignPage } from "./campaign.js";
import { dateText, machineText, missingSummary, provenanceSection, shortCommit, summaryMetricsSection } from "./common.js";
import { comparisonPage } from "./compare.js";
import { historyPage } from "./history.js";
import { badge, esc, link, Page, statusBadge, type Cell } from "./html.js";
import { simulationPage } from "./simulation.js";
import { sweepPage } from "./sweep.js";
import { transferComparisonPage } from "./transfer-compare.js";

/** File at the root of every built site; its presence allows `build` to replace the folder. */
export const SITE_MARKER = ".testbed-dashboard";

export interface BuildOptions {
  thresholds: Thresholds;
  /** Called after each page with pages done and pages planned. */
  onProgress?: (done: number, total: number) => void;
}

export interface BuildResult {
  out: string;
  pages: string[];
  runs: number;
  sweeps: number;
  histories: { title: string; href: string; regressions: number; runs: number }[];
  comparisons: number;
  problems: string[];
}

const assets = join(dirname(fileURLToPath(import.meta.url)), "assets");
const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_");

/** The plotly.js bundle shipped with plotly.js-dist (its package "main"). */
export function plotlyBundle(): string {
  return createRequire(import.meta.url).resolve("plotly.js-dist");
}

/** A simulation made from a campaign, and that campaign when it is among the records. */
interface DerivedPair {
  sim: RunInfo;
  /** The directory name run.json's derivedFrom names. */
  from: string;
  campaign: RunInfo | null;
  href: string;
}

/**
 * Simulations made from a campaign (run.json `derivedFrom`) paired with exactly that campaign: the
 * campaign run whose directory has the name recorded (and, when several do, the one started at the
 * time recorded; else the latest of them).
 */
export function derivedPairs(sims: readonly RunInfo[], runs: readonly RunInfo[]): DerivedPair[] {
  return sims.flatMap((sim) => {
    const d = derivedFromCampaign(sim.run);
    if (d === null) return [];
    const named = runs.filter((r) => r.run.kind === "campaign" && basename(r.dir) === d.run);
    const campaign = named.find((r) => d.startedAt !== null && r.run.startedAt === d.startedAt) ?? named.at(-1) ?? null;
    return [{ sim, from: d.run, campaign, href: `compare/from-campaign-${sim.id}.html` }];
  });
}

function genericPage(run: RunInfo, crumbs: { text: string; href?: string }[]): Page {
  const page = new Page(`${run.run.kind}: ${runSubject(run.run)}`, "../", crumbs);
  provenanceSection(page, run);
  if (!missingSummary(page, run)) summaryMetricsSection(page, run);
  if (run.run.tables.length > 0) page.p(`Tables: ${run.run.tables.map((t) => `${esc(t)}.arrow`).join(", ")}.`);
  return page;
}

function errorPage(run: RunInfo, message: string, crumbs: { text: string; href?: string }[]): Page {
  const page = new Page(`${run.run.kind}: ${runSubject(run.run)}`, "../", crumbs);
  page.p(`${badge("could not be drawn", "bad").html} ${esc(message)}`, "warning");
  provenanceSection(page, run);
  return page;
}

export function buildSite(dirs: string[], out: string, options: BuildOptions): BuildResult {
  const found: Discovery = discoverRecords(dirs);
  if (found.runs.length === 0 && found.sweeps.length === 0) {
    throw new UsageError(`${dirs.join(", ")}: expected run records (directories with run.json), found none${found.problems.length > 0 ? `; ${found.problems[0]}` : ""}`);
  }
  const target = resolve(out);
  if (existsSync(target) && !existsSync(join(target, SITE_MARKER)) && !(statSync(target).isDirectory() && readdirSync(target).length === 0)) {
    throw new UsageError(`--out: ${out} exists and is not a dashboard site built by testbed; choose a new directory`);
  }
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, "runs"), { recursive: true });
  try {
    const result = writeSite(found, tmp, options);
    // Swap: the old site (if any) moves aside, the new one takes its name, the old one goes.
    const old = `${target}.old-${process.pid}`;
    if (existsSync(target)) renameSync(target, old);
    renameSync(tmp, target);
    rmSync(old, { recursive: true, force: true });
    return { ...result, out: target };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

function writeSite(found: Discovery, dir: string, options: BuildOptions): Omit<BuildResult, "out"> {
  const problems = [...found.problems];
  const pages: string[] = [];
  const runHref = (r: RunInfo) => `../runs/${r.id}.html`;
  const complete = found.runs.filter((r) => r.run.status === "complete" && r.summary !== null && r.sweep === null);

  // Histories: complete runs (sweep points apart) of one kind and subject (the scenario; for
  // campaigns, the campaign on its scenario: smoke and scalability runs are not one series), two or more.
  const byKey = new Map<string, RunInfo[]>();
  // Simulated vs measured pairs by scenario name, whichever campaign measured it.
  const byScenario = new Map<string, RunInfo[]>();
  const add = (m: Map<string, RunInfo[]>, key: string, r: RunInfo) => m.set(key, [...(m.get(key) ?? []), r]);
  for (const r of complete) {
    add(byKey, `${r.run.kind}\u0000${runSubject(r.run)}`, r);
    // A simulation made from a campaign is compared with that campaign only (below).
    if (derivedFromCampaign(r.run) === null) add(byScenario, `${r.run.kind}\u0000${r.run.scenario.name}`, r);
  }
  const derived = derivedPairs(
    complete.filter((r) => r.run.kind === "simulation"),
    found.runs,
  );
  const pairs = derived.filter((p): p is DerivedPair & { campaign: RunInfo } => p.campaign !== null);
  const historyKeys = [...byKey].filter(([, rs]) => rs.length >= 2);
  const scenarios = [...new Set(complete.map((r) => r.run.scenario.name))].filter(
    (s) => byScenario.has(`simulation\u0000${s}`) && byScenario.has(`campaign\u0000${s}`),
  );
  const total = found.runs.length + found.sweeps.length + historyKeys.length + scenarios.length + pairs.length + 1;
  let done = 0;
  const write = (rel: string, page: Page) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), page.render());
    pages.push(rel);
    options.onProgress?.(++done, total);
  };

  for (const r of found.runs) {
    const crumbs = [{ text: "runs", href: "../index.html#runs" }, { text: `${r.run.kind} ${runSubject(r.run)}` }];
    let page: Page;
    try {
      page =
        r.run.kind === "simulation"
          ? simulationPage(r, crumbs)
          : r.run.kind === "campaign"
            ? campaignPage(r, crumbs)
            : r.run.kind === "calibration"
              ? calibrationPage(r, found.runs, runHref, crumbs)
              : genericPage(r, crumbs);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      problems.push(`${r.dir}: ${msg}`);
      page = errorPage(r, msg, crumbs);
    }
    write(`runs/${r.id}.html`, page);
  }
  for (const s of found.sweeps) write(`sweeps/${s.id}.html`, sweepPage(s, found.runs, runHref, [{ text: "sweeps", href: "../index.html#sweeps" }, { text: s.scenario }]));

  const histories: BuildResult["histories"] = [];
  for (const [key, rs] of historyKeys) {
    const [kind, name] = key.split("\u0000") as [string, string];
    const title = `History: ${kind} ${name}`;
    const href = `history/${slug(`${kind}-${name}`)}.html`;
    const h = historyPage(title, rs, options.thresholds, runHref, [{ text: "history", href: "../index.html#history" }, { text: `${kind} ${name}` }]);
    const regressions = new Set([...h.steps.filter((s) => s.verdict === "regression").map((s) => s.metric), ...h.latest.filter((c) => c.verdict === "regression").map((c) => c.metric)]).size;
    histories.push({ title, href, regressions, runs: rs.length });
    write(href, h.page);
  }
  for (const s of scenarios) {
    const latest = (kind: string) => byScenario.get(`${kind}\u0000${s}`)!.at(-1)!;
    write(`compare/${slug(s)}.html`, comparisonPage(s, latest("simulation"), latest("campaign"), runHref, [{ text: "simulated vs measured", href: "../index.html#compare" }, { text: s }]));
  }

  for (const p of pairs) {
    const crumbs = [{ text: "simulated vs measured", href: "../index.html#compare" }, { text: `${runSubject(p.campaign.run)}, ${basename(p.campaign.dir)}` }];
    let page: Page;
    try {
      page = transferComparisonPage(p.sim, p.campaign, runHref, crumbs);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      problems.push(`${p.sim.dir} against ${p.campaign.dir}: ${msg}`);
      page = errorPage(p.sim, msg, crumbs);
    }
    write(p.href, page);
  }

  write("index.html", indexPage(found, histories, scenarios, derived, problems));
  copyFileSync(plotlyBundle(), join(dir, "plotly.js"));
  copyFileSync(join(assets, "dashboard.js"), join(dir, "dashboard.js"));
  copyFileSync(join(assets, "style.css"), join(dir, "style.css"));
  writeFileSync(join(dir, SITE_MARKER), JSON.stringify({ builtAt: new Date().toISOString(), runs: found.runs.length }) + "\n");
  return { pages, runs: found.runs.length, sweeps: found.sweeps.length, histories, comparisons: scenarios.length + pairs.length, problems };
}

function indexPage(found: Discovery, histories: BuildResult["histories"], scenarios: string[], derived: DerivedPair[], problems: string[]): Page {
  const page = new Page("SRCNet testbed: runs", "");
  const sweepOf = new Map(found.sweeps.map((s) => [s.id, s]));
  const runs = [...found.runs].reverse();
  const counts = (st: string) => found.runs.filter((r) => r.run.status === st).length;
  page.p(`${found.runs.length} runs (${counts("complete")} complete, ${counts("incomplete")} incomplete, ${counts("failed")} failed), ${found.sweeps.length} sweeps. Built ${esc(new Date().toISOString().slice(0, 19).replace("T", " "))} UTC.`);
  if (histories.length > 0) {
    page.h2("History", "history").table(
      ["kind and subject", "runs", "regressions"],
      histories.map((h) => [link(h.href, h.title.replace(/^History: /, "")), h.runs, h.regressions > 0 ? badge(`${h.regressions} metrics`, "bad") : badge("none", "ok")]),
    );
  }
  if (scenarios.length > 0 || derived.length > 0) page.h2("Simulated vs measured", "compare");
  if (scenarios.length > 0) page.table(["scenario"], scenarios.map((s) => [link(`compare/${slug(s)}.html`, s)]));
  if (derived.length > 0) {
    page.table(
      ["simulation made from a campaign", "campaign run", "started"],
      derived.map((p): Cell[] => [
        p.campaign === null ? link(`runs/${p.sim.id}.html`, runSubject(p.sim.run)) : link(p.href, `${runSubject(p.sim.run)} (seed ${p.sim.run.seed})`),
        p.campaign === null ? { html: `<code>${esc(p.from)}</code> ${badge("not among these records", "warn").html}` } : link(`runs/${p.campaign.id}.html`, `${runSubject(p.campaign.run)}, ${basename(p.campaign.dir)}`),
        dateText(p.sim.run.startedAt),
      ]),
      { caption: "Each compared with exactly the campaign it was made from" },
    );
  }
  if (found.sweeps.length > 0) {
    page.h2("Sweeps", "sweeps").table(
      ["scenario", "varied", "points", "failed"],
      found.sweeps.map((s) => [link(`sweeps/${s.id}.html`, s.scenario), s.vary.map((v) => `${v.key} = ${v.values.join(", ")}`).join("; "), s.rows.length, s.rows.filter((r) => r.status !== "complete").length]),
    );
  }
  page.h2("Runs", "runs").table(
    ["started", "ended", "kind", "scenario (campaign on scenario)", "seed", "status", "commit", "dirty", "tool", "machine", "part of"],
    runs.map((r): Cell[] => [
      dateText(r.run.startedAt),
      dateText(r.run.endedAt),
      r.run.kind,
      link(`runs/${r.id}.html`, runSubject(r.run)),
      r.run.seed,
      statusBadge(r.run.status),
      shortCommit(r),
      r.run.git.dirty === null ? "—" : r.run.git.dirty ? "yes" : "no",
      `${r.run.tool.name} ${r.run.tool.version}`,
      machineText(r),
      r.sweep !== null && sweepOf.has(r.sweep) ? link(`sweeps/${r.sweep}.html`, "sweep") : "",
    ]),
  );
  if (problems.length > 0) {
    page.h2("Records that could not be read");
    page.raw(`<ul>${problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul>`);
  }
  return page;
}

/**
 * Simulated against measured for one scenario name: the latest complete simulation and the
 * latest complete campaign side by side, their faults on their own timelines, and the measures
 * both records carry.
 */
import { parseCampaignSummary, REQUEST_COLUMNS } from "../../records/campaign-record.js";
import { flattenMetrics } from "../metrics.js";
import { numbers, readTable, type RunInfo } from "../records.js";
import { campaignCharts, campaignFaults } from "./campaign.js";
import { num, shortCommit } from "./common.js";
import { fmtMetric, fmtNumber, fmtSeconds, link, Page, type Cell } from "./html.js";
import { simulationFaults, underReplicatedChart } from "./simulation.js";

export function comparisonPage(scenario: string, sim: RunInfo, campaign: RunInfo, runHref: (r: RunInfo) => string, crumbs: { text: string; href?: string }[]): Page {
  const page = new Page(`Simulated vs measured: ${scenario}`, "../", crumbs);
  page.p(
    `Simulation ${link(runHref(sim), `${sim.run.startedAt.slice(0, 10)} ${shortCommit(sim)}`).html} (seed ${sim.run.seed}) beside campaign ` +
      `${link(runHref(campaign), `${campaign.run.startedAt.slice(0, 10)} ${shortCommit(campaign)}`).html}: the latest complete run of each kind for this scenario.`,
  );
  const parsed = parseCampaignSummary(campaign.summary);
  let duration = "summary" in parsed ? parsed.summary.durationSeconds : NaN;
  if (!Number.isFinite(duration)) {
    const t = readTable(campaign, "requests");
    const time = t ? numbers(t, REQUEST_COLUMNS.time) : null;
    duration = time && time.length > 0 ? time.reduce((m, x) => (x > m ? x : m), 1) : 1;
  }
  page.columns(
    (p) => {
      p.h2("Simulated");
      underReplicatedChart(p, sim);
    },
    (p) => {
      p.h2("Measured");
      campaignCharts(p, campaign, duration, { latency: false });
    },
  );

  const simFaults = simulationFaults(readTable(sim, "faults"));
  const campFaults = campaignFaults(readTable(campaign, "faults"), 1);
  const s = sim.summary;
  const c = "summary" in parsed ? parsed.summary : null;
  const rows: Cell[][] = [
    ["run length", fmtSeconds(num(s, "simulatedSeconds")), fmtSeconds(duration)],
    ["faults", String(simFaults.length), String(campFaults.length)],
    ["fault kinds", [...new Set(simFaults.map((f) => `${f.kind} ${f.target}`))].join(", ") || "—", [...new Set(campFaults.map((f) => `${f.kind} ${f.target}`))].join(", ") || "—"],
    ["products / files", fmtNumber(num(s, "products.created")), c ? fmtNumber(c.integrity.files) : "—"],
    ["lost", fmtNumber(num(s, "products.lost")), c ? fmtNumber(c.integrity.lost) : "—"],
  ];
  // Any metric both summaries name the same way.
  const fs = flattenMetrics(s);
  const fc = flattenMetrics(campaign.summary);
  for (const [k, v] of fs) if (fc.has(k)) rows.push([k, fmtMetric(k, v), fmtMetric(k, fc.get(k)!)]);
  page.h2("Side by side").table(["measure", "simulated", "measured"], rows);
  return page;
}

/**
 * The site built from a replication campaign (rules, links, a site loss, transfers.arrow), a
 * simulation made from it, a later campaign of the same scenario, a calibration record and an
 * older campaign without replication: the pages carry the numbers worked out by hand from the
 * small tables of transfer-fixture.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { thresholdsFrom } from "../../dashboards/regression/config.js";
import { buildSite, type BuildResult } from "../../dashboards/site/build.js";
import type { RunProvenance } from "../../records/run-record.js";
import type { TransferRow } from "../../records/transfer-record.js";
import { writeTransfers } from "../../records/transfer-table.js";
import { inspect, launch } from "./browser.js";
import { writeCampaignFixture } from "./campaign-fixture.js";
import { MEASURED, SIMULATED } from "./transfer-fixture.js";

const dir = mkdtempSync(join(tmpdir(), "testbed-replication-site-"));
const results = join(dir, "results");
const site = join(dir, "site");
let built: BuildResult;

const provenance = (kind: RunProvenance["kind"], startedAt: string, extra: Partial<RunProvenance> = {}): RunProvenance => ({
  schemaVersion: 1,
  kind,
  tool: { name: "srcnet-testbed", version: "0.1.0" },
  git: { commit: "ab".repeat(20), dirty: false },
  scenario: { name: "replication-3", sha256: "0".repeat(64) },
  seed: 1,
  command: [],
  machine: { hostname: "fixture", platform: "linux", arch: "x64", cpus: 2, memoryBytes: 8e9, node: process.version },
  services: [],
  startedAt,
  endedAt: new Date(new Date(startedAt).getTime() + 400_000).toISOString(),
  status: "complete",
  tables: ["transfers"],
  ...extra,
});

const campaignSummary = (lost: string[]) => ({
  verdict: "pass",
  thresholds: [],
  integrity: { files: 6, replicas: 12, verified: 12, lost: 0, corrupted: 0 },
  services: {},
  durationSeconds: 400,
  replication: {
    rules: [
      { name: "replicate:ds1:B", kind: "replicate", dataset: "ds1", copies: 2, rses: "A|B", id: "r1", addedSeconds: 0, okAfterSeconds: 55, state: "OK", locksOk: 3, locksReplicating: 0, locksStuck: 0, lagSeconds: { count: 3, p50: 23, p95: 48.2, max: 51 } },
      { name: "replicate:ds2:C", kind: "replicate", dataset: "ds2", copies: 2, rses: "tier=disk&site=C", id: "r2", addedSeconds: 100, okAfterSeconds: null, state: "STUCK", locksOk: 1, locksReplicating: 0, locksStuck: 1, lagSeconds: null, error: "no source" },
    ],
    rulesOk: 1,
    rulesNotOk: 1,
    ruleOkSeconds: { count: 1, p50: 55, p95: 55, max: 55 },
    lagSeconds: { count: 5, p50: 41, p95: 61.4, max: 64 },
    links: {
      "A->B": { transfers: 4, finished: 3, failed: 1, bytes: 4e6, throughputBytesPerSecond: 4e6 / 49, durationSeconds: { count: 3, p50: 20, p95: 29, max: 30 } },
      "A->C": { transfers: 2, finished: 2, failed: 0, bytes: 6e6, throughputBytesPerSecond: 1e5, durationSeconds: { count: 2, p50: 50, p95: 59, max: 60 } },
    },
  },
  siteLoss: {
    B: { atSeconds: 200, declaredSeconds: 205, filesAffected: 4, filesRecoverable: 3, filesRecovered: 2, recoverySeconds: null, lostFiles: lost.length, lost, bytesMovedByLink: { "C->B": 3e6 } },
  },
});

function writeRun(path: string, run: RunProvenance, summary: unknown, transfers: TransferRow[] | null): void {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, "run.json"), JSON.stringify(run, null, 2));
  writeFileSync(join(path, "summary.json"), JSON.stringify(summary, null, 2));
  if (transfers !== null) writeTransfers(join(path, "transfers.arrow"), transfers);
  writeFileSync(join(path, "links.json"), JSON.stringify({ links: [{ name: "A->B", latencySeconds: 0.05, bandwidthBitsPerSecond: 1e9 }, { name: "A->C", latencySeconds: 0.1, bandwidthBitsPerSecond: 5e8 }] }));
}

const campaignDir = join(results, "campaign-replicate-1");
const calibrationRows = {
  run: ["fit", "fit", "holdout"],
  transfer_id: ["a", "b", "c"],
  link: ["A->B", "A->B", "A->C"],
  bytes: Float64Array.from([1e6, 2e6, 3e6]),
  t_start_seconds: Float64Array.from([2, 3, 101]),
  measured_seconds: Float64Array.from([10, 20, 40]),
  predicted_before_seconds: Float64Array.from([15, 30, 70]),
  predicted_after_seconds: Float64Array.from([11, 19, 44]),
};

beforeAll(() => {
  const campaign = { campaign: { name: "replicate", sha256: "1".repeat(64) } };
  writeRun(campaignDir, provenance("campaign", "2026-02-01T00:00:00.000Z", campaign), campaignSummary(["test:f6", "test:zz-lost-forever"]), MEASURED);
  // A later campaign of the same scenario and name: the simulation must not be compared with it.
  const later = MEASURED.map((r) => ({ ...r, endSeconds: r.startSeconds + 1000 }));
  writeRun(join(results, "campaign-replicate-2"), provenance("campaign", "2026-02-05T00:00:00.000Z", campaign), campaignSummary([]), later);
  writeRun(
    join(results, "sim-from-campaign"),
    provenance("simulation", "2026-02-06T00:00:00.000Z", { derivedFrom: { kind: "campaign", run: "campaign-replicate-1", startedAt: "2026-02-01T00:00:00.000Z" } }),
    { simulatedSeconds: 400 },
    SIMULATED,
  );
  // A simulation made from a campaign that is not among the records.
  writeRun(join(results, "sim-orphan"), provenance("simulation", "2026-02-07T00:00:00.000Z", { derivedFrom: { kind: "campaign", run: "campaign-elsewhere", startedAt: "2026-01-01T00:00:00.000Z" } }), { simulatedSeconds: 1 }, null);
  // A calibration fitted on the first campaign, held out on the second.
  const cal = join(results, "calibration-1");
  mkdirSync(cal, { recursive: true });
  writeFileSync(join(cal, "run.json"), JSON.stringify(provenance("calibration", "2026-02-08T00:00:00.000Z", { scenario: { name: "calibration" }, tables: ["calibration"] })));
  writeFileSync(
    join(cal, "summary.json"),
    JSON.stringify({
      fitRun: campaignDir,
      holdoutRun: join(results, "campaign-replicate-2"),
      params: { bandwidthFactor: 0.8125, latencyFactor: 1.75, setupSeconds: 4.25 },
      before: { bandwidthFactor: 1, latencyFactor: 1, setupSeconds: 2.6 },
      loss: 0.0123,
      evaluations: 87,
      errors: [
        { run: "fit", transfers: 2, skipped: { unfinished: 1, unknownLink: 0 }, before: { transfers: 2, median: 0.5, p95: 0.5 }, after: { transfers: 2, median: 0.075, p95: 0.0975 } },
        { run: "holdout", transfers: 1, skipped: { unfinished: 0, unknownLink: 2 }, before: { transfers: 1, median: 0.75, p95: 0.75 }, after: { transfers: 1, median: 0.1, p95: 0.1 } },
      ],
      linksFrom: [join(campaignDir, "links.json")],
      overlay: join(cal, "overlay.yaml"),
    }),
  );
  writeFileSync(join(cal, "calibration.arrow"), tableToIPC(tableFromArrays(calibrationRows), "file"));
  // A campaign of before replication was measured.
  writeCampaignFixture({ dir: join(results, "campaign-old"), seed: 5, commit: "c".repeat(40), startedAt: new Date("2026-01-01T00:00:00Z"), scenario: "replication-3" });
  built = buildSite([results], site, { thresholds: thresholdsFrom() });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const unescape = (s: string) => s.replace(/<[^>]+>/g, "").replace(/&gt;/g, ">").replace(/&lt;/g, "<").replace(/&amp;/g, "&").replace(/&#39;/g, "'").replace(/&quot;/g, '"').trim();
/** The rows of every table of a page, each as its cells' text. */
const rows = (html: string): string[][] => [...html.matchAll(/<tr>(.*?)<\/tr>/gs)].map((m) => [...m[1]!.matchAll(/<t[dh][^>]*>(.*?)<\/t[dh]>/gs)].map((c) => unescape(c[1]!)));
const rowOf = (html: string, first: string, after?: string): string[] => {
  const from = after === undefined ? html : html.slice(html.indexOf(after));
  const r = rows(from).find((x) => x[0] === first);
  if (r === undefined) throw new Error(`no row ${first}`);
  return r;
};
const figures = (html: string): { title: string; data: { name: string; x: number[]; y: number[] }[] }[] => JSON.parse(html.match(/<script id="figures" type="application\/json">(.*?)<\/script>/s)![1]!);
/** The run page of the run whose directory name starts with `prefix`. */
const page = (prefix: string) => readFileSync(join(site, "runs", readdirSync(join(site, "runs")).find((f) => f.startsWith(prefix))!), "utf8");

describe("replication campaigns, simulations made from them and calibrations on the dashboard", () => {
  it("builds every page, the pair among them", () => {
    expect(built.problems).toEqual([]);
    expect(built.runs).toBe(6);
    expect(built.comparisons).toBe(1);
    const compare = readdirSync(join(site, "compare"));
    expect(compare).toHaveLength(1);
    expect(compare[0]).toMatch(/^from-campaign-sim-from-campaign-/);
  });

  it("a replication campaign's page shows the rules, the links, the bytes moved and the site loss with the lost files by name", () => {
    const html = page("campaign-replicate-1");
    expect(rowOf(html, "replicate", "Replication rules")).toEqual(["replicate", "ds1", "2", "A|B", "0 s", "55.0 s", "OK", "3", "0", "0", "23.0 s", "48.2 s", ""]);
    expect(rows(html).find((r) => r[1] === "ds2")).toEqual(["replicate", "ds2", "2", "tier=disk&site=C", "100 s", "not OK", "STUCK", "1", "0", "1", "—", "—", "no source"]);
    expect(rowOf(html, "A->B")).toEqual(["A->B", "4", "3", "1", "4.00 MB", "0.08163 MB/s", "20.0 s", "29.0 s", "1 Gbit/s", "50.0 ms"]);
    expect(rowOf(html, "B", "Site loss")).toEqual(["B", "3.33 min", "3.42 min", "4", "3", "2 not all", "never (not every file recovered)", "2", "C->B 3.00 MB", ""]);
    // The lost files are listed, not folded away.
    const lost = html.slice(html.indexOf("Files lost with B"));
    expect(lost).toMatch(/^Files lost with B \(no surviving copy\)<\/h3>\s*<ul class="lost-files"><li><code>test:f6<\/code><\/li><li><code>test:zz-lost-forever<\/code><\/li><\/ul>/);
    expect(html).not.toMatch(/<details[^>]*>[^]*zz-lost-forever/);
    expect(html).toContain("B: 3 transfers into it after the loss, 2 finished (3.00 MB)");
    const bytes = figures(html).find((f) => f.title === "Bytes moved per link")!;
    expect(bytes.data.map((t) => t.name)).toEqual(["A->B", "A->C", "C->B"]);
    // A->B: 1 MB finished at 12 s, 2 MB at 23 s, 1 MB at 51 s.
    expect(bytes.data[0]!.x).toEqual([1, 12, 23, 51]);
    expect(bytes.data[0]!.y).toEqual([0, 1, 3, 4]);
  });

  it("a campaign without replication sections renders as before", () => {
    const html = page("campaign-old");
    for (const text of ["Replication rules", "Bytes moved per link", "Site loss", "lost-files"]) expect(html).not.toContain(text);
    expect(html).toContain("Throughput per service");
  });

  it("the simulation made from a campaign is compared with exactly that campaign, on numbers computed the same way from both tables", () => {
    const html = readFileSync(join(site, "compare", readdirSync(join(site, "compare"))[0]!), "utf8");
    expect(html).toContain("campaign-replicate-1");
    expect(html).not.toContain("campaign-replicate-2");
    expect(html).toContain("The submit times are the measured ones");
    // Durations: measured A->B 10, 20, 30, simulated 8, 16, 24 (p95 29 and 23.2): 0.8 throughout.
    expect(rowOf(html, "A->B")).toEqual(["A->B", "3", "3", "20.0 s", "16.0 s", "×0.8", "29.0 s", "23.2 s", "×0.8", "30.0 s", "24.0 s", "×0.8"]);
    // A->C: 40, 60 against 50, 80: p50 50 / 65, p95 59 / 78.5, max 60 / 80.
    expect(rowOf(html, "A->C")).toEqual(["A->C", "2", "2", "50.0 s", "65.0 s", "×1.3", "59.0 s", "78.5 s", "×1.33", "60.0 s", "80.0 s", "×1.33"]);
    // C->B: 20, 50 against 30, 40, 75: p50 35 / 40, p95 48.5 / 71.5, max 50 / 75.
    expect(rowOf(html, "C->B")).toEqual(["C->B", "2", "3", "35.0 s", "40.0 s", "×1.14", "48.5 s", "71.5 s", "×1.47", "50.0 s", "75.0 s", "×1.5"]);
    // Lags: 12, 23, 51 | 41, 64 measured; 9, 17, 44 | 51, 82 simulated.
    expect(rowOf(html, "replicate:ds1:B")).toEqual(["replicate:ds1:B", "0 s", "3", "3", "23.0 s", "17.0 s", "×0.739", "48.2 s", "41.3 s", "×0.857", "51.0 s", "44.0 s", "×0.863"]);
    expect(rowOf(html, "replicate:ds2:C")).toEqual(["replicate:ds2:C", "100 s", "2", "2", "52.5 s", "66.5 s", "×1.27", "62.8 s", "80.5 s", "×1.28", "64.0 s", "82.0 s", "×1.28"]);
    // All: 12, 23, 41, 51, 64 against 9, 17, 44, 51, 82: p50 41 / 44, p95 61.4 / 75.8.
    expect(rowOf(html, "all rules")).toEqual(["all rules", "", "5", "5", "41.0 s", "44.0 s", "×1.07", "61.4 s", "75.8 s", "×1.23", "64.0 s", "82.0 s", "×1.28"]);
    // Recovery of B: 262 - 200 measured, 290 - 200 simulated; lost: 2 in the campaign's summary, none unfinished in the simulation.
    expect(rowOf(html, "B", "Recovery after site loss")).toEqual(["B", "3.33 min", "3", "3", "2", "3", "62.0 s", "90.0 s", "×1.45", "2", "0"]);
    const figs = figures(html);
    expect(figs.map((f) => f.title)).toEqual(["Transfer durations per link", "Replication lag"]);
    expect(figs[0]!.data.find((t) => t.name === "A->B simulated")!.x).toEqual([8, 16, 24]);
  });

  it("the index lists the pair, and the simulation whose campaign is not among the records", () => {
    const html = readFileSync(join(site, "index.html"), "utf8");
    expect(html).toMatch(/href="compare\/from-campaign-sim-from-campaign-[^"]+">replication-3 \(seed 1\)<\/a>/);
    expect(html).toMatch(/<code>campaign-elsewhere<\/code> <span class="badge warn">not among these records/);
    // Neither simulation is paired by scenario with the latest campaign.
    expect(existsSync(join(site, "compare", "replication-3.html"))).toBe(false);
  });

  it("a calibration's page shows the fitted parameters, the errors before and after, the charts and links to its runs", () => {
    const html = page("calibration-1");
    expect(html).toContain("<title>Calibration: campaign-replicate-1");
    expect(rowOf(html, "bandwidth factor")).toEqual(["bandwidth factor", "1", "0.8125"]);
    expect(rowOf(html, "latency factor")).toEqual(["latency factor", "1", "1.75"]);
    expect(rowOf(html, "setup time per file")).toEqual(["setup time per file", "2.60 s", "4.25 s"]);
    expect(rowOf(html, "fit", "Relative error of predicted")).toEqual(["fit", "2", "1", "0", "50.0 %", "50.0 %", "7.50 %", "9.75 %"]);
    expect(rowOf(html, "held out", "Relative error of predicted")).toEqual(["held out", "1", "0", "2", "75.0 %", "75.0 %", "10.0 %", "10.0 %"]);
    expect(html).toMatch(/<b>fitted on<\/b><\/td><td><a href="\.\.\/runs\/campaign-replicate-1-[0-9a-f]{8}\.html">/);
    expect(html).toMatch(/<b>held out<\/b><\/td><td><a href="\.\.\/runs\/campaign-replicate-2-[0-9a-f]{8}\.html">/);
    const figs = figures(html);
    const scatter = figs.find((f) => f.title === "Predicted against measured duration")!;
    expect(scatter.data.map((t) => t.name)).toEqual(["fit before", "fit after", "held out before", "held out after", "predicted = measured"]);
    expect(scatter.data[1]!.y).toEqual([11, 19]);
    expect(scatter.data[4]!.x).toEqual([10, 70]);
    const hist = figs.find((f) => f.title === "Relative error after the fit")!;
    expect(hist.data[0]!.x.map((x) => Number(x.toFixed(6)))).toEqual([10, 5]);
  });

  it("the new pages open in Chromium without errors, every chart drawn with data", async () => {
    const browser = await launch();
    try {
      const runs = readdirSync(join(site, "runs"));
      const files = [
        ...["campaign-replicate-1", "calibration-1", "sim-orphan"].map((p) => join(site, "runs", runs.find((f) => f.startsWith(p))!)),
        ...readdirSync(join(site, "compare")).map((f) => join(site, "compare", f)),
        join(site, "index.html"),
      ];
      for (const f of files) {
        const r = await inspect(browser.context, f, 60_000);
        expect(r.pageErrors, f).toEqual([]);
        expect(r.consoleErrors, f).toEqual([]);
        expect(r.failedRequests, f).toEqual([]);
        expect(r.rendered, f).toBe(true);
        for (const c of r.charts) expect(c.points, `${f} ${c.id}`).toBeGreaterThan(0);
      }
    } finally {
      await browser.close();
    }
  }, 180_000);
});

/**
 * The site built from real simulation records (the real simulator, small runs) and seeded
 * campaign records, opened page by page in headless Chromium: no console or page errors, no
 * failed loads, and every chart has data points.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { thresholdsFrom } from "../../dashboards/regression/config.js";
import { buildSite } from "../../dashboards/site/build.js";
import { runPoint } from "../../sim/srcnet/point.js";
import { inspect, launch, type OpenBrowser, type PageReport } from "./browser.js";
import { writeCampaignFixture, writeCampaignHistory } from "./campaign-fixture.js";
import { serve } from "./serve.js";
import { testbed, testbedInProcess } from "./sim-fixture.js";

const dir = mkdtempSync(join(tmpdir(), "testbed-dashboard-"));
const results = join(dir, "results");
const site = join(dir, "site");
let browser: OpenBrowser | null = null;
let server: Awaited<ReturnType<typeof serve>> | null = null;
const reports = new Map<string, PageReport>();
let build: { status: number | null; stdout: string; stderr: string };

const t0 = performance.now();
const mark = (what: string) => process.stdout.write(`${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

beforeAll(async () => {
  // A sweep, as `testbed sim sweep` lays it out (the command's own code, in this process; its
  // worker thread runs while the rest is written).
  const sweeping = testbedInProcess(["sim", "sweep", "srcnet-0.1", "--vary", "policies.replicas=2,3", "--set", "duration=2 d", "--parallel", "1", "--out", join(results, "sweep"), "--no-progress"]);
  // Simulations: srcnet-0.1 for 4 days with one site down for a day, three seeds (a history),
  // product events on (the preset's default), through the same code path as `testbed sim run`.
  const set = ["duration=4 d", "faults=[{kind: site-down, site: CHSRC, at: 1 d, duration: 1 d}]"];
  for (const seed of [1, 2, 3]) runPoint({ scenario: "srcnet-0.1", set, seed, out: join(results, "sim", `srcnet-seed-${seed}`) });
  // Campaigns under the same scenario name (a simulated-vs-measured pair), ten commits with a
  // 40 % TAP latency step at the seventh, plus one failed and one incomplete run.
  writeCampaignHistory(join(results, "campaigns"), { runs: 10, seed0: 1, stepAt: 6, factor: { tap: 1.4 }, scenario: "srcnet-0.1" });
  // Another campaign on the same scenario: its own history, not a point of smoke's.
  writeCampaignFixture({ dir: join(results, "campaign-scalability"), seed: 97, commit: "d".repeat(40), startedAt: new Date("2026-01-05T12:00:00Z"), scenario: "srcnet-0.1", campaign: "scalability" });
  writeCampaignFixture({ dir: join(results, "campaign-failed"), seed: 99, commit: "f".repeat(40), startedAt: new Date("2026-03-01T00:00:00Z"), scenario: "srcnet-0.1", status: "failed" });
  writeCampaignFixture({ dir: join(results, "campaign-incomplete"), seed: 98, commit: "e".repeat(40), startedAt: new Date("2026-03-02T00:00:00Z"), scenario: "srcnet-0.1", status: "incomplete" });
  mark("simulations and campaigns written");
  await sweeping;
  mark("sweep");
  build = await testbed(["dashboard", "build", results, "--out", site, "--no-progress"]);
  mark("site built");
  browser = await launch();
  server = await serve(site);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const pages = () =>
  readdirSync(site, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".html"))
    .sort();

/**
 * Opens every page once, two tabs at a time: the index and the first run page from the file
 * system (as a user opening the built folder would), the rest served over HTTP so that plotly.js
 * is compiled once (see serve.ts).
 */
async function openAll(): Promise<Map<string, PageReport>> {
  if (reports.size > 0) return reports;
  const all = pages();
  const fromFiles = new Set(["index.html", all.find((p) => p.startsWith("runs/"))!]);
  for (const p of fromFiles) reports.set(p, await inspect(browser!.context, join(site, p), 60_000));
  const queue = all.filter((p) => !fromFiles.has(p));
  await Promise.all(
    [0, 1].map(async () => {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) reports.set(p, await inspect(browser!.context, `${server!.url}${p}`, 60_000));
    }),
  );
  mark(`${all.length} pages opened`);
  return reports;
}

describe("testbed dashboard build", () => {
  it("builds the site from the results folder", () => {
    expect(build.stderr).toBe("");
    expect(build.status).toBe(0);
    expect(build.stdout).toMatch(/18 runs, 1 sweeps, 2 histories .*, 1 simulated-vs-measured pages/);
    expect(existsSync(join(site, "plotly.js"))).toBe(true);
    const p = pages();
    expect(p).toContain("index.html");
    expect(p.filter((f) => f.startsWith("runs/"))).toHaveLength(18);
    expect(p.filter((f) => f.startsWith("sweeps/"))).toHaveLength(1);
    expect(p.filter((f) => f.startsWith("history/")).sort()).toEqual(["history/campaign-smoke_on_srcnet-0.1.html", "history/simulation-srcnet-0.1.html"]);
    expect(p).toContain("compare/srcnet-0.1.html");
    // No CDN: every script the pages load is beside them.
    for (const f of p) {
      const html = readFileSync(join(site, f), "utf8");
      for (const m of html.matchAll(/<script src="([^"]+)"/g)) expect(existsSync(join(site, f, "..", m[1]!)), `${f}: ${m[1]}`).toBe(true);
      expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|cdnjs)/);
    }
  });

  it("every page opens in Chromium without console errors, page errors or failed loads, and every chart has data", async () => {
    const r = await openAll();
    expect(r.size).toBe(pages().length);
    for (const [page, rep] of r) {
      expect(rep.pageErrors, page).toEqual([]);
      expect(rep.consoleErrors, page).toEqual([]);
      expect(rep.failedRequests, page).toEqual([]);
      expect(rep.rendered, page).toBe(true);
      for (const c of rep.charts) expect(c.points, `${page} ${c.id}`).toBeGreaterThan(0);
    }
  }, 240_000);

  it("a simulation page has its charts: storage per class, lag, under-replicated with fault bands, links, cost", async () => {
    const r = await openAll();
    const simPage = [...r.keys()].find((p) => p.startsWith("runs/srcnet-seed-1"))!;
    expect(r.get(simPage)!.charts.length).toBeGreaterThanOrEqual(7);
    const html = readFileSync(join(site, simPage), "utf8");
    for (const title of ["Storage fill: disk", "Storage fill: tape", "Replication lag distribution", "Under-replicated volume", "Link utilisation over time", "Storage cost"]) expect(html).toContain(title);
    // The fault (CHSRC down from day 1 to day 2) is a band on the under-replicated chart.
    const figs = JSON.parse(html.match(/<script id="figures" type="application\/json">(.*?)<\/script>/s)![1]!);
    const under = figs.find((f: { title: string }) => f.title === "Under-replicated volume");
    expect(under.layout.shapes[0]).toMatchObject({ x0: 1, x1: 2, type: "rect" });
  });

  it("a campaign page shows throughput, errors and latency per service, faults, integrity and thresholds", () => {
    const page = pages().find((p) => p.startsWith("runs/campaign-000"))!;
    const html = readFileSync(join(site, page), "utf8");
    for (const text of ["Throughput per service", "Errors per service", "Latency per service", "Integrity", "Thresholds", "restart dachs", "PASS"]) expect(html).toContain(text);
    const figs = JSON.parse(html.match(/<script id="figures" type="application\/json">(.*?)<\/script>/s)![1]!);
    const latency = figs.find((f: { title: string }) => f.title === "Latency per service");
    expect(latency.data.map((t: { name: string }) => t.name)).toEqual(["tap", "soda", "webdav", "rucio", "ingest"].flatMap((s) => [`${s} p50`, `${s} p95`, `${s} p99`]));
    // Both faults are bands on every time chart.
    for (const f of figs) expect(f.layout.shapes, f.title).toHaveLength(2);
    // Named by the campaign and the scenario it ran on, both in the title and the provenance.
    expect(html).toContain("<title>Campaign: smoke on srcnet-0.1");
    expect(html).toMatch(/<b>campaign<\/b><\/td><td>smoke \(sha256 1{12}…\)/);
    expect(html).toMatch(/<b>scenario<\/b><\/td><td>srcnet-0.1 /);
    const other = readFileSync(join(site, pages().find((p) => p.startsWith("runs/campaign-scalability"))!), "utf8");
    expect(other).toContain("<title>Campaign: scalability on srcnet-0.1");
    const failed = readFileSync(join(site, pages().find((p) => p.startsWith("runs/campaign-failed"))!), "utf8");
    expect(failed).toContain("no readable summary.json");
  });

  it("on a campaign page every table value sits under its own header, as Chromium lays it out", async () => {
    const page = await browser!.context.newPage();
    try {
      await page.setViewportSize({ width: 1400, height: 900 });
      await page.goto(`${server!.url}${pages().find((p) => p.startsWith("runs/campaign-000"))!}`);
      // For each cell, the header whose laid-out text is nearest horizontally (text boxes, not
      // cell boxes: a cell box always spans its own column, what the reader sees is the text).
      const misplaced = await page.evaluate(() => {
        const textBox = (el: Element) => {
          const r = document.createRange();
          r.selectNodeContents(el);
          const b = r.getBoundingClientRect();
          return { left: b.left, right: b.right };
        };
        const out: string[] = [];
        document.querySelectorAll("table.data").forEach((table, t) => {
          const heads = [...table.querySelectorAll("thead th")].map(textBox);
          table.querySelectorAll("tbody tr").forEach((tr) =>
            [...tr.children].forEach((td, j) => {
              if ((td.textContent ?? "").trim() === "") return;
              const c = textBox(td);
              const dist = (h: { left: number; right: number }) => Math.max(0, h.left - c.right, c.left - h.right);
              const nearest = heads.reduce((best, h, k) => (dist(h) < dist(heads[best]!) ? k : best), j);
              if (nearest !== j) out.push(`table ${t} "${(td.textContent ?? "").trim()}" under column ${nearest}, not ${j}`);
            }),
          );
        });
        return out;
      });
      expect(misplaced).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("the index lists every run with its provenance and status", () => {
    const html = readFileSync(join(site, "index.html"), "utf8");
    for (const text of ["failed", "incomplete", "complete", "c0ffee0000", "srcnet-testbed 0.1.0", "fixture (2 cpus, x64)"]) expect(html).toContain(text);
    expect(html.match(/href="runs\//g)!.length).toBe(18);
  });

  it("the campaign history marks the TAP latency step as a regression at the seventh run", () => {
    const html = readFileSync(join(site, "history", "campaign-smoke_on_srcnet-0.1.html"), "utf8");
    const figs = JSON.parse(html.match(/<script id="figures" type="application\/json">(.*?)<\/script>/s)![1]!);
    const p95 = figs.find((f: { title: string }) => f.title === "services.*.latencySeconds.p95");
    const marks = p95.data.find((t: { name: string }) => t.name === "regression");
    expect(marks.x).toEqual(["2026-01-07T00:00:00.000Z"]);
    expect(marks.text[0]).toMatch(/regression at c0ffee0600: \+[34]\d\.\d % \(tap\)/);
  });

  it("the sweep page plots each metric against the varied parameter", () => {
    const html = readFileSync(join(site, pages().find((p) => p.startsWith("sweeps/"))!), "utf8");
    expect(html).toContain("replicationLagP95Seconds against policies.replicas");
    const figs = JSON.parse(html.match(/<script id="figures" type="application\/json">(.*?)<\/script>/s)![1]!);
    expect(figs[0].data[0].x).toEqual([2, 3]);
  });

  it("rebuilding replaces the site; a folder that is not a site is never overwritten; no records is exit 2", async () => {
    buildSite([join(results, "sim")], site, { thresholds: thresholdsFrom() });
    expect(pages().filter((f) => f.startsWith("runs/"))).toHaveLength(3);
    writeFileSync(join(dir, "precious.txt"), "x");
    expect(() => buildSite([results], dir, { thresholds: thresholdsFrom() })).toThrow(/--out: .* exists and is not a dashboard site/);
    expect(readFileSync(join(dir, "precious.txt"), "utf8")).toBe("x");
    const empty = await testbed(["dashboard", "build", join(dir, "nothing-here"), "--out", join(dir, "s2")]);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/^testbed: .*nothing-here: expected a results directory, found nothing at that path\n$/);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-") || f.includes(".old-"))).toEqual([]);
  });
});

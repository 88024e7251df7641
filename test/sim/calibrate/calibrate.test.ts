import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { parseScenario } from "../../../scenarios/load.js";
import { calibrate } from "../../../sim/calibrate/calibrate.js";
import { nelderMead } from "../../../sim/calibrate/fit.js";
import { runSrcnet } from "../../../sim/srcnet/run.js";
import { plannedLinks, transferRows, transferSettings } from "../../../sim/srcnet/transfer-rows.js";
import { RunRecord } from "../../../records/run-record.js";
import { writeTransfers } from "../../../records/transfer-table.js";

const root = join(import.meta.dirname, "..", "..", "..");
const dir = mkdtempSync(join(tmpdir(), "calibrate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The truth the calibration must find: none of them the simulator's defaults (1, 1, 2.6 s).
const TRUE = { bandwidthFactor: 0.72, latencyFactor: 1.4, setupSeconds: 2.5 };

/**
 * Four sites, links of different latencies and bandwidths (a short 10 Gbit/s path where
 * bandwidth binds, long ones where TCP windows bind), files of 20 MB to 4 GB, several at once on
 * a link. Disks write fast enough never to be the bottleneck. Every link is its endpoints'
 * lowest-latency route (no detour is shorter), as a measured path is direct.
 */
const scenario = (injections: string) => `
name: synthetic
duration: 6 h
network: { bandwidthFactor: ${TRUE.bandwidthFactor}, latencyFactor: ${TRUE.latencyFactor} }
sites:
${["A", "B", "C", "D"].map((s) => `  - { name: ${s}, country: X, location: { lat: 0, lon: 0 }, disk: { capacity: 10 PB, read: 10 Tbit/s, write: 10 Tbit/s } }`).join("\n")}
links:
  - { from: A, to: B, bandwidth: 10 Gbit/s, latency: 5 ms }
  - { from: A, to: C, bandwidth: 100 Gbit/s, latency: 62 ms }
  - { from: B, to: C, bandwidth: 40 Gbit/s, latency: 60 ms }
  - { from: C, to: D, bandwidth: 20 Gbit/s, latency: 80 ms }
policies:
  replicas: 1
  transfers:
    maxActivePerPair: 4
    streamsPerTransfer: 2
    window: 8 MiB
    setupTime: ${TRUE.setupSeconds} s
    checksumRate: { source: null, destination: null }
    optimizer: { enabled: false }
injections:
${injections}
output: { sampleInterval: 1 h, transferEvents: true }
`;

/** Simulates the scenario and writes its run record the way sim run does (transfers.arrow, links.json). */
function simulate(name: string, injections: string): string {
  const sc = parseScenario(scenario(injections));
  const out = join(dir, name);
  const record = RunRecord.create(out, { kind: "simulation", scenarioName: sc.name, scenario: sc, seed: sc.seed });
  const run = runSrcnet(sc);
  writeFileSync(join(out, "links.json"), JSON.stringify({ links: plannedLinks(sc), transfers: transferSettings(sc) }));
  const endpoints = sc.sites.map((s) => s.name);
  writeTransfers(record, transferRows(run.transferLog!, endpoints), endpoints);
  record.finish("complete");
  return out;
}

const fitRun = simulate(
  "fit",
  `
  - { from: A, to: [B, C], duration: 2 h, files: 160, fileSize: 20 MB, batch: 8 }
  - { from: A, to: [C, B], start: 10 min, duration: 2 h, files: 60, fileSize: 2 GB, batch: 6 }
  - { from: B, to: [C], start: 5 min, duration: 2 h, files: 80, fileSize: 400 MB, batch: 5 }
  - { from: C, to: [D, B], start: 20 min, duration: 2 h, files: 40, fileSize: 4 GB, batch: 4 }`,
);
const holdoutRun = simulate(
  "holdout",
  `
  - { from: B, to: [A, C], duration: 2 h, files: 90, fileSize: 100 MB, batch: 3 }
  - { from: C, to: [A, D], start: 15 min, duration: 2 h, files: 40, fileSize: 1 GB, batch: 5 }
  - { from: D, to: [C], duration: 2 h, files: 30, fileSize: 3 GB, batch: 2 }`,
);

describe("Nelder-Mead", () => {
  it("finds the minimum of Rosenbrock's function (1, 1)", () => {
    const r = nelderMead((x) => 100 * (x[1]! - x[0]! ** 2) ** 2 + (1 - x[0]!) ** 2, [-1.2, 1], { steps: [0.5, 0.5], maxEvaluations: 2000, fTolerance: 1e-16, xTolerance: 1e-9 });
    expect(r.x[0]).toBeCloseTo(1, 4);
    expect(r.x[1]).toBeCloseTo(1, 4);
  });
});

describe("calibration", () => {
  const s = calibrate({ runDir: fitRun, holdoutDir: holdoutRun, recordDir: join(dir, "calibration") });

  it("recovers the parameters the simulator ran with, each within 2 %", () => {
    expect(Math.abs(s.params.bandwidthFactor / TRUE.bandwidthFactor - 1)).toBeLessThan(0.02);
    expect(Math.abs(s.params.latencyFactor / TRUE.latencyFactor - 1)).toBeLessThan(0.02);
    expect(Math.abs(s.params.setupSeconds / TRUE.setupSeconds - 1)).toBeLessThan(0.02);
  });

  it("predicts the held-out run's transfer durations with a small median error, better than before the fit", () => {
    const fit = s.errors.find((e) => e.run === "fit")!;
    const held = s.errors.find((e) => e.run === "holdout")!;
    expect(fit.transfers).toBe(340);
    expect(held.transfers).toBe(160);
    expect(held.after.median).toBeLessThan(0.01);
    expect(held.after.p95).toBeLessThan(0.05);
    expect(held.before.median).toBeGreaterThan(held.after.median);
  });

  it("writes a calibration record (summary, calibration.arrow with both runs) and an overlay sim run takes", () => {
    const run = JSON.parse(readFileSync(join(dir, "calibration", "run.json"), "utf8"));
    expect(run).toMatchObject({ kind: "calibration", status: "complete", tables: ["calibration"] });
    const t = tableFromIPC(readFileSync(join(dir, "calibration", "calibration.arrow")));
    expect(t.numRows).toBe(500);
    expect(new Set(t.getChild("run")!.toArray())).toEqual(new Set(["fit", "holdout"]));
    const overlay = readFileSync(s.overlay, "utf8");
    expect(overlay).toMatch(/^network\.bandwidthFactor: 0\.7/m);
    const out = join(dir, "sim-overlay");
    const r = spawnSync(process.execPath, [join(root, "bin", "testbed.mjs"), "sim", "run", "srcnet-0.1", "--overlay", s.overlay, "--set", "duration=1 d", "--out", out, "--no-progress"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const command = JSON.parse(readFileSync(join(out, "run.json"), "utf8")).command as string[];
    const set = command.find((c) => c.startsWith("network.latencyFactor="))!;
    expect(Number(set.split("=")[1])).toBeCloseTo(s.params.latencyFactor, 5);
  });
});

describe("testbed calibrate on bad input", () => {
  it("a transfers table without a column: exit 2, naming the file, the column and its type", () => {
    const bad = join(dir, "bad");
    const record = RunRecord.create(bad, { kind: "campaign", scenarioName: "x", scenario: {}, seed: 0 });
    writeFileSync(join(bad, "links.json"), JSON.stringify({ links: [{ name: "A->B", latencySeconds: 0.01, bandwidthBitsPerSecond: 1e9 }] }));
    writeFileSync(join(bad, "transfers.arrow"), readFileSync(join(fitRun, "transfers.arrow")));
    record.finish("complete");
    // Drop a column: rewrite the table without bytes.
    const t = tableFromIPC(readFileSync(join(bad, "transfers.arrow")));
    const kept = Object.fromEntries(t.schema.fields.filter((f) => f.name !== "bytes").map((f) => [f.name, t.getChild(f.name)!]));
    writeFileSync(join(bad, "transfers.arrow"), tableToIPC(new Table(kept), "file"));
    const r = spawnSync(process.execPath, [join(root, "bin", "testbed.mjs"), "calibrate", bad, "--record", join(dir, "bad-cal")], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(bad, "transfers.arrow")}: expected column bytes of type float64, found no such column`);
  });

  it("a run without its links: exit 2, saying which files were looked for", () => {
    const empty = join(dir, "no-links");
    RunRecord.create(empty, { kind: "campaign", scenarioName: "x", scenario: {}, seed: 0 }).finish("complete");
    const r = spawnSync(process.execPath, [join(root, "bin", "testbed.mjs"), "calibrate", empty, "--record", join(dir, "nl-cal")], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("expected the links as planned in links.json or in run.json (stack.paths)");
  });
});

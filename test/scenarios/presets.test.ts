import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scenarioTotals } from "../../scenarios/index.js";
import { listPresets, loadScenario, PRESETS_DIR } from "../../scenarios/load.js";
import type { ProductMix, Scenario } from "../../scenarios/types.js";

const WEEK = 7 * 86400;
const PB = 1e15;
const presets = listPresets().map((p) => p.name);
const load = (name: string): Scenario => loadScenario(name);

/** Sum of all telescopes' SV rates at time t, bytes per week. */
const rateAt = (s: Scenario, t: number) =>
  s.telescopes.flatMap((x) => x.schedule).reduce((a, p) => a + (p.startSeconds <= t && t < p.endSeconds ? p.bytesPerWeek : 0), 0);

/**
 * Mean of a log-normal truncated to [min, max], by numerical integration over ln(size)
 * (Simpson's rule, 2000 intervals): independent of the simulator's closed form.
 */
function meanSize(size: ProductMix["size"]): number {
  const mu = Math.log(size.medianBytes);
  const s = size.sigma;
  const a = Math.log(size.minBytes);
  const b = Math.log(size.maxBytes);
  const n = 2000;
  const h = (b - a) / n;
  let mass = 0;
  let first = 0;
  for (let i = 0; i <= n; i++) {
    const y = a + i * h;
    const w = i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2;
    const density = Math.exp(-((y - mu) ** 2) / (2 * s * s));
    mass += w * density;
    first += w * density * Math.exp(y);
  }
  return first / mass;
}

/** Products a week at a given volume: each type's volume share divided by its mean size. */
const productsPerWeek = (mix: ProductMix[], bytesPerWeek: number) =>
  mix.reduce((a, m) => a + (m.volumeFraction * bytesPerWeek) / meanSize(m.size), 0);

describe("every preset", () => {
  it("there are the five presets of the brief", () => {
    expect(presets).toEqual(["dc-srcnet-0.1", "site-failure", "srcnet-0.1", "sv-2026", "sv-2027", "tape-recall"]);
  });

  it.each(presets)("%s loads, decodes and is self-consistent", (name) => {
    const s = load(name);
    expect(s.name).toBe(name);
    expect(s.description.length).toBeGreaterThan(20);
    expect(s.policies.replicas).toBeGreaterThanOrEqual(2); // SRCNet: at least two copies
    for (const site of s.sites) {
      // the comments say: cores at 40 GFLOPS each
      expect(site.compute.flopsPerSecond, site.name).toBeCloseTo(site.compute.cores * 40e9, -3);
      if (site.tape !== null) {
        expect(site.tape.drives).toBeGreaterThanOrEqual(4);
        expect(site.tape.drives).toBeLessThanOrEqual(80);
        expect(site.tape.mountSeconds).toBe(90);
        expect(site.tape.seekSeconds).toBe(60);
        // the comments say: read/write = drives x 400 MB/s
        expect(site.tape.writeBitsPerSecond).toBeCloseTo(site.tape.drives * 400e6 * 8, 0);
        expect(site.tape.readBitsPerSecond).toBeCloseTo(site.tape.drives * 400e6 * 8, 0);
      }
    }
    for (const t of s.telescopes) {
      for (const { site } of t.ingest) expect(s.links.some((l) => l.from === t.name && l.to === site)).toBe(true);
    }
    if (name === "sv-2027") {
      // Sized so that an ingest site's tape keeps up with its average ingest rate (the comments'
      // reasoning): otherwise its disk fills and the telescopes back up.
      for (const t of s.telescopes) {
        const weights = t.ingest.reduce((a, e) => a + e.weight, 0);
        const peak = Math.max(...t.schedule.map((p) => p.bytesPerWeek));
        for (const e of t.ingest) {
          const tape = s.sites.find((x) => x.name === e.site)!.tape!;
          expect(tape.writeBitsPerSecond / 8, e.site).toBeGreaterThanOrEqual(((peak * e.weight) / weights) / 604_800);
        }
      }
    }
    // Link latencies: derived from distance unless written; none should exceed a light-in-fibre
    // trip half way round the Earth at the presets' effective speed.
    for (const l of s.links) expect(l.latencySeconds).toBeLessThan(20_015e3 / s.network.signalSpeedMetresPerSecond + 1e-9);
  });

  it.each(presets)("%s has a comment beside every number", (name) => {
    const lines = readFileSync(join(PRESETS_DIR, `${name}.yaml`), "utf8").split("\n");
    let block: number | null = null; // indentation of a folded text block (description: >-)
    const missing: string[] = [];
    lines.forEach((line, i) => {
      const indent = line.length - line.trimStart().length;
      if (block !== null) {
        if (line.trim() === "" || indent > block) return;
        block = null;
      }
      if (/^\s*(?:- )?\w+:\s*[>|]-?\s*$/.test(line)) {
        block = indent;
        return;
      }
      const code = line.split(" #")[0]!;
      if (line.trim().startsWith("#") || /^\s*(name|description|extends):/.test(code)) return;
      if (/\d/.test(code) && !line.includes(" #")) missing.push(`${i + 1}: ${line}`);
    });
    expect(missing).toEqual([]);
  });
});

describe("srcnet-0.1", () => {
  const s = load("srcnet-0.1");
  const t = scenarioTotals(s);

  it("has 9 sites, 8 PB of disk + tape and 0.5 PFLOPS, as SRCNet 0.1 had", () => {
    expect(s.sites).toHaveLength(9);
    expect(t.diskBytes + t.tapeBytes).toBeCloseTo(8 * PB, -6);
    expect(t.diskBytes).toBeCloseTo(6.7 * PB, -6); // as the comment says
    expect(t.tapeBytes).toBeCloseTo(1.3 * PB, -6);
    expect(t.flopsPerSecond).toBeCloseTo(0.5e15, -3);
    expect(t.cores).toBe(12_500);
  });

  it("runs 4 weeks and is a full mesh", () => {
    expect(s.durationSeconds).toBe(4 * WEEK);
    expect(t.linkPairs).toBe(36 + 2); // 9 x 8 / 2 site pairs + 2 telescope links
  });
});

describe("sv-2026", () => {
  const s = load("sv-2026");
  const t = scenarioTotals(s);

  it("ingests 3.5 PB/week of SV data for at least 52 weeks", () => {
    expect(s.durationSeconds).toBeGreaterThanOrEqual(52 * WEEK);
    for (const week of [0, 10, 51]) expect(rateAt(s, week * WEEK)).toBeCloseTo(3.5 * PB, -3);
    expect(t.peakBytesPerWeek).toBeCloseTo(3.5 * PB, -3);
  });

  it("has room for a year of two copies, as its comments say", () => {
    expect(t.diskBytes).toBeCloseTo(60 * PB, -6);
    expect(t.tapeBytes).toBeCloseTo(370 * PB, -6);
    expect(t.diskBytes + t.tapeBytes).toBeGreaterThan(2 * 3.5 * PB * 52);
    expect(t.flopsPerSecond).toBeCloseTo(5e15, -3);
  });

  it("sends SKA-Low to AUSSRC and SKA-Mid to the UK over 100 Gbit/s", () => {
    const low = s.telescopes.find((x) => x.name === "SKA-Low")!;
    const mid = s.telescopes.find((x) => x.name === "SKA-Mid")!;
    expect(low.ingest).toEqual([{ site: "AUSSRC", weight: 1 }]);
    expect(mid.ingest).toEqual([{ site: "UKSRC", weight: 1 }]);
    expect(s.links.find((l) => l.from === "SKA-Mid" && l.to === "UKSRC")!.bandwidthBitsPerSecond).toBe(100e9);
    expect([low.latitudeDegrees, low.longitudeDegrees]).toEqual([-26.7, 116.6]);
    expect([mid.latitudeDegrees, mid.longitudeDegrees]).toEqual([-30.7, 21.4]);
  });
});

describe("sv-2027", () => {
  const s = load("sv-2027");
  const t = scenarioTotals(s);

  it("ingests 14 PB/week of SV data for at least 52 weeks", () => {
    expect(s.durationSeconds).toBeGreaterThanOrEqual(52 * WEEK);
    const perTelescope = s.telescopes.map((x) => x.schedule.reduce((a, p) => a + p.bytesPerWeek, 0));
    expect(perTelescope.reduce((a, b) => a + b, 0)).toBeCloseTo(14 * PB, -3);
    for (const week of [0, 26, 51]) expect(rateAt(s, week * WEEK)).toBeCloseTo(14 * PB, -3);
  });

  it("has 12-16 sites, more storage than sv-2026, and a South African ingest site for SKA-Mid", () => {
    expect(s.sites.length).toBeGreaterThanOrEqual(12);
    expect(s.sites.length).toBeLessThanOrEqual(16);
    expect(t.diskBytes).toBeCloseTo(202 * PB, -6);
    expect(t.tapeBytes).toBeCloseTo(1780 * PB, -6);
    expect(t.diskBytes + t.tapeBytes).toBeGreaterThan(2 * 14 * PB * 52);
    expect(t.flopsPerSecond).toBeCloseTo(20e15, -3);
    const mid = s.telescopes.find((x) => x.name === "SKA-Mid")!;
    expect(mid.ingest).toEqual([{ site: "ZASRC", weight: 1 }]);
    expect(s.sites.find((x) => x.name === "ZASRC")!.country).toBe("South Africa");
  });

  it("its product mix gives 20,000-60,000 products a week, most of the volume in visibilities", () => {
    for (const tel of s.telescopes) {
      const fractions = tel.productMix.reduce((a, m) => a + m.volumeFraction, 0);
      expect(fractions).toBeCloseTo(1, 9);
      expect(tel.productMix.find((m) => m.type === "visibilities")!.volumeFraction).toBeGreaterThan(0.5);
    }
    const perWeek = s.telescopes.reduce((a, tel) => a + productsPerWeek(tel.productMix, tel.schedule[0]!.bytesPerWeek), 0);
    expect(perWeek).toBeGreaterThan(20_000);
    expect(perWeek).toBeLessThan(60_000);
    expect(perWeek).toBeGreaterThan(38_000); // the comment says "about 40,000"
    expect(perWeek).toBeLessThan(42_000);
  });

  it("is connected: every site reaches every other over links", () => {
    const adjacent = new Map<string, string[]>();
    for (const l of s.links) adjacent.set(l.from, [...(adjacent.get(l.from) ?? []), l.to]);
    const seen = new Set(["AUSSRC"]);
    const queue = ["AUSSRC"];
    while (queue.length > 0) for (const n of adjacent.get(queue.pop()!) ?? []) if (!seen.has(n) && seen.add(n)) queue.push(n);
    for (const site of s.sites) expect(seen.has(site.name), site.name).toBe(true);
  });
});

describe("site-failure", () => {
  it("is sv-2026 with one site down for 3 days during SV", () => {
    const s = load("site-failure");
    const base = load("sv-2026");
    expect(s.sites).toEqual(base.sites);
    expect(s.faults).toHaveLength(1);
    const f = s.faults[0]!;
    expect(f.kind).toBe("site-down");
    if (f.kind !== "site-down") return;
    expect(f.durationSeconds).toBe(3 * 86400);
    expect(rateAt(s, f.atSeconds)).toBeGreaterThan(0); // during SV
    expect(f.atSeconds + f.durationSeconds).toBeLessThan(s.durationSeconds);
    expect(s.policies.recovery.enabled).toBe(true);
  });
});

describe("tape-recall", () => {
  it("reads in a burst after most products have moved to tape", () => {
    const s = load("tape-recall");
    const burst = s.analysis!.bursts[0]!;
    expect(s.policies.recallOnAccess).toBe(true);
    expect(s.policies.diskToTapeAfterSeconds).toBe(2 * WEEK);
    expect(burst.startSeconds).toBe(26 * WEEK);
    expect(burst.startSeconds - s.policies.diskToTapeAfterSeconds!).toBeGreaterThan(20 * WEEK);
    expect(burst.jobsPerDay).toBeGreaterThan(10 * s.analysis!.jobsPerDay);
    expect(burst.startSeconds + burst.durationSeconds).toBeLessThan(s.durationSeconds);
    expect(s.analysis!.popularityExponent).toBeLessThan(0.5);
  });
});

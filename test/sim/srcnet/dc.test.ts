import { describe, expect, it } from "vitest";
import { loadScenario } from "../../../scenarios/load.js";
import { runSrcnet } from "../../../sim/srcnet/run.js";

/**
 * The dc-srcnet-0.1 preset against SRCNet 0.1's published 24-hour data challenge (CHEP 2026,
 * "SRCNet v0.1 test campaign"): about 1 M files and about 150 TB moved in 24 hours, site-to-site
 * throughput sustained up to about 20 Gb/s.
 */
describe("dc-srcnet-0.1: SRCNet 0.1's data challenge", () => {
  const run = runSrcnet(loadScenario("dc-srcnet-0.1"));
  const inj = run.summary.injections![0]!;
  const rates = Object.values(inj.links).map((l) => l.maxBitsPerSecond);

  it("moves about 1 M files in 24 hours (within 5 %)", () => {
    expect(run.summary.simulatedSeconds).toBe(86_400);
    expect(Math.abs(inj.done - 1e6) / 1e6).toBeLessThan(0.05);
    expect(inj.aborted).toBe(0);
  });

  it("moves about 150 TB (within 5 %)", () => {
    expect(Math.abs(inj.doneBytes - 150e12) / 150e12).toBeLessThan(0.05);
  });

  it("sustains at most about 20 Gb/s per site pair, and the busiest pair reaches at least 80 % of it", () => {
    const max = Math.max(...rates);
    expect(max).toBeLessThanOrEqual(20e9 * 1.05);
    expect(max).toBeGreaterThanOrEqual(0.8 * 20e9);
    // Every destination link carried its share, none above the envelope.
    for (const r of rates) expect(r).toBeGreaterThan(0);
  });
});

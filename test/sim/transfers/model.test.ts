import { describe, expect, it } from "vitest";
import { runTransfers, type TransferScenario } from "../../../sim/transfers/model.js";

const base: TransferScenario = {
  name: "t",
  seed: 3,
  durationSeconds: 3600,
  sharing: "latency-weighted",
  sampleIntervalSeconds: 60,
  sites: [
    { name: "A", accessBitsPerSecond: 10e9 },
    { name: "B", accessBitsPerSecond: 10e9 },
  ],
  wan: [{ a: "A", b: "B", bitsPerSecond: 1e9, latencySeconds: 0.1 }],
  transfers: { arrivalsPerSecond: 1 / 600, medianBytes: 1e9, sigma: 0.3 },
};

describe("transfer workload", () => {
  it("a transfer alone on its path takes latency + bytes / bottleneck bandwidth", () => {
    // One arrival every 10 minutes, each about 8 s long: they almost never overlap.
    const run = runTransfers(base);
    const t = run.transfers;
    expect(run.summary.transfersCompleted).toBeGreaterThan(2);
    let checked = 0;
    for (let i = 0; i < t.id.length; i++) {
      const prevEnd = i > 0 ? t.endSeconds[i - 1]! : -Infinity;
      const nextStart = i + 1 < t.id.length ? t.startSeconds[i + 1]! : Infinity;
      if (Number.isNaN(t.endSeconds[i]!) || prevEnd > t.startSeconds[i]! || nextStart < t.endSeconds[i]!) continue;
      expect(t.endSeconds[i]! - t.startSeconds[i]!).toBeCloseTo(0.1 + (t.bytes[i]! * 8) / 1e9, 9);
      checked++;
    }
    expect(checked).toBeGreaterThan(2);
  });

  it("a TCP window caps a lone transfer at window / (2 x latency)", () => {
    const run = runTransfers({ ...base, transfers: { ...base.transfers, windowBytes: 4 * 2 ** 20 } });
    const t = run.transfers;
    const rate = (4 * 2 ** 20) / 0.2; // bytes/s, well under 1 Gbit/s
    const i = 0;
    expect(t.endSeconds[i]! - t.startSeconds[i]!).toBeCloseTo(0.1 + t.bytes[i]! / rate, 6);
  });

  it("link utilisation integrates to the bytes delivered", () => {
    const run = runTransfers({ ...base, transfers: { ...base.transfers, arrivalsPerSecond: 1 / 30 } });
    const { link, utilisation } = run.linkSamples;
    let wanBytes = 0;
    link.forEach((name, i) => {
      if (name.includes("->")) wanBytes += (utilisation[i]! * 60 * 1e9) / 8;
    });
    // Every byte crosses exactly one WAN link; transfers still running at the end count partly.
    const inFlight = run.summary.bytesRequested - run.summary.bytesDelivered;
    expect(wanBytes).toBeGreaterThanOrEqual(run.summary.bytesDelivered * (1 - 1e-9));
    expect(wanBytes).toBeLessThanOrEqual(run.summary.bytesDelivered + inFlight + 1);
  });

  it("is deterministic: same seed, same summary; another seed, another one", () => {
    const a = JSON.stringify(runTransfers(base).summary);
    expect(JSON.stringify(runTransfers(base).summary)).toBe(a);
    expect(JSON.stringify(runTransfers({ ...base, seed: 4 }).summary)).not.toBe(a);
  });
});

import { describe, expect, it } from "vitest";
import { distOf as dist, quantileSorted as quantile } from "../../records/campaign-record.js";
import { destinationOf, ratio, transferObservables } from "../../dashboards/transfer-observables.js";
import { MEASURED, SIMULATED, TIMES } from "./transfer-fixture.js";

describe("transfer observables", () => {
  it("quantiles interpolate linearly between order statistics", () => {
    expect(quantile([10, 20, 30], 0.95)).toBeCloseTo(29, 12);
    expect(quantile([40, 60], 0.5)).toBe(50);
    expect(quantile([7], 0.95)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
    expect(dist([3, NaN, 1, 2])).toEqual({ count: 3, p50: 2, p95: 2.9, max: 3 });
    expect(dist([NaN])).toBeNull();
  });

  it("per link: finished transfers' durations, failed attempts counted apart", () => {
    const o = transferObservables(MEASURED, TIMES);
    expect(o.links.map((l) => l.link)).toEqual(["A->B", "A->C", "C->B"]);
    const ab = o.links[0]!;
    expect(ab).toMatchObject({ transfers: 4, finished: 3, failed: 1, bytes: 4e6, durations: [10, 20, 30] });
    expect(ab.duration!.p50).toBe(20);
    expect(ab.duration!.p95).toBeCloseTo(29, 12);
    expect(ab.duration!.max).toBe(30);
    expect(o.links[1]!.duration).toEqual({ count: 2, p50: 50, p95: 59, max: 60 });
    expect(o.links[2]!).toMatchObject({ transfers: 3, finished: 2, failed: 1, durations: [20, 50] });
  });

  it("lag: each finished transfer against the last rule before its submit, until the next rule or the first site loss", () => {
    const o = transferObservables(MEASURED, TIMES);
    expect(o.rules.map((r) => [r.addedSeconds, r.untilSeconds, r.lags])).toEqual([
      [0, 100, [12, 23, 51]],
      [100, 200, [41, 64]],
    ]);
    expect(o.lags).toEqual([12, 23, 41, 51, 64]);
    expect(o.lag!.p50).toBe(41);
    expect(o.lag!.p95).toBeCloseTo(61.4, 12);
    const s = transferObservables(SIMULATED, TIMES);
    expect(s.rules.map((r) => r.lags)).toEqual([
      [9, 17, 44],
      [51, 82],
    ]);
  });

  it("transfers before the first rule or after a loss are not replication lag", () => {
    const o = transferObservables(MEASURED, { rules: [{ addedSeconds: 2 }], losses: [{ site: "B", atSeconds: 101.5 }] });
    // Submitted at 1 s (before the rule), the failed attempt and those at 102 s or later (after the loss) are out.
    expect(o.rules[0]!.lags).toEqual([49, 139]);
    expect(transferObservables(MEASURED, { rules: [], losses: [] }).lag).toBeNull();
  });

  it("recovery: transfers into the lost site submitted after the loss, to the last finished one's end", () => {
    const m = transferObservables(MEASURED, TIMES).recoveries;
    expect(m).toEqual([{ site: "B", atSeconds: 200, transfers: 3, finished: 2, recoverySeconds: 62, filesUnfinished: 1, bytesFinished: 3e6 }]);
    const s = transferObservables(SIMULATED, TIMES).recoveries;
    expect(s).toEqual([{ site: "B", atSeconds: 200, transfers: 3, finished: 3, recoverySeconds: 90, filesUnfinished: 0, bytesFinished: 4e6 }]);
    // A site nothing was sent to after the loss has no recovery time.
    expect(transferObservables(MEASURED, { rules: [], losses: [{ site: "C", atSeconds: 200 }] }).recoveries[0]).toMatchObject({ transfers: 0, recoverySeconds: null });
  });

  it("the destination comes from the link when the column is empty; ratios guard against missing values", () => {
    expect(destinationOf({ ...MEASURED[0]!, destination: "" })).toBe("B");
    expect(ratio(16, 20)).toBe(0.8);
    expect(ratio(null, 20)).toBeNaN();
    expect(ratio(1, 0)).toBeNaN();
  });
});

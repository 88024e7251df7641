import { describe, expect, it } from "vitest";
import { thresholdsFrom } from "../../dashboards/regression/config.js";
import { draws } from "../../dashboards/regression/random.js";
import { incompleteBeta, mannWhitneyU, predictionTest, studentTwoSided, welchT } from "../../dashboards/regression/stats.js";
import { classify, compareMetric, relativeChange } from "../../dashboards/regression/verdict.js";

// Reference values: test/dashboards/reference_pvalues.py, plain Python 3 written apart from the
// code under test (exact U by enumerating every rank assignment; Welch and prediction p-values by
// integrating Student's density with Simpson's rule, not with the incomplete beta function).
// The scipy documentation's mannwhitneyu example (males/females) gives U = 17, p = 0.1111 (exact).
const A = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
const B = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
const C = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const D = [1.15, 0.88, 0.9, 0.74, 1.21];
const E = [3, 5, 5, 7, 9, 9, 9, 12];
const F = [1, 2, 5, 6, 9, 4, 4, 2, 8];

const normals = (seed: number) => draws(seed).normal;

describe("Mann-Whitney U", () => {
  it.each([
    ["scipy docs example", [19, 22, 16, 29, 24], [20, 11, 17, 12], 17, 0.1111111111111111, "mann-whitney exact"],
    ["exact, C vs D", C, D, 35, 0.2544122544122544, "mann-whitney exact"],
    ["exact, complete separation", [1.1, 2.2, 3.3], [4.4, 5.5, 6.6, 7.7], 0, 0.05714285714285714, "mann-whitney exact"],
    ["normal with ties, A vs B", A, B, 58, 0.13291945818531886, "mann-whitney normal"],
    ["normal with ties, E vs F", E, F, 55.5, 0.06482426708639258, "mann-whitney normal"],
    ["normal, n1 + n2 = 60", Array.from({ length: 30 }, (_, i) => i), Array.from({ length: 30 }, (_, i) => i + 7.5), 253, 0.0036708933924506602, "mann-whitney normal"],
  ])("%s", (_name, x, y, u, p, method) => {
    const r = mannWhitneyU(x as number[], y as number[]);
    expect(r.statistic).toBe(u);
    expect(r.method).toBe(method);
    // errorFunction (simple-statistics) is good to 1.2e-7; the exact counts are exact.
    expect(r.pValue).toBeCloseTo(p as number, 6);
  });

  it("is symmetric in its samples and 1 when they are identical", () => {
    expect(mannWhitneyU(D, C).pValue).toBeCloseTo(mannWhitneyU(C, D).pValue, 12);
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5]).pValue).toBe(1);
  });
});

describe("Welch's t and the prediction test", () => {
  it.each([
    ["C vs D", C, D, 2.0413830922100695, 12.970538443257544, 0.062101343781078004],
    ["A vs B", A, B, 1.205172799106651, 15.79503558254125, 0.24588283853317294],
    ["E vs F", E, F, 2.0424236255417565, 14.481392102663976, 0.059757019601576956],
  ])("%s", (_n, x, y, t, df, p) => {
    const r = welchT(x, y);
    expect(r.statistic).toBeCloseTo(t, 12);
    expect(r.df!).toBeCloseTo(df, 10);
    expect(r.pValue).toBeCloseTo(p, 8);
  });

  it("prediction test of one value against a sample", () => {
    const r = predictionTest([10.1, 9.8, 10.4, 10.0, 9.7], 11.2);
    expect(r.statistic).toBeCloseTo(4, 10);
    expect(r.df).toBe(4);
    expect(r.pValue).toBeCloseTo(0.01613008990009263, 8);
  });

  it("Student's t: textbook critical values (two-sided 5 %: 12.706 at 1 df, 2.228 at 10, 1.960 in the limit)", () => {
    expect(studentTwoSided(12.7062047362, 1)).toBeCloseTo(0.05, 8);
    expect(studentTwoSided(2.2281388520, 10)).toBeCloseTo(0.05, 8);
    expect(studentTwoSided(1.959963985, 1e7)).toBeCloseTo(0.05, 6);
    // I_x(1, 1) = x; I_x(a, b) + I_{1-x}(b, a) = 1.
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(incompleteBeta(0.3, 2.5, 4) + incompleteBeta(0.7, 4, 2.5)).toBeCloseTo(1, 12);
  });
});

describe("verdicts", () => {
  const rule = { direction: "lower" as const, ignore: false, alpha: 0.05, minEffect: 0.05, test: "mann-whitney" as const };

  it("needs both significance and size, and a direction to call a regression", () => {
    expect(classify(0.01, 0.2, rule)).toBe("regression");
    expect(classify(0.01, -0.2, rule)).toBe("improvement");
    expect(classify(0.2, 0.5, rule)).toBe("unchanged");
    expect(classify(0.01, 0.01, rule)).toBe("unchanged");
    expect(classify(0.01, 0.2, { ...rule, direction: "higher" })).toBe("improvement");
    expect(classify(0.01, 0.2, { ...rule, direction: "none" })).toBe("changed");
    expect(relativeChange(0, 3)).toBe(Infinity);
    expect(relativeChange(0, 0)).toBe(0);
    expect(compareMetric("m", [1], [2], rule).verdict).toBe("insufficient data");
  });

  it("two baseline runs that agree by chance do not make every change significant", () => {
    // Seen on the smoke campaign: a discovery time quantised by a 0.25 s poll, 0.506 and 0.5065 s
    // in the baseline, 0.6 s in the candidate. Taken at face value (s = 0.00035) the prediction test
    // gives p = 0.003; with the spread floored at half the 5 % minimum effect, t = 0.0937 /
    // (0.01266 * sqrt(1.5)) = 6.05 at 1 df, p = 0.104.
    const r = compareMetric("operations.ingest.rucio-discoverable.seconds.p50", [0.506, 0.5065], [0.6], { ...rule, direction: "lower" });
    expect(r.pValue).toBeCloseTo(0.1043, 3);
    expect(r.verdict).toBe("unchanged");
    // A doubling is still a regression.
    expect(compareMetric("m", [0.506, 0.5065, 0.507], [1.2], { ...rule, direction: "lower" }).verdict).toBe("regression");
  });

  // 1000 seeded baseline/candidate pairs from one distribution: how often is a regression called?
  const falsePositives = (test: "mann-whitney" | "welch", nCandidate: number, minEffect: number) => {
    let n = 0;
    for (let seed = 1; seed <= 1000; seed++) {
      const draw = normals(seed);
      const base = Array.from({ length: 10 }, () => draw(100, 5));
      const cand = Array.from({ length: nCandidate }, () => draw(100, 5));
      if (compareMetric("latencySeconds.p95", base, cand, { ...rule, test, minEffect }).verdict === "regression") n++;
    }
    return n / 1000;
  };

  it.each([
    ["mann-whitney", 5],
    ["welch", 5],
    ["mann-whitney", 1], // one candidate run: the prediction test
  ] as const)("on noise alone, %s with %i candidate runs calls a regression in at most 5 percent of 1000 seeds", (test, nc) => {
    const pure = falsePositives(test, nc, 0);
    const withEffect = falsePositives(test, nc, 0.05);
    process.stdout.write(`false-positive rate, ${test}, ${nc} candidate runs: ${(pure * 100).toFixed(1)} % (alpha only), ${(withEffect * 100).toFixed(1)} % (with 5 % minimum effect)\n`);
    expect(pure).toBeLessThanOrEqual(0.05);
    expect(withEffect).toBeLessThanOrEqual(pure);
  });

  it("finds a real 10 percent regression in most seeds", () => {
    let hits = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const draw = normals(seed);
      const base = Array.from({ length: 10 }, () => draw(100, 3));
      const cand = Array.from({ length: 5 }, () => draw(110, 3));
      if (compareMetric("latencySeconds.p95", base, cand, rule).verdict === "regression") hits++;
    }
    expect(hits / 200).toBeGreaterThan(0.9);
  });

  it("default directions and effects come from metric names; a file rule overrides them", () => {
    const t = thresholdsFrom({ metrics: [{ match: "services.*.errors", direction: "none" }] });
    expect(t.rule("services.tap.latencySeconds.p95").direction).toBe("lower");
    expect(t.rule("services.tap.latencySeconds.p99").minEffect).toBe(0.1);
    expect(t.rule("services.tap.throughputPerSecond").direction).toBe("higher");
    expect(t.rule("services.tap.requests").direction).toBe("none");
    expect(t.rule("integrity.lost").direction).toBe("lower");
    expect(t.rule("integrity.verified").direction).toBe("higher");
    expect(t.rule("thresholds.x.value").ignore).toBe(true);
    expect(t.rule("services.tap.errors").direction).toBe("none");
    expect(t.rule("sites.AUSSRC.diskPeakFill").direction).toBe("none");
  });
});

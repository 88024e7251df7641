import { describe, expect, it } from "vitest";
import { thresholdsFrom } from "../../dashboards/regression/config.js";
import { draws } from "../../dashboards/regression/random.js";
import { detectSteps, STEP_DEFAULTS } from "../../dashboards/regression/steps.js";
import { historySteps } from "../../dashboards/regression/verdict.js";

const series = (seed: number, n: number, steps: { at: number; by: number }[] = [], sd = 1, level = 100) => {
  const { normal } = draws(seed);
  return Array.from({ length: n }, (_, i) => level + steps.filter((s) => i >= s.at).reduce((a, s) => a + s.by, 0) + normal(0, sd));
};

describe("step detection", () => {
  it.each([
    [30, 15, 3],
    [40, 8, 4],
    [20, 14, 4],
    [60, 45, 3],
    [12, 7, 5],
  ])("finds a step in %i points at index %i (%f sigma) within +-1 index, in each of 20 seeds", (n, at, by) => {
    for (let seed = 1; seed <= 20; seed++) {
      const found = detectSteps(series(seed, n, [{ at, by }]));
      expect(found.length, `seed ${seed}`).toBeGreaterThanOrEqual(1);
      const nearest = found.reduce((b, s) => (Math.abs(s.index - at) < Math.abs(b.index - at) ? s : b));
      expect(Math.abs(nearest.index - at), `seed ${seed}: steps at ${found.map((s) => s.index)}`).toBeLessThanOrEqual(1);
      expect(nearest.after - nearest.before).toBeGreaterThan(0);
    }
  });

  it("finds two steps and the segment means around them", () => {
    const found = detectSteps(series(7, 60, [{ at: 20, by: 4 }, { at: 40, by: -6 }]));
    expect(found.map((s) => s.index)).toEqual([20, 40]);
    // Means of 20 values with sd 1: within 1 of the truth.
    expect(Math.abs(found[0]!.before - 100)).toBeLessThan(1);
    expect(Math.abs(found[0]!.after - 104)).toBeLessThan(1);
    expect(Math.abs(found[1]!.after - 98)).toBeLessThan(1);
  });

  it("a deterministic history (same value, then another) steps exactly where it changes", () => {
    const xs = [5, 5, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7];
    expect(detectSteps(xs).map((s) => s.index)).toEqual([6]);
    // A single blip is not a step.
    expect(detectSteps([0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0])).toEqual([]);
  });

  it("same input, same answer (seeded permutations)", () => {
    const xs = series(3, 25, [{ at: 12, by: 1.2 }]);
    expect(detectSteps(xs)).toEqual(detectSteps(xs));
  });

  it.each([10, 20, 50])(`on noise alone (1000 seeded series of %i points), reports a step in at most 5 percent of them (alpha ${STEP_DEFAULTS.alpha})`, (n) => {
    let withStep = 0;
    for (let seed = 1; seed <= 1000; seed++) if (detectSteps(series(10_000 + seed, n)).length > 0) withStep++;
    process.stdout.write(`step detection false-positive rate, ${n} points: ${(withStep / 10).toFixed(1)} %\n`);
    expect(withStep / 1000).toBeLessThanOrEqual(0.05);
  });

  it("on heavy-tailed noise too (log-normal), the false-positive rate stays at most 5 percent", () => {
    let withStep = 0;
    for (let seed = 1; seed <= 1000; seed++) if (detectSteps(series(20_000 + seed, 20).map((x) => Math.exp(x - 100))).length > 0) withStep++;
    expect(withStep / 1000).toBeLessThanOrEqual(0.05);
  });

  it("history steps carry a verdict from the metric's direction and minimum effect", () => {
    const t = thresholdsFrom();
    const up = historySteps(series(5, 30, [{ at: 15, by: 20 }], 2), t.rule("services.tap.latencySeconds.p95"), t.steps);
    expect(up.map((s) => [s.index, s.verdict])).toEqual([[15, "regression"]]);
    const small = historySteps(series(5, 30, [{ at: 15, by: 3 }], 0.3), t.rule("services.tap.latencySeconds.p95"), t.steps);
    // 3 % is below the default 5 % minimum effect: found, but not a regression.
    expect(small.map((s) => s.verdict)).toEqual(["unchanged"]);
    const better = historySteps(series(5, 30, [{ at: 15, by: 20 }], 2), t.rule("services.tap.throughputPerSecond"), t.steps);
    expect(better.map((s) => s.verdict)).toEqual(["improvement"]);
  });
});

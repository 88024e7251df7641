/**
 * Verdicts per metric: candidate runs against a window of baseline runs.
 *
 * A change counts when it is both significant (two-sided p < alpha) and large (the relative
 * change of medians is at least minEffect); its sign and the metric's direction make it a
 * regression or an improvement ("changed" when the metric has no direction). Tests: Mann-Whitney
 * U (default) or Welch's t with two or more candidate runs; with one candidate run, a prediction
 * test against the baseline's mean and spread (see stats.ts), since no two-sample test can reach
 * significance with a single value. That spread is taken as at least half the minimum effect
 * (relative to the baseline median): a few baseline runs that agree by chance, or a metric
 * quantised by a polling interval, are no evidence that the metric never moves, and would turn
 * any change into a "significant" one.
 */
import { median } from "simple-statistics";
import type { MetricRule } from "./config.js";
import { mannWhitneyU, predictionTest, welchT, type TestResult } from "./stats.js";
import { detectSteps, type Step, type StepOptions } from "./steps.js";

export type Verdict = "regression" | "improvement" | "changed" | "unchanged" | "insufficient data";

export interface Comparison {
  metric: string;
  baselineMedian: number;
  candidateMedian: number;
  /** (candidate - baseline) / |baseline| of the medians; +-Infinity from a zero baseline, 0 when both are 0. */
  change: number;
  pValue: number;
  method: TestResult["method"] | "none";
  nBaseline: number;
  nCandidate: number;
  verdict: Verdict;
}

export function relativeChange(before: number, after: number): number {
  if (before === after) return 0;
  if (before === 0) return after > 0 ? Infinity : -Infinity;
  return (after - before) / Math.abs(before);
}

/** Regression, improvement, changed or unchanged, from a p-value and a relative change. */
export function classify(pValue: number, change: number, rule: MetricRule): Verdict {
  if (!(pValue < rule.alpha) || !(Math.abs(change) >= rule.minEffect) || change === 0) return "unchanged";
  if (rule.direction === "none") return "changed";
  const worse = rule.direction === "lower" ? change > 0 : change < 0;
  return worse ? "regression" : "improvement";
}

export function compareMetric(metric: string, baseline: number[], candidate: number[], rule: MetricRule): Comparison {
  const base = { metric, nBaseline: baseline.length, nCandidate: candidate.length };
  if (baseline.length < 2 || candidate.length < 1) {
    return {
      ...base,
      baselineMedian: baseline.length > 0 ? median(baseline) : NaN,
      candidateMedian: candidate.length > 0 ? median(candidate) : NaN,
      change: NaN,
      pValue: NaN,
      method: "none",
      verdict: "insufficient data",
    };
  }
  const bm = median(baseline);
  const cm = median(candidate);
  const test: TestResult =
    candidate.length === 1 ? predictionTest(baseline, candidate[0]!, (rule.minEffect * Math.abs(bm)) / 2) : rule.test === "welch" ? welchT(candidate, baseline) : mannWhitneyU(candidate, baseline);
  const change = relativeChange(bm, cm);
  return { ...base, baselineMedian: bm, candidateMedian: cm, change, pValue: test.pValue, method: test.method, verdict: classify(test.pValue, change, rule) };
}

export interface ClassifiedStep extends Step {
  change: number;
  verdict: Verdict;
}

/** Steps in a history series, each classified by the metric's rule (its significance is the step test's). */
export function historySteps(series: number[], rule: MetricRule, options: StepOptions): ClassifiedStep[] {
  return detectSteps(series, options).map((s) => {
    const change = relativeChange(s.before, s.after);
    // The step test already decided significance at its own alpha: pass p = 0 so only size and direction remain.
    return { ...s, change, verdict: classify(0, change, { ...rule, alpha: 1 }) };
  });
}

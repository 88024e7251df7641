/**
 * Verdicts per metric: candidate runs against a window of baseline runs.
 *
 * A change counts when it is both significant (two-sided p < alpha) and large (the relative
 * change of medians is at least minEffect); its sign and the metric's direction make it a
 * regression or an improvement ("changed" when the metric has no direction). Tests: Mann-Whitney
 * U (default) or Welch's t with two or more candidate runs; with one candidate run, a prediction
 * test against the baseline's mean and spread (see stats.ts), since no two-sample test can reach
 * significance with a single value.
 *
 * Small windows, ties and quantised metrics (a time measured by a 0.25 s poll sits on one value
 * and jumps by half of it) fool the textbook tests, and the false-positive rate on noise alone
 * must stay at most 5 % (test/dashboards/stats.test.ts measures it over window sizes and noise
 * shapes). Hence:
 * - t-based tests (Welch, prediction) take each sample's spread as at least half the minimum
 *   effect relative to the baseline median: a few runs that agree by chance, or agree because
 *   the metric is quantised, are no evidence that it never moves, and a zero spread would make
 *   any difference infinitely significant.
 * - The prediction test works on the logarithm of positive metrics: it asks where one value falls
 *   in the baseline's distribution, i.e. about its tail, and latencies and durations are skewed
 *   to the right (log-normal noise gave 5-6 % false regressions on the raw scale); the verdict is
 *   about relative change anyway. The floor is then on the standard deviation of the logarithm,
 *   which is the relative spread.
 * - One candidate run needs at least PREDICTION_MIN_BASELINE baseline runs. A quantised metric
 *   that steps one level either way 1 run in 10 leaves 2 or 3 runs all on one level half the
 *   time, and a candidate one step away then looks significant (measured 6-7 % false
 *   regressions) unless the floor is about twice the minimum effect, which would hide real 10 %
 *   steps in larger windows too.
 * - Mann-Whitney uses its exact distribution, ties included, below 50 values (stats.ts); when
 *   even complete separation cannot reach alpha (3 runs against 3: p >= 0.1) the verdict is
 *   "insufficient data", with the reason, rather than a silent "unchanged".
 */
import { median } from "simple-statistics";
import type { MetricRule } from "./config.js";
import { mannWhitneyMinP, mannWhitneyU, predictionTest, welchT, type TestResult } from "./stats.js";
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
  /** Why the verdict is "insufficient data". */
  reason?: string;
}

/** Fewest baseline runs a single candidate run is judged against (see the header). */
export const PREDICTION_MIN_BASELINE = 4;

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
  const insufficient = (reason: string, test?: TestResult): Comparison => ({
    ...base,
    baselineMedian: baseline.length > 0 ? median(baseline) : NaN,
    candidateMedian: candidate.length > 0 ? median(candidate) : NaN,
    change: baseline.length > 0 && candidate.length > 0 ? relativeChange(median(baseline), median(candidate)) : NaN,
    pValue: test?.pValue ?? NaN,
    method: test?.method ?? "none",
    verdict: "insufficient data",
    reason,
  });
  if (baseline.length < 2 || candidate.length < 1) return insufficient(`${baseline.length} baseline and ${candidate.length} candidate runs: at least 2 and 1 are needed`);
  if (candidate.length === 1 && baseline.length < PREDICTION_MIN_BASELINE) {
    return insufficient(`one candidate run is judged against at least ${PREDICTION_MIN_BASELINE} baseline runs, found ${baseline.length}`);
  }
  const bm = median(baseline);
  const cm = median(candidate);
  const minSpread = (rule.minEffect * Math.abs(bm)) / 2;
  let test: TestResult;
  if (candidate.length === 1) {
    const c = candidate[0]!;
    const logScale = c > 0 && baseline.every((v) => v > 0);
    test = logScale ? predictionTest(baseline.map(Math.log), Math.log(c), rule.minEffect / 2) : predictionTest(baseline, c, minSpread);
  } else if (rule.test === "welch") test = welchT(candidate, baseline, minSpread);
  else {
    test = mannWhitneyU(candidate, baseline);
    const minP = mannWhitneyMinP(candidate.length, baseline.length);
    if (!(minP < rule.alpha)) {
      return insufficient(`Mann-Whitney with ${baseline.length} baseline and ${candidate.length} candidate runs cannot reach p < ${rule.alpha} (smallest possible p ${minP.toPrecision(2)})`, test);
    }
  }
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

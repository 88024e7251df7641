/**
 * Step detection over a metric's history: binary segmentation with a permutation test.
 *
 * In a segment, the candidate split k maximises the between-segment sum of squares
 * k (n - k) / n * (mean_right - mean_left)^2 (the likelihood-ratio statistic of one mean shift
 * in Gaussian noise; splits leave at least `minSegment` points on each side). The split is kept
 * when that maximum is unusually large for the segment's own values in random order: p =
 * (1 + #permutations with a statistic >= the observed one) / (1 + permutations), so on noise
 * alone (exchangeable values) a segment is split with probability at most alpha, whatever the
 * noise distribution, ties included. Kept splits are searched again on each side (binary
 * segmentation); recursion only follows a rejection, so on pure noise the chance of reporting any
 * step is at most alpha. Permutations come from a seeded generator: same input, same answer.
 */
import { seededRng } from "./random.js";

export interface StepOptions {
  /** Significance of each split (default 0.025). */
  alpha?: number;
  /** Fewest points on each side of a split (default 2). */
  minSegment?: number;
  /** Random orderings per test (default 999). */
  permutations?: number;
  /** Seed of the permutations (default 1). */
  seed?: number;
}

export interface Step {
  /** Index of the first value after the step. */
  index: number;
  pValue: number;
  /** Mean of the segment just before and just after the step (final segmentation). */
  before: number;
  after: number;
}

export const STEP_DEFAULTS = { alpha: 0.025, minSegment: 2, permutations: 999, seed: 1 } as const;

/** Best split of xs[0..n): its index (first value of the right part) and statistic. */
function bestSplit(xs: ArrayLike<number>, n: number, minSegment: number): { k: number; stat: number } {
  let total = 0;
  for (let i = 0; i < n; i++) total += xs[i]!;
  let left = 0;
  let best = { k: -1, stat: -Infinity };
  for (let k = 1; k < n; k++) {
    left += xs[k - 1]!;
    if (k < minSegment || n - k < minSegment) continue;
    const d = (total - left) / (n - k) - left / k;
    const stat = ((k * (n - k)) / n) * d * d;
    if (stat > best.stat) best = { k, stat };
  }
  return best;
}

/** Steps in a series, in index order. Non-finite values are not allowed (filter them first). */
export function detectSteps(series: readonly number[], options: StepOptions = {}): Step[] {
  const alpha = options.alpha ?? STEP_DEFAULTS.alpha;
  const minSegment = Math.max(1, options.minSegment ?? STEP_DEFAULTS.minSegment);
  const permutations = options.permutations ?? STEP_DEFAULTS.permutations;
  const rng = seededRng(options.seed ?? STEP_DEFAULTS.seed);
  if (series.some((x) => !Number.isFinite(x))) throw new RangeError("detectSteps: every value must be finite");

  const cuts: { index: number; pValue: number }[] = [];
  const work = new Float64Array(series.length);
  const segments: [number, number][] = [[0, series.length]];
  while (segments.length > 0) {
    const [a, b] = segments.pop()!;
    const n = b - a;
    if (n < 2 * minSegment) continue;
    const seg = Float64Array.from(series.slice(a, b));
    const observed = bestSplit(seg, n, minSegment);
    if (observed.k < 0 || !(observed.stat > 0)) continue;
    // Ties within rounding: a permutation as extreme as the data counts against the split.
    const bar = observed.stat * (1 - 1e-12);
    work.set(seg);
    let exceed = 0;
    for (let p = 0; p < permutations; p++) {
      for (let i = n - 1; i > 0; i--) {
        // Raw 32-bit draws: the modulo bias for segments of a few hundred values is below 1e-7.
        const j = (rng.next() >>> 0) % (i + 1);
        const t = work[i]!;
        work[i] = work[j]!;
        work[j] = t;
      }
      if (bestSplit(work, n, minSegment).stat >= bar) exceed++;
      // Once p cannot fall below alpha the answer is known: stop (noise stops early).
      if ((1 + exceed) / (1 + permutations) >= alpha) break;
    }
    const pValue = (1 + exceed) / (1 + permutations);
    if (pValue >= alpha) continue;
    cuts.push({ index: a + observed.k, pValue });
    segments.push([a, a + observed.k], [a + observed.k, b]);
  }

  cuts.sort((x, y) => x.index - y.index);
  const bounds = [0, ...cuts.map((c) => c.index), series.length];
  const segMean = (i: number) => {
    let s = 0;
    for (let j = bounds[i]!; j < bounds[i + 1]!; j++) s += series[j]!;
    return s / (bounds[i + 1]! - bounds[i]!);
  };
  return cuts.map((c, i) => ({ index: c.index, pValue: c.pValue, before: segMean(i), after: segMean(i + 1) }));
}

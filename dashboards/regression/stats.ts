/**
 * Two-sample tests behind the regression verdicts. simple-statistics gives the rank sum, the
 * error function, log-gamma, means and variances; what it lacks is written here: the exact null
 * distribution of Mann-Whitney U (with ties), the tie-corrected normal approximation, and Student's t
 * distribution (through the regularised incomplete beta function).
 */
import { errorFunction, gammaln, mean, sampleVariance, wilcoxonRankSum } from "simple-statistics";

export interface TestResult {
  /** U of the first sample (Mann-Whitney) or t (Welch, prediction). */
  statistic: number;
  /** Two-sided p-value. */
  pValue: number;
  method: "mann-whitney exact" | "mann-whitney normal" | "welch" | "prediction";
  /** Degrees of freedom (t-based tests). */
  df?: number;
}

/** Two-sided p-value of a standard normal statistic: P(|Z| >= |z|) = 1 - erf(|z| / sqrt 2). */
export function normalTwoSided(z: number): number {
  return Math.min(1, Math.max(0, 1 - errorFunction(Math.abs(z) / Math.SQRT2)));
}

/**
 * Regularised incomplete beta I_x(a, b), by the continued fraction of Numerical Recipes
 * (3rd ed., section 6.4, modified Lentz), using the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) where the
 * fraction converges slowly.
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = gammaln(a + b) - gammaln(a) - gammaln(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x > (a + 1) / (a + b + 2)) return 1 - (Math.exp(lnFront) * betaFraction(1 - x, b, a)) / b;
  return (Math.exp(lnFront) * betaFraction(x, a, b)) / a;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Two-sided p-value of Student's t with `df` degrees of freedom: I_{df/(df+t^2)}(df/2, 1/2). */
export function studentTwoSided(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** Sizes of the groups of equal values in a sorted array (only groups of 2 or more). */
function tieGroups(sorted: number[]): number[] {
  const groups: number[] = [];
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) run++;
    else {
      if (run > 1) groups.push(run);
      run = 1;
    }
  }
  return groups;
}

/**
 * Counts of each value u = 0..m*n of U under the null (no ties): the coefficients of the Gaussian
 * binomial coefficient [m+n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i). With m+n <= 50
 * every count is an integer below 2^53, so the arithmetic is exact.
 */
function exactUCounts(m: number, n: number): Float64Array {
  const max = m * n;
  const c = new Float64Array(max + 1);
  c[0] = 1;
  for (let i = 1; i <= m; i++) {
    // Multiply by (1 - q^(n+i)), then divide by (1 - q^i) (a running sum with stride i).
    for (let u = max; u >= n + i; u--) c[u]! -= c[u - n - i]!;
    for (let u = i; u <= max; u++) c[u]! += c[u - i]!;
  }
  return c;
}

/**
 * With ties: counts[s] = the number of ways to choose m of the pooled values whose doubled
 * midranks (integers) sum to s, i.e. the permutation distribution of the rank sum given the ties
 * actually present. Dynamic programming over the values, O(n * m * sum of ranks); with n <= 50
 * every count is at most C(50, 25) < 2^53, so the arithmetic is exact.
 */
function exactRankSumCounts(doubledRanks: number[], m: number): Float64Array {
  const maxSum = doubledRanks.reduce((a, b) => a + b, 0);
  // ways[k * (maxSum + 1) + s]: subsets of size k with doubled-rank sum s.
  const width = maxSum + 1;
  const ways = new Float64Array((m + 1) * width);
  ways[0] = 1;
  let reach = 0;
  for (const r of doubledRanks) {
    reach += r;
    for (let k = m; k >= 1; k--) {
      const row = k * width;
      const prev = (k - 1) * width;
      for (let s = reach; s >= r; s--) ways[row + s]! += ways[prev + s - r]!;
    }
  }
  return ways.subarray(m * width, (m + 1) * width);
}

/** Largest pooled sample for which U's exact (permutation) distribution is used. */
export const EXACT_MAX_TOTAL = 50;

/** Binomial coefficient C(n, k) as a float (exact below 2^53). */
function choose(n: number, k: number): number {
  const j = Math.min(k, n - k);
  let c = 1;
  for (let i = 1; i <= j; i++) c = (c * (n - j + i)) / i;
  return Math.round(c);
}

/**
 * The smallest two-sided p-value Mann-Whitney U can give for samples of n1 and n2 (complete
 * separation, no ties): 2 / C(n1 + n2, n1). When it is not below alpha the test cannot call any
 * change significant (3 against 3: 0.1).
 */
export function mannWhitneyMinP(n1: number, n2: number): number {
  return Math.min(1, 2 / choose(n1 + n2, n1));
}

/**
 * Mann-Whitney U test, two-sided. With n1 + n2 <= 50 the exact permutation distribution of the
 * midrank sum, ties included (in tiny samples with ties the normal approximation can give
 * p < 0.05 where no arrangement of the ranks is that rare: [5, 5, 5] against [6, 6, 6] gives 0.047,
 * exactly 0.1). Otherwise, or with method "normal", the normal approximation with the tie
 * correction of the variance and a continuity correction of 0.5 (as
 * scipy.stats.mannwhitneyu(method="asymptotic") does).
 */
export function mannWhitneyU(x: number[], y: number[], method: "auto" | "normal" = "auto"): TestResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError("Mann-Whitney U needs two non-empty samples");
  const u1 = wilcoxonRankSum(x, y) - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const pooled = [...x, ...y].sort((a, b) => a - b);
  const ties = tieGroups(pooled);
  if (method === "auto" && n <= EXACT_MAX_TOTAL) {
    let counts: Float64Array;
    let observed: number;
    if (ties.length === 0) {
      counts = exactUCounts(n1, n2);
      observed = u1;
    } else {
      // Doubled midranks of the pooled values; which belong to x does not matter for the null.
      const doubled: number[] = [];
      for (let i = 0; i < n; ) {
        let j = i;
        while (j + 1 < n && pooled[j + 1] === pooled[i]) j++;
        for (let k = i; k <= j; k++) doubled.push(i + j + 2);
        i = j + 1;
      }
      counts = exactRankSumCounts(doubled, n1);
      observed = Math.round(2 * (u1 + (n1 * (n1 + 1)) / 2));
    }
    let total = 0;
    let low = 0;
    let high = 0;
    for (let s = 0; s < counts.length; s++) {
      const c = counts[s]!;
      total += c;
      if (s <= observed) low += c;
      if (s >= observed) high += c;
    }
    return { statistic: u1, pValue: Math.min(1, (2 * Math.min(low, high)) / total), method: "mann-whitney exact" };
  }
  const mu = (n1 * n2) / 2;
  const tieSum = ties.reduce((s, t) => s + t ** 3 - t, 0);
  const variance = ((n1 * n2) / 12) * (n + 1 - tieSum / (n * (n - 1)));
  if (variance <= 0) return { statistic: u1, pValue: 1, method: "mann-whitney normal" };
  const z = Math.max(0, Math.abs(u1 - mu) - 0.5) / Math.sqrt(variance);
  return { statistic: u1, pValue: normalTwoSided(z), method: "mann-whitney normal" };
}

/**
 * Welch's unequal-variance t-test, two-sided, with Welch-Satterthwaite degrees of freedom.
 * `minSpread` is the least standard deviation assumed for each sample.
 */
export function welchT(x: number[], y: number[], minSpread = 0): TestResult {
  if (x.length < 2 || y.length < 2) throw new RangeError("Welch's t-test needs at least two values in each sample");
  const v1 = Math.max(sampleVariance(x), minSpread ** 2) / x.length;
  const v2 = Math.max(sampleVariance(y), minSpread ** 2) / y.length;
  const diff = mean(x) - mean(y);
  const se2 = v1 + v2;
  if (se2 === 0) return { statistic: diff === 0 ? 0 : Math.sign(diff) * Infinity, pValue: diff === 0 ? 1 : 0, method: "welch", df: NaN };
  const t = diff / Math.sqrt(se2);
  const df = se2 ** 2 / (v1 ** 2 / (x.length - 1) + v2 ** 2 / (y.length - 1));
  return { statistic: t, pValue: studentTwoSided(t, df), method: "welch", df };
}

/**
 * One new value against a sample: is `value` outside the prediction interval of `sample`?
 * t = (value - mean) / (s * sqrt(1 + 1/n)) with n - 1 degrees of freedom (normal data assumed).
 * For CI runs that produce one candidate run per commit, where no two-sample test can reach
 * significance. `minSpread` is the least standard deviation assumed for the baseline.
 */
export function predictionTest(sample: number[], value: number, minSpread = 0): TestResult {
  const n = sample.length;
  if (n < 2) throw new RangeError("a prediction test needs at least two baseline values");
  const s = Math.max(Math.sqrt(sampleVariance(sample)), minSpread);
  const diff = value - mean(sample);
  if (s === 0) return { statistic: diff === 0 ? 0 : Math.sign(diff) * Infinity, pValue: diff === 0 ? 1 : 0, method: "prediction", df: n - 1 };
  const t = diff / (s * Math.sqrt(1 + 1 / n));
  return { statistic: t, pValue: studentTwoSided(t, n - 1), method: "prediction", df: n - 1 };
}

/**
 * Fitting the replay's parameters to measured durations: a derivative-free minimisation
 * (Nelder-Mead) of a robust loss of log(predicted / measured). The replay is a simulation, its
 * loss piecewise smooth in the parameters, so no gradient is used.
 */
import { DEFAULT_SETTINGS, replay, type Prepared, type ReplayParams, type ReplaySettings } from "./replay.js";

export interface NelderMeadOptions {
  /** Initial step along each coordinate. */
  steps: number[];
  maxEvaluations: number;
  /** Stop when the simplex's values differ by less than this, and its points by less than xTolerance. */
  fTolerance: number;
  xTolerance: number;
}

/** Minimises f from x0 (Nelder and Mead 1965, with the standard coefficients 1, 2, 0.5, 0.5). */
export function nelderMead(f: (x: number[]) => number, x0: number[], o: NelderMeadOptions): { x: number[]; value: number; evaluations: number } {
  const d = x0.length;
  let evaluations = 0;
  const ev = (x: number[]) => {
    evaluations++;
    return f(x);
  };
  let simplex = [x0, ...x0.map((_, i) => x0.map((v, j) => (i === j ? v + o.steps[i]! : v)))].map((x) => ({ x, v: ev(x) }));
  const lerp = (a: number[], b: number[], t: number) => a.map((ai, i) => ai + t * (b[i]! - ai));
  while (evaluations < o.maxEvaluations) {
    simplex.sort((a, b) => a.v - b.v);
    const best = simplex[0]!;
    const worst = simplex[d]!;
    const spread = Math.max(...simplex.map((s) => Math.max(...s.x.map((xi, i) => Math.abs(xi - best.x[i]!)))));
    if (worst.v - best.v <= o.fTolerance && spread <= o.xTolerance) break;
    const centroid = x0.map((_, i) => simplex.slice(0, d).reduce((s, p) => s + p.x[i]!, 0) / d);
    const xr = lerp(centroid, worst.x, -1);
    const vr = ev(xr);
    if (vr < best.v) {
      const xe = lerp(centroid, worst.x, -2);
      const ve = ev(xe);
      simplex[d] = ve < vr ? { x: xe, v: ve } : { x: xr, v: vr };
    } else if (vr < simplex[d - 1]!.v) {
      simplex[d] = { x: xr, v: vr };
    } else {
      const outside = vr < worst.v;
      const xc = outside ? lerp(centroid, xr, 0.5) : lerp(centroid, worst.x, 0.5);
      const vc = ev(xc);
      if (vc < (outside ? vr : worst.v)) {
        simplex[d] = { x: xc, v: vc };
      } else {
        simplex = simplex.map((s, i) => (i === 0 ? s : { x: lerp(best.x, s.x, 0.5), v: ev(lerp(best.x, s.x, 0.5)) }));
      }
    }
  }
  simplex.sort((a, b) => a.v - b.v);
  return { x: simplex[0]!.x, value: simplex[0]!.v, evaluations };
}

/** Scale of the soft-L1 loss on log ratios: errors beyond ~10 % weigh linearly, not quadratically. */
const SCALE = 0.1;

/** Mean soft-L1 loss of log(predicted / measured): robust to a few transfers the model cannot explain. */
export function loss(predicted: Float64Array, measured: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < measured.length; i++) {
    const r = Math.log(predicted[i]! / measured[i]!) / SCALE;
    sum += Number.isFinite(r) ? Math.sqrt(1 + r * r) - 1 : 1e6;
  }
  return (SCALE * SCALE * sum) / Math.max(1, measured.length);
}

export interface FitResult {
  params: ReplayParams;
  loss: number;
  evaluations: number;
}

/**
 * Fits bandwidth and latency factors (on a log scale) and the setup time, starting from `start`.
 * Two rounds: the second restarts from the first's best, as Nelder-Mead may stall on a ridge.
 */
export function fit(p: Prepared, start: ReplayParams, settings: ReplaySettings = DEFAULT_SETTINGS): FitResult {
  const toParams = (x: number[]): ReplayParams => ({ bandwidthFactor: Math.exp(x[0]!), latencyFactor: Math.exp(x[1]!), setupSeconds: Math.max(0, x[2]!) });
  const f = (x: number[]) => loss(replay(p, toParams(x), settings), p.measured);
  let x = [Math.log(start.bandwidthFactor), Math.log(start.latencyFactor), start.setupSeconds];
  let evaluations = 0;
  let value = Infinity;
  for (const step of [0.3, 0.05]) {
    const r = nelderMead(f, x, { steps: [step, step, step * 5], maxEvaluations: 300, fTolerance: 1e-12, xTolerance: 1e-5 });
    x = r.x;
    value = r.value;
    evaluations += r.evaluations;
  }
  return { params: toParams(x), loss: value, evaluations };
}

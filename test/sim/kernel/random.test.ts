import { describe, expect, it } from "vitest";
import { RandomStreams, SimulationError } from "../../../sim/kernel/index.js";

const draw = (n: number, f: () => number) => Array.from({ length: n }, f);

/** Kolmogorov-Smirnov statistic of a sample against a continuous CDF. */
function ks(sample: number[], cdf: (x: number) => number): number {
  const xs = [...sample].sort((a, b) => a - b);
  let d = 0;
  xs.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / xs.length), Math.abs((i + 1) / xs.length - f));
  });
  return d;
}

/** Standard normal CDF via the Abramowitz-Stegun 7.1.26 erf approximation (|error| < 1.5e-7). */
function phi(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

describe("random streams", () => {
  it("are reproducible from the seed and differ between names and seeds", () => {
    const a = draw(5, () => new RandomStreams(42).stream("x").uniform());
    const s1 = new RandomStreams(42).stream("x");
    const s2 = new RandomStreams(42).stream("x");
    expect(draw(100, () => s1.uniform())).toEqual(draw(100, () => s2.uniform()));
    expect(new RandomStreams(42).stream("y").uniform()).not.toBe(a[0]);
    expect(new RandomStreams(43).stream("x").uniform()).not.toBe(a[0]);
    expect(new RandomStreams(2 ** 40).stream("x").uniform()).not.toBe(new RandomStreams(0).stream("x").uniform());
  });

  it("state() and resume() carry a stream on from where another copy of it stopped", () => {
    const one = new RandomStreams(5).stream("x");
    const other = new RandomStreams(5).stream("x");
    const expected = draw(30, () => one.uniform());
    const got = draw(10, () => other.uniform());
    const moved = new RandomStreams(6).stream("y");
    moved.resume(other.state());
    got.push(...draw(20, () => moved.uniform()));
    expect(got).toEqual(expected);
  });

  it("do not shift when another stream is added and drawn from", () => {
    const alone = new RandomStreams(9);
    const expected = draw(1000, () => alone.stream("arrivals").uniform());
    const busy = new RandomStreams(9);
    const got: number[] = [];
    for (let i = 0; i < 1000; i++) {
      busy.stream("new-component").uniform();
      got.push(busy.stream("arrivals").uniform());
    }
    expect(got).toEqual(expected);
  });

  it("draw uniforms that pass a chi-square test (100 bins, 1e5 draws, 1% level)", () => {
    const s = new RandomStreams(1).stream("u");
    const bins = new Array(100).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = s.uniform();
      if (!(u >= 0 && u < 1)) outside++;
      else bins[Math.floor(u * 100)]++;
    }
    expect(outside).toBe(0);
    const chi2 = bins.reduce((acc, o) => acc + (o - 1000) ** 2 / 1000, 0);
    expect(chi2).toBeLessThan(134.6); // chi-square 99 dof, 0.99 quantile
  });

  it("draw exponentials and normals that pass Kolmogorov-Smirnov at the 1% level", () => {
    const n = 20_000;
    const crit = 1.628 / Math.sqrt(n);
    const s = new RandomStreams(2).stream("d");
    expect(ks(draw(n, () => s.exponential(2.5)), (x) => 1 - Math.exp(-2.5 * x))).toBeLessThan(crit);
    expect(ks(draw(n, () => s.normal(3, 2)), (x) => phi((x - 3) / 2))).toBeLessThan(crit);
    expect(ks(draw(n, () => s.lognormal(0, 0.5)), (x) => phi(Math.log(x) / 0.5))).toBeLessThan(crit);
    const ints = draw(n, () => s.integer(7));
    expect(Math.min(...ints)).toBe(0);
    expect(Math.max(...ints)).toBe(6);
    expect(ints.every(Number.isInteger)).toBe(true);
  });

  it("rejects seeds that are not non-negative safe integers", () => {
    for (const bad of [-1, 1.5, NaN, 2 ** 53]) expect(() => new RandomStreams(bad)).toThrow(SimulationError);
  });
});

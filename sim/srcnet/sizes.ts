import type { RandomStream } from "../kernel/index.js";
import type { ProductMix } from "../../scenarios/types.js";

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Mean of a log-normal (median m, log-sigma s) truncated to [min, max]. */
export function truncatedLognormalMean(size: ProductMix["size"]): number {
  const mu = Math.log(size.medianBytes);
  const s = size.sigma;
  if (s === 0) return Math.min(size.maxBytes, Math.max(size.minBytes, size.medianBytes));
  const a = Math.log(size.minBytes);
  const b = Math.log(size.maxBytes);
  const mass = normalCdf((b - mu) / s) - normalCdf((a - mu) / s);
  const partial = normalCdf((b - mu - s * s) / s) - normalCdf((a - mu - s * s) / s);
  return (Math.exp(mu + (s * s) / 2) * partial) / mass;
}

/**
 * Draws product types and sizes for a telescope's mix. A type is chosen with probability
 * proportional to volumeFraction / mean size, so that each type's share of the *volume* is its
 * volumeFraction; sizes are log-normal, redrawn until inside [min, max].
 */
export class ProductSampler {
  private readonly cumulative: number[] = [];
  /** log of each entry's median size (taken once: size() runs for every product). */
  private readonly mu: number[];
  readonly meanBytes: number;

  constructor(private readonly mix: ProductMix[]) {
    const means = mix.map((m) => truncatedLognormalMean(m.size));
    const weights = mix.map((m, i) => m.volumeFraction / means[i]!);
    const total = weights.reduce((a, b) => a + b, 0);
    let acc = 0;
    for (const w of weights) this.cumulative.push((acc += w / total));
    this.mu = mix.map((m) => Math.log(m.size.medianBytes));
    this.meanBytes = mix.reduce((acc2, m, i) => acc2 + (weights[i]! / total) * means[i]!, 0);
  }

  /** Index into the mix of the next product's type. */
  type(r: RandomStream): number {
    const u = r.uniform();
    for (let i = 0; i < this.cumulative.length - 1; i++) if (u < this.cumulative[i]!) return i;
    return this.cumulative.length - 1;
  }

  size(r: RandomStream, type: number): number {
    const s = this.mix[type]!.size;
    const mu = this.mu[type]!;
    for (let attempt = 0; attempt < 100; attempt++) {
      const x = Math.round(r.lognormal(mu, s.sigma));
      if (x >= s.minBytes && x <= s.maxBytes) return x;
    }
    return Math.round(Math.min(s.maxBytes, Math.max(s.minBytes, s.medianBytes)));
  }
}

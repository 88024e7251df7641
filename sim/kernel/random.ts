import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { SimulationError } from "./errors.js";

type Generator = ReturnType<typeof xoroshiro128plusFromState>;

/**
 * Named random substreams derived from one seed. Each name hashes, with the seed, to its own
 * 128-bit generator state, so adding a component that draws from a new stream does not shift
 * the numbers any other stream produces (a single shared generator would).
 */
export class RandomStreams {
  private readonly streams = new Map<string, RandomStream>();

  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new SimulationError(`seed must be an integer in [0, 2^53), got ${String(seed)}`, "seed");
    }
  }

  /** The stream called `name`; the same name always gives the same stream object. */
  stream(name: string): RandomStream {
    let s = this.streams.get(name);
    if (s === undefined) {
      s = new RandomStream(xoroshiro128plusFromState(deriveState(this.seed, name)));
      this.streams.set(name, s);
    }
    return s;
  }
}

/** Draws from one generator. Methods take rates and means in the caller's units. */
export class RandomStream {
  private spareNormal = NaN;

  constructor(private rng: Generator) {}

  /**
   * The generator's state (pure-rand's xoroshiro128+ words), so that a caller can draw a block
   * of uniforms elsewhere (datasets' Uniforms, in WebAssembly) and {@link resume} after it.
   */
  state(): [number, number, number, number] {
    return this.rng.getState() as [number, number, number, number];
  }

  /** Goes on from a state that {@link state} gave and that was advanced elsewhere. */
  resume(state: readonly number[]): void {
    this.rng = xoroshiro128plusFromState(state as [number, number, number, number]);
  }

  /** Uniform in [0, 1), 53 random bits. */
  uniform(): number {
    return uniformFloat64(this.rng);
  }

  /** Uniform in [low, high). */
  between(low: number, high: number): number {
    return low + (high - low) * uniformFloat64(this.rng);
  }

  /** Exponential with the given rate (mean 1/rate). */
  exponential(rate: number): number {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    return -Math.log(1 - uniformFloat64(this.rng)) / rate;
  }

  /** Normal by Box-Muller; the second variate of each pair is kept for the next call. */
  normal(mean = 0, sd = 1): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = NaN;
      return mean + sd * z;
    }
    const u = 1 - uniformFloat64(this.rng);
    const v = uniformFloat64(this.rng);
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal: exp of a normal with parameters mu, sigma (of the logarithm). */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /** Integer uniform in [0, n). */
  integer(n: number): number {
    return Math.floor(uniformFloat64(this.rng) * n);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return uniformFloat64(this.rng) < p;
  }
}

/** splitmix32 finaliser: a bijective 32-bit mix with good avalanche. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) | 0;
}

/** 128-bit generator state from (seed, name): FNV-1a over the name, then splitmix32 steps. */
function deriveState(seed: number, name: string): number[] {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  }
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  let x = mix32(h ^ mix32(lo ^ mix32(hi + 0x9e3779b9)));
  const state: number[] = [];
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) | 0;
    state.push(mix32(x ^ Math.imul(i + 1, 0x85ebca6b) ^ h));
  }
  if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) state[0] = 1; // xoroshiro's one forbidden state
  return state;
}

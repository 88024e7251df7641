/**
 * Seeded generators for the permutation tests (and the tests' synthetic data). pure-rand's
 * `xoroshiro128plus(seed)` puts a small seed almost unmixed into the state, so its first outputs
 * are far from uniform and alike across seeds; here the seed is spread over the whole 128-bit
 * state by splitmix32 first.
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";

/** splitmix32 (Vigna): successive well-mixed 32-bit words from one seed. */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  };
}

export type Rng = ReturnType<typeof xoroshiro128plusFromState>;

export function seededRng(seed: number): Rng {
  const next = splitmix32(seed + Math.floor(seed / 2 ** 32) * 0x27d4eb2d);
  const state: number[] = [next(), next(), next(), next()];
  // An all-zero state would repeat zero forever.
  if (!state.some((w) => w !== 0)) state[0] = 1;
  return xoroshiro128plusFromState(state);
}

/** Uniform in [0, 1) and standard normal (Box-Muller) draws from a seeded generator. */
export function draws(seed: number): { uniform(): number; normal(mean?: number, sd?: number): number } {
  const rng = seededRng(seed);
  const uniform = () => uniformFloat64(rng);
  return {
    uniform,
    normal: (mean = 0, sd = 1) => mean + sd * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
  };
}

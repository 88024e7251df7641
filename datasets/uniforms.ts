/**
 * A {@link RandomStream}'s uniforms drawn a block at a time into an array (by uniforms.wat:
 * 64-bit integer steps, about four times faster than the 32-bit halves JavaScript needs), and
 * the stream's derived draws (between, integer, normal, lognormal) computed from them with the
 * same formulas: the same numbers in the same order. Why: a generator call is too large for V8
 * to inline a dozen of them into the row loop, and each call left out returns a boxed double, so
 * the per-row draws cost an allocation each. Use only for a stream nothing else draws from.
 */
import type { RandomStream } from "../sim/kernel/random.js";
import { wasmModule } from "./wasm.js";

const BLOCK = 1024;

export class Uniforms {
  private readonly fill: (n: number) => void;
  /** The module's state words (at 0) and its block of uniforms (from 16). */
  private readonly state: Int32Array;
  private readonly buf: Float64Array;
  private k = BLOCK;
  private spareNormal = NaN;

  constructor(private readonly stream: RandomStream) {
    const x = new WebAssembly.Instance(wasmModule("uniforms")).exports as { memory: WebAssembly.Memory; fill: (n: number) => void };
    this.fill = x.fill;
    this.state = new Int32Array(x.memory.buffer, 0, 4);
    this.buf = new Float64Array(x.memory.buffer, 16, BLOCK);
  }

  private refill(): void {
    this.state.set(this.stream.state());
    this.fill(BLOCK);
    this.stream.resume(Array.from(this.state));
    this.k = 0;
  }

  /** Uniform in [0, 1), as RandomStream.uniform. */
  uniform(): number {
    if (this.k === BLOCK) this.refill();
    return this.buf[this.k++]!;
  }

  /** Uniform in [low, high), as RandomStream.between. */
  between(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Integer uniform in [0, n), as RandomStream.integer. */
  integer(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Normal by Box-Muller with the second variate kept, as RandomStream.normal. */
  normal(mean = 0, sd = 1): number {
    if (this.spareNormal === this.spareNormal) {
      const z = this.spareNormal;
      this.spareNormal = NaN;
      return mean + sd * z;
    }
    const u = 1 - this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal, as RandomStream.lognormal. */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }
}

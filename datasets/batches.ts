/**
 * Where filled batches come from: this thread (the generator fills one batch, which is then
 * written), or a fill thread that runs the same generator, in the same order, into batches in
 * shared memory while this thread builds text and writes the previous batch. Numbers come from
 * one generator either way, so the output is byte-identical; the thread only overlaps work.
 * Batches live in the arena, with room for the text columns the caller builds ({@link TextRoom}:
 * per column its most bytes a row, from the text tables).
 */
import { Worker } from "node:worker_threads";
import type { Scenario } from "../scenarios/types.js";
import { Batch, CatalogueGenerator, type BatchLayout, type TextName } from "./generator.js";
import type { TelescopeNames } from "./names.js";
import type { Arena } from "./wasm.js";

export interface BatchSource {
  /** The next filled batch, or null when the rows are done. */
  next(): Batch | null;
  /** Hands a batch back once written (before the next call to next()). */
  release(b: Batch): void;
  close(): void;
}

/** Room for text columns: per column, its most bytes a row. */
export type TextRoom = Partial<Record<TextName, number>>;

/** Fills one batch in the arena, in this thread. */
export class LocalBatches implements BatchSource {
  readonly batch: Batch;
  constructor(
    private readonly gen: CatalogueGenerator,
    capacity: number,
    arena: Arena,
    text: TextRoom,
  ) {
    const layout = Batch.allocate(arena, capacity, gen.pools, text);
    this.batch = new Batch(capacity, gen.pools, { memory: { buffer: arena.buffer, layout } });
  }
  next(): Batch | null {
    return this.gen.fill(this.batch) === 0 ? null : this.batch;
  }
  release(): void {}
  close(): void {}
}

// Shared control words: per slot its state, then per slot its row count.
export const SLOTS = 3;
export const EMPTY = 0;
export const FULL = 1;
export const END = 2;
export const FAILED = 3;
export const ERROR_BYTES = 4096;
/** How long to wait for the fill thread before giving up on it. */
const STALL_MS = 300_000;

/**
 * A fill thread left running between runs: starting one (its TypeScript loader and modules)
 * takes a second or more, so a process that generates several datasets pays it once. It waits
 * for jobs as messages; unref'd, it never keeps the process alive.
 */
let parked: Worker | null = null;

function fillWorker(): Worker {
  const w = parked ?? new Worker(new URL("./fill-worker.mjs", import.meta.url));
  parked = null;
  w.unref();
  return w;
}

export interface FillWorkerData {
  scenario: Scenario;
  names: TelescopeNames[];
  maxRows: number | null;
  capacity: number;
  /** The arena's memory, where the slots are. */
  memory: WebAssembly.Memory;
  slots: BatchLayout[];
  control: SharedArrayBuffer;
  error: SharedArrayBuffer;
}

/**
 * Batches filled by a worker thread (see fill-worker-main.ts), SLOTS at a time, in the arena.
 * The thread makes the numbers only: on two cores it is the slower of the two, so the text is
 * built by the caller.
 */
export class FillThread implements BatchSource {
  private readonly batches: Batch[];
  private readonly ctl: Int32Array;
  private readonly error: Uint8Array;
  private readonly worker: Worker;
  private k = 0;

  /** `gen`: a generator of the same scenario in this thread, for the pools (its fill() is not used). */
  constructor(
    scenario: Scenario,
    names: TelescopeNames[],
    gen: CatalogueGenerator,
    maxRows: number | null,
    capacity: number,
    arena: Arena,
    text: TextRoom,
  ) {
    const slots = Array.from({ length: SLOTS }, () => Batch.allocate(arena, capacity, gen.pools, text));
    const control = new SharedArrayBuffer(8 * SLOTS);
    const error = new SharedArrayBuffer(ERROR_BYTES);
    this.batches = slots.map((layout) => new Batch(capacity, gen.pools, { memory: { buffer: arena.buffer, layout } }));
    this.ctl = new Int32Array(control);
    this.error = new Uint8Array(error);
    const workerData: FillWorkerData = { scenario, names, maxRows, capacity, memory: arena.memory, slots, control, error };
    this.worker = fillWorker();
    this.worker.postMessage(workerData);
  }

  next(): Batch | null {
    const s = this.k % SLOTS;
    let waited = 0;
    for (;;) {
      const state = Atomics.load(this.ctl, s);
      if (state === FULL) break;
      if (state === END) return null;
      if (state === FAILED) {
        const end = this.error.indexOf(0);
        throw new Error(`fill thread: ${new TextDecoder().decode(this.error.subarray(0, end < 0 ? this.error.length : end))}`);
      }
      if (Atomics.wait(this.ctl, s, state, 1000) === "timed-out" && (waited += 1000) >= STALL_MS) {
        throw new Error(`fill thread: no batch after ${STALL_MS / 1000} s`);
      }
    }
    const b = this.batches[s]!;
    b.n = this.ctl[SLOTS + s]!;
    return b;
  }

  release(b: Batch): void {
    const s = this.k % SLOTS;
    if (this.batches[s] !== b) throw new Error("batches must be released in order");
    this.k++;
    Atomics.store(this.ctl, s, EMPTY);
    Atomics.notify(this.ctl, s);
  }

  /** Parks the thread for the next run if it finished its rows, or stops it. */
  close(): void {
    const finished = [...Array(SLOTS).keys()].some((s) => Atomics.load(this.ctl, s) === END);
    if (finished && parked === null) parked = this.worker;
    else void this.worker.terminate();
  }
}

/** The fill thread: the generator fills each slot in turn once the main thread has emptied it. */
import { EMPTY, END, FULL, SLOTS, type FillWorkerData } from "./batches.js";
import { Batch, CatalogueGenerator } from "./generator.js";

export function runFillThread(data: FillWorkerData): void {
  const gen = new CatalogueGenerator(data.scenario, data.names, data.maxRows === null ? {} : { maxRows: data.maxRows });
  const buffer = data.memory.buffer;
  const batches = data.slots.map((layout) => new Batch(data.capacity, gen.pools, { memory: { buffer, layout }, text: false }));
  const ctl = new Int32Array(data.control);
  for (let k = 0; ; k++) {
    const s = k % SLOTS;
    // (with a timeout, so that terminate() from the main thread is seen even if no wake comes)
    for (let state = Atomics.load(ctl, s); state !== EMPTY; state = Atomics.load(ctl, s)) Atomics.wait(ctl, s, state, 1000);
    const b = batches[s]!;
    const n = gen.fill(b);
    ctl[SLOTS + s] = n;
    Atomics.store(ctl, s, n > 0 ? FULL : END);
    Atomics.notify(ctl, s);
    if (n === 0) return;
  }
}

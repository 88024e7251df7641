import { SimulationError } from "./errors.js";
import type { EventCallback } from "./event-queue.js";
import type { Simulation } from "./simulation.js";

/** Something a process can wait for: it calls `resume` once, when ready. */
export interface Waitable {
  subscribe(resume: EventCallback<undefined>): void;
}

/** A process yields a delay in seconds or a `Waitable` (for example `resource.request`). */
export type Yieldable = number | Waitable;

/**
 * Runs a generator as a SimPy-style process: `yield 5` waits five seconds, `yield
 * server.request` waits for a unit of a resource. A readable layer over the callback kernel for
 * models and tests where clarity beats the last bit of speed; the process starts at the current
 * time, after the events already scheduled for it.
 */
export function process(sim: Simulation, body: Generator<Yieldable, void, undefined>): void {
  const resume = (): void => {
    const r = body.next();
    if (r.done === true) return;
    const v = r.value;
    if (typeof v === "number") sim.schedule(v, resume);
    else if (v !== null && typeof v === "object" && typeof v.subscribe === "function") v.subscribe(resume);
    else throw new SimulationError(`a process yielded ${String(v)}: expected a delay or a Waitable`, "yield");
  };
  sim.schedule(0, resume);
}

import { SimulationError } from "./errors.js";
import type { EventCallback } from "./event-queue.js";
import type { Waitable } from "./process.js";
import type { Simulation } from "./simulation.js";

/**
 * A capacity-limited resource with a FIFO queue (servers, tape drives, job slots).
 *
 * `acquire(fn, arg)` calls `fn(arg)` at once when a unit is free; otherwise the request waits
 * in line. `release()` hands the unit straight to the first waiter (no barging by later
 * requests) and fires that waiter's callback as an event at the current time, so a callback
 * never runs inside `release()` and long queues cannot grow the stack.
 */
export class Resource {
  private busy = 0;
  // Ring buffer of waiting (callback, argument) pairs.
  private waitFns: (EventCallback | undefined)[] = new Array(16);
  private waitArgs: unknown[] = new Array(16);
  private head = 0;
  private waiting = 0;

  /** For generator processes: `yield resource.request` waits for (and takes) a unit. */
  readonly request: Waitable = { subscribe: (resume) => this.acquire(resume) };

  constructor(
    private readonly sim: Simulation,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new SimulationError(`resource capacity must be an integer >= 1, got ${String(capacity)}`, "capacity");
    }
  }

  /** Units in use. */
  get inUse(): number {
    return this.busy;
  }

  /** Requests waiting for a unit. */
  get queueLength(): number {
    return this.waiting;
  }

  acquire<A>(fn: EventCallback<A>, arg?: A): void {
    if (this.busy < this.capacity) {
      this.busy++;
      fn(arg as A);
      return;
    }
    if (this.waiting === this.waitFns.length) this.growQueue();
    const tail = (this.head + this.waiting) & (this.waitFns.length - 1);
    this.waitFns[tail] = fn as EventCallback;
    this.waitArgs[tail] = arg;
    this.waiting++;
  }

  release(): void {
    if (this.busy === 0) throw new SimulationError("release() without a matching acquire()", "release");
    if (this.waiting === 0) {
      this.busy--;
      return;
    }
    const fn = this.waitFns[this.head]!;
    const arg = this.waitArgs[this.head];
    this.waitFns[this.head] = undefined;
    this.waitArgs[this.head] = undefined;
    this.head = (this.head + 1) & (this.waitFns.length - 1);
    this.waiting--;
    // The unit passes to the waiter without becoming free in between.
    this.sim.schedule(0, fn, arg);
  }

  private growQueue(): void {
    const n = this.waitFns.length;
    const fns: (EventCallback | undefined)[] = new Array(n * 2);
    const args: unknown[] = new Array(n * 2);
    for (let i = 0; i < this.waiting; i++) {
      fns[i] = this.waitFns[(this.head + i) & (n - 1)];
      args[i] = this.waitArgs[(this.head + i) & (n - 1)];
    }
    this.waitFns = fns;
    this.waitArgs = args;
    this.head = 0;
  }
}

import { requireNonNegative } from "./errors.js";
import type { EventCallback } from "./event-queue.js";
import type { Simulation } from "./simulation.js";

/**
 * Events that all fire a fixed delay after they are pushed (a product moves to tape N days after
 * ingestion, a staged copy expires after its residency). Such events come due in the order they
 * were pushed, so a FIFO holds them and only the head sits in the event queue: O(1) per event
 * instead of a push and a pop at the depth of a queue that may hold millions.
 * Entries due at the same time fire in push order.
 */
export class DelayLine<A> {
  private times = new Float64Array(16);
  private args: (A | undefined)[] = new Array(16);
  private head = 0;
  private count = 0;
  private armed = false;
  private readonly fire = (): void => {
    this.armed = false;
    const now = this.sim.now;
    while (this.count > 0 && this.times[this.head]! <= now) {
      const arg = this.args[this.head] as A;
      this.args[this.head] = undefined;
      this.head = (this.head + 1) & (this.times.length - 1);
      this.count--;
      this.fn(arg);
    }
    this.arm();
  };

  constructor(
    private readonly sim: Simulation,
    readonly delaySeconds: number,
    private readonly fn: EventCallback<A>,
  ) {
    requireNonNegative(delaySeconds, "delaySeconds");
  }

  /** Entries waiting. */
  get size(): number {
    return this.count;
  }

  push(arg: A): void {
    if (this.count === this.times.length) this.grow();
    const tail = (this.head + this.count) & (this.times.length - 1);
    this.times[tail] = this.sim.now + this.delaySeconds;
    this.args[tail] = arg;
    this.count++;
    this.arm();
  }

  private arm(): void {
    if (!this.armed && this.count > 0) {
      this.armed = true;
      this.sim.scheduleAt(this.times[this.head]!, this.fire);
    }
  }

  private grow(): void {
    const n = this.times.length;
    const times = new Float64Array(n * 2);
    const args: (A | undefined)[] = new Array(n * 2);
    for (let i = 0; i < this.count; i++) {
      times[i] = this.times[(this.head + i) & (n - 1)]!;
      args[i] = this.args[(this.head + i) & (n - 1)];
    }
    this.times = times;
    this.args = args;
    this.head = 0;
  }
}

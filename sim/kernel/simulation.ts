import { requireNonNegative, SimulationError } from "./errors.js";
import { EventQueue, type EventCallback, type EventHandle } from "./event-queue.js";
import { RandomStreams } from "./random.js";

/**
 * The discrete-event kernel: a clock in seconds (float64), an event queue and seeded random
 * streams. It knows nothing of what is simulated.
 *
 * Process style: callbacks. An event is a function and one argument; a "process" is a chain of
 * callbacks that schedule each other (see `Resource` for queuing and `process()` for a
 * generator-based convenience). Callbacks were chosen over generators for the hot loop because
 * resuming a generator allocates an iterator result per step and V8 cannot inline across a
 * `yield`; the models built on this kernel (transfers, tape mounts, jobs) are small state
 * machines that read naturally as callbacks. Passing the argument separately lets a model use
 * one shared function per event kind instead of a fresh closure per event.
 */
export class Simulation {
  private _now = 0;
  private _events = 0;
  private readonly queue: EventQueue;
  private running = false;
  private stopRequested = false;
  // Callbacks to run once the current instant has no events left (see atEndOfInstant).
  private instantFns: (() => void)[] = [];
  private instantCount = 0;
  /** Seeded random streams; `random.stream(name)` gives an independent, named substream. */
  readonly random: RandomStreams;

  constructor(options: { seed?: number; initialEventCapacity?: number } = {}) {
    this.queue = new EventQueue(options.initialEventCapacity ?? 1024);
    this.random = new RandomStreams(options.seed ?? 0);
  }

  /** Current simulated time, seconds. */
  get now(): number {
    return this._now;
  }

  /** Events fired so far. */
  get eventsProcessed(): number {
    return this._events;
  }

  /** Events waiting to fire. */
  get pending(): number {
    return this.queue.size;
  }

  /** Fires `fn(arg)` after `delaySeconds` (>= 0). Events at equal times fire in scheduling order. */
  schedule<A>(delaySeconds: number, fn: EventCallback<A>, arg?: A): EventHandle {
    requireNonNegative(delaySeconds, "delaySeconds");
    return this.queue.push(this._now + delaySeconds, fn, arg);
  }

  /** Fires `fn(arg)` at absolute time `timeSeconds` (>= now). */
  scheduleAt<A>(timeSeconds: number, fn: EventCallback<A>, arg?: A): EventHandle {
    this.requireFuture(timeSeconds);
    return this.queue.push(timeSeconds, fn, arg);
  }

  /** Cancels a pending event; false when it has already fired or been cancelled. */
  cancel(handle: EventHandle): boolean {
    return this.queue.cancel(handle);
  }

  /** Moves a pending event to absolute time `timeSeconds`; false when it is no longer pending. */
  reschedule(handle: EventHandle, timeSeconds: number): boolean {
    this.requireFuture(timeSeconds);
    return this.queue.reschedule(handle, timeSeconds);
  }

  isPending(handle: EventHandle): boolean {
    return this.queue.isPending(handle);
  }

  /** Time at which a pending event will fire (NaN when not pending). */
  timeOf(handle: EventHandle): number {
    return this.queue.timeOf(handle);
  }

  /** Time of the next event, Infinity when none is pending. */
  peek(): number {
    return this.queue.peekTime();
  }

  /**
   * Runs `fn` once every event of the current instant has fired, before the clock moves on: a
   * model can batch all changes of one instant into one piece of work (the network's rate solve)
   * without an event of its own. Callbacks may schedule events at the current time; those fire,
   * and later end-of-instant callbacks run after them.
   */
  atEndOfInstant(fn: () => void): void {
    this.instantFns[this.instantCount++] = fn;
  }

  private endInstant(): void {
    // Callbacks registered while these run wait for the next end of instant.
    const n = this.instantCount;
    const fns = this.instantFns;
    this.instantFns = [];
    this.instantCount = 0;
    for (let i = 0; i < n; i++) fns[i]!();
  }

  /**
   * Fires events in order until none is left, the next one lies after `untilSeconds`, or
   * `stop()` is called. With a finite `until` the clock ends exactly there, so a run can be
   * continued in slices (`run(10); run(20)`) with the same result as `run(20)`.
   */
  run(untilSeconds = Infinity): void {
    if (Number.isNaN(untilSeconds) || untilSeconds < this._now) {
      throw new SimulationError(
        `until must be >= now (${this._now}), got ${String(untilSeconds)}`,
        "untilSeconds",
      );
    }
    if (this.running) throw new SimulationError("run() called from inside an event", "run");
    this.running = true;
    this.stopRequested = false;
    const q = this.queue;
    try {
      while (!this.stopRequested) {
        if (this.instantCount > 0 && q.peekTime() > this._now) {
          this.endInstant();
          continue;
        }
        if (q.size === 0 || q.peekTime() > untilSeconds) break;
        const slot = q.popSlot();
        this._now = q.slotTime(slot);
        const fn = q.slotFn(slot);
        const arg = q.slotArg(slot);
        q.release(slot);
        this._events++;
        fn(arg);
      }
      if (!this.stopRequested && untilSeconds !== Infinity) this._now = untilSeconds;
    } finally {
      this.running = false;
    }
  }

  /** Fires the next event only (ending the current instant first if it is over); false when none is pending. */
  step(): boolean {
    if (this.instantCount > 0 && this.queue.peekTime() > this._now) this.endInstant();
    if (this.queue.size === 0) return false;
    const q = this.queue;
    const slot = q.popSlot();
    this._now = q.slotTime(slot);
    const fn = q.slotFn(slot);
    const arg = q.slotArg(slot);
    q.release(slot);
    this._events++;
    fn(arg);
    return true;
  }

  /** Ends the current `run()` after the event being fired. */
  stop(): void {
    this.stopRequested = true;
  }

  private requireFuture(timeSeconds: number): void {
    requireNonNegative(timeSeconds, "timeSeconds");
    if (timeSeconds < this._now) {
      throw new SimulationError(
        `cannot schedule in the past: time ${timeSeconds} < now ${this._now}`,
        "timeSeconds",
      );
    }
  }
}

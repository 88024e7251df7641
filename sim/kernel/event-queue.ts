import { SimulationError } from "./errors.js";

/** Called when an event fires, with the argument given when it was scheduled. */
export type EventCallback<A = any> = (arg: A) => void;

/**
 * Opaque reference to a scheduled event: slot index and the slot's generation packed in one
 * number, so handles cost no allocation and a stale handle (event already fired or cancelled,
 * slot reused) is recognised instead of cancelling someone else's event.
 */
export type EventHandle = number;

const SLOT_BITS = 2 ** 24; // up to 16.7 M events pending at once
const GEN_LIMIT = 2 ** 29; // generations wrap here, keeping handles below 2^53

/**
 * Priority queue of timed events ordered by (time, insertion sequence), so simultaneous events
 * fire in the order they were scheduled: deterministic whatever the heap's shape.
 *
 * Storage is struct-of-arrays over reusable slots and an indexed binary heap (each slot knows
 * its heap position), so cancel and reschedule are O(log n) and nothing is allocated per event
 * once the arrays have grown. Eager removal keeps the heap as small as the pending set, which
 * matters for the network model: it reschedules completion events on every rate change.
 */
export class EventQueue {
  private capacity = 0;
  private times = new Float64Array(0);
  private seqs = new Float64Array(0);
  private heapPos = new Int32Array(0); // slot -> index in heap, -1 when free
  private gens = new Uint32Array(0);
  private fns: (EventCallback | undefined)[] = [];
  private args: unknown[] = [];
  private heap = new Int32Array(0); // heap index -> slot
  private freeSlots = new Int32Array(0);
  private freeCount = 0;
  private nextSeq = 0;
  private count = 0;

  constructor(initialCapacity = 1024) {
    this.grow(Math.max(16, initialCapacity));
  }

  get size(): number {
    return this.count;
  }

  /** Time of the earliest pending event, or Infinity when empty. */
  peekTime(): number {
    return this.count === 0 ? Infinity : this.times[this.heap[0]!]!;
  }

  push(time: number, fn: EventCallback, arg: unknown): EventHandle {
    if (this.freeCount === 0) this.grow(this.capacity * 2);
    const slot = this.freeSlots[--this.freeCount]!;
    this.times[slot] = time;
    this.seqs[slot] = this.nextSeq++;
    this.fns[slot] = fn;
    this.args[slot] = arg;
    const i = this.count++;
    this.heap[i] = slot;
    this.heapPos[slot] = i;
    this.siftUp(i);
    return this.gens[slot]! * SLOT_BITS + slot;
  }

  /**
   * Removes the earliest event and returns its slot; the caller reads its time, callback and
   * argument with the accessors below, then calls `release(slot)`.
   */
  popSlot(): number {
    const top = this.heap[0]!;
    this.removeAt(0);
    return top;
  }

  slotTime(slot: number): number {
    return this.times[slot]!;
  }
  slotFn(slot: number): EventCallback {
    return this.fns[slot]!;
  }
  slotArg(slot: number): unknown {
    return this.args[slot];
  }

  /** Returns a popped slot to the free list; handles to it become stale. */
  release(slot: number): void {
    this.fns[slot] = undefined;
    this.args[slot] = undefined;
    this.gens[slot] = (this.gens[slot]! + 1) % GEN_LIMIT;
    this.heapPos[slot] = -1;
    this.freeSlots[this.freeCount++] = slot;
  }

  /** True while the event behind `handle` is still pending. */
  isPending(handle: EventHandle): boolean {
    return this.liveSlot(handle) >= 0;
  }

  timeOf(handle: EventHandle): number {
    const slot = this.liveSlot(handle);
    return slot < 0 ? NaN : this.times[slot]!;
  }

  /** Cancels a pending event; returns false (and does nothing) when it already fired or was cancelled. */
  cancel(handle: EventHandle): boolean {
    const slot = this.liveSlot(handle);
    if (slot < 0) return false;
    this.removeAt(this.heapPos[slot]!);
    this.release(slot);
    return true;
  }

  /**
   * Moves a pending event to a new time. It is ordered as if scheduled now (fresh sequence
   * number), exactly as a cancel followed by a new schedule would be, without the churn.
   */
  reschedule(handle: EventHandle, time: number): boolean {
    const slot = this.liveSlot(handle);
    if (slot < 0) return false;
    const old = this.times[slot]!;
    this.times[slot] = time;
    this.seqs[slot] = this.nextSeq++;
    const i = this.heapPos[slot]!;
    if (time < old) this.siftUp(i);
    else this.siftDown(i);
    return true;
  }

  private liveSlot(handle: EventHandle): number {
    if (!Number.isInteger(handle) || handle < 0) {
      throw new SimulationError(`not an event handle: ${String(handle)}`, "handle");
    }
    const slot = handle % SLOT_BITS;
    const gen = Math.floor(handle / SLOT_BITS);
    if (slot >= this.capacity || this.gens[slot] !== gen || this.heapPos[slot]! < 0) return -1;
    return slot;
  }

  private removeAt(i: number): void {
    const last = --this.count;
    if (i !== last) {
      const moved = this.heap[last]!;
      this.heap[i] = moved;
      this.heapPos[moved] = i;
      // The moved element may belong above or below its new position.
      if (i > 0 && this.less(moved, this.heap[(i - 1) >> 1]!)) this.siftUp(i);
      else this.siftDown(i);
    }
  }

  private less(a: number, b: number): boolean {
    const ta = this.times[a]!;
    const tb = this.times[b]!;
    return ta < tb || (ta === tb && this.seqs[a]! < this.seqs[b]!);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const slot = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!this.less(slot, p)) break;
      heap[i] = p;
      this.heapPos[p] = i;
      i = parent;
    }
    heap[i] = slot;
    this.heapPos[slot] = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = this.count;
    const slot = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && this.less(heap[right]!, heap[child]!)) child = right;
      const c = heap[child]!;
      if (!this.less(c, slot)) break;
      heap[i] = c;
      this.heapPos[c] = i;
      i = child;
    }
    heap[i] = slot;
    this.heapPos[slot] = i;
  }

  private grow(newCapacity: number): void {
    if (newCapacity > SLOT_BITS) {
      throw new SimulationError(`more than ${SLOT_BITS} events pending at once`, "capacity");
    }
    const old = this.capacity;
    const copy = <T extends Float64Array | Int32Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(newCapacity);
      b.set(a);
      return b;
    };
    this.times = copy(this.times, (n) => new Float64Array(n));
    this.seqs = copy(this.seqs, (n) => new Float64Array(n));
    this.heapPos = copy(this.heapPos, (n) => new Int32Array(n));
    this.gens = copy(this.gens, (n) => new Uint32Array(n));
    this.heap = copy(this.heap, (n) => new Int32Array(n));
    const free = new Int32Array(newCapacity);
    free.set(this.freeSlots.subarray(0, this.freeCount));
    // New slots go on the free list highest first so low slots are used first.
    for (let s = newCapacity - 1; s >= old; s--) {
      free[this.freeCount++] = s;
      this.heapPos[s] = -1;
    }
    this.freeSlots = free;
    for (let s = old; s < newCapacity; s++) {
      this.fns.push(undefined);
      this.args.push(undefined);
    }
    this.capacity = newCapacity;
  }
}

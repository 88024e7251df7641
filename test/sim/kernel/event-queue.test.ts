import { describe, expect, it } from "vitest";
import { Simulation, SimulationError } from "../../../sim/kernel/index.js";

describe("event ordering", () => {
  it("fires by time, then in scheduling order for equal times", () => {
    const sim = new Simulation();
    const seen: string[] = [];
    const log = (s: string) => seen.push(`${sim.now}:${s}`);
    sim.schedule(2, log, "c");
    sim.schedule(1, log, "a");
    sim.schedule(2, log, "d");
    sim.schedule(1, log, "b");
    sim.schedule(0, log, "z");
    sim.run();
    expect(seen).toEqual(["0:z", "1:a", "1:b", "2:c", "2:d"]);
  });

  it("keeps insertion order among many equal times through heap reshuffles", () => {
    const sim = new Simulation({ initialEventCapacity: 16 });
    const seen: number[] = [];
    // Interleave two times so the heap is reorganised many times.
    for (let i = 0; i < 5000; i++) sim.schedule(i % 2 === 0 ? 5 : 3, (k: number) => seen.push(k), i);
    sim.run();
    const odds = seen.slice(0, 2500);
    const evens = seen.slice(2500);
    expect(odds).toEqual(Array.from({ length: 2500 }, (_, i) => 2 * i + 1));
    expect(evens).toEqual(Array.from({ length: 2500 }, (_, i) => 2 * i));
  });

  it("pops in sorted order for random times (against a sort of the same times)", () => {
    const sim = new Simulation({ seed: 7 });
    const r = sim.random.stream("times");
    const times: number[] = [];
    const fired: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const t = Math.floor(r.uniform() * 1000) / 10; // many ties
      times.push(t);
      sim.schedule(t, () => fired.push(sim.now));
    }
    sim.run();
    expect(fired).toEqual([...times].sort((a, b) => a - b));
  });

  it("cancels and reschedules; stale handles do nothing", () => {
    const sim = new Simulation();
    const seen: string[] = [];
    const a = sim.schedule(1, () => seen.push("a"));
    const b = sim.schedule(2, () => seen.push("b"));
    const c = sim.schedule(3, () => seen.push("c"));
    expect(sim.cancel(b)).toBe(true);
    expect(sim.cancel(b)).toBe(false);
    expect(sim.reschedule(c, 0.5)).toBe(true);
    expect(sim.timeOf(c)).toBe(0.5);
    sim.run();
    expect(seen).toEqual(["c", "a"]);
    expect(sim.isPending(a)).toBe(false);
    expect(sim.cancel(a)).toBe(false);
    // The slot of `a` is reused: its old handle must not reach the new event.
    const d = sim.schedule(1, () => seen.push("d"));
    expect(sim.cancel(a)).toBe(false);
    expect(sim.isPending(d)).toBe(true);
    sim.run();
    expect(seen).toEqual(["c", "a", "d"]);
  });

  it("random cancel/reschedule agrees with a naive reference queue", () => {
    const sim = new Simulation({ seed: 3 });
    const r = sim.random.stream("ops");
    type Ref = { t: number; seq: number; id: number; live: boolean };
    const ref: Ref[] = [];
    const handles: number[] = [];
    const fired: number[] = [];
    let seq = 0;
    for (let i = 0; i < 3000; i++) {
      const op = r.uniform();
      if (op < 0.6 || handles.length === 0) {
        const t = Math.floor(r.uniform() * 50);
        const id = ref.length;
        handles.push(sim.schedule(t, (k: number) => fired.push(k), id));
        ref.push({ t, seq: seq++, id, live: true });
      } else if (op < 0.8) {
        const k = r.integer(ref.length);
        expect(sim.cancel(handles[k]!)).toBe(ref[k]!.live);
        ref[k]!.live = false;
      } else {
        const k = r.integer(ref.length);
        const t = Math.floor(r.uniform() * 50);
        expect(sim.reschedule(handles[k]!, t)).toBe(ref[k]!.live);
        if (ref[k]!.live) {
          ref[k]!.t = t;
          ref[k]!.seq = seq++;
        }
      }
    }
    sim.run();
    const expected = ref
      .filter((e) => e.live)
      .sort((a, b) => a.t - b.t || a.seq - b.seq)
      .map((e) => e.id);
    expect(fired).toEqual(expected);
  });

  it("runs in slices with the same result as one run, ending the clock at `until`", () => {
    const trace = (slices: number[]) => {
      const sim = new Simulation({ seed: 11 });
      const r = sim.random.stream("a");
      const out: number[] = [];
      const tick = () => {
        out.push(sim.now);
        if (sim.now < 100) sim.schedule(r.exponential(1), tick);
      };
      sim.schedule(0, tick);
      for (const s of slices) {
        sim.run(s);
        expect(sim.now).toBe(s);
      }
      sim.run();
      return out;
    };
    expect(trace([10, 20, 55.5])).toEqual(trace([]));
  });

  it("rejects times that would corrupt the clock", () => {
    const sim = new Simulation();
    const noop = () => {};
    for (const bad of [NaN, -1, Infinity]) {
      expect(() => sim.schedule(bad, noop)).toThrow(SimulationError);
    }
    sim.schedule(5, noop);
    sim.run();
    expect(() => sim.scheduleAt(4, noop)).toThrow(/past/);
    expect(() => sim.run(NaN)).toThrow(SimulationError);
    expect(() => sim.run(1)).toThrow(/until must be >= now/);
    expect(sim.now).toBe(5);
  });

  it("stop() ends a run after the current event", () => {
    const sim = new Simulation();
    const seen: number[] = [];
    for (let i = 1; i <= 5; i++)
      sim.schedule(i, () => {
        seen.push(i);
        if (i === 2) sim.stop();
      });
    sim.run();
    expect(seen).toEqual([1, 2]);
    expect(sim.now).toBe(2);
    sim.run();
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it("end-of-instant callbacks run after every event of the instant, before the clock moves", () => {
    const sim = new Simulation();
    const seen: string[] = [];
    const log = (x: string) => seen.push(`${sim.now}:${x}`);
    sim.schedule(1, () => {
      log("a");
      sim.atEndOfInstant(() => {
        log("end");
        sim.schedule(0, () => log("late")); // same instant: fires, then the next end of instant
        sim.atEndOfInstant(() => log("end2"));
      });
    });
    sim.schedule(1, () => log("b"));
    sim.schedule(2, () => log("c"));
    sim.run();
    expect(seen).toEqual(["1:a", "1:b", "1:end", "1:late", "1:end2", "2:c"]);
  });

  it("end-of-instant callbacks run at the last instant and survive run() slices", () => {
    const sim = new Simulation();
    const seen: number[] = [];
    sim.schedule(3, () => sim.atEndOfInstant(() => seen.push(sim.now)));
    sim.run(3);
    expect(seen).toEqual([3]);
    sim.atEndOfInstant(() => seen.push(sim.now));
    sim.step(); // nothing pending: the instant ends
    expect(seen).toEqual([3, 3]);
  });
});


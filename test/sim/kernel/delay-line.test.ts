import { describe, expect, it } from "vitest";
import { DelayLine, Simulation, SimulationError } from "../../../sim/kernel/index.js";

describe("delay line", () => {
  it("fires each entry its delay after it was pushed, as separately scheduled events would", () => {
    const trace = (useLine: boolean) => {
      const sim = new Simulation({ seed: 4 });
      const r = sim.random.stream("pushes");
      const fired: [number, number][] = [];
      const line = new DelayLine(sim, 7.5, (k: number) => fired.push([sim.now, k]));
      let k = 0;
      const next = () => {
        const burst = 1 + r.integer(3); // several pushes at one time, some due together
        for (let i = 0; i < burst; i++) {
          if (useLine) line.push(k++);
          else sim.schedule(7.5, (j: number) => fired.push([sim.now, j]), k++);
        }
        if (k < 5000) sim.schedule(r.bernoulli(0.3) ? 0 : r.exponential(1), next);
      };
      sim.schedule(0, next);
      sim.run();
      return fired;
    };
    const viaLine = trace(true);
    expect(viaLine).toHaveLength(trace(false).length);
    expect(viaLine).toEqual(trace(false));
  });

  it("holds only its head in the event queue", () => {
    const sim = new Simulation();
    const line = new DelayLine(sim, 10, () => {});
    for (let i = 0; i < 1000; i++) line.push(i);
    expect(line.size).toBe(1000);
    expect(sim.pending).toBe(1);
    sim.run();
    expect(line.size).toBe(0);
    expect(sim.now).toBe(10);
  });

  it("rejects a negative or NaN delay", () => {
    const sim = new Simulation();
    expect(() => new DelayLine(sim, -1, () => {})).toThrow(SimulationError);
    expect(() => new DelayLine(sim, NaN, () => {})).toThrow(SimulationError);
  });
});

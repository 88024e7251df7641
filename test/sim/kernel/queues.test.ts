import { describe, expect, it } from "vitest";
import { process, Resource, Simulation, SimulationError } from "../../../sim/kernel/index.js";

/**
 * Queueing models checked against closed-form results (M/M/1 and Erlang C for M/M/c), which
 * exercise the clock, the queue, resources and random streams together.
 */

interface QueueStats {
  meanSojourn: number;
  meanWait: number;
  utilisation: number;
}

/** M/M/c with callbacks: arrivals, FIFO queue for c servers, exponential service. */
function mmcCallbacks(lambda: number, mu: number, c: number, customers: number, seed: number): QueueStats {
  const sim = new Simulation({ seed });
  const arrivals = sim.random.stream("arrivals");
  const service = sim.random.stream("service");
  const servers = new Resource(sim, c);
  let arrived = 0;
  let sojourn = 0;
  let wait = 0;
  let busy = 0;
  const depart = (t0: number) => {
    sojourn += sim.now - t0;
    servers.release();
  };
  const serve = (t0: number) => {
    wait += sim.now - t0;
    const s = service.exponential(mu);
    busy += s;
    sim.schedule(s, depart, t0);
  };
  const arrive = () => {
    servers.acquire(serve, sim.now);
    if (++arrived < customers) sim.schedule(arrivals.exponential(lambda), arrive);
  };
  sim.schedule(arrivals.exponential(lambda), arrive);
  sim.run();
  return { meanSojourn: sojourn / customers, meanWait: wait / customers, utilisation: busy / (c * sim.now) };
}

/** The same M/M/1 written as SimPy-style generator processes. */
function mm1Processes(lambda: number, mu: number, customers: number, seed: number): QueueStats {
  const sim = new Simulation({ seed });
  const arrivals = sim.random.stream("arrivals");
  const service = sim.random.stream("service");
  const server = new Resource(sim, 1);
  let sojourn = 0;
  let wait = 0;
  let busy = 0;
  function* customer(): Generator<number | Resource["request"], void, undefined> {
    const t0 = sim.now;
    yield server.request;
    wait += sim.now - t0;
    const s = service.exponential(mu);
    busy += s;
    yield s;
    server.release();
    sojourn += sim.now - t0;
  }
  function* source(): Generator<number, void, undefined> {
    for (let i = 0; i < customers; i++) {
      yield arrivals.exponential(lambda);
      process(sim, customer());
    }
  }
  process(sim, source());
  sim.run();
  return { meanSojourn: sojourn / customers, meanWait: wait / customers, utilisation: busy / sim.now };
}

function erlangCWait(lambda: number, mu: number, c: number): number {
  const a = lambda / mu;
  const rho = a / c;
  let sum = 0;
  let term = 1;
  for (let k = 0; k < c; k++) {
    sum += term;
    term *= a / (k + 1);
  }
  const tail = term / (1 - rho); // a^c / c! / (1 - rho)
  const pWait = tail / (sum + tail);
  return pWait / (c * mu - lambda);
}

describe("queueing models against closed forms", () => {
  it("M/M/1 with callbacks: W = 1/(mu - lambda), Wq = rho/(mu - lambda), utilisation rho", () => {
    const lambda = 0.5;
    const mu = 1;
    const s = mmcCallbacks(lambda, mu, 1, 300_000, 1);
    expect(s.meanSojourn).toBeCloseTo(1 / (mu - lambda), 0);
    expect(Math.abs(s.meanSojourn / 2 - 1)).toBeLessThan(0.03);
    expect(Math.abs(s.meanWait / 1 - 1)).toBeLessThan(0.05);
    expect(Math.abs(s.utilisation / 0.5 - 1)).toBeLessThan(0.02);
  });

  it("M/M/1 as generator processes gives the same closed-form results", () => {
    const s = mm1Processes(0.5, 1, 200_000, 2);
    expect(Math.abs(s.meanSojourn / 2 - 1)).toBeLessThan(0.04);
    expect(Math.abs(s.utilisation / 0.5 - 1)).toBeLessThan(0.02);
  });

  it("callbacks and processes are the same model: identical numbers for the same seed", () => {
    const a = mmcCallbacks(0.7, 1, 1, 20_000, 5);
    const b = mm1Processes(0.7, 1, 20_000, 5);
    expect(b.meanSojourn).toBeCloseTo(a.meanSojourn, 9);
    expect(b.meanWait).toBeCloseTo(a.meanWait, 9);
  });

  it("M/M/3 mean wait matches Erlang C", () => {
    const lambda = 2.4;
    const mu = 1;
    const s = mmcCallbacks(lambda, mu, 3, 300_000, 3);
    const wq = erlangCWait(lambda, mu, 3); // 1.079 for rho = 0.8
    expect(Math.abs(s.meanWait / wq - 1)).toBeLessThan(0.06);
    expect(Math.abs(s.utilisation / 0.8 - 1)).toBeLessThan(0.02);
  });

  it("serves waiters first in, first out", () => {
    const sim = new Simulation();
    const r = new Resource(sim, 2);
    const order: number[] = [];
    for (let i = 0; i < 6; i++)
      sim.schedule(i * 0.1, () =>
        r.acquire((k: number) => {
          order.push(k);
          sim.schedule(1, () => r.release());
        }, i),
      );
    sim.run();
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.inUse).toBe(0);
    expect(r.queueLength).toBe(0);
    expect(sim.now).toBeCloseTo(3.1, 12); // pairs served from 0/0.1, 1/1.1, 2/2.1
  });

  it("rejects a bad capacity and an unmatched release", () => {
    const sim = new Simulation();
    expect(() => new Resource(sim, 0)).toThrow(SimulationError);
    expect(() => new Resource(sim, 1.5)).toThrow(/integer >= 1/);
    expect(() => new Resource(sim, 1).release()).toThrow(/without a matching acquire/);
  });
});

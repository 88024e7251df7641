import { describe, expect, it } from "vitest";
import { INGESTED } from "../../../sim/srcnet/components/products.js";
import { SrcnetModel } from "../../../sim/srcnet/model.js";
import type { Analysis, Scenario } from "../../../scenarios/types.js";
import { TAPE, quiet, site } from "./fixtures.js";

const GB = 1e9;
const [A, B] = [0, 1];

/** One product of `size` already ingested, held at `disk` (and `tape`) sites; jobs as given; replicas 1. */
function model(analysis: Partial<Analysis>, size: number, disk: number[], tape: number[] = [], edit: (sc: Scenario) => void = () => {}) {
  const sc = quiet();
  sc.policies.replicas = 1;
  sc.analysis = {
    jobsPerDay: 10,
    popularityExponent: 1,
    mode: "move-code-to-data",
    coresPerJob: 1,
    runtime: { medianSeconds: 60, sigma: 0 },
    homeSites: [],
    bursts: [],
    ...analysis,
  };
  edit(sc);
  const m = new SrcnetModel(sc);
  const p = m.products.create(0, 0, size);
  for (const s of disk) m.storage.addDiskCopy(p, s);
  for (const s of tape) {
    m.products.tape.data[p]! |= 1 << s;
    m.storage.tapeUsed[s]! += size;
  }
  m.products.flags.data[p]! |= INGESTED;
  return m;
}

describe("analysis jobs", () => {
  it("one slot, Poisson arrivals and a fixed run time queue as M/D/1", () => {
    // Pollaczek-Khinchine with E[S^2] = S^2: Wq = lambda S^2 / (2 (1 - rho)).
    const lambda = 25 / 86_400;
    const S = 1800;
    const wq = (lambda * S * S) / (2 * (1 - lambda * S));
    const m = model({ jobsPerDay: 25, coresPerJob: 8, runtime: { medianSeconds: S, sigma: 0 } }, 10 * GB, [A], [], (sc) => {
      sc.durationSeconds = 1000 * 86_400;
      sc.sites = [site("A", { compute: { cores: 8, flopsPerSecond: 1e12 } }), site("B", { compute: { cores: 0, flopsPerSecond: 0 } }), site("C", { compute: { cores: 0, flopsPerSecond: 0 } })];
    });
    m.sim.run(1000 * 86_400);
    const w = m.jobs.waits.values();
    expect(m.jobs.submitted).toBeGreaterThan(24_000);
    expect(m.jobs.failed).toBe(0);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    expect(mean).toBeGreaterThan(0.95 * wq);
    expect(mean).toBeLessThan(1.05 * wq);
  });

  it("pulling the data to the home site: each job waits for its copy, latency + size / bandwidth, and the copy is not kept", () => {
    const m = model({ mode: "pull-data", homeSites: [{ site: "B", weight: 1 }] }, 10 * GB, [A], [], (sc) => (sc.durationSeconds = 10 * 86_400));
    m.sim.run(10 * 86_400);
    const w = Array.from(m.jobs.waits.values());
    expect(w.length).toBeGreaterThan(50);
    // A -> B: 0.02 s + 10 GB at 1 GB/s. B has 100 slots, so no job queues; no two pulls overlap in this run.
    for (const x of w) expect(x).toBeCloseTo(10.02, 9);
    expect([m.jobs.completed, m.jobs.failed]).toEqual([w.length, 0]);
    expect([m.storage.diskUsed[B], m.storage.diskReserved[B]]).toEqual([0, 0]);
    expect(m.transfers.completed).toBe(w.length);
  });

  it("data only on tape: the first job waits for the recall, then the staged copy serves the others", () => {
    const m = model({}, 100 * GB, [], [A], (sc) => {
      sc.sites = sc.sites.map((s) => ({ ...s, tape: TAPE }));
      sc.policies.diskToTapeAfterSeconds = 7 * 86_400;
      sc.durationSeconds = 5 * 86_400;
    });
    m.sim.run(5 * 86_400);
    const w = Array.from(m.jobs.waits.values());
    // One of 4 drives of an 8 Gbit/s library: 90 s mount + 60 s seek + 100 GB at 2 Gbit/s. A job
    // arriving before the first recall is staged makes its own.
    const recalled = w.filter((x) => Math.abs(x - 550) < 1e-6).length;
    expect(w[0]).toBeCloseTo(550, 6);
    expect(recalled).toBe(m.storage.recalls);
    expect(w.filter((x) => x === 0).length).toBe(w.length - recalled);
    expect(w.length - recalled).toBeGreaterThan(30);
    expect(m.storage.diskStagedBytes(A)).toBe(100 * GB);
  });

  it("without recall on access, or with every copy down, jobs fail", () => {
    const refused = model({}, 100 * GB, [], [A], (sc) => {
      sc.sites = sc.sites.map((s) => ({ ...s, tape: TAPE }));
      sc.policies.recallOnAccess = false;
    });
    refused.sim.run(86_400);
    expect(refused.jobs.submitted).toBeGreaterThan(0);
    expect([refused.jobs.failed, refused.storage.recalls]).toEqual([refused.jobs.submitted, 0]);
    const down = model({}, 100 * GB, [A], [], (sc) => (sc.faults = [{ kind: "site-down", site: "A", atSeconds: 0, durationSeconds: 2 * 86_400 }]));
    down.sim.run(86_400);
    expect(down.jobs.failed).toBe(down.jobs.submitted);
  });
});

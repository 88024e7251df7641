import { describe, expect, it } from "vitest";
import { INGESTED } from "../../../sim/srcnet/components/products.js";
import { SrcnetModel } from "../../../sim/srcnet/model.js";
import type { Scenario } from "../../../scenarios/types.js";
import { TAPE, quiet, site } from "./fixtures.js";

const GB = 1e9;
const PB = 1e15;
// Sites A, B, C; every link 1 GB/s; A-B 0.02 s, A-C 0.05 s, B-C 0.05 s.
const [A, B, C] = [0, 1, 2];

const disk = (capacityBytes: number) => ({ capacityBytes, readBitsPerSecond: 800e9, writeBitsPerSecond: 800e9, costPerTerabyteYear: 10 });

function model(edit: (sc: Scenario) => void = () => {}) {
  const sc = quiet();
  edit(sc);
  const m = new SrcnetModel(sc);
  /** An ingested product, born now, with disk copies at `at`; replication starts as after an ingest. */
  const ingested = (size: number, ...at: number[]) => {
    const p = m.products.create(0, 0, size);
    for (const s of at) m.storage.addDiskCopy(p, s);
    m.products.flags.data[p]! |= INGESTED;
    m.replication.copyLanded(p);
    return p;
  };
  return { m, sc, ingested };
}

describe("replication", () => {
  it("a copy goes to the nearest site and takes size / bandwidth + latency", () => {
    const { m, ingested } = model();
    const p = ingested(100 * GB, A);
    expect(m.replication.underBytes).toBe(100 * GB);
    m.sim.run();
    expect(m.products.disk.data[p]).toBe((1 << A) | (1 << B));
    expect(m.products.replicatedAt.data[p]).toBeCloseTo(0.02 + 100, 9);
    expect(Array.from(m.replication.lags.values())).toEqual([expect.closeTo(100.02, 9)]);
    expect([m.replication.underBytes, m.replication.underPeakBytes]).toEqual([0, 100 * GB]);
    expect(m.storage.diskUsed[B]).toBe(100 * GB);
    expect(m.storage.diskReserved[B]).toBe(0);
  });

  it("three copies: both new ones move at once, and the lag is the slower path's", () => {
    const { m, ingested } = model((sc) => (sc.policies.replicas = 3));
    ingested(100 * GB, A);
    m.sim.run();
    expect(Array.from(m.replication.lags.values())).toEqual([expect.closeTo(100.05, 9)]);
  });

  it("cheapest placement takes the lowest cost per TB-year", () => {
    const { m, ingested } = model((sc) => {
      sc.policies.placement = "cheapest";
      sc.sites[C] = site("C", { disk: { capacityBytes: 10 * PB, readBitsPerSecond: 800e9, writeBitsPerSecond: 800e9, costPerTerabyteYear: 1 } });
    });
    const p = ingested(100 * GB, A);
    expect(m.products.inflight.data[p]).toBe(1 << C);
  });

  it("free-capacity placement draws destinations in proportion to free space", () => {
    const { m, ingested } = model((sc) => {
      sc.policies.placement = "free-capacity";
      sc.sites[B] = site("B", { disk: disk(1 * PB) });
      sc.sites[C] = site("C", { disk: disk(3 * PB) });
    });
    const n = 2000;
    let toC = 0;
    for (let i = 0; i < n; i++) if (m.products.inflight.data[ingested(1 * GB, A)] === 1 << C) toC++;
    // Expected 3/4 (2 TB reserved moves the shares by < 0.1%); binomial sd ~ 0.0097.
    expect(Math.abs(toC / n - 0.75)).toBeLessThan(4 * Math.sqrt((0.75 * 0.25) / n));
  });

  it("the source is the nearest up copy, disk before tape", () => {
    const { m } = model();
    const p = m.products.create(0, 0, GB);
    const both = () => m.replication.chooseSource(p, A);
    m.products.disk.data[p] = (1 << B) | (1 << C);
    expect(both()).toBe(B); // 0.02 s from A, against 0.05 s
    m.products.disk.data[p] = 1 << C;
    m.products.tape.data[p] = 1 << B;
    expect(both()).toBe(C); // disk first, though farther
    m.products.disk.data[p] = 0;
    expect(both()).toBe(B);
    m.sites.goDown(B);
    expect(both()).toBe(-1);
  });

  it("a copy from a tape-only source waits for the recall: mount + seek + read, then the transfer", () => {
    const { m } = model((sc) => (sc.sites = sc.sites.map((s) => ({ ...s, tape: TAPE }))));
    const p = m.products.create(0, 0, 100 * GB);
    m.products.tape.data[p] = 1 << A;
    m.storage.tapeUsed[A] = 100 * GB;
    m.products.flags.data[p]! |= INGESTED;
    m.replication.copyLanded(p);
    m.sim.run(5000);
    // Recall on one of 4 drives of an 8 Gbit/s library: 90 + 60 + 400 s; then A->B: 0.02 + 100 s.
    expect(Array.from(m.replication.lags.values())).toEqual([expect.closeTo(550 + 100.02, 9)]);
    expect(m.storage.recalls).toBe(1);
  });

  it("products no site can take wait in order, and go when space is freed", () => {
    const { m, ingested } = model((sc) => {
      sc.sites[B] = site("B", { disk: disk(100 * GB) });
      sc.sites[C] = site("C", { disk: disk(100 * GB) });
    });
    m.storage.reserve(C, 100 * GB); // other data on its way to C
    const p0 = ingested(100 * GB, A);
    const p1 = ingested(100 * GB, A);
    const p2 = ingested(100 * GB, A);
    expect(m.products.inflight.data[p0]).toBe(1 << B);
    expect(m.replication.pendingCount()).toBe(2);
    m.sim.scheduleAt(500, () => {
      m.storage.release(C, 100 * GB);
      m.replication.retryWaiting();
    });
    m.sim.run();
    expect(m.products.replicatedAt.data[p1]).toBeCloseTo(500 + 0.05 + 100, 9);
    expect(Number.isNaN(m.products.replicatedAt.data[p2]!)).toBe(true);
    expect(m.replication.pendingCount()).toBe(1);
    expect(m.replication.underBytes).toBe(100 * GB);
  });

  it("an operator's rule copies the matching products to a site", () => {
    const { m, ingested } = model((sc) => (sc.policies.replicas = 1));
    const old = ingested(100 * GB, A);
    m.sim.run(100);
    const young = ingested(100 * GB, A);
    m.replication.operate({ kind: "replicate", atSeconds: 100, to: "C", filter: { telescope: null, productType: null, ingestedBeforeSeconds: 50 } });
    m.sim.run();
    expect(m.products.disk.data[old]).toBe((1 << A) | (1 << C));
    expect(m.products.disk.data[young]).toBe(1 << A);
    expect(m.sim.now).toBeCloseTo(100 + 0.05 + 100, 9);
  });
});

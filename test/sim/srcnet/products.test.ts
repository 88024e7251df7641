import { describe, expect, it } from "vitest";
import { Simulation } from "../../../sim/kernel/index.js";
import { EV_CREATED, EV_INGESTED, PRODUCT_EVENTS, ProductTable, popcount } from "../../../sim/srcnet/components/products.js";

describe("product table", () => {
  it("counts the sites in a copies mask", () => {
    expect([0, 1, 0b1011, 0x3fffffff, 0x80000000 | 0].map(popcount)).toEqual([0, 1, 3, 30, 1]);
  });

  it("appends rows born now with no copies, growing past the initial capacity", () => {
    const sim = new Simulation();
    const t = new ProductTable(sim, 3, false);
    for (let i = 0; i < 3000; i++) t.create(i % 2, 0, 1e9 + i);
    expect(t.count).toBe(3000);
    expect(t.size.data[2999]).toBe(1e9 + 2999);
    expect(t.telescope.data[2999]).toBe(1);
    expect(t.disk.data[5]).toBe(0);
    expect(t.fault.data[5]).toBe(-1);
    expect(Number.isNaN(t.replicatedAt.data[5]!)).toBe(true);
  });

  it("indexes the products a site holds and drops those whose copies there are gone", () => {
    const sim = new Simulation();
    const t = new ProductTable(sim, 3, false);
    for (let i = 0; i < 4; i++) t.create(0, 0, 1);
    t.setDisk(0, 1);
    t.setDisk(1, 1);
    t.setDisk(1, 1); // a second copy at the same site is indexed once
    t.setDisk(2, 1);
    t.setDisk(3, 2);
    t.tape.data[2] = 1 << 1; // disk copy migrated to tape: still held at site 1
    t.disk.data[2] = 0;
    t.disk.data[0] = 0; // copy lost
    const seen: number[] = [];
    t.forEachAt(1, (p) => seen.push(p));
    expect(seen).toEqual([1, 2]);
    const again: number[] = [];
    t.forEachAt(1, (p) => again.push(p));
    expect(again).toEqual([1, 2]);
  });

  it("logs events with the simulated time only when asked to", () => {
    const sim = new Simulation();
    const t = new ProductTable(sim, 2, true);
    const off = new ProductTable(sim, 2, false);
    sim.scheduleAt(12.5, () => {
      const p = t.create(0, 0, 1);
      t.event(p, EV_CREATED, -1);
      t.event(p, EV_INGESTED, 1);
      off.event(off.create(0, 0, 1), EV_CREATED, -1);
    });
    sim.run();
    const e = t.events!;
    expect(Array.from(e.time.values())).toEqual([12.5, 12.5]);
    expect(Array.from(e.event.values(), (c) => PRODUCT_EVENTS[c])).toEqual(["created", "ingested"]);
    expect(Array.from(e.site.values())).toEqual([-1, 1]);
    expect(off.events).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { EV_DELETED, EV_INGESTED } from "../../../sim/srcnet/components/products.js";
import { SrcnetModel } from "../../../sim/srcnet/model.js";
import type { Scenario } from "../../../scenarios/types.js";
import { mini, site } from "./fixtures.js";

const GB = 1e9;
const [A, B, C] = [0, 1, 2];

function times(m: SrcnetModel, code: number): number[] {
  const e = m.products.events!;
  const out = [];
  for (let i = 0; i < e.event.length; i++) if (e.event.data[i] === code) out.push(e.time.data[i]!);
  return out;
}

function model(sc: Scenario): SrcnetModel {
  sc.output.productEvents = true;
  return new SrcnetModel(sc);
}

describe("lifecycle", () => {
  it("deletes a product its lifetime after creation and frees every copy at once", () => {
    // A product every 1000 s from 1000 s, each copied A -> B; lifetime 5000 s.
    const sc = mini();
    sc.policies.lifetimeSeconds = 5000;
    const m = model(sc);
    m.sim.run(7000);
    expect(times(m, EV_DELETED)).toEqual([6000, 7000].map((t) => expect.closeTo(t, 6)));
    expect(m.lifecycle.deletedBytes).toBe(200 * GB);
    // Products of 3000-6000 s remain, two copies each.
    expect([m.storage.diskUsed[A], m.storage.diskUsed[B], m.storage.diskUsed[C]]).toEqual([400 * GB, 400 * GB, 0]);
  });

  it("a product deleted while it waits at the telescope never reaches storage", () => {
    // A is down from 1500 to 5000 s: products of 2000 and 3000 s wait, and are deleted at 3500 and 4500 s.
    const sc = mini({ durationSeconds: 5400, faults: [{ kind: "site-down", site: "A", atSeconds: 1500, durationSeconds: 3500 }] });
    sc.policies.replicas = 1;
    sc.policies.lifetimeSeconds = 1500;
    const m = model(sc);
    m.sim.run(3600);
    expect(m.ingest.backlogBytes).toBe(100 * GB); // only the product of 3000 s still waits
    expect(m.lifecycle.deletedBytes).toBe(200 * GB);
    m.sim.run(5400);
    expect(times(m, EV_DELETED)).toEqual([2500, 3500, 4500].map((t) => expect.closeTo(t, 6)));
    // When A returns at 5000 s, the product of 4000 s and the new one of 5000 s share T->A: 0.01 + 200 s.
    expect(times(m, EV_INGESTED)).toEqual([1100.01, 5200.01, 5200.01].map((t) => expect.closeTo(t, 6)));
    const v = m.ingest;
    expect([v.producedBytes, m.lifecycle.deletedBytes, m.storage.diskUsed[A], v.backlogBytes, v.inflightBytes]).toEqual([500 * GB, 300 * GB, 200 * GB, 0, 0]);
  });

  it("a deleted product no longer counts as under-replicated, nor waits for placement", () => {
    const sc = mini({}, { productionEndSeconds: 1500 });
    const full = { capacityBytes: 50 * GB, readBitsPerSecond: 800e9, writeBitsPerSecond: 800e9, costPerTerabyteYear: 10 };
    sc.sites[B] = site("B", { disk: full });
    sc.sites[C] = site("C", { disk: full });
    sc.policies.lifetimeSeconds = 500;
    const m = model(sc);
    m.sim.run(1200);
    expect([m.replication.underBytes, m.replication.pendingCount()]).toEqual([100 * GB, 1]);
    m.sim.run(1600);
    expect([m.replication.underBytes, m.replication.pendingCount()]).toEqual([0, 0]);
    expect(m.storage.diskUsed[A]).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import { EV_CREATED, EV_INGESTED } from "../../../sim/srcnet/components/products.js";
import { SrcnetModel } from "../../../sim/srcnet/model.js";
import type { Scenario } from "../../../scenarios/types.js";
import { mini, site } from "./fixtures.js";

const GB = 1e9;
const [A, B] = [0, 1];

/** Times (and sites) of one kind of product event. */
function events(m: SrcnetModel, code: number): { at: number; site: number }[] {
  const e = m.products.events!;
  const out = [];
  for (let i = 0; i < e.event.length; i++) if (e.event.data[i] === code) out.push({ at: e.time.data[i]!, site: e.site.data[i]! });
  return out;
}

function run(sc: Scenario, until = sc.durationSeconds): SrcnetModel {
  sc.output.productEvents = true;
  const m = new SrcnetModel(sc);
  m.sim.run(until);
  return m;
}

describe("ingest", () => {
  it("emits products back to back at the scheduled rate; each reaches its site after latency + size / bandwidth", () => {
    // 100 GB a product at 360 GB/h: one every 1000 s. T->A: 0.01 s + 100 s at 1 GB/s.
    const m = run(mini({ durationSeconds: 5500 }));
    expect(events(m, EV_CREATED).map((e) => e.at)).toEqual([1000, 2000, 3000, 4000, 5000].map((t) => expect.closeTo(t, 6)));
    expect(events(m, EV_INGESTED)).toEqual([1000, 2000, 3000, 4000, 5000].map((t) => ({ at: expect.closeTo(t + 100.01, 6), site: A })));
    expect([m.ingest.producedBytes, m.ingest.ingestedBytes, m.ingest.backlogBytes, m.ingest.inflightBytes]).toEqual([500 * GB, 500 * GB, 0, 0]);
  });

  it("splits products between receiving sites by their ingest weights", () => {
    const sc = mini({}, { productBytes: 1 * GB, productsPerHour: 360 });
    sc.telescopes[0]!.ingest = [
      { site: "A", weight: 1 },
      { site: "B", weight: 3 },
    ];
    sc.links.push({ from: "T", to: "B", bandwidthBitsPerSecond: 8e9, latencySeconds: 0.01 });
    const m = run(sc);
    const at = events(m, EV_INGESTED);
    const n = at.length;
    expect(n).toBeGreaterThan(8000);
    const toB = at.filter((e) => e.site === B).length / n;
    expect(Math.abs(toB - 0.75)).toBeLessThan(4 * Math.sqrt((0.75 * 0.25) / n)); // binomial sd ~ 0.005
  });

  it("a full receiving site leaves products waiting at the telescope, never lost", () => {
    const sc = mini({ durationSeconds: 12_000 }, { productionEndSeconds: 10_500 });
    sc.policies.replicas = 1;
    sc.sites[A] = site("A", { disk: { capacityBytes: 300 * GB, readBitsPerSecond: 800e9, writeBitsPerSecond: 800e9, costPerTerabyteYear: 10 } });
    const m = run(sc);
    expect(events(m, EV_INGESTED)).toHaveLength(3);
    expect(m.ingest.producedBytes).toBe(1000 * GB);
    expect(m.ingest.backlogBytes).toBe(700 * GB);
    expect(m.storage.diskUsed[A]).toBe(300 * GB);
  });

  it("an ingest cut by its site's failure goes back to the backlog; waiting products go when the site returns", () => {
    // A fails at 1050 s, during the first product's ingest (1000-1100.01 s), and returns at 2050 s.
    const sc = mini({ durationSeconds: 3500, faults: [{ kind: "site-down", site: "A", atSeconds: 1050, durationSeconds: 1000 }] });
    sc.policies.replicas = 1;
    const m = run(sc);
    // The two waiting products share T->A from 2050 s: 0.01 s + 200 s.
    expect(events(m, EV_INGESTED).map((e) => e.at)).toEqual([2250.01, 2250.01, 3100.01].map((t) => expect.closeTo(t, 6)));
    expect(m.transfers.aborted).toBe(1);
    expect([m.ingest.ingestedBytes, m.ingest.backlogBytes, m.ingest.inflightBytes]).toEqual([300 * GB, 0, 0]);
  });
});

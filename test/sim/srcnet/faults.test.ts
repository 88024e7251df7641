import { describe, expect, it } from "vitest";
import { EV_COPY_LOST, EV_LOST } from "../../../sim/srcnet/components/products.js";
import { SrcnetModel } from "../../../sim/srcnet/model.js";
import type { Fault, Scenario } from "../../../scenarios/types.js";
import { mini } from "./fixtures.js";

const GB = 1e9;
const [A, B, C] = [0, 1, 2];

/** One 100 GB product every 1000 s from 1000 s to 20,000 s (20), each on A and then B (the nearest). */
function model(faults: Fault[], durationSeconds: number, edit: (sc: Scenario) => void = () => {}): SrcnetModel {
  const sc = mini({ faults, durationSeconds }, { productionEndSeconds: 20_500 });
  sc.output.productEvents = true;
  edit(sc);
  const m = new SrcnetModel(sc);
  m.sim.run(durationSeconds);
  return m;
}

const count = (m: SrcnetModel, code: number) => Array.from(m.products.events!.event.values()).filter((e) => e === code).length;

describe("faults and recovery", () => {
  it("a site down: after detection its copies are re-created from the survivors, in volume / bandwidth", () => {
    const m = model([{ kind: "site-down", site: "B", atSeconds: 30_000, durationSeconds: 172_800 }], 40_000);
    const rec = m.faults.log.records[0]!;
    expect([rec.productsAffected, rec.bytesAffected]).toEqual([20, 2000 * GB]);
    // 1 h detection, then 2 TB A -> C at 1 GB/s after 0.05 s latency.
    expect(rec.recoveredAtSeconds! - rec.atSeconds).toBeCloseTo(3600 + 0.05 + 2000, 6);
    for (let p = 0; p < 20; p++) expect(m.products.disk.data[p]).toBe((1 << A) | (1 << B) | (1 << C));
    expect([m.replication.underBytes, m.faults.lostBytes]).toEqual([0, 0]);
  });

  it("a site back before detection needs no recovery: its products are whole when it returns", () => {
    const m = model([{ kind: "site-down", site: "B", atSeconds: 30_000, durationSeconds: 1800 }], 40_000);
    const rec = m.faults.log.records[0]!;
    expect(rec.productsAffected).toBe(20);
    expect(rec.recoveredAtSeconds! - rec.atSeconds).toBe(1800);
    expect(m.storage.diskUsed[C]).toBe(0);
  });

  it("overlapping outages: the site returns when the last ends; the second fault only extends the first", () => {
    const m = model(
      [
        { kind: "site-down", site: "B", atSeconds: 30_000, durationSeconds: 5000 },
        { kind: "site-down", site: "B", atSeconds: 32_000, durationSeconds: 10_000 },
      ],
      50_000,
      (sc) => (sc.policies.recovery.enabled = false),
    );
    const [first, second] = m.faults.log.records;
    expect(first!.recoveredAtSeconds).toBe(42_000);
    expect([second!.productsAffected, second!.recoveredAtSeconds]).toEqual([0, null]);
    expect(m.sites.up[B]).toBe(true);
  });

  it("lost storage loses a product only with its last copy; until then recovery re-creates the copy", () => {
    const m = model(
      [
        { kind: "storage-lost", site: "A", storageClass: "disk", atSeconds: 30_000 },
        { kind: "storage-lost", site: "B", storageClass: "disk", atSeconds: 40_000 },
        { kind: "storage-lost", site: "A", storageClass: "disk", atSeconds: 40_000 },
      ],
      45_000,
    );
    const [first, second, third] = m.faults.log.records;
    // After detection the copies come back from B to A, the nearest site without one: 0.02 s + 2000 s.
    expect(first!.productsAffected).toBe(20);
    expect(first!.recoveredAtSeconds! - first!.atSeconds).toBeCloseTo(3600 + 0.02 + 2000, 6);
    // B's loss leaves A's copies; A's then takes the last.
    expect([second!.productsAffected, third!.productsAffected]).toEqual([20, 0]);
    expect([m.faults.lostProducts, m.faults.lostBytes]).toEqual([20, 2000 * GB]);
    expect([count(m, EV_COPY_LOST), count(m, EV_LOST)]).toEqual([60, 20]);
    expect(m.storage.diskUsed).toEqual([0, 0, 0]);
    expect(m.replication.underBytes).toBe(0);
  });

  it("a link cut stalls the transfers crossing it until it is restored", () => {
    // One product: its copy A -> B starts at 1100.01 s; A-B is cut from 1050 to 2050 s, then 100 s at 1 GB/s.
    const m = model([{ kind: "link-cut", from: "A", to: "B", atSeconds: 1050, durationSeconds: 1000 }], 2500, (sc) => (sc.telescopes[0]!.schedule[0]!.endSeconds = 1500));
    expect(m.products.replicatedAt.data[0]).toBeCloseTo(2150, 6);
    expect(m.faults.log.records[0]).toMatchObject({ kind: "link-cut", target: "A<->B", atSeconds: 1050, endSeconds: 2050 });
  });

  it("a degraded link carries its fraction of the bandwidth", () => {
    // A-B at half its bandwidth for the whole copy: 0.02 s + 200 s.
    const m = model([{ kind: "link-degrade", from: "A", to: "B", atSeconds: 500, durationSeconds: 10_000, factor: 0.5 }], 2000);
    expect(m.products.replicatedAt.data[0]! - 1100.01).toBeCloseTo(0.02 + 200, 6);
  });
});

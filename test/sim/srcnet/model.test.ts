import { describe, expect, it } from "vitest";
import { runSrcnet, type SrcnetSummary } from "../../../sim/srcnet/run.js";
import { mini, site } from "./fixtures.js";

const GB = 1e9;

function conserved(s: SrcnetSummary): void {
  const v = s.volume;
  const accounted = v.storedBytes + v.inFlightBytes + v.backlogBytes + v.deletedBytes + v.lostBytes;
  expect(Math.abs(accounted - v.producedBytes)).toBeLessThanOrEqual(1e-6 * v.producedBytes + 1);
}

describe("SRCNet model", () => {
  it("hand-computable lag: ingest then one copy, each alone on a 1 GB/s path", () => {
    // A product of 100 GB appears every 1000 s. Ingest T->A: 0.01 s + 100 s; copy A->B: 0.02 s + 100 s.
    const run = runSrcnet(mini({}, { productsPerHour: 3.6 }));
    const lag = run.summary.replicationLagSeconds!;
    expect(lag.p50).toBeCloseTo(200.03, 6);
    expect(lag.max).toBeCloseTo(200.03, 6);
    expect(run.summary.products.created).toBe(86); // one every 1000 s, the 87th would appear at 87,000 s
    conserved(run.summary);
  });

  it("recovery time after a site failure follows from volume and bandwidth", () => {
    // 20 products of 100 GB, copies on A and B (B is nearer to A than C). B fails at 10 h for 2 days.
    // After 1 h detection, all 2 TB go A->C at 1 GB/s: 3600 + 0.05 + 2000 s.
    const sc = mini(
      { faults: [{ kind: "site-down", site: "B", atSeconds: 36_000, durationSeconds: 172_800 }], durationSeconds: 50_000 },
      { productsPerHour: 3.6, productionEndSeconds: 20_500 },
    );
    const run = runSrcnet(sc);
    expect(run.summary.products.created).toBe(20);
    const f = run.summary.faults[0]!;
    expect(f.productsAffected).toBe(20);
    expect(f.bytesAffected).toBe(20 * 100 * GB);
    expect(f.timeToRecoverySeconds).toBeCloseTo(3600 + 0.05 + 2000, 6);
    expect(run.summary.volume.lostBytes).toBe(0);
    conserved(run.summary);
  });

  it("without auto-recovery, products are whole again only when the site returns", () => {
    const sc = mini(
      { faults: [{ kind: "site-down", site: "B", atSeconds: 36_000, durationSeconds: 7200 }], durationSeconds: 50_000 },
      { productionEndSeconds: 20_500 },
    );
    sc.policies.recovery.enabled = false;
    const run = runSrcnet(sc);
    expect(run.summary.faults[0]!.timeToRecoverySeconds).toBe(7200);
  });

  it("a full site gives backlog, not loss, and never overfills", () => {
    // A holds 5 products; B and C take copies; ingest stops when A is full.
    const sc = mini({}, { productsPerHour: 36 });
    sc.sites[0] = site("A", { disk: { capacityBytes: 500 * GB, readBitsPerSecond: 800e9, writeBitsPerSecond: 800e9, costPerTerabyteYear: 10 } });
    const run = runSrcnet(sc);
    const s = run.summary;
    expect(s.volume.lostBytes).toBe(0);
    expect(s.volume.backlogBytes).toBeGreaterThan(0);
    expect(s.sites.A!.diskPeakBytes).toBeLessThanOrEqual(500 * GB);
    expect(s.sites.A!.diskFullOn).not.toBeNull();
    expect(s.products.ingested).toBe(5);
    conserved(s);
  });

  it("storage loss loses only products whose every copy was there", () => {
    const sc = mini(
      {
        faults: [
          { kind: "storage-lost", site: "A", storageClass: "disk", atSeconds: 40_000 },
          { kind: "storage-lost", site: "B", storageClass: "disk", atSeconds: 40_000 },
        ],
        durationSeconds: 45_000,
      },
      { productionEndSeconds: 20_500 },
    );
    const run = runSrcnet(sc);
    expect(run.summary.products.lost).toBe(20);
    expect(run.summary.volume.lostBytes).toBe(20 * 100 * GB);
    expect(run.summary.volume.storedBytes).toBe(0);
    conserved(run.summary);
  });

  it("moves copies to tape after the delay, holding a drive for mount + seek + write", () => {
    const sc = mini({ durationSeconds: 20_000 }, { productionEndSeconds: 1500 }); // one product at 1000 s
    sc.policies.diskToTapeAfterSeconds = 3600;
    const tape = { capacityBytes: 1e15, readBitsPerSecond: 8e9, writeBitsPerSecond: 8e9, costPerTerabyteYear: 2, drives: 4, mountSeconds: 90, seekSeconds: 60 };
    sc.sites = sc.sites.map((s) => ({ ...s, tape }));
    sc.output.productEvents = true;
    const run = runSrcnet(sc);
    expect(run.summary.tape.migrations).toBe(2);
    const ev = run.tables.product_events!;
    const times = [];
    for (let i = 0; i < ev.numRows; i++) if (ev.getChild("event")!.get(i) === "to-tape") times.push(ev.getChild("timeSeconds")!.get(i));
    // Created at 1000 s, ingested at 1100.01; migration 3600 s later: 90 + 60 + 100 GB at 2 Gbit/s per drive (400 s).
    expect(times).toEqual([expect.closeTo(1100.01 + 3600 + 550, 6), expect.closeTo(1100.01 + 3600 + 550, 6)]);
    expect(run.summary.sites.A!.diskFinalBytes).toBe(0);
    expect(run.summary.sites.A!.tapeFinalBytes).toBe(100 * GB);
  });

  it("is deterministic: same seed, identical summary", () => {
    const sc = mini({ faults: [{ kind: "site-random", sites: ["A", "B", "C"], mtbfSeconds: 20_000, mttrSeconds: 3600 }] }, { productsPerHour: 10 });
    sc.telescopes[0]!.productMix[0]!.size = { medianBytes: 50 * GB, sigma: 1, minBytes: 1 * GB, maxBytes: 1000 * GB };
    const a = JSON.stringify(runSrcnet(sc).summary);
    expect(JSON.stringify(runSrcnet(sc).summary)).toBe(a);
    expect(JSON.stringify(runSrcnet({ ...sc, seed: 8 }).summary)).not.toBe(a);
    conserved(JSON.parse(a));
  });
});

describe("analysis jobs", () => {
  const withJobs = (jobsPerDay: number, durationSeconds: number) => {
    // Ten products ingested in the first hours; one compute slot at A, none at B or C.
    const sc = mini({ durationSeconds }, { productBytes: 10 * GB, productsPerHour: 36, productionEndSeconds: 1100 });
    sc.sites = [site("A", { compute: { cores: 8, flopsPerSecond: 1e12 } }), site("B", { compute: { cores: 0, flopsPerSecond: 0 } }), site("C", { compute: { cores: 0, flopsPerSecond: 0 } })];
    sc.analysis = {
      jobsPerDay,
      popularityExponent: 1,
      mode: "move-code-to-data",
      coresPerJob: 8,
      runtime: { medianSeconds: 1800, sigma: 0.5 },
      homeSites: [],
      bursts: [],
    };
    return sc;
  };

  it("one slot with Poisson arrivals and log-normal run times queues as M/G/1 (Pollaczek-Khinchine)", () => {
    const lambda = 25 / 86_400; // jobs/s
    const es = 1800 * Math.exp(0.5 ** 2 / 2); // E[S] of the log-normal
    const es2 = 1800 ** 2 * Math.exp(2 * 0.5 ** 2); // E[S^2]
    const rho = lambda * es; // 0.59
    const wq = (lambda * es2) / (2 * (1 - rho));
    const run = runSrcnet(withJobs(25, 1000 * 86_400));
    const j = run.summary.jobs;
    expect(j.submitted).toBeGreaterThan(20_000);
    expect(j.failed).toBeLessThan(5); // only jobs before the first product is ingested
    const w = run.summary.jobs.waitSeconds!;
    expect(w.mean).toBeGreaterThan(0.95 * wq);
    expect(w.mean).toBeLessThan(1.05 * wq);
  });

  it("without recall on access, jobs whose data is only on tape fail", () => {
    const sc = withJobs(200, 4 * 86_400);
    const tape = { capacityBytes: 1e15, readBitsPerSecond: 8e9, writeBitsPerSecond: 8e9, costPerTerabyteYear: 2, drives: 4, mountSeconds: 90, seekSeconds: 60 };
    sc.sites = sc.sites.map((s) => ({ ...s, tape }));
    sc.policies.diskToTapeAfterSeconds = 86_400;
    const recalled = runSrcnet(sc).summary;
    sc.policies.recallOnAccess = false;
    const refused = runSrcnet(sc).summary;
    // Recalls are staged on disk for the residency period (1 d): about one per product per day
    // once everything is on tape (10 products, 3 days), not one per job (~600).
    expect(recalled.tape.recalls).toBeGreaterThanOrEqual(10);
    expect(recalled.tape.recalls).toBeLessThanOrEqual(40);
    expect(refused.tape.recalls).toBe(0);
    // From day 1 (plus migration time) every copy is on tape: about 3 of the 4 days' jobs fail.
    expect(refused.jobs.failed).toBeGreaterThan(0.7 * refused.jobs.submitted);
    expect(recalled.jobs.failed).toBeLessThan(5);
  });
});

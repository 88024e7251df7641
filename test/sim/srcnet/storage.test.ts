import { describe, expect, it } from "vitest";
import { Simulation } from "../../../sim/kernel/index.js";
import { EV_TO_TAPE, ProductTable } from "../../../sim/srcnet/components/products.js";
import { SiteStatus } from "../../../sim/srcnet/components/sites.js";
import { Storage } from "../../../sim/srcnet/components/storage.js";
import type { Scenario } from "../../../scenarios/types.js";
import { TAPE, quiet } from "./fixtures.js";

const GB = 1e9;
const A = 0;
const B = 1;
const C = 2;
// 100 GB through one of 4 drives of an 8 Gbit/s library: 90 s mount + 60 s seek + 800 Gbit / 2 Gbit/s.
const DRIVE_SECONDS = 90 + 60 + 400;

function setup(edit: (sc: Scenario) => void = () => {}) {
  const sc = quiet();
  sc.sites = sc.sites.map((s) => ({ ...s, tape: TAPE }));
  edit(sc);
  const sim = new Simulation({ seed: 1 });
  const products = new ProductTable(sim, sc.sites.length, true);
  const sites = new SiteStatus(sc.sites.length);
  const storage = new Storage(sim, sc, products, sites);
  const calls = { freed: 0 };
  storage.listener = { spaceFreed: () => calls.freed++ };
  /** A product of `size` with a disk copy at each of `at`, landed now. */
  const onDisk = (size: number, ...at: number[]) => {
    const p = products.create(0, 0, size);
    for (const s of at) storage.addDiskCopy(p, s);
    return p;
  };
  const toTapeTimes = () => {
    const e = products.events!;
    const out: number[] = [];
    for (let i = 0; i < e.event.length; i++) if (e.event.data[i] === EV_TO_TAPE) out.push(e.time.data[i]!);
    return out;
  };
  return { sc, sim, products, sites, storage, calls, onDisk, toTapeTimes };
}

const withDisk = (site: Scenario["sites"][number], capacityBytes: number) => ({ ...site, disk: { ...site.disk!, capacityBytes } });

describe("disk", () => {
  it("refuses more than its capacity, and every byte is either used, reserved or free", () => {
    const { sc, sim, storage, onDisk } = setup((s) => (s.sites[A] = withDisk(s.sites[A]!, 500 * GB)));
    for (let i = 0; i < 5; i++) {
      expect(storage.diskFree(A)).toBeGreaterThanOrEqual(100 * GB);
      storage.reserve(A, 100 * GB);
    }
    expect(storage.diskFree(A)).toBe(0); // a sixth product must wait
    sim.scheduleAt(10, () => {
      for (let i = 0; i < 3; i++) {
        storage.release(A, 100 * GB); // landed
        onDisk(100 * GB, A);
      }
      storage.release(A, 100 * GB); // aborted
      storage.release(A, 100 * GB);
    });
    sim.run();
    expect(storage.diskUsed[A]).toBe(300 * GB);
    expect(storage.diskReserved[A]).toBe(0);
    expect(storage.diskFree(A)).toBe(200 * GB);
    expect(storage.diskUsed[A]! + storage.diskReserved[A]! + storage.diskFree(A)).toBe(sc.sites[A]!.disk!.capacityBytes);
    // Full (99% of 500 GB, counting reservations) when the first copy landed: 100 used + 400 reserved.
    expect(storage.diskFullAt[A]).toBe(10);
    expect(storage.diskPeak[A]).toBe(300 * GB);
  });

  it("gives back every copy of a deleted product and only the lost class of a lost one", () => {
    const { storage, onDisk, products } = setup();
    const p = onDisk(100 * GB, A, B);
    const q = onDisk(40 * GB, A, C);
    products.tape.data[q]! |= 1 << B;
    storage.tapeUsed[B]! += 40 * GB;
    storage.removeAll(p);
    expect([storage.diskUsed[A], storage.diskUsed[B], storage.diskUsed[C]]).toEqual([40 * GB, 0, 40 * GB]);
    expect(products.disk.data[p]).toBe(0);
    expect(storage.removeCopy(q, A, "disk")).toBe(true);
    expect(storage.removeCopy(q, A, "disk")).toBe(false);
    expect(storage.removeCopy(q, A, "tape")).toBe(false);
    expect(storage.removeCopy(q, B, "tape")).toBe(true);
    expect([storage.diskUsed[A], storage.tapeUsed[B], storage.diskUsed[C]]).toEqual([0, 0, 40 * GB]);
    expect(products.disk.data[q]).toBe(1 << C);
  });
});

describe("tape", () => {
  it("a migration holds a drive for mount + seek + size at one drive's share of the library", () => {
    const { sim, storage, onDisk, products, calls, toTapeTimes } = setup();
    const p = onDisk(100 * GB, A);
    storage.migrate(p, A);
    sim.run();
    expect(toTapeTimes()).toEqual([DRIVE_SECONDS]);
    expect(products.tape.data[p]).toBe(1 << A);
    expect(products.disk.data[p]).toBe(0);
    expect([storage.diskUsed[A], storage.tapeUsed[A], storage.tapeReserved[A]]).toEqual([0, 100 * GB, 0]);
    expect(storage.tapeMigrations).toBe(1);
    expect(calls.freed).toBe(1);
  });

  it("with four drives, a fifth migration waits for the first drive to free", () => {
    const { sim, storage, onDisk, toTapeTimes } = setup();
    for (let i = 0; i < 5; i++) storage.migrate(onDisk(100 * GB, A), A);
    sim.run();
    expect(toTapeTimes()).toEqual([DRIVE_SECONDS, DRIVE_SECONDS, DRIVE_SECONDS, DRIVE_SECONDS, 2 * DRIVE_SECONDS]);
  });

  it("refuses a migration the tape cannot hold, and none at a site that is down", () => {
    const { sim, storage, onDisk, sites, products } = setup((s) => (s.sites[A] = { ...s.sites[A]!, tape: { ...TAPE, capacityBytes: 150 * GB } }));
    const p = onDisk(100 * GB, A, B);
    const q = onDisk(100 * GB, A);
    sim.scheduleAt(5, () => {
      storage.migrate(p, A);
      storage.migrate(q, A); // 100 GB reserved of 150 GB: no room
      sites.goDown(B);
      storage.migrate(p, B);
    });
    sim.run();
    expect(storage.tapeFullAt[A]).toBe(5);
    expect(storage.tapeUsed[A]).toBe(100 * GB);
    expect(products.disk.data[q]).toBe(1 << A);
    expect(products.disk.data[p]).toBe(1 << B);
    expect(storage.tapeUsed[B]).toBe(0);
  });

  it("copies go to tape once the residency has passed, and a late copy goes at once", () => {
    const { sim, storage, onDisk, toTapeTimes } = setup((s) => (s.policies.diskToTapeAfterSeconds = 3600));
    const p = onDisk(100 * GB, A, B);
    sim.scheduleAt(100, () => storage.startResidency(p));
    const young = onDisk(100 * GB); // born at 0
    sim.scheduleAt(1000, () => {
      storage.addDiskCopy(young, C);
      storage.migrateIfDue(young, C); // 1000 s old: stays on disk
    });
    sim.scheduleAt(4000, () => {
      storage.addDiskCopy(young, B);
      storage.migrateIfDue(young, B); // 4000 s old: straight to tape
    });
    sim.run(4000 + DRIVE_SECONDS);
    expect(toTapeTimes()).toEqual([3700 + DRIVE_SECONDS, 3700 + DRIVE_SECONDS, 4000 + DRIVE_SECONDS]);
    expect(storage.diskUsed[C]).toBe(100 * GB);
  });

  it("a recall costs mount + seek + size at one drive's read share; the copy stays staged for the residency", () => {
    const { sim, storage, onDisk, products, calls } = setup((s) => (s.policies.diskToTapeAfterSeconds = 3600));
    const p = onDisk(100 * GB, A);
    storage.migrate(p, A); // on tape at 550 s
    let readAt = NaN;
    sim.scheduleAt(1000, () => storage.recall(p, A, () => (readAt = sim.now)));
    sim.run(2000);
    expect(readAt).toBe(1000 + DRIVE_SECONDS);
    expect(storage.recalls).toBe(1);
    expect(products.disk.data[p]).toBe(1 << A);
    expect(storage.diskUsed[A]).toBe(100 * GB);
    expect(storage.diskStagedBytes(A)).toBe(100 * GB);
    expect(storage.diskFree(A)).toBe(10e15); // staged data counts as free space
    const freedBefore = calls.freed;
    sim.run(1000 + DRIVE_SECONDS + 3600);
    expect(products.disk.data[p]).toBe(0);
    expect(storage.diskUsed[A]).toBe(0);
    expect(storage.diskStagedBytes(A)).toBe(0);
    expect(calls.freed).toBe(freedBefore + 1);
  });

  it("staged recalls give way to new data", () => {
    const { sim, storage, onDisk, products } = setup((s) => (s.sites[A] = withDisk(s.sites[A]!, 150 * GB)));
    const p = onDisk(100 * GB, A);
    storage.migrate(p, A);
    sim.scheduleAt(1000, () => storage.recall(p, A, () => {}));
    sim.run(2000);
    expect(storage.diskStagedBytes(A)).toBe(100 * GB);
    expect(storage.diskFree(A)).toBe(150 * GB);
    storage.reserve(A, 100 * GB); // 50 GB unused: the staged copy is evicted
    expect(storage.diskStagedBytes(A)).toBe(0);
    expect(storage.diskUsed[A]).toBe(0);
    expect(products.disk.data[p]).toBe(0);
    expect(products.tape.data[p]).toBe(1 << A);
    expect(storage.diskFree(A)).toBe(50 * GB);
  });
});

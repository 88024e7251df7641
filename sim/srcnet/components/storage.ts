import { DelayLine, Resource, type Simulation } from "../../kernel/index.js";
import type { Scenario } from "../../../scenarios/types.js";
import { IntQueue, type F64Column, type I32Column } from "../columns.js";
import { DELETED, EV_TO_TAPE, LOST, type ProductTable } from "./products.js";
import type { SiteStatus } from "./sites.js";

/** Told when disk or tape space has been given back, so that waiting data can try again. */
export interface StorageListener {
  spaceFreed(): void;
}

/**
 * Disk and tape at each site. Disk space is reserved when a transfer is queued and filled when
 * it lands, so a disk never takes more than its capacity: a caller that finds no room waits.
 * Copies move to tape once the residency policy has passed, through a FIFO pool of drives that
 * each hold mount + seek + bytes at one drive's share of the library bandwidth. Recalls are
 * staged on disk (space permitting) for the residency period and give way to new data, so that
 * a popular archived product is not read from tape again for every access.
 */
export class Storage {
  readonly diskUsed: number[];
  readonly diskReserved: number[];
  readonly tapeUsed: number[];
  readonly tapeReserved: number[];
  /** Peak of data that must stay on disk (staged recalls excluded). */
  readonly diskPeak: number[];
  /** When disk (kept + reserved) first reached 99% of capacity; when tape first refused a copy. */
  readonly diskFullAt: (number | null)[];
  readonly tapeFullAt: (number | null)[];
  recalls = 0;
  tapeMigrations = 0;
  /** Set by the composer. */
  listener: StorageListener = { spaceFreed: () => {} };

  private readonly drives: (Resource | null)[];
  private readonly stagedBytes: number[];
  private readonly stagedQueue: IntQueue[];
  // Constant-delay lifecycle events wait in FIFO delay lines, not in the event queue.
  private readonly toTape: DelayLine<number> | null;
  private readonly unstaging: DelayLine<number>; // product * 64 + site
  private readonly pSize: F64Column;
  private readonly pBorn: F64Column;
  private readonly pDisk: I32Column;
  private readonly pTape: I32Column;
  private readonly pFlags: I32Column;
  private readonly pStaged: I32Column;

  constructor(
    private readonly sim: Simulation,
    private readonly sc: Scenario,
    private readonly products: ProductTable,
    private readonly sites: SiteStatus,
  ) {
    const zeros = () => sc.sites.map(() => 0);
    this.diskUsed = zeros();
    this.diskReserved = zeros();
    this.tapeUsed = zeros();
    this.tapeReserved = zeros();
    this.diskPeak = zeros();
    this.diskFullAt = sc.sites.map(() => null);
    this.tapeFullAt = sc.sites.map(() => null);
    this.stagedBytes = zeros();
    this.stagedQueue = sc.sites.map(() => new IntQueue());
    this.drives = sc.sites.map((s) => (s.tape !== null && s.tape.drives > 0 ? new Resource(sim, s.tape.drives) : null));
    const residency = sc.policies.diskToTapeAfterSeconds;
    this.toTape = residency === null ? null : new DelayLine(sim, residency, (p: number) => this.migrateAll(p));
    this.unstaging = new DelayLine(sim, residency ?? 7 * 86_400, (key: number) => this.unstage(Math.floor(key / 64), key % 64));
    this.pSize = products.size;
    this.pBorn = products.born;
    this.pDisk = products.disk;
    this.pTape = products.tape;
    this.pFlags = products.flags;
    this.pStaged = products.staged;
  }

  // ------------------------------------------------------------------ disk

  /** Disk space that can be given to new data: unused, plus recalled copies staged in a cache. */
  diskFree(site: number): number {
    const d = this.sc.sites[site]!.disk;
    return d === null ? 0 : d.capacityBytes - this.diskUsed[site]! - this.diskReserved[site]! + this.stagedBytes[site]!;
  }

  /** Reserves space for incoming data, evicting staged recalls, oldest first, when it is short. */
  reserve(site: number, bytes: number): void {
    const cap = this.sc.sites[site]!.disk?.capacityBytes ?? 0;
    const q = this.stagedQueue[site]!;
    while (cap - this.diskUsed[site]! - this.diskReserved[site]! < bytes && q.size > 0) this.unstage(q.shift(), site);
    this.diskReserved[site]! += bytes;
  }

  /** Gives back a reservation (the transfer landed or was aborted). */
  release(site: number, bytes: number): void {
    this.diskReserved[site]! -= bytes;
  }

  /** A transfer landed: p now has a disk copy at the site. */
  addDiskCopy(p: number, site: number): void {
    this.products.setDisk(p, site);
    this.diskUsed[site]! += this.pSize.data[p]!;
    this.noteDiskFill(site);
  }

  /** Bytes of recalled data staged in a site's disk cache. */
  diskStagedBytes(site: number): number {
    return this.stagedBytes[site]!;
  }

  /** Peak and "full" count data that must stay; recalls staged in the cache give way, so they do not. */
  private noteDiskFill(site: number): void {
    const kept = this.diskUsed[site]! - this.stagedBytes[site]!;
    if (kept > this.diskPeak[site]!) this.diskPeak[site] = kept;
    const cap = this.sc.sites[site]!.disk?.capacityBytes ?? 0;
    if (this.diskFullAt[site] === null && kept + this.diskReserved[site]! >= 0.99 * cap) this.diskFullAt[site] = this.sim.now;
  }

  // ------------------------------------------------------------------ removal

  /** Drops every copy of p (it is deleted). */
  removeAll(p: number): void {
    const size = this.pSize.data[p]!;
    for (let s = 0; s < this.diskUsed.length; s++) {
      const bit = 1 << s;
      if ((this.pDisk.data[p]! & bit) !== 0) this.diskUsed[s]! -= size;
      this.forgetStaged(p, s);
      if ((this.pTape.data[p]! & bit) !== 0) this.tapeUsed[s]! -= size;
    }
    this.pDisk.data[p] = 0;
    this.pTape.data[p] = 0;
  }

  /** Drops p's copy of one class at a site (that storage was lost); false when it had none there. */
  removeCopy(p: number, site: number, storageClass: "disk" | "tape"): boolean {
    const bit = 1 << site;
    const cls = storageClass === "disk" ? this.pDisk : this.pTape;
    if ((cls.data[p]! & bit) === 0) return false;
    cls.data[p]! &= ~bit;
    const size = this.pSize.data[p]!;
    if (storageClass === "disk") {
      this.diskUsed[site]! -= size;
      this.forgetStaged(p, site);
    } else this.tapeUsed[site]! -= size;
    return true;
  }

  // ------------------------------------------------------------------ tape

  /** p was ingested: its disk copies move to tape once the residency has passed. */
  startResidency(p: number): void {
    this.toTape?.push(p);
  }

  /** A copy landed at a site: it goes to tape at once if the product is older than the residency. */
  migrateIfDue(p: number, site: number): void {
    const after = this.sc.policies.diskToTapeAfterSeconds;
    if (after !== null && this.sim.now - this.pBorn.data[p]! >= after) this.migrate(p, site);
  }

  private migrateAll(p: number): void {
    const disk = this.pDisk.data[p]!;
    for (let s = 0; s < this.diskUsed.length; s++) if ((disk & (1 << s)) !== 0) this.migrate(p, s);
  }

  /** Moves the disk copy at a site to its tape: a drive is held for mount + seek + write. */
  migrate(p: number, site: number): void {
    const tape = this.sc.sites[site]!.tape;
    const size = this.pSize.data[p]!;
    if (tape === null || this.drives[site] === null || !this.sites.up[site] || (this.pTape.data[p]! & (1 << site)) !== 0) return;
    if (tape.capacityBytes - this.tapeUsed[site]! - this.tapeReserved[site]! < size) {
      if (this.tapeFullAt[site] === null) this.tapeFullAt[site] = this.sim.now;
      return;
    }
    this.tapeReserved[site]! += size;
    this.useDrive(site, size, tape.writeBitsPerSecond, () => {
      this.tapeReserved[site]! -= size;
      const bit = 1 << site;
      if ((this.pFlags.data[p]! & (DELETED | LOST)) !== 0 || (this.pDisk.data[p]! & bit) === 0) return;
      this.pTape.data[p]! |= bit;
      this.pDisk.data[p]! &= ~bit;
      this.tapeUsed[site]! += size;
      this.diskUsed[site]! -= size;
      this.tapeMigrations++;
      this.products.event(p, EV_TO_TAPE, site);
      this.listener.spaceFreed();
    });
  }

  /**
   * Reads a product from tape at a site, then continues. The recalled data is staged on disk
   * (space permitting) and kept as long as new data stays on disk, so that popular archived
   * products are not recalled again for every read; dropping it needs no tape write.
   */
  recall(p: number, site: number, then: () => void): void {
    this.recalls++;
    const size = this.pSize.data[p]!;
    this.useDrive(site, size, this.sc.sites[site]!.tape!.readBitsPerSecond, () => {
      const bit = 1 << site;
      const cap = this.sc.sites[site]!.disk?.capacityBytes ?? 0;
      // Staging takes only unused space: it never evicts other staged data or delays new data.
      if ((this.pDisk.data[p]! & bit) === 0 && (this.pTape.data[p]! & bit) !== 0 && cap - this.diskUsed[site]! - this.diskReserved[site]! >= size) {
        this.pDisk.data[p]! |= bit;
        this.pStaged.data[p]! |= bit;
        this.diskUsed[site]! += size;
        this.stagedBytes[site]! += size;
        this.stagedQueue[site]!.push(p);
        this.noteDiskFill(site);
        this.unstaging.push(p * 64 + site);
      }
      then();
    });
  }

  /** The staged copy at a site went another way (deleted, lost): it is no longer evictable space. */
  private forgetStaged(p: number, site: number): void {
    const bit = 1 << site;
    if ((this.pStaged.data[p]! & bit) === 0) return;
    this.pStaged.data[p]! &= ~bit;
    this.stagedBytes[site]! -= this.pSize.data[p]!;
  }

  /** Drops a staged disk copy (its tape copy is still there); a no-op when it is already gone. */
  private unstage(p: number, site: number): void {
    const bit = 1 << site;
    if ((this.pStaged.data[p]! & bit) === 0) return;
    this.forgetStaged(p, site);
    this.pDisk.data[p]! &= ~bit;
    this.diskUsed[site]! -= this.pSize.data[p]!;
    this.listener.spaceFreed();
  }

  /**
   * Holds one of a site's tape drives for mount + seek + bytes at one drive's share of the
   * library bandwidth, then calls `done`. Drives are a FIFO resource: requests queue when all are busy.
   */
  private useDrive(site: number, bytes: number, libraryBitsPerSecond: number, done: () => void): void {
    const tape = this.sc.sites[site]!.tape!;
    const drives = this.drives[site]!;
    drives.acquire(() => {
      const seconds = tape.mountSeconds + tape.seekSeconds + (bytes * 8 * tape.drives) / libraryBitsPerSecond;
      this.sim.schedule(seconds, () => {
        drives.release();
        done();
      });
    });
  }
}

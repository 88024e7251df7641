import { DelayLine, Resource, Simulation, type RandomStream } from "../kernel/index.js";
import { Network } from "../network/index.js";
import type { Fault, Scenario } from "../../scenarios/types.js";
import { Channel } from "./channels.js";
import { F64Column, I32Column, IntQueue } from "./columns.js";
import { ProductSampler } from "./sizes.js";
import { buildTopology, type Topology } from "./topology.js";

/**
 * The SRCNet model on the kernel and the network: telescopes produce products during their
 * Science Verification periods; each is ingested at a receiving site, then replicated until the
 * policy's number of copies on distinct sites holds. Transfers are scheduled as FTS does, per
 * (source, destination) channel. Storage fills and refuses when full (the data waits: backlog,
 * never loss); copies move from disk to tape after a delay, through contended tape drives;
 * products are deleted after their lifetime. A site failure makes its copies unavailable;
 * after a detection delay, auto-recovery re-replicates from surviving copies. A product is lost
 * only when its last copy is gone. Analysis jobs queue for compute where the data is, or pull it.
 */

// Product flags
const DELETED = 1;
const LOST = 2;
const UNDER = 4; // ingested, fewer available copies than required
const PENDING = 8; // waiting in the placement queue
const INGESTED = 16;

// Transfer kinds
const INGEST = 0;
const REPLICA = 1;
const PULL = 2;

// Product event codes (the events table)
export const PRODUCT_EVENTS = ["created", "ingested", "replicated", "to-tape", "deleted", "lost", "copy-lost"] as const;

export interface FaultRecord {
  kind: Fault["kind"];
  target: string;
  atSeconds: number;
  endSeconds: number | null;
  /** Products this fault left with fewer available copies than required. */
  productsAffected: number;
  bytesAffected: number;
  /** When every one of them had its copies again (null: not within the run). */
  recoveredAtSeconds: number | null;
  remaining: number;
}

interface Production {
  ti: number;
  bytesPerSecond: number;
  end: number;
  type: number;
  size: number;
}

const popcount = (x: number): number => {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
};

export class SrcnetModel {
  readonly sim: Simulation;
  readonly net: Network;
  readonly topo: Topology;
  readonly sc: Scenario;
  readonly nSites: number;
  private readonly required: number;

  // Products (struct of arrays)
  readonly pSize = new F64Column();
  readonly pBorn = new F64Column();
  readonly pReplicatedAt = new F64Column();
  readonly pTelescope = new I32Column();
  readonly pType = new I32Column();
  readonly pDisk = new I32Column(); // bit per site
  readonly pTape = new I32Column();
  readonly pInflight = new I32Column(); // destinations with a transfer queued or moving
  readonly pFlags = new I32Column();
  readonly pFault = new I32Column(); // fault that made it under-replicated, or -1
  readonly pStaged = new I32Column(); // sites where the disk copy is a recall staged from tape

  // Transfers
  private readonly trProduct = new I32Column();
  private readonly trSrc = new I32Column();
  private readonly trDst = new I32Column();
  private readonly trKind = new I32Column();
  private readonly trJob = new I32Column();
  private readonly trFree: number[] = [];
  private readonly channels = new Map<number, Channel>();

  // Sites
  readonly up: boolean[];
  private upMask: number;
  readonly diskUsed: number[];
  readonly diskReserved: number[];
  readonly tapeUsed: number[];
  readonly tapeReserved: number[];
  readonly diskPeak: number[];
  readonly diskFullAt: (number | null)[];
  readonly tapeFullAt: (number | null)[];
  private readonly drives: (Resource | null)[];
  private readonly compute: (Resource | null)[];
  private readonly siteProducts: I32Column[];
  private readonly downCount: number[]; // overlapping down faults per site
  private readonly stagedBytes: number[];
  private readonly stagedQueue: IntQueue[];
  private readonly scratchFree = new Float64Array(32);

  // Telescopes
  private readonly samplers: ProductSampler[];
  private readonly backlog: IntQueue[];
  backlogBytes = 0;
  private readonly pending = new IntQueue();

  // Metrics
  producedBytes = 0;
  ingestedBytes = 0;
  deletedBytes = 0;
  lostBytes = 0;
  lostProducts = 0;
  inflightIngestBytes = 0;
  underBytes = 0;
  underPeakBytes = 0;
  readonly lags = new F64Column();
  readonly faults: FaultRecord[] = [];
  readonly jobWaits = new F64Column();
  jobsSubmitted = 0;
  jobsCompleted = 0;
  jobsFailed = 0;
  recalls = 0;
  tapeMigrations = 0;
  transfersCompleted = 0;
  transfersAborted = 0;
  readonly events: { time: F64Column; product: I32Column; event: I32Column; site: I32Column } | null;

  private readonly rProducts: RandomStream;
  private readonly rPlacement: RandomStream;
  private readonly rJobs: RandomStream;

  constructor(sc: Scenario) {
    this.sc = sc;
    this.sim = new Simulation({ seed: sc.seed });
    this.net = new Network(this.sim, { sharing: sc.network.sharing });
    this.topo = buildTopology(sc, this.net);
    this.nSites = sc.sites.length;
    if (this.nSites > 30) throw new Error(`at most 30 sites are supported, found ${this.nSites}`);
    this.required = sc.policies.replicas;
    this.up = sc.sites.map(() => true);
    this.upMask = (1 << this.nSites) - 1;
    const zeros = () => sc.sites.map(() => 0);
    this.diskUsed = zeros();
    this.diskReserved = zeros();
    this.tapeUsed = zeros();
    this.tapeReserved = zeros();
    this.diskPeak = zeros();
    this.diskFullAt = sc.sites.map(() => null);
    this.tapeFullAt = sc.sites.map(() => null);
    this.downCount = zeros();
    this.stagedBytes = zeros();
    this.stagedQueue = sc.sites.map(() => new IntQueue());
    this.drives = sc.sites.map((s) => (s.tape !== null && s.tape.drives > 0 ? new Resource(this.sim, s.tape.drives) : null));
    const perJob = sc.analysis?.coresPerJob ?? 1;
    this.compute = sc.sites.map((s) => (s.compute.cores >= perJob ? new Resource(this.sim, Math.floor(s.compute.cores / perJob)) : null));
    this.siteProducts = sc.sites.map(() => new I32Column());
    this.samplers = sc.telescopes.map((t) => new ProductSampler(t.productMix));
    this.backlog = sc.telescopes.map(() => new IntQueue());
    const residency = sc.policies.diskToTapeAfterSeconds;
    this.toTape = residency === null ? null : new DelayLine(this.sim, residency, (p: number) => this.migrateAll(p));
    this.toDelete = sc.policies.lifetimeSeconds === null ? null : new DelayLine(this.sim, sc.policies.lifetimeSeconds, (p: number) => this.deleteProduct(p));
    this.unstaging = new DelayLine(this.sim, residency ?? 7 * 86_400, (key: number) => this.unstage(Math.floor(key / 64), key % 64));
    this.rProducts = this.sim.random.stream("products");
    this.rPlacement = this.sim.random.stream("placement");
    this.rJobs = this.sim.random.stream("jobs");
    this.events = sc.output.productEvents
      ? { time: new F64Column(), product: new I32Column(), event: new I32Column(), site: new I32Column() }
      : null;

    sc.telescopes.forEach((t, ti) => {
      for (const period of t.schedule) {
        if (period.startSeconds >= sc.durationSeconds || period.bytesPerWeek <= 0) continue;
        this.sim.scheduleAt(period.startSeconds, () => this.produce(ti, period.bytesPerWeek / 604_800, Math.min(period.endSeconds, sc.durationSeconds)));
      }
    });
    this.scheduleFaults();
    for (const op of sc.operations) this.sim.scheduleAt(op.atSeconds, () => this.operate(op));
    if (sc.analysis !== null) this.scheduleJobs();
  }

  // ------------------------------------------------------------------ production and ingestion

  /** Emits products back to back so that the volume rate is exact: each appears once its bytes have accumulated. */
  private produce(ti: number, bytesPerSecond: number, end: number): void {
    this.nextProduct({ ti, bytesPerSecond, end, type: 0, size: 0 });
  }

  private nextProduct(period: Production): void {
    const sampler = this.samplers[period.ti]!;
    period.type = sampler.type(this.rProducts);
    period.size = sampler.size(this.rProducts, period.type);
    const at = this.sim.now + period.size / period.bytesPerSecond;
    if (at < period.end) this.sim.scheduleAt(at, this.onProduct, period);
  }

  // Event handlers bound once, so that per-product events allocate no closure.
  private readonly onProduct = (period: Production): void => {
    this.createProduct(period.ti, period.type, period.size);
    this.nextProduct(period);
  };
  // Constant-delay lifecycle events wait in FIFO delay lines, not in the event queue.
  private readonly toTape: DelayLine<number> | null;
  private readonly toDelete: DelayLine<number> | null;
  private readonly unstaging: DelayLine<number>; // product * 64 + site

  private createProduct(ti: number, type: number, size: number): void {
    const p = this.pSize.push(size);
    this.pBorn.push(this.sim.now);
    this.pReplicatedAt.push(NaN);
    this.pTelescope.push(ti);
    this.pType.push(type);
    this.pDisk.push(0);
    this.pTape.push(0);
    this.pInflight.push(0);
    this.pFlags.push(0);
    this.pFault.push(-1);
    this.pStaged.push(0);
    this.producedBytes += size;
    this.event(p, 0, -1);
    this.toDelete?.push(p);
    this.backlog[ti]!.push(p);
    this.backlogBytes += size;
    this.drainBacklog(ti);
  }

  /** Starts ingestion transfers for a telescope's waiting products, in order, while a site can take them. */
  private drainBacklog(ti: number): void {
    const q = this.backlog[ti]!;
    while (q.size > 0) {
      const p = q.peek();
      if ((this.pFlags.data[p]! & DELETED) !== 0) {
        q.shift();
        continue;
      }
      const site = this.chooseIngestSite(ti, this.pSize.data[p]!);
      if (site < 0) return;
      q.shift();
      const size = this.pSize.data[p]!;
      this.backlogBytes -= size;
      this.inflightIngestBytes += size;
      this.reserveDisk(site, size);
      this.pInflight.data[p]! |= 1 << site;
      this.submit(p, this.nSites + ti, site, INGEST, -1);
    }
  }

  private chooseIngestSite(ti: number, size: number): number {
    let total = 0;
    const ingest = this.sc.telescopes[ti]!.ingest;
    const ok: number[] = [];
    for (const e of ingest) {
      const s = this.topo.index.get(e.site)!;
      if (this.up[s] && this.diskFree(s) >= size && this.topo.route(this.nSites + ti, s) !== null) {
        ok.push(s);
        total += e.weight;
      }
    }
    if (ok.length === 0) return -1;
    if (ok.length === 1) return ok[0]!;
    let u = this.rPlacement.uniform() * total;
    for (const e of ingest) {
      const s = this.topo.index.get(e.site)!;
      if (!ok.includes(s)) continue;
      if ((u -= e.weight) < 0) return s;
    }
    return ok[ok.length - 1]!;
  }

  // ------------------------------------------------------------------ transfers

  private submit(p: number, src: number, dst: number, kind: number, job: number): void {
    let t: number;
    if (this.trFree.length > 0) {
      t = this.trFree.pop()!;
      this.trProduct.data[t] = p;
      this.trSrc.data[t] = src;
      this.trDst.data[t] = dst;
      this.trKind.data[t] = kind;
      this.trJob.data[t] = job;
    } else {
      t = this.trProduct.push(p);
      this.trSrc.push(src);
      this.trDst.push(dst);
      this.trKind.push(kind);
      this.trJob.push(job);
    }
    this.channel(src, dst).submit(t);
  }

  private channel(src: number, dst: number): Channel {
    const key = src * 64 + dst;
    let c = this.channels.get(key);
    if (c === undefined) {
      const tr = this.sc.policies.transfers;
      c = new Channel(
        this.net,
        this.topo.route(src, dst)!,
        tr.maxActivePerPair,
        tr.streamsPerTransfer,
        tr.windowBytes,
        (t) => this.pSize.data[this.trProduct.data[t]!]!,
        (t) => this.transferDone(t),
      );
      this.channels.set(key, c);
    }
    return c;
  }

  private transferDone(t: number): void {
    const p = this.trProduct.data[t]!;
    const dst = this.trDst.data[t]!;
    const kind = this.trKind.data[t]!;
    const job = this.trJob.data[t]!;
    this.trFree.push(t);
    this.transfersCompleted++;
    const size = this.pSize.data[p]!;
    if (kind === PULL) {
      this.diskReserved[dst]! -= size;
      this.runJob(job, dst);
      this.retryWaiting();
      return;
    }
    this.pInflight.data[p]! &= ~(1 << dst);
    this.diskReserved[dst]! -= size;
    if (kind === INGEST) this.inflightIngestBytes -= size;
    if ((this.pFlags.data[p]! & DELETED) !== 0) {
      this.retryWaiting();
      return;
    }
    this.addDiskCopy(p, dst);
    if (kind === INGEST) {
      this.pFlags.data[p]! |= INGESTED;
      this.ingestedBytes += size;
      this.event(p, 1, dst);
      this.toTape?.push(p);
    } else {
      this.event(p, 2, dst);
      const after = this.sc.policies.diskToTapeAfterSeconds;
      if (after !== null && this.sim.now - this.pBorn.data[p]! >= after) this.migrate(p, dst);
    }
    this.reassess(p);
    this.ensureReplicas(p);
  }

  private addDiskCopy(p: number, site: number): void {
    const bit = 1 << site;
    if (((this.pDisk.data[p]! | this.pTape.data[p]!) & bit) === 0) this.siteProducts[site]!.push(p);
    this.pDisk.data[p]! |= bit;
    this.diskUsed[site]! += this.pSize.data[p]!;
    this.noteDiskFill(site);
  }

  // ------------------------------------------------------------------ replication

  private availableMask(p: number): number {
    return (this.pDisk.data[p]! | this.pTape.data[p]!) & this.upMask;
  }

  /** Keeps the product's under-replicated flag, volume and fault bookkeeping in step with its copies. */
  private reassess(p: number): void {
    const flags = this.pFlags.data[p]!;
    if ((flags & INGESTED) === 0 || (flags & (DELETED | LOST)) !== 0) return;
    const size = this.pSize.data[p]!;
    const under = popcount(this.availableMask(p)) < this.required;
    if (under && (flags & UNDER) === 0) {
      this.pFlags.data[p] = flags | UNDER;
      this.underBytes += size;
      if (this.underBytes > this.underPeakBytes) this.underPeakBytes = this.underBytes;
    } else if (!under && (flags & UNDER) !== 0) {
      this.pFlags.data[p] = flags & ~UNDER;
      this.underBytes -= size;
      if (Number.isNaN(this.pReplicatedAt.data[p]!)) {
        this.pReplicatedAt.data[p] = this.sim.now;
        this.lags.push(this.sim.now - this.pBorn.data[p]!);
      }
      const f = this.pFault.data[p]!;
      if (f >= 0) {
        this.pFault.data[p] = -1;
        const rec = this.faults[f]!;
        if (--rec.remaining === 0) rec.recoveredAtSeconds = this.sim.now;
      }
    }
  }

  /** Starts enough transfers to bring the product to its required copies; queues it when no site can take one. */
  private ensureReplicas(p: number): void {
    const flags = this.pFlags.data[p]!;
    if ((flags & (DELETED | LOST | PENDING)) !== 0 || (flags & INGESTED) === 0) return;
    const have = this.availableMask(p) | (this.pInflight.data[p]! & this.upMask);
    let missing = this.required - popcount(have);
    if (missing <= 0) return;
    // Sites holding the product, even down ones, are not candidates: they will come back.
    const taken = this.pDisk.data[p]! | this.pTape.data[p]! | this.pInflight.data[p]!;
    while (missing > 0) {
      const dst = this.placeReplica(p, taken | this.pInflight.data[p]!);
      if (dst < 0) break;
      if (!this.replicateTo(p, dst)) break;
      missing--;
    }
    if (missing > 0) {
      this.pFlags.data[p]! |= PENDING;
      this.pending.push(p);
    }
  }

  /** Queues a copy of p to dst from the best available source; false when no source is available now. */
  private replicateTo(p: number, dst: number): boolean {
    const size = this.pSize.data[p]!;
    const src = this.chooseSource(p, dst);
    if (src < 0) return false;
    this.reserveDisk(dst, size);
    this.pInflight.data[p]! |= 1 << dst;
    if ((this.pDisk.data[p]! & (1 << src)) !== 0) this.submit(p, src, dst, REPLICA, -1);
    else this.recall(p, src, () => this.submit(p, src, dst, REPLICA, -1));
    return true;
  }

  /** A destination for a new copy by the placement policy, among up sites with room; -1 if none. */
  private placeReplica(p: number, exclude: number): number {
    const size = this.pSize.data[p]!;
    const placement = this.sc.policies.placement;
    const origin = this.firstCopy(p);
    let best = -1;
    let bestKey = Infinity;
    let total = 0;
    const free = this.scratchFree;
    for (let s = 0; s < this.nSites; s++) {
      free[s] = 0;
      if ((exclude & (1 << s)) !== 0 || !this.up[s]) continue;
      const f = this.diskFree(s);
      if (f < size || (origin >= 0 && this.topo.route(origin, s) === null)) continue;
      if (placement === "free-capacity") {
        free[s] = f;
        total += f;
      } else {
        const key =
          placement === "nearest" ? (origin >= 0 ? this.topo.latencySeconds(origin, s) : 0) : this.sc.sites[s]!.disk!.costPerTerabyteYear;
        if (key < bestKey) {
          bestKey = key;
          best = s;
        }
      }
    }
    if (placement !== "free-capacity" || total === 0) return best;
    // Weighted by free space: one draw.
    let u = this.rPlacement.uniform() * total;
    for (let s = 0; s < this.nSites; s++) {
      if (free[s]! === 0) continue;
      best = s;
      if ((u -= free[s]!) < 0) break;
    }
    return best;
  }

  private firstCopy(p: number): number {
    const m = this.availableMask(p);
    return m === 0 ? -1 : 31 - Math.clz32(m & -m);
  }

  /** An up site holding a copy, disk before tape, lowest latency to dst. */
  private chooseSource(p: number, dst: number): number {
    const disk = this.pDisk.data[p]! & this.upMask;
    const any = disk !== 0 ? disk : this.pTape.data[p]! & this.upMask;
    let best = -1;
    let bestLat = Infinity;
    for (let s = 0; s < this.nSites; s++) {
      if ((any & (1 << s)) === 0 || this.topo.route(s, dst) === null) continue;
      const lat = this.topo.latencySeconds(s, dst);
      if (lat < bestLat) {
        bestLat = lat;
        best = s;
      }
    }
    return best;
  }

  /** Retries queued placements (after space is freed or a site returns), in order, until one still cannot go. */
  private retryPending(): void {
    let n = this.pending.size;
    while (n-- > 0) {
      const p = this.pending.shift();
      this.pFlags.data[p]! &= ~PENDING;
      this.ensureReplicas(p);
      if ((this.pFlags.data[p]! & PENDING) !== 0) {
        // Still stuck: leave the rest for the next retry, keeping their order.
        while (n-- > 0) this.pending.push(this.pending.shift());
        return;
      }
    }
  }

  /** Space was freed or a site came back: waiting ingests and placements try again, in order. */
  private retryWaiting(): void {
    for (let ti = 0; ti < this.backlog.length; ti++) this.drainBacklog(ti);
    this.retryPending();
  }

  /** Disk space that can be given to new data: unused, plus recalled copies staged in a cache. */
  diskFree(site: number): number {
    const d = this.sc.sites[site]!.disk;
    return d === null ? 0 : d.capacityBytes - this.diskUsed[site]! - this.diskReserved[site]! + this.stagedBytes[site]!;
  }

  /** Reserves space for incoming data, evicting staged recalls, oldest first, when it is short. */
  private reserveDisk(site: number, bytes: number): void {
    const cap = this.sc.sites[site]!.disk?.capacityBytes ?? 0;
    const q = this.stagedQueue[site]!;
    while (cap - this.diskUsed[site]! - this.diskReserved[site]! < bytes && q.size > 0) this.unstage(q.shift(), site);
    this.diskReserved[site]! += bytes;
  }

  /** Peak and "full" count data that must stay; recalls staged in the cache give way, so they do not. */
  private noteDiskFill(site: number): void {
    const kept = this.diskUsed[site]! - this.stagedBytes[site]!;
    if (kept > this.diskPeak[site]!) this.diskPeak[site] = kept;
    const cap = this.sc.sites[site]!.disk?.capacityBytes ?? 0;
    if (this.diskFullAt[site] === null && kept + this.diskReserved[site]! >= 0.99 * cap) this.diskFullAt[site] = this.sim.now;
  }

  /** Bytes of recalled data staged in a site's disk cache. */
  diskStagedBytes(site: number): number {
    return this.stagedBytes[site]!;
  }

  // ------------------------------------------------------------------ tape

  private migrateAll(p: number): void {
    const disk = this.pDisk.data[p]!;
    for (let s = 0; s < this.nSites; s++) if ((disk & (1 << s)) !== 0) this.migrate(p, s);
  }

  /** Moves the disk copy at a site to its tape: a drive is held for mount + seek + write. */
  private migrate(p: number, site: number): void {
    const tape = this.sc.sites[site]!.tape;
    const size = this.pSize.data[p]!;
    if (tape === null || this.drives[site] === null || !this.up[site] || (this.pTape.data[p]! & (1 << site)) !== 0) return;
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
      this.event(p, 3, site);
      this.retryWaiting();
    });
  }

  /** Reads a product from tape at a site (a drive for mount + seek + read), then continues. */
  /**
   * Reads a product from tape at a site, then continues. The recalled data is staged on disk
   * (space permitting) and kept as long as new data stays on disk, so that popular archived
   * products are not recalled again for every read; dropping it needs no tape write.
   */
  private recall(p: number, site: number, then: () => void): void {
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
    this.retryWaiting();
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

  // ------------------------------------------------------------------ lifecycle

  private deleteProduct(p: number): void {
    const flags = this.pFlags.data[p]!;
    if ((flags & (DELETED | LOST)) !== 0) return;
    if ((flags & UNDER) !== 0) this.underBytes -= this.pSize.data[p]!;
    this.pFlags.data[p] = (flags | DELETED) & ~UNDER;
    const size = this.pSize.data[p]!;
    for (let s = 0; s < this.nSites; s++) {
      const bit = 1 << s;
      if ((this.pDisk.data[p]! & bit) !== 0) this.diskUsed[s]! -= size;
      this.forgetStaged(p, s);
      if ((this.pTape.data[p]! & bit) !== 0) this.tapeUsed[s]! -= size;
    }
    // Deleted while still waiting at the telescope: it never reaches storage.
    if ((flags & INGESTED) === 0 && this.pInflight.data[p] === 0) this.backlogBytes -= size;
    this.pDisk.data[p] = 0;
    this.pTape.data[p] = 0;
    this.deletedBytes += size;
    this.event(p, 4, -1);
    this.retryWaiting();
  }

  // ------------------------------------------------------------------ faults

  private scheduleFaults(): void {
    const end = this.sc.durationSeconds;
    for (const f of this.sc.faults) {
      switch (f.kind) {
        case "site-down":
          this.sim.scheduleAt(f.atSeconds, () => this.siteDown(this.topo.index.get(f.site)!, f, f.atSeconds + f.durationSeconds));
          break;
        case "site-random": {
          const r = this.sim.random.stream("faults/site-random");
          for (const name of f.sites) {
            const s = this.topo.index.get(name)!;
            let t = r.exponential(1 / f.mtbfSeconds);
            while (t < end) {
              const d = r.exponential(1 / f.mttrSeconds);
              const at = t;
              this.sim.scheduleAt(at, () => this.siteDown(s, f, at + d));
              t = at + d + r.exponential(1 / f.mtbfSeconds);
            }
          }
          break;
        }
        case "link-cut":
        case "link-degrade": {
          const i = this.sc.links.findIndex((l) => (l.from === f.from && l.to === f.to) || (l.from === f.to && l.to === f.from));
          const pair = this.topo.linkPairs[i]!;
          const bw = this.sc.links[i]!.bandwidthBitsPerSecond;
          const factor = f.kind === "link-cut" ? 0 : f.factor;
          this.sim.scheduleAt(f.atSeconds, () => {
            for (const l of pair) this.net.setLinkBandwidth(l, bw * factor);
            this.faults.push(this.faultRecord(f, `${f.from}<->${f.to}`, f.atSeconds + f.durationSeconds));
          });
          this.sim.scheduleAt(Math.min(f.atSeconds + f.durationSeconds, end), () => {
            for (const l of pair) this.net.setLinkBandwidth(l, bw);
          });
          break;
        }
        case "storage-lost":
          this.sim.scheduleAt(f.atSeconds, () => this.storageLost(this.topo.index.get(f.site)!, f));
          break;
      }
    }
  }

  private faultRecord(f: Fault, target: string, end: number | null): FaultRecord {
    return { kind: f.kind, target, atSeconds: this.sim.now, endSeconds: end, productsAffected: 0, bytesAffected: 0, recoveredAtSeconds: null, remaining: 0 };
  }

  /** Products with a copy at a site (the list is appended to and compacted here). */
  private productsAt(site: number, visit: (p: number) => void): void {
    const col = this.siteProducts[site]!;
    const bit = 1 << site;
    let w = 0;
    for (let i = 0; i < col.length; i++) {
      const p = col.data[i]!;
      if (((this.pDisk.data[p]! | this.pTape.data[p]!) & bit) === 0) continue;
      col.data[w++] = p;
      visit(p);
    }
    col.length = w;
  }

  /** Reassesses a product that lost a copy to fault `id`, counting it against the fault if that left it short. */
  private chargeFault(p: number, id: number): void {
    const wasUnder = (this.pFlags.data[p]! & UNDER) !== 0;
    this.reassess(p);
    if (!wasUnder && (this.pFlags.data[p]! & UNDER) !== 0) {
      const rec = this.faults[id]!;
      this.pFault.data[p] = id;
      rec.productsAffected++;
      rec.bytesAffected += this.pSize.data[p]!;
      rec.remaining++;
    }
  }

  /** Closes a fault's charging: recovered at once if nothing fell short, else recover after detection. */
  private afterDetection(rec: FaultRecord, recover: () => void): void {
    if (rec.remaining === 0) rec.recoveredAtSeconds = this.sim.now;
    if (this.sc.policies.recovery.enabled) this.sim.schedule(this.sc.policies.recovery.detectionSeconds, recover);
  }

  private siteDown(site: number, f: Fault, upAt: number): void {
    const rec = this.faultRecord(f, this.sc.sites[site]!.name, upAt);
    const id = this.faults.push(rec) - 1;
    if (this.downCount[site]!++ > 0) {
      // Already down: this fault only extends the outage.
      rec.recoveredAtSeconds = null;
    } else {
      this.up[site] = false;
      this.upMask &= ~(1 << site);
      this.abortChannelsAt(site);
      this.productsAt(site, (p) => this.chargeFault(p, id));
      this.afterDetection(rec, () => {
        if (!this.up[site]) this.productsAt(site, (p) => this.ensureReplicas(p));
      });
    }
    if (upAt < this.sc.durationSeconds) this.sim.scheduleAt(upAt, () => this.siteUp(site));
  }

  private siteUp(site: number): void {
    if (--this.downCount[site]! > 0) return;
    this.up[site] = true;
    this.upMask |= 1 << site;
    this.productsAt(site, (p) => this.reassess(p));
    this.retryWaiting();
  }

  /** Stops transfers to or from a failed site; their products look for another way. */
  private abortChannelsAt(site: number): void {
    for (const [key, c] of this.channels) {
      const src = Math.floor(key / 64);
      const dst = key % 64;
      if (src !== site && dst !== site) continue;
      for (const t of c.abortAll()) {
        const p = this.trProduct.data[t]!;
        const kind = this.trKind.data[t]!;
        const size = this.pSize.data[p]!;
        this.trFree.push(t);
        this.transfersAborted++;
        this.diskReserved[dst]! -= size;
        if (kind === PULL) {
          this.jobsFailed++;
          continue;
        }
        this.pInflight.data[p]! &= ~(1 << dst);
        if (kind === INGEST) {
          // Back to the telescope's queue, ahead of nothing: order within a telescope is kept approximately.
          const ti = this.pTelescope.data[p]!;
          this.inflightIngestBytes -= size;
          if ((this.pFlags.data[p]! & DELETED) === 0) {
            this.backlog[ti]!.push(p);
            this.backlogBytes += size;
          }
        } else {
          this.ensureReplicas(p);
        }
      }
    }
    for (let ti = 0; ti < this.backlog.length; ti++) this.drainBacklog(ti);
  }

  private storageLost(site: number, f: Fault & { kind: "storage-lost" }): void {
    const rec = this.faultRecord(f, `${this.sc.sites[site]!.name}:${f.storageClass}`, null);
    const id = this.faults.push(rec) - 1;
    const bit = 1 << site;
    const cls = f.storageClass === "disk" ? this.pDisk : this.pTape;
    this.productsAt(site, (p) => {
      if ((cls.data[p]! & bit) === 0) return;
      cls.data[p]! &= ~bit;
      const size = this.pSize.data[p]!;
      if (f.storageClass === "disk") {
        this.diskUsed[site]! -= size;
        this.forgetStaged(p, site);
      }
      else this.tapeUsed[site]! -= size;
      this.event(p, 6, site);
      if ((this.pDisk.data[p]! | this.pTape.data[p]!) === 0) {
        const flags = this.pFlags.data[p]!;
        if ((flags & UNDER) !== 0) this.underBytes -= size;
        this.pFlags.data[p] = (flags | LOST) & ~(UNDER | PENDING);
        this.lostBytes += size;
        this.lostProducts++;
        this.event(p, 5, site);
        return;
      }
      this.chargeFault(p, id);
    });
    this.afterDetection(rec, () => {
      for (let p = 0; p < this.pFault.length; p++) if (this.pFault.data[p] === id) this.ensureReplicas(p);
    });
    this.retryWaiting();
  }

  // ------------------------------------------------------------------ operations

  private operate(op: Scenario["operations"][number]): void {
    const dst = this.topo.index.get(op.to)!;
    const tel = op.filter.telescope === null ? -1 : this.sc.telescopes.findIndex((t) => t.name === op.filter.telescope);
    for (let p = 0; p < this.pSize.length; p++) {
      const flags = this.pFlags.data[p]!;
      if ((flags & INGESTED) === 0 || (flags & (DELETED | LOST)) !== 0) continue;
      if (tel >= 0 && this.pTelescope.data[p] !== tel) continue;
      if (op.filter.productType !== null && this.sc.telescopes[this.pTelescope.data[p]!]!.productMix[this.pType.data[p]!]!.type !== op.filter.productType) continue;
      if (op.filter.ingestedBeforeSeconds !== null && this.pBorn.data[p]! >= op.filter.ingestedBeforeSeconds) continue;
      const bit = 1 << dst;
      if (((this.pDisk.data[p]! | this.pTape.data[p]! | this.pInflight.data[p]!) & bit) !== 0) continue;
      if (!this.up[dst] || this.diskFree(dst) < this.pSize.data[p]!) continue;
      this.replicateTo(p, dst);
    }
  }

  // ------------------------------------------------------------------ analysis jobs

  private scheduleJobs(): void {
    const a = this.sc.analysis!;
    const periods = [{ startSeconds: 0, durationSeconds: this.sc.durationSeconds, jobsPerDay: a.jobsPerDay }, ...a.bursts];
    for (const b of periods) {
      if (b.jobsPerDay <= 0) continue;
      const rate = b.jobsPerDay / 86_400;
      const end = Math.min(b.startSeconds + b.durationSeconds, this.sc.durationSeconds);
      const next = () => {
        this.submitJob();
        const at = this.sim.now + this.rJobs.exponential(rate);
        if (at < end) this.sim.scheduleAt(at, next);
      };
      const first = b.startSeconds + this.rJobs.exponential(rate);
      if (first < end) this.sim.scheduleAt(first, next);
    }
  }

  /** Picks a product by Zipf popularity over the products so far (rank r has weight r^-s), scattered over ages. */
  private pickProduct(): number {
    const n = this.pSize.length;
    if (n === 0) return -1;
    const s = this.sc.analysis!.popularityExponent;
    const u = this.rJobs.uniform();
    // Continuous inverse of the Zipf CDF on [1, n + 1).
    const rank = Math.abs(s - 1) < 1e-9 ? Math.pow(n + 1, u) : Math.pow(1 + u * (Math.pow(n + 1, 1 - s) - 1), 1 / (1 - s));
    const k = Math.min(n - 1, Math.floor(rank) - 1);
    // Golden-ratio scattering: popular products are spread over the archive, not all recent.
    return Math.floor(n * ((k * 0.6180339887498949) % 1));
  }

  private jobSubmitted = new F64Column();

  private submitJob(): void {
    this.jobsSubmitted++;
    const p = this.pickProduct();
    if (p < 0 || (this.pFlags.data[p]! & INGESTED) === 0 || (this.pFlags.data[p]! & (DELETED | LOST)) !== 0) {
      this.jobsFailed++;
      return;
    }
    const job = this.jobSubmitted.push(this.sim.now);
    const a = this.sc.analysis!;
    const avail = this.availableMask(p);
    if (a.mode === "move-code-to-data") {
      // Where a copy is: disk first, then the shortest compute queue.
      const disk = this.pDisk.data[p]! & this.upMask;
      const pool = disk !== 0 ? disk : avail;
      let best = -1;
      for (let s = 0; s < this.nSites; s++) {
        if ((pool & (1 << s)) === 0 || this.compute[s] === null) continue;
        if (best < 0 || this.compute[s]!.queueLength < this.compute[best]!.queueLength) best = s;
      }
      if (best < 0 || ((disk & (1 << best)) === 0 && !this.sc.policies.recallOnAccess)) {
        this.jobsFailed++;
        return;
      }
      if ((disk & (1 << best)) !== 0) this.runJob(job, best);
      else this.recall(p, best, () => this.runJob(job, best));
      return;
    }
    const home = this.homeSite();
    if (home < 0 || this.compute[home] === null) {
      this.jobsFailed++;
      return;
    }
    if ((this.pDisk.data[p]! & this.upMask & (1 << home)) !== 0) {
      this.runJob(job, home);
      return;
    }
    const src = this.chooseSource(p, home);
    const needsRecall = src >= 0 && (this.pDisk.data[p]! & (1 << src)) === 0;
    if (src < 0 || this.diskFree(home) < this.pSize.data[p]! || (needsRecall && !this.sc.policies.recallOnAccess)) {
      this.jobsFailed++;
      return;
    }
    this.reserveDisk(home, this.pSize.data[p]!);
    if ((this.pDisk.data[p]! & (1 << src)) !== 0) this.submit(p, src, home, PULL, job);
    else this.recall(p, src, () => this.submit(p, src, home, PULL, job));
  }

  private homeSite(): number {
    const homes = this.sc.analysis!.homeSites;
    if (homes.length === 0) {
      const upSites = this.up.flatMap((u, i) => (u ? [i] : []));
      return upSites.length === 0 ? -1 : upSites[this.rJobs.integer(upSites.length)]!;
    }
    const total = homes.reduce((a, h) => a + h.weight, 0);
    let u = this.rJobs.uniform() * total;
    for (const h of homes) if ((u -= h.weight) < 0) return this.up[this.topo.index.get(h.site)!] ? this.topo.index.get(h.site)! : -1;
    return -1;
  }

  private runJob(job: number, site: number): void {
    const a = this.sc.analysis!;
    const slots = this.compute[site]!;
    slots.acquire(() => {
      this.jobWaits.push(this.sim.now - this.jobSubmitted.data[job]!);
      this.sim.schedule(this.rJobs.lognormal(Math.log(a.runtime.medianSeconds), a.runtime.sigma), () => {
        slots.release();
        this.jobsCompleted++;
      });
    });
  }

  // ------------------------------------------------------------------ bookkeeping

  private event(p: number, code: number, site: number): void {
    if (this.events === null) return;
    this.events.time.push(this.sim.now);
    this.events.product.push(p);
    this.events.event.push(code);
    this.events.site.push(site);
  }

  /** Transfers queued or moving, over all channels. */
  transfersInFlight(): number {
    let n = 0;
    for (const c of this.channels.values()) n += c.active + c.queued;
    return n;
  }

  /** Volume of products queued for placement (no site could take a copy yet). */
  pendingCount(): number {
    return this.pending.size;
  }
}

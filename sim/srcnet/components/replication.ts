import type { RandomStream, Simulation } from "../../kernel/index.js";
import type { Scenario } from "../../../scenarios/types.js";
import { F64Column, IntQueue, type I32Column } from "../columns.js";
import type { Topology } from "../topology.js";
import type { FaultLog } from "./faults.js";
import { DELETED, EV_REPLICATED, INGESTED, LOST, PENDING, UNDER, popcount, type ProductTable } from "./products.js";
import type { SiteStatus } from "./sites.js";
import type { Storage, StorageListener } from "./storage.js";
import { REPLICA, type TransferClient, type Transfers } from "./transfers.js";

/** Data that waits for space ahead of pending placements (the telescopes' backlogs). */
export interface Backlog {
  drainAll(): void;
}

/**
 * Replication as Rucio's rules and judge: every ingested product is brought to the policy's
 * number of copies on distinct sites. Destinations follow the placement policy among up sites
 * with room; the source is the nearest up copy, disk before tape (a tape source is recalled
 * first). A product no site can take waits in a FIFO of pending placements, retried whenever
 * space is freed or a site returns. Keeps each product's under-replicated state, its volume and
 * the lag from birth to full replication.
 */
export class Replication implements TransferClient, StorageListener {
  underBytes = 0;
  underPeakBytes = 0;
  /** From birth to first having all copies, per product. */
  readonly lags = new F64Column();
  /** Set by the composer: retried before pending placements. */
  backlog: Backlog = { drainAll: () => {} };

  private readonly required: number;
  private readonly nSites: number;
  private readonly pending = new IntQueue();
  private readonly scratchFree = new Float64Array(32);
  private readonly pSize: F64Column;
  private readonly pBorn: F64Column;
  private readonly pReplicatedAt: F64Column;
  private readonly pDisk: I32Column;
  private readonly pTape: I32Column;
  private readonly pInflight: I32Column;
  private readonly pFlags: I32Column;
  private readonly pFault: I32Column;

  constructor(
    private readonly sim: Simulation,
    private readonly sc: Scenario,
    private readonly topo: Topology,
    private readonly products: ProductTable,
    private readonly sites: SiteStatus,
    private readonly storage: Storage,
    private readonly transfers: Transfers,
    private readonly faultLog: FaultLog,
    private readonly rPlacement: RandomStream,
  ) {
    this.required = sc.policies.replicas;
    this.nSites = sc.sites.length;
    this.pSize = products.size;
    this.pBorn = products.born;
    this.pReplicatedAt = products.replicatedAt;
    this.pDisk = products.disk;
    this.pTape = products.tape;
    this.pInflight = products.inflight;
    this.pFlags = products.flags;
    this.pFault = products.fault;
  }

  /** Sites holding a copy of p that are up now. */
  availableMask(p: number): number {
    return (this.pDisk.data[p]! | this.pTape.data[p]!) & this.sites.upMask;
  }

  /** Keeps the product's under-replicated flag, volume and fault bookkeeping in step with its copies. */
  reassess(p: number): void {
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
      if (this.pFault.data[p]! >= 0) this.faultLog.settle(p);
    }
  }

  /** p leaves replication for good (deleted or lost): it no longer counts as under-replicated. */
  drop(p: number): void {
    const flags = this.pFlags.data[p]!;
    if ((flags & UNDER) === 0) return;
    this.underBytes -= this.pSize.data[p]!;
    this.pFlags.data[p] = flags & ~UNDER;
  }

  /** Starts enough transfers to bring the product to its required copies; queues it when no site can take one. */
  ensureReplicas(p: number): void {
    const flags = this.pFlags.data[p]!;
    if ((flags & (DELETED | LOST | PENDING)) !== 0 || (flags & INGESTED) === 0) return;
    const have = this.availableMask(p) | (this.pInflight.data[p]! & this.sites.upMask);
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
  replicateTo(p: number, dst: number): boolean {
    const size = this.pSize.data[p]!;
    const src = this.chooseSource(p, dst);
    if (src < 0) return false;
    this.storage.reserve(dst, size);
    this.pInflight.data[p]! |= 1 << dst;
    if ((this.pDisk.data[p]! & (1 << src)) !== 0) this.transfers.submit(REPLICA, p, src, dst, -1);
    else this.storage.recall(p, src, () => this.transfers.submit(REPLICA, p, src, dst, -1));
    return true;
  }

  /** An up site holding a copy, disk before tape, lowest latency to dst; -1 if none. */
  chooseSource(p: number, dst: number): number {
    const upMask = this.sites.upMask;
    const disk = this.pDisk.data[p]! & upMask;
    const any = disk !== 0 ? disk : this.pTape.data[p]! & upMask;
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
      if ((exclude & (1 << s)) !== 0 || !this.sites.up[s]) continue;
      const f = this.storage.diskFree(s);
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

  // ------------------------------------------------------------------ waiting

  /** Retries queued placements (after space is freed or a site returns), in order, until one still cannot go. */
  retryPending(): void {
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
  retryWaiting(): void {
    this.backlog.drainAll();
    this.retryPending();
  }

  spaceFreed(): void {
    this.retryWaiting();
  }

  /** Products queued for placement (no site could take a copy yet). */
  pendingCount(): number {
    return this.pending.size;
  }

  // ------------------------------------------------------------------ transfers

  /** A new copy (ingest or replica) is on disk at a site: reassess, then place what is still missing. */
  copyLanded(p: number): void {
    this.reassess(p);
    this.ensureReplicas(p);
  }

  transferDone(p: number, _src: number, dst: number): void {
    const size = this.pSize.data[p]!;
    this.pInflight.data[p]! &= ~(1 << dst);
    this.storage.release(dst, size);
    if ((this.pFlags.data[p]! & DELETED) !== 0) {
      this.retryWaiting();
      return;
    }
    this.storage.addDiskCopy(p, dst);
    this.products.event(p, EV_REPLICATED, dst);
    this.storage.migrateIfDue(p, dst);
    this.copyLanded(p);
  }

  transferAborted(p: number, _src: number, dst: number): void {
    this.storage.release(dst, this.pSize.data[p]!);
    this.pInflight.data[p]! &= ~(1 << dst);
    this.ensureReplicas(p);
  }

  // ------------------------------------------------------------------ operations

  /** An operator's replication rule: a copy at one site of every product matching the filter that can go now. */
  operate(op: Scenario["operations"][number]): void {
    const dst = this.topo.index.get(op.to)!;
    const tel = op.filter.telescope === null ? -1 : this.sc.telescopes.findIndex((t) => t.name === op.filter.telescope);
    const pTelescope = this.products.telescope;
    for (let p = 0; p < this.pSize.length; p++) {
      const flags = this.pFlags.data[p]!;
      if ((flags & INGESTED) === 0 || (flags & (DELETED | LOST)) !== 0) continue;
      if (tel >= 0 && pTelescope.data[p] !== tel) continue;
      if (op.filter.productType !== null && this.sc.telescopes[pTelescope.data[p]!]!.productMix[this.products.type.data[p]!]!.type !== op.filter.productType) continue;
      if (op.filter.ingestedBeforeSeconds !== null && this.pBorn.data[p]! >= op.filter.ingestedBeforeSeconds) continue;
      const bit = 1 << dst;
      if (((this.pDisk.data[p]! | this.pTape.data[p]! | this.pInflight.data[p]!) & bit) !== 0) continue;
      if (!this.sites.up[dst] || this.storage.diskFree(dst) < this.pSize.data[p]!) continue;
      this.replicateTo(p, dst);
    }
  }
}

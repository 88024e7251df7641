import type { Simulation } from "../../kernel/index.js";
import type { Network } from "../../network/index.js";
import type { Fault, Scenario } from "../../../scenarios/types.js";
import type { Topology } from "../topology.js";
import type { Ingest } from "./ingest.js";
import { EV_COPY_LOST, EV_LOST, LOST, PENDING, UNDER, type ProductTable } from "./products.js";
import type { Replication } from "./replication.js";
import type { SiteStatus } from "./sites.js";
import type { Storage } from "./storage.js";
import type { Transfers } from "./transfers.js";

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

/**
 * The record of faults and of the products each one left short of copies: a product is charged
 * to the fault that first made it under-replicated and settled when it has its copies again; a
 * fault has recovered when its last charged product is settled.
 */
export class FaultLog {
  readonly records: FaultRecord[] = [];

  constructor(
    private readonly sim: Simulation,
    private readonly products: ProductTable,
  ) {}

  /** Opens a record of a fault starting now; returns its id. */
  open(kind: Fault["kind"], target: string, endSeconds: number | null): number {
    return this.records.push({ kind, target, atSeconds: this.sim.now, endSeconds, productsAffected: 0, bytesAffected: 0, recoveredAtSeconds: null, remaining: 0 }) - 1;
  }

  /** p has just become under-replicated because of fault `id`. */
  charge(p: number, id: number): void {
    const rec = this.records[id]!;
    this.products.fault.data[p] = id;
    rec.productsAffected++;
    rec.bytesAffected += this.products.size.data[p]!;
    rec.remaining++;
  }

  /** p has its copies again: its fault waits for one product fewer. */
  settle(p: number): void {
    const f = this.products.fault.data[p]!;
    if (f < 0) return;
    this.products.fault.data[p] = -1;
    const rec = this.records[f]!;
    if (--rec.remaining === 0) rec.recoveredAtSeconds = this.sim.now;
  }
}

/**
 * Faults and recovery. A site down makes its copies unavailable and aborts its transfers; after
 * the detection delay, auto-recovery re-replicates what it held from surviving copies. Lost
 * storage removes copies for good: a product is lost only when its last copy goes. Link faults
 * cut or degrade a WAN path for a while.
 */
export class Faults {
  lostBytes = 0;
  lostProducts = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly sc: Scenario,
    private readonly net: Network,
    private readonly topo: Topology,
    private readonly products: ProductTable,
    private readonly sites: SiteStatus,
    private readonly storage: Storage,
    private readonly transfers: Transfers,
    private readonly replication: Replication,
    private readonly ingest: Ingest,
    readonly log: FaultLog,
  ) {}

  /** Schedules the scenario's faults (random ones drawn now, from their own stream). */
  start(): void {
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
          const bw = this.sc.links[i]!.bandwidthBitsPerSecond * this.sc.network.bandwidthFactor;
          const factor = f.kind === "link-cut" ? 0 : f.factor;
          this.sim.scheduleAt(f.atSeconds, () => {
            for (const l of pair) this.net.setLinkBandwidth(l, bw * factor);
            this.log.open(f.kind, `${f.from}<->${f.to}`, f.atSeconds + f.durationSeconds);
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

  /** Reassesses a product that lost a copy to fault `id`, charging it to the fault if that left it short. */
  private chargeFault(p: number, id: number): void {
    const wasUnder = (this.products.flags.data[p]! & UNDER) !== 0;
    this.replication.reassess(p);
    if (!wasUnder && (this.products.flags.data[p]! & UNDER) !== 0) this.log.charge(p, id);
  }

  /** Closes a fault's charging: recovered at once if nothing fell short, else recover after detection. */
  private afterDetection(id: number, recover: () => void): void {
    const rec = this.log.records[id]!;
    if (rec.remaining === 0) rec.recoveredAtSeconds = this.sim.now;
    if (this.sc.policies.recovery.enabled) this.sim.schedule(this.sc.policies.recovery.detectionSeconds, recover);
  }

  private siteDown(site: number, f: Fault, upAt: number): void {
    const id = this.log.open(f.kind, this.sc.sites[site]!.name, upAt);
    // Already down: this fault only extends the outage (and stays unrecovered).
    if (this.sites.goDown(site)) {
      this.transfers.abortAt(site);
      this.ingest.drainAll();
      this.products.forEachAt(site, (p) => this.chargeFault(p, id));
      this.afterDetection(id, () => {
        if (!this.sites.up[site]) this.products.forEachAt(site, (p) => this.replication.ensureReplicas(p));
      });
    }
    if (upAt < this.sc.durationSeconds) this.sim.scheduleAt(upAt, () => this.siteUp(site));
  }

  private siteUp(site: number): void {
    if (!this.sites.comeUp(site)) return;
    this.products.forEachAt(site, (p) => this.replication.reassess(p));
    this.replication.retryWaiting();
  }

  private storageLost(site: number, f: Fault & { kind: "storage-lost" }): void {
    const id = this.log.open(f.kind, `${this.sc.sites[site]!.name}:${f.storageClass}`, null);
    const flags = this.products.flags;
    this.products.forEachAt(site, (p) => {
      if (!this.storage.removeCopy(p, site, f.storageClass)) return;
      this.products.event(p, EV_COPY_LOST, site);
      if ((this.products.disk.data[p]! | this.products.tape.data[p]!) === 0) {
        // The last copy is gone.
        this.replication.drop(p);
        flags.data[p] = (flags.data[p]! | LOST) & ~PENDING;
        this.lostBytes += this.products.size.data[p]!;
        this.lostProducts++;
        this.products.event(p, EV_LOST, site);
        return;
      }
      this.chargeFault(p, id);
    });
    this.afterDetection(id, () => {
      const fault = this.products.fault;
      for (let p = 0; p < fault.length; p++) if (fault.data[p] === id) this.replication.ensureReplicas(p);
    });
    this.replication.retryWaiting();
  }
}

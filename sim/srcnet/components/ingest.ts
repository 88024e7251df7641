import type { RandomStream, Simulation } from "../../kernel/index.js";
import type { Scenario } from "../../../scenarios/types.js";
import { IntQueue, type F64Column, type I32Column } from "../columns.js";
import { ProductSampler } from "../sizes.js";
import type { Topology } from "../topology.js";
import type { Lifecycle } from "./lifecycle.js";
import { DELETED, EV_CREATED, EV_INGESTED, INGESTED, type ProductTable } from "./products.js";
import type { Backlog, Replication } from "./replication.js";
import type { SiteStatus } from "./sites.js";
import type { Storage } from "./storage.js";
import { INGEST, type TransferClient, type Transfers } from "./transfers.js";

interface Production {
  ti: number;
  bytesPerSecond: number;
  end: number;
  type: number;
  size: number;
}

/**
 * Production and ingestion: each telescope emits products during its Science Verification
 * periods, back to back so that the volume rate is exact. A product waits in its telescope's
 * FIFO backlog until an up receiving site (drawn by the ingest weights) has room, then is
 * transferred there; a full or failed site means backlog, never loss.
 */
export class Ingest implements Backlog, TransferClient {
  producedBytes = 0;
  ingestedBytes = 0;
  /** Products waiting at the telescopes. */
  backlogBytes = 0;
  /** Products on their way to a receiving site. */
  inflightBytes = 0;

  private readonly samplers: ProductSampler[];
  private readonly backlog: IntQueue[];
  private readonly pSize: F64Column;
  private readonly pFlags: I32Column;
  private readonly pInflight: I32Column;

  constructor(
    private readonly sim: Simulation,
    private readonly sc: Scenario,
    private readonly topo: Topology,
    private readonly products: ProductTable,
    private readonly sites: SiteStatus,
    private readonly storage: Storage,
    private readonly transfers: Transfers,
    private readonly replication: Replication,
    private readonly lifecycle: Lifecycle,
    private readonly rProducts: RandomStream,
    private readonly rPlacement: RandomStream,
  ) {
    this.samplers = sc.telescopes.map((t) => new ProductSampler(t.productMix));
    this.backlog = sc.telescopes.map(() => new IntQueue());
    this.pSize = products.size;
    this.pFlags = products.flags;
    this.pInflight = products.inflight;
  }

  /** Schedules the start of every production period within the run. */
  start(): void {
    const sc = this.sc;
    sc.telescopes.forEach((t, ti) => {
      for (const period of t.schedule) {
        if (period.startSeconds >= sc.durationSeconds || period.bytesPerWeek <= 0) continue;
        this.sim.scheduleAt(period.startSeconds, () => this.produce(ti, period.bytesPerWeek / 604_800, Math.min(period.endSeconds, sc.durationSeconds)));
      }
    });
  }

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

  // Bound once, so that per-product events allocate no closure.
  private readonly onProduct = (period: Production): void => {
    this.createProduct(period.ti, period.type, period.size);
    this.nextProduct(period);
  };

  private createProduct(ti: number, type: number, size: number): void {
    const p = this.products.create(ti, type, size);
    this.producedBytes += size;
    this.products.event(p, EV_CREATED, -1);
    this.lifecycle.created(p);
    this.backlog[ti]!.push(p);
    this.backlogBytes += size;
    this.drain(ti);
  }

  /** Every telescope's waiting products try again. */
  drainAll(): void {
    for (let ti = 0; ti < this.backlog.length; ti++) this.drain(ti);
  }

  /** p was deleted: if it is still waiting at its telescope, it never reaches storage (it is skipped when its turn comes). */
  discard(p: number): void {
    if ((this.pFlags.data[p]! & INGESTED) === 0 && this.pInflight.data[p] === 0) this.backlogBytes -= this.pSize.data[p]!;
  }

  /** Starts ingestion transfers for a telescope's waiting products, in order, while a site can take them. */
  private drain(ti: number): void {
    const q = this.backlog[ti]!;
    while (q.size > 0) {
      const p = q.peek();
      if ((this.pFlags.data[p]! & DELETED) !== 0) {
        q.shift();
        continue;
      }
      const site = this.chooseSite(ti, this.pSize.data[p]!);
      if (site < 0) return;
      q.shift();
      const size = this.pSize.data[p]!;
      this.backlogBytes -= size;
      this.inflightBytes += size;
      this.storage.reserve(site, size);
      this.pInflight.data[p]! |= 1 << site;
      this.transfers.submit(INGEST, p, this.sc.sites.length + ti, site, -1);
    }
  }

  /** A receiving site that is up, has room and a route, drawn by the ingest weights; -1 if none. */
  private chooseSite(ti: number, size: number): number {
    let total = 0;
    const ingest = this.sc.telescopes[ti]!.ingest;
    const ok: number[] = [];
    for (const e of ingest) {
      const s = this.topo.index.get(e.site)!;
      if (this.sites.up[s] && this.storage.diskFree(s) >= size && this.topo.route(this.sc.sites.length + ti, s) !== null) {
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

  transferDone(p: number, _src: number, dst: number): void {
    const size = this.pSize.data[p]!;
    this.pInflight.data[p]! &= ~(1 << dst);
    this.storage.release(dst, size);
    this.inflightBytes -= size;
    if ((this.pFlags.data[p]! & DELETED) !== 0) {
      this.replication.retryWaiting();
      return;
    }
    this.storage.addDiskCopy(p, dst);
    this.pFlags.data[p]! |= INGESTED;
    this.ingestedBytes += size;
    this.products.event(p, EV_INGESTED, dst);
    this.storage.startResidency(p);
    this.replication.copyLanded(p);
  }

  /** Back to the telescope's queue, behind what waits there: order within a telescope is kept approximately. */
  transferAborted(p: number, _src: number, dst: number): void {
    const size = this.pSize.data[p]!;
    this.storage.release(dst, size);
    this.pInflight.data[p]! &= ~(1 << dst);
    this.inflightBytes -= size;
    if ((this.pFlags.data[p]! & DELETED) === 0) {
      this.backlog[this.products.telescope.data[p]!]!.push(p);
      this.backlogBytes += size;
    }
  }
}

import { Resource, type RandomStream, type Simulation } from "../../kernel/index.js";
import type { Scenario } from "../../../scenarios/types.js";
import { F64Column, type I32Column } from "../columns.js";
import type { Topology } from "../topology.js";
import { DELETED, INGESTED, LOST, type ProductTable } from "./products.js";
import type { Replication } from "./replication.js";
import type { SiteStatus } from "./sites.js";
import type { Storage } from "./storage.js";
import { PULL, type TransferClient, type Transfers } from "./transfers.js";

/**
 * User analysis: jobs arrive as Poisson processes (a base rate plus bursts), each reading one
 * product picked by Zipf popularity. Jobs queue FIFO for compute slots (cores / cores per job)
 * at a site. With code moved to the data they run where a copy is (disk first, then the
 * shortest queue), recalling from tape if need be; otherwise at a home site, which pulls a copy.
 * Run times are log-normal.
 */
export class Jobs implements TransferClient {
  submitted = 0;
  completed = 0;
  failed = 0;
  /** From submission to a slot, per job that ran. */
  readonly waits = new F64Column();

  private readonly compute: (Resource | null)[];
  private readonly submittedAt = new F64Column();
  private readonly pSize: F64Column;
  private readonly pDisk: I32Column;
  private readonly pFlags: I32Column;

  constructor(
    private readonly sim: Simulation,
    private readonly sc: Scenario,
    private readonly topo: Topology,
    products: ProductTable,
    private readonly sites: SiteStatus,
    private readonly storage: Storage,
    private readonly transfers: Transfers,
    private readonly replication: Replication,
    private readonly rJobs: RandomStream,
  ) {
    const perJob = sc.analysis?.coresPerJob ?? 1;
    this.compute = sc.sites.map((s) => (s.compute.cores >= perJob ? new Resource(sim, Math.floor(s.compute.cores / perJob)) : null));
    this.pSize = products.size;
    this.pDisk = products.disk;
    this.pFlags = products.flags;
  }

  /** Schedules the first arrival of each period; each arrival schedules the next. */
  start(): void {
    const a = this.sc.analysis;
    if (a === null) return;
    const periods = [{ startSeconds: 0, durationSeconds: this.sc.durationSeconds, jobsPerDay: a.jobsPerDay }, ...a.bursts];
    for (const b of periods) {
      if (b.jobsPerDay <= 0) continue;
      const rate = b.jobsPerDay / 86_400;
      const end = Math.min(b.startSeconds + b.durationSeconds, this.sc.durationSeconds);
      const next = () => {
        this.submit();
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

  private submit(): void {
    this.submitted++;
    const p = this.pickProduct();
    if (p < 0 || (this.pFlags.data[p]! & INGESTED) === 0 || (this.pFlags.data[p]! & (DELETED | LOST)) !== 0) {
      this.failed++;
      return;
    }
    const job = this.submittedAt.push(this.sim.now);
    const a = this.sc.analysis!;
    const upMask = this.sites.upMask;
    if (a.mode === "move-code-to-data") {
      // Where a copy is: disk first, then the shortest compute queue.
      const disk = this.pDisk.data[p]! & upMask;
      const pool = disk !== 0 ? disk : this.replication.availableMask(p);
      let best = -1;
      for (let s = 0; s < this.compute.length; s++) {
        if ((pool & (1 << s)) === 0 || this.compute[s] === null) continue;
        if (best < 0 || this.compute[s]!.queueLength < this.compute[best]!.queueLength) best = s;
      }
      if (best < 0 || ((disk & (1 << best)) === 0 && !this.sc.policies.recallOnAccess)) {
        this.failed++;
        return;
      }
      if ((disk & (1 << best)) !== 0) this.run(job, best);
      else this.storage.recall(p, best, () => this.run(job, best));
      return;
    }
    const home = this.homeSite();
    if (home < 0 || this.compute[home] === null) {
      this.failed++;
      return;
    }
    if ((this.pDisk.data[p]! & upMask & (1 << home)) !== 0) {
      this.run(job, home);
      return;
    }
    const src = this.replication.chooseSource(p, home);
    const needsRecall = src >= 0 && (this.pDisk.data[p]! & (1 << src)) === 0;
    if (src < 0 || this.storage.diskFree(home) < this.pSize.data[p]! || (needsRecall && !this.sc.policies.recallOnAccess)) {
      this.failed++;
      return;
    }
    this.storage.reserve(home, this.pSize.data[p]!);
    if ((this.pDisk.data[p]! & (1 << src)) !== 0) this.transfers.submit(PULL, p, src, home, job);
    else this.storage.recall(p, src, () => this.transfers.submit(PULL, p, src, home, job));
  }

  /** A home site drawn by weight (uniform over up sites when none is given); -1 when it is down. */
  private homeSite(): number {
    const homes = this.sc.analysis!.homeSites;
    if (homes.length === 0) {
      const upSites = this.sites.up.flatMap((u, i) => (u ? [i] : []));
      return upSites.length === 0 ? -1 : upSites[this.rJobs.integer(upSites.length)]!;
    }
    const total = homes.reduce((a, h) => a + h.weight, 0);
    let u = this.rJobs.uniform() * total;
    for (const h of homes) if ((u -= h.weight) < 0) return this.sites.up[this.topo.index.get(h.site)!] ? this.topo.index.get(h.site)! : -1;
    return -1;
  }

  private run(job: number, site: number): void {
    const a = this.sc.analysis!;
    const slots = this.compute[site]!;
    slots.acquire(() => {
      this.waits.push(this.sim.now - this.submittedAt.data[job]!);
      this.sim.schedule(this.rJobs.lognormal(Math.log(a.runtime.medianSeconds), a.runtime.sigma), () => {
        slots.release();
        this.completed++;
      });
    });
  }

  /** The pulled copy is at the home site: the job queues there. Its data is not kept. */
  transferDone(p: number, _src: number, dst: number, job: number): void {
    this.storage.release(dst, this.pSize.data[p]!);
    this.run(job, dst);
    this.replication.retryWaiting();
  }

  transferAborted(p: number, _src: number, dst: number): void {
    this.storage.release(dst, this.pSize.data[p]!);
    this.failed++;
  }
}

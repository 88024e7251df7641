import type { Simulation } from "../../kernel/index.js";
import type { Scenario } from "../../../scenarios/types.js";
import type { Topology } from "../topology.js";
import type { ProductTable } from "./products.js";
import { INJECT, type TransferClient, type Transfers } from "./transfers.js";

interface Stream {
  /** Index into the scenario's injections. */
  j: number;
  src: number;
  dst: number[];
  bytes: number;
  batch: number;
  /** Seconds between batches. */
  every: number;
  start: number;
  /** Batches submitted so far. */
  k: number;
  left: number;
}

/** What one injection did, for the run's summary. */
export interface InjectionCounts {
  submitted: number;
  done: number;
  doneBytes: number;
  aborted: number;
}

/**
 * A data challenge's files (`injections`): each injection makes `files` files of one size appear
 * at its source site at a steady rate, a batch at a time, and submits each file as one transfer
 * to a destination, the batches going to its destinations in turn. The files are rows of the
 * product table (for their size) but are no SKA products: they take no storage, are not
 * replicated further, and count only as transfers.
 */
export class Injections implements TransferClient {
  readonly counts: InjectionCounts[];

  constructor(
    private readonly sim: Simulation,
    private readonly sc: Scenario,
    private readonly topo: Topology,
    private readonly products: ProductTable,
    private readonly transfers: Transfers,
  ) {
    this.counts = sc.injections.map(() => ({ submitted: 0, done: 0, doneBytes: 0, aborted: 0 }));
  }

  start(): void {
    this.sc.injections.forEach((x, j) => {
      if (x.startSeconds >= this.sc.durationSeconds) return;
      const rate = x.files / x.durationSeconds;
      const s: Stream = {
        j,
        src: this.topo.index.get(x.from)!,
        dst: x.to.map((d) => this.topo.index.get(d)!),
        bytes: x.fileBytes,
        batch: x.batchFiles,
        every: x.batchFiles / rate,
        start: x.startSeconds,
        k: 0,
        left: x.files,
      };
      this.sim.scheduleAt(s.start, this.onBatch, s);
    });
  }

  // Bound once: a batch event allocates no closure.
  private readonly onBatch = (s: Stream): void => {
    const n = Math.min(s.batch, s.left);
    const dst = s.dst[s.k % s.dst.length]!;
    const counts = this.counts[s.j]!;
    for (let i = 0; i < n; i++) {
      const p = this.products.create(-1, 0, s.bytes);
      this.transfers.submit(INJECT, p, s.src, dst, s.j);
    }
    counts.submitted += n;
    s.left -= n;
    s.k++;
    const next = s.start + s.k * s.every;
    if (s.left > 0 && next < this.sc.durationSeconds) this.sim.scheduleAt(next, this.onBatch, s);
  };

  transferDone(p: number, _src: number, _dst: number, job: number): void {
    const c = this.counts[job]!;
    c.done++;
    c.doneBytes += this.products.size.data[p]!;
  }

  transferAborted(_p: number, _src: number, _dst: number, job: number): void {
    this.counts[job]!.aborted++;
  }
}

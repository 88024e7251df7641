import { DelayLine, type Simulation } from "../../kernel/index.js";
import type { Scenario } from "../../../scenarios/types.js";
import { DELETED, EV_DELETED, LOST, type ProductTable } from "./products.js";
import type { Replication } from "./replication.js";
import type { Storage } from "./storage.js";

/** Products still waiting to be ingested, which a deletion must take out of the backlog volume. */
export interface Intake {
  discard(p: number): void;
}

/**
 * Deletion after the lifetime policy: a product is deleted that long after it was created,
 * wherever it is (waiting at the telescope, in transfer, on disk or tape); its space is freed at once.
 */
export class Lifecycle {
  deletedBytes = 0;
  /** Set by the composer. */
  intake: Intake = { discard: () => {} };
  // All deletions fire the same delay after creation: a FIFO delay line, not the event queue.
  private readonly toDelete: DelayLine<number> | null;

  constructor(
    sim: Simulation,
    sc: Scenario,
    private readonly products: ProductTable,
    private readonly storage: Storage,
    private readonly replication: Replication,
  ) {
    const lifetime = sc.policies.lifetimeSeconds;
    this.toDelete = lifetime === null ? null : new DelayLine(sim, lifetime, (p: number) => this.delete(p));
  }

  /** A product was created now: its lifetime starts. */
  created(p: number): void {
    this.toDelete?.push(p);
  }

  private delete(p: number): void {
    const flags = this.products.flags;
    if ((flags.data[p]! & (DELETED | LOST)) !== 0) return;
    this.replication.drop(p);
    flags.data[p]! |= DELETED;
    this.storage.removeAll(p);
    this.intake.discard(p);
    const size = this.products.size.data[p]!;
    this.deletedBytes += size;
    this.products.event(p, EV_DELETED, -1);
    this.replication.retryWaiting();
  }
}

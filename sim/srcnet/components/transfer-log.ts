import { F64Column, I32Column } from "../columns.js";

/**
 * The transfers a run's channels ran, one row per file transfer, for `transfers.arrow`
 * (records/transfer-record.ts): kept as typed-array columns only when the scenario asks for
 * them (`output.transferEvents`), so that a run without them pays nothing.
 */

// States: indices into records/transfer-record.ts TRANSFER_STATES.
export const FINISHED = 0;
/** Aborted after it took a slot (its source or destination failed). */
export const FAILED = 1;
/** Dropped from its link's queue before it started (its source or destination failed). */
export const CANCELED = 2;
/** Still queued when the run ended. */
export const SUBMITTED = 3;
/** Holding a slot when the run ended. */
export const ACTIVE = 4;

export class TransferLog {
  /** The transfer's number, in submission order over the run. */
  readonly id = new I32Column();
  readonly kind = new I32Column();
  readonly product = new I32Column();
  /** Endpoints (sites, then telescopes). */
  readonly source = new I32Column();
  readonly destination = new I32Column();
  readonly bytes = new F64Column();
  /** Simulated seconds: queued on its link's channel, given a slot (NaN: never), done (NaN: not done). */
  readonly submit = new F64Column();
  readonly start = new F64Column();
  readonly end = new F64Column();
  readonly state = new I32Column();
  /** The link's limit on active transfers when it started (0: never started). */
  readonly actives = new I32Column();

  get length(): number {
    return this.id.length;
  }

  push(id: number, kind: number, p: number, src: number, dst: number, bytes: number, submit: number, start: number, end: number, state: number, actives: number): void {
    this.id.push(id);
    this.kind.push(kind);
    this.product.push(p);
    this.source.push(src);
    this.destination.push(dst);
    this.bytes.push(bytes);
    this.submit.push(submit);
    this.start.push(start);
    this.end.push(end);
    this.state.push(state);
    this.actives.push(actives);
  }
}

/**
 * FTS3's optimizer decision for one link: given what the link did during the last interval and
 * the link's memory of its previous decision, the next limit on its active transfers. The
 * algorithm, its parameters and their sources are in `harness/transfer/OPTIMIZER.md` (the one
 * description shared with the transfer service, `harness/transfer/optimizer.py`); the rule
 * numbers below are that document's. Pure and allocation-free: `decide` updates the link's
 * state in place and returns a number coding the reason and the adjustments.
 */
import type { TransferOptimizer } from "../../../scenarios/types.js";

export type OptimizerMode = TransferOptimizer["mode"];

/** The optimizer's configuration (`policies.transfers.optimizer`; names as in OPTIMIZER.md, camelCase): the scenario's, less when it runs. */
export type OptimizerParams = Omit<TransferOptimizer, "enabled" | "steadyIntervalSeconds">;

/** A link's memory: its last decision and what that run measured. `active` 0: no decision yet. */
export class LinkState {
  active = 0;
  successRate = 0;
  /** Exponential moving average of the throughput, bytes/s. */
  ema = 0;
  retries = 0;
  /** Bytes. */
  filesizeAvg = 0;
}

// Reasons (low four bits of decide's result), named as in OPTIMIZER.md.
export const NO_INFORMATION = 0;
export const RANGE_FIXED = 1;
export const LOW_SUCCESS_IMPROVING = 2;
export const LOW_SUCCESS_WORSE = 3;
export const LOW_SUCCESS = 4;
export const NO_THROUGHPUT = 5;
export const QUEUE_EMPTYING = 6;
export const SMALLER_FILES = 7;
export const THROUGHPUT_DOWN = 8;
export const THROUGHPUT_DOWN_SMALL = 9;
export const THROUGHPUT_UP = 10;
export const THROUGHPUT_SAME = 11;
export const REASONS = [
  "no-information",
  "range-fixed",
  "low-success-improving",
  "low-success-worse",
  "low-success",
  "no-throughput",
  "queue-emptying",
  "smaller-files",
  "throughput-down",
  "throughput-down-small",
  "throughput-up",
  "throughput-same",
] as const;

// Adjustments of rule 7 (bits above the reason), in the order they are applied.
export const HIT_MIN = 1 << 4;
export const HIT_MAX = 1 << 5;
export const QUEUE_SHORT = 1 << 6;
export const TOO_MANY_STREAMS = 1 << 7;
const ADJUSTMENTS: readonly [number, string][] = [
  [HIT_MIN, "min"],
  [HIT_MAX, "max"],
  [QUEUE_SHORT, "queue"],
  [TOO_MANY_STREAMS, "streams"],
];

export function reasonOf(code: number): (typeof REASONS)[number] {
  return REASONS[code & 15]!;
}

/** The adjustments a decision's code records, in the order rule 7 applies them. */
export function adjustmentsOf(code: number): string[] {
  return ADJUSTMENTS.filter(([bit]) => (code & bit) !== 0).map(([, name]) => name);
}

/** C's round(): halves away from zero. Exact: the fraction a - floor(a) is computed without rounding. */
function roundHalfAway(x: number): number {
  const a = Math.abs(x);
  let r = Math.floor(a);
  if (a - r >= 0.5) r += 1;
  return x < 0 ? -r : r;
}

/** round(log10(x)) for x > 0, minus infinity otherwise. */
export function order(x: number): number {
  return x > 0 ? roundHalfAway(Math.log10(x)) : -Infinity;
}

/** The interval's success rate in percent: ceil(100 x finished / ended), 100 when nothing ended. */
export function successRate(finished: number, failed: number): number {
  const ended = finished + failed;
  return ended > 0 ? Math.ceil((finished * 100) / ended) : 100;
}

/**
 * Runs rules 1 to 7 for one link: `s` is the link's memory, updated to this decision; the new
 * limit is `s.active` afterwards. The sample: `successRate` (percent), `throughput` (bytes/s),
 * `filesizeAvg` (bytes), `queue` (transfers waiting now), `retries`. Returns the reason ORed
 * with the adjustment bits (see `reasonOf`, `adjustmentsOf`).
 */
export function decide(
  p: OptimizerParams,
  s: LinkState,
  successRateNow: number,
  throughput: number,
  filesizeAvg: number,
  queue: number,
  retries: number,
): number {
  const min = p.minActive;
  const max = p.maxActive;
  const prevActive = s.active;
  let next: number;
  let code: number;

  if (prevActive === 0) {
    // Rule 1: no memory.
    next = min + Math.floor((max - min) / 2);
    store(s, next, successRateNow, throughput, retries, filesizeAvg);
    return NO_INFORMATION;
  }
  // Rule 2.
  const ema = throughput > 0 ? p.emaAlpha * throughput + (1 - p.emaAlpha) * s.ema : s.ema;
  if (min === max) {
    // Rule 3.
    store(s, min, successRateNow, ema, retries, filesizeAvg);
    return RANGE_FIXED;
  }
  if (successRateNow < p.lowSuccessRate) {
    // Rule 4.
    if (successRateNow > s.successRate && successRateNow >= p.baseSuccessRate && retries <= s.retries) {
      next = prevActive;
      code = LOW_SUCCESS_IMPROVING;
    } else if (successRateNow < s.successRate) {
      next = prevActive - p.decreaseStep;
      code = LOW_SUCCESS_WORSE;
    } else {
      next = prevActive - p.decreaseStep;
      code = LOW_SUCCESS;
    }
  } else if (ema === 0) {
    // Rule 5.
    next = prevActive;
    code = NO_THROUGHPUT;
  } else {
    // Rule 6.
    const step = p.mode === "conservative" ? p.increaseStep : p.aggressiveIncreaseStep;
    if (queue < prevActive) {
      next = prevActive;
      code = QUEUE_EMPTYING;
    } else if (ema < s.ema) {
      if (order(filesizeAvg) < order(s.filesizeAvg)) {
        next = prevActive + step;
        code = SMALLER_FILES;
      } else if (order(ema) < order(s.ema)) {
        next = prevActive - p.decreaseStep;
        code = THROUGHPUT_DOWN;
      } else {
        next = prevActive;
        code = THROUGHPUT_DOWN_SMALL;
      }
    } else if (ema > s.ema) {
      next = prevActive + step;
      code = THROUGHPUT_UP;
    } else {
      next = prevActive + step;
      code = THROUGHPUT_SAME;
    }
  }
  // Rule 7.
  if (next < min) {
    next = min;
    code |= HIT_MIN;
  } else if (next > max) {
    next = max;
    code |= HIT_MAX;
  }
  if (p.mode === "conservative") {
    if (next > prevActive && queue < next) {
      next = prevActive;
      code |= QUEUE_SHORT;
    }
  } else if (next > prevActive && next > queue * p.maxStreams) {
    next = prevActive;
    code |= TOO_MANY_STREAMS;
  }
  store(s, next, successRateNow, ema, retries, filesizeAvg);
  return code;
}

function store(s: LinkState, active: number, successRateNow: number, ema: number, retries: number, filesizeAvg: number): void {
  s.active = active;
  s.successRate = successRateNow;
  s.ema = ema;
  s.retries = retries;
  s.filesizeAvg = filesizeAvg;
}

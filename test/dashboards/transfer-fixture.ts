/**
 * Two small transfer tables for the simulated-vs-measured tests: a measured replication campaign
 * (two rules, at 0 s and 100 s, then site B lost at 200 s) and a simulation made from it (the
 * same submit times and links, its own file names, other durations). Every number the tests
 * expect is worked out by hand from these rows in the comments.
 */
import type { TransferRow, TransferState } from "../../records/transfer-record.js";

const row = (file: string, link: string, bytes: number, submit: number, start: number, end: number, state: TransferState, error = ""): TransferRow => {
  const [source, destination] = link.split("->") as [string, string];
  return { id: `${file}-${submit}`, job: "", request: "", file, source, destination, link, bytes, submitSeconds: submit, startSeconds: start, endSeconds: end, state, error, actives: 0 };
};

/**
 * Measured. Durations: A->B 10, 20, 30 (the failed attempt left out); A->C 40, 60; C->B 20, 50.
 * Lags: rule at 0 s: 12, 23, 51; rule at 100 s: 41, 64. Recovery of B: last end 262 - 200 = 62 s,
 * one file (f6) whose only recovery transfer failed.
 */
export const MEASURED: TransferRow[] = [
  row("test:f1", "A->B", 1e6, 1, 2, 12, "FINISHED"),
  row("test:f2", "A->B", 2e6, 1, 3, 23, "FINISHED"),
  row("test:f3", "A->B", 1e6, 5, 6, 16, "FAILED", "TRANSFER timeout"),
  row("test:f3", "A->B", 1e6, 20, 21, 51, "FINISHED"),
  row("test:f4", "A->C", 3e6, 101, 101, 141, "FINISHED"),
  row("test:f5", "A->C", 3e6, 102, 104, 164, "FINISHED"),
  row("test:f1", "C->B", 1e6, 210, 211, 231, "FINISHED"),
  row("test:f2", "C->B", 2e6, 210, 212, 262, "FINISHED"),
  row("test:f6", "C->B", 1e6, 215, 216, NaN, "FAILED", "source unreachable"),
];

/**
 * Simulated. Durations: A->B 8, 16, 24 (0.8 of measured at every quantile); A->C 50, 80;
 * C->B 30, 40, 75. Lags: 9, 17, 44; 51, 82. Recovery of B: 290 - 200 = 90 s, nothing unfinished.
 */
export const SIMULATED: TransferRow[] = [
  row("sim-1", "A->B", 1e6, 1, 1, 9, "FINISHED"),
  row("sim-2", "A->B", 2e6, 1, 1, 17, "FINISHED"),
  row("sim-3", "A->B", 1e6, 20, 20, 44, "FINISHED"),
  row("sim-4", "A->C", 3e6, 101, 101, 151, "FINISHED"),
  row("sim-5", "A->C", 3e6, 102, 102, 182, "FINISHED"),
  row("sim-6", "C->B", 1e6, 210, 210, 240, "FINISHED"),
  row("sim-7", "C->B", 2e6, 210, 210, 250, "FINISHED"),
  row("sim-8", "C->B", 1e6, 215, 215, 290, "FINISHED"),
];

export const TIMES = { rules: [{ addedSeconds: 100 }, { addedSeconds: 0 }], losses: [{ site: "B", atSeconds: 200 }] };

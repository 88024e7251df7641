/**
 * `transfers.arrow`: one row per file transfer, the same columns whether a campaign measured it
 * (the stack's transfer service moved the bytes; times are wall-clock seconds since the campaign
 * started) or a simulation made it (simulated seconds since the simulation started). It is what
 * the simulated-vs-measured comparison and the calibration read on both sides, so a column means
 * the same thing on each: a transfer is one attempt of one file over one link, from the transfer
 * service accepting it (submit) through its first byte being asked for (start) to its end.
 */

export const TRANSFER_COLUMNS = {
  /** utf8, the transfer's id (the transfer service's file id; the simulator's transfer number). */
  id: "transfer_id",
  /** utf8, the job it belonged to (FTS job id); "" where there are no jobs. */
  job: "job_id",
  /** utf8, Rucio's request id (file_metadata.request_id); "" when not Rucio's. */
  request: "request_id",
  /** utf8, the file: `scope:name` for Rucio files. */
  file: "file",
  /** utf8, the site the bytes come from. */
  source: "source_site",
  /** utf8, the site the bytes go to. */
  destination: "dest_site",
  /** utf8, `SOURCE->DESTINATION`, as stack paths and simulator links are named. */
  link: "link",
  /** float64, the file's size. */
  bytes: "bytes",
  /** float64, seconds since the run started when the transfer was accepted (queued). */
  submit: "t_submit_seconds",
  /** float64, when it left the queue and started; null if it never did. */
  start: "t_start_seconds",
  /** float64, when it ended; null if it had not ended when the run did. */
  end: "t_end_seconds",
  /** utf8: FINISHED | FAILED | CANCELED, or SUBMITTED | ACTIVE when the run ended first (FTS's file states). */
  state: "state",
  /** utf8, why it failed ("" otherwise), as the transfer service reported it. */
  error: "error",
  /** int32, the link's limit on active transfers when this one started (the optimizer's decision); 0 if unknown. */
  actives: "link_actives",
} as const;

export const TRANSFER_STATES = ["FINISHED", "FAILED", "CANCELED", "SUBMITTED", "ACTIVE"] as const;
export type TransferState = (typeof TRANSFER_STATES)[number];

/** One row of `transfers.arrow`, as producers hand it over and readers get it back. */
export interface TransferRow {
  id: string;
  job: string;
  request: string;
  file: string;
  source: string;
  destination: string;
  link: string;
  bytes: number;
  submitSeconds: number;
  /** NaN when it never started. */
  startSeconds: number;
  /** NaN when it had not ended. */
  endSeconds: number;
  state: TransferState;
  error: string;
  actives: number;
}

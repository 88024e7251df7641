/**
 * The campaign run record contract (records/README.md, "Campaign records"): what the harness
 * writes and the dashboard reads; here, beside the other record writers, so neither side imports
 * the other. run.json is the common provenance with kind "campaign";
 * summary.json is {@link CampaignSummary}; the tables are `requests.arrow` and `faults.arrow`
 * with the columns below. The schema here is what the dashboard checks a campaign summary against.
 */
import { Either, Schema } from "effect";

export const CAMPAIGN_SERVICES = ["tap", "soda", "webdav", "rucio", "ingest"] as const;
export type CampaignService = (typeof CAMPAIGN_SERVICES)[number];

/** `requests.arrow`: one row per request. */
export const REQUEST_COLUMNS = {
  /** float64, seconds since the campaign started (when the request was sent). */
  time: "t_seconds",
  /** utf8: tap | soda | webdav | rucio | ingest. */
  service: "service",
  /** utf8: what was asked (e.g. "sync-query", "cutout", "PUT", "add-rule"). */
  operation: "operation",
  /** utf8: the campaign phase (e.g. "warm-up", "steady", "fault", "recovery"). */
  phase: "phase",
  /** float64, seconds from sending to the last byte of the response (or to the error). */
  latency: "latency_seconds",
  /** int32, HTTP status; 0 for a transport error (refused, reset, timeout). */
  status: "status",
  /** bool, whether the request did what it was asked. */
  ok: "ok",
  /** float64, payload bytes moved (request plus response body). */
  bytes: "bytes",
  /** utf8, the load worker that sent it (w0, w1, ...); absent in records made before workers. */
  worker: "worker",
} as const;

/** `operations.arrow`: one row per logical operation (a read with its failovers, an ingestion, an async query). */
export const OPERATION_COLUMNS = {
  /** float64, seconds since the campaign started (when the operation started). */
  time: "t_seconds",
  service: "service",
  operation: "operation",
  phase: "phase",
  /** float64, the operation's duration; null when it never finished (stopped at the end of its phase). */
  seconds: "seconds",
  ok: "ok",
  /** int32, requests made. */
  attempts: "attempts",
  /** utf8, the load worker that ran it; absent in records made before workers. */
  worker: "worker",
} as const;

/** `faults.arrow`: one row per injected fault. */
export const FAULT_COLUMNS = {
  /** float64, seconds since the campaign started. */
  start: "t_start_seconds",
  /** float64, NaN or null while the fault was still open at the end. */
  end: "t_end_seconds",
  /** utf8, as `testbed stack fault` names them: "site-down", "link-cut", "link-degrade", "storage-full", "restart". */
  kind: "kind",
  /** utf8, what it hit: a site ("UKSRC"), a path ("client->AUSSRC", "UKSRC->CHSRC"), a service ("dachs"). */
  target: "target",
} as const;

const Percentiles = Schema.Struct({ p50: Schema.Number, p90: Schema.Number, p95: Schema.Number, p99: Schema.Number });

export const ServiceSummarySchema = Schema.Struct({
  requests: Schema.Number,
  errors: Schema.Number,
  errorRate: Schema.Number,
  throughputPerSecond: Schema.Number,
  /** Null when no request of the service succeeded. */
  latencySeconds: Schema.NullOr(Percentiles),
});

export const ThresholdSchema = Schema.Struct({
  /** A metric path in this summary, e.g. "services.tap.latencySeconds.p95". */
  metric: Schema.String,
  op: Schema.Literal("<", "<=", ">", ">=", "=="),
  limit: Schema.Number,
  value: Schema.NullOr(Schema.Number),
  pass: Schema.Boolean,
});

export const CampaignSummarySchema = Schema.Struct({
  verdict: Schema.Literal("pass", "fail"),
  thresholds: Schema.Array(ThresholdSchema),
  integrity: Schema.Struct({
    files: Schema.Number,
    replicas: Schema.Number,
    verified: Schema.Number,
    lost: Schema.Number,
    corrupted: Schema.Number,
  }),
  services: Schema.Record({ key: Schema.String, value: ServiceSummarySchema }),
  durationSeconds: Schema.Number,
});

export type CampaignSummary = Schema.Schema.Type<typeof CampaignSummarySchema>;
export type ServiceSummary = Schema.Schema.Type<typeof ServiceSummarySchema>;

const decode = Schema.decodeUnknownEither(CampaignSummarySchema);

/** The summary, or a one-line reason it does not follow the contract. */
export function parseCampaignSummary(raw: unknown): { summary: CampaignSummary } | { error: string } {
  const r = decode(raw);
  return Either.isRight(r) ? { summary: r.right } : { error: r.left.message.split("\n").slice(0, 4).join(" ") };
}

/** Quantiles of a sample (durations, lags): its size, median, 95th percentile and maximum. */
export interface Dist {
  count: number;
  p50: number;
  p95: number;
  max: number;
}

/**
 * The contract's percentile: linear interpolation between order statistics of values sorted in
 * ascending order (NaN when there are none). Every percentile in a campaign record, and every one
 * the dashboard computes beside them, is this.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** count, p50, p95 and max of the finite values; null when there are none. */
export function distOf(xs: readonly number[]): Dist | null {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return { count: s.length, p50: quantileSorted(s, 0.5), p95: quantileSorted(s, 0.95), max: s[s.length - 1]! };
}

/** summary.json `replication.rules[]`: one rule a replication campaign added, and what became of it. */
export interface RuleSummary {
  /** `kind:dataset:rses`, how thresholds name it. */
  name: string;
  kind: "replicate" | "operations";
  dataset: string;
  copies: number;
  rses: string;
  id: string | null;
  /** Seconds since the campaign started when Rucio accepted it. */
  addedSeconds: number;
  /** From added until the monitor first saw it OK; null if it never was. */
  okAfterSeconds: number | null;
  state: string;
  locksOk: number;
  locksReplicating: number;
  locksStuck: number;
  /** Per file it made copy: from the rule to the end of the file's last copy it caused. */
  lagSeconds: Dist | null;
  error?: string;
}

/** summary.json `replication.links[LINK]`: the transfers of one link (`SOURCE->DESTINATION`). */
export interface LinkSummary {
  transfers: number;
  finished: number;
  failed: number;
  bytes: number;
  /** Bytes of finished transfers over the span from the first start to the last end. */
  throughputBytesPerSecond: number;
  durationSeconds: Dist | null;
}

/** summary.json `replication`. */
export interface ReplicationSummary {
  rules: RuleSummary[];
  rulesOk: number;
  rulesNotOk: number;
  ruleOkSeconds: Dist | null;
  lagSeconds: Dist | null;
  links: Record<string, LinkSummary>;
}

/** summary.json `siteLoss[SITE]`: one site loss and Rucio's recovery from it. */
export interface SiteLossSummary {
  atSeconds: number;
  declaredSeconds: number | null;
  filesAffected: number;
  filesRecoverable: number;
  filesRecovered: number;
  /** From the loss until the last file with a survivor had its copies again; null if some never did. */
  recoverySeconds: number | null;
  lostFiles: number;
  /** The lost files by name (`scope:name`). */
  lost: string[];
  bytesMovedByLink: Record<string, number>;
  error?: string;
}

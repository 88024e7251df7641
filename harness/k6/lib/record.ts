/**
 * How the k6 side reports to the harness. Every HTTP request a campaign makes becomes one
 * `srcnet_req` sample (one row of requests.arrow); every logical operation that may take several
 * requests (a read that fails over to another replica, an ingestion) becomes one `srcnet_op`
 * sample (a row of operations.arrow). The phase comes from the k6 scenario's `phase` tag, which k6
 * puts on every sample the scenario emits. High-cardinality values (bytes, paths) travel as k6
 * metadata, which k6 writes to its JSON output without indexing them as time series.
 */
import exec from "k6/execution";
import { Counter, Trend } from "k6/metrics";

export type Service = "tap" | "soda" | "webdav" | "rucio" | "ingest";

const requests = new Trend("srcnet_req", true);
const operations = new Trend("srcnet_op", true);
const start = new Counter("srcnet_start");
const begun = new Counter("srcnet_begin");

/** Emitted once from setup(): its timestamp is the campaign's time origin. */
export function markStart(): void {
  start.add(1);
}

/** The parts of a k6 response a row needs (k6's own Response, or a refused request). */
export interface Outcome {
  status: number;
  timings: { blocked: number; connecting: number; tls_handshaking: number; sending: number; waiting: number; receiving: number };
  body?: unknown;
}

/**
 * Latency from sending to the last byte, connection set-up included. A transport error has no
 * meaningful timings, so the wall time around the call (`wallMs`) stands in.
 */
export const latencyMs = (res: Outcome, wallMs: number): number => {
  if (res.status === 0) return wallMs;
  const t = res.timings;
  // k6's `blocked` already spans connecting and the TLS handshake of a new connection.
  return t.blocked + t.sending + t.waiting + t.receiving;
};

// Metadata is per VU and sticks to every later sample: set for one sample, then removed. Plain
// assignments rather than spreads: this runs for every request.
function emit(metric: Trend | Counter, value: number, tags: Record<string, string>, key: string, n: number | string, meta: Record<string, string | number> | undefined): void {
  const md = exec.vu.metrics.metadata;
  md[key] = String(n);
  if (meta !== undefined) for (const k in meta) md[k] = String(meta[k]);
  try {
    metric.add(value, tags);
  } finally {
    delete md[key];
    if (meta !== undefined) for (const k in meta) delete md[k];
  }
}

/**
 * One requests.arrow row. `bytes`: payload moved (request plus response body). `meta`: extra
 * fields for the harness (e.g. `path`, `site`, `pool` of an upload, read by the integrity check).
 */
export function recordRequest(
  service: Service,
  operation: string,
  res: Outcome,
  wallMs: number,
  ok: boolean,
  bytes: number,
  meta?: Record<string, string | number>,
): void {
  emit(requests, latencyMs(res, wallMs), { service, operation, status: String(res.status), ok: ok ? "1" : "0" }, "bytes", bytes, meta);
}

let begins = 0;

/**
 * Marks the start of an operation that may outlast the load (one that polls: an ingestion, an
 * async query), which k6 stops unfinished at the end of its scenario, and with it any chance to
 * record it. Returns the operation's id: passed to {@link recordOperation} (`meta.id`), it pairs
 * the two, and the harness writes an operation begun and never recorded as an unfinished row.
 */
export function beginOperation(service: Service, operation: string): string {
  const id = `${exec.vu.idInTest}.${begins++}`;
  emit(begun, 1, { service, operation }, "id", id, undefined);
  return id;
}

/** One operations.arrow row: a logical operation of `attempts` requests that took `ms` in all. */
export function recordOperation(
  service: Service,
  operation: string,
  ms: number,
  ok: boolean,
  attempts: number,
  meta?: Record<string, string | number>,
): void {
  emit(operations, ms, { service, operation, ok: ok ? "1" : "0" }, "attempts", attempts, meta);
}

/** Response body length in bytes (k6 gives strings for text, ArrayBuffer for binary). */
export function bodyBytes(body: unknown): number {
  if (body === null || body === undefined) return 0;
  if (typeof body === "string") return body.length;
  if (body instanceof ArrayBuffer) return body.byteLength;
  return 0;
}

/**
 * From the ingested samples to summary.json (records/README.md, "Campaign records"): per-service
 * and per-operation figures, fault windows with their error bursts and recovery, the knee of a
 * ramp, the thresholds and the verdict.
 */
import type { Campaign, Load, Service, Threshold } from "./schema.js";
import { quantileSorted } from "../../records/campaign-record.js";
import type { IntegrityResult } from "./files.js";

import type { OperationColumns, RequestColumns } from "./load-output.js";

export interface Samples {
  requests: Map<string, RequestColumns>;
  operations: Map<string, OperationColumns>;
  /** End of the load, seconds since the origin. */
  lastSeconds: number;
}

export interface FaultWindow {
  kind: string;
  target: string;
  atSeconds: number;
  endSeconds: number | null;
}

type Percentiles = { p50: number; p90: number; p95: number; p99: number } | null;

function percentiles(values: Float64Array): Percentiles {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  return { p50: quantileSorted(s, 0.5), p90: quantileSorted(s, 0.9), p95: quantileSorted(s, 0.95), p99: quantileSorted(s, 0.99) };
}

function okValues(values: Float64Array, ok: Uint8Array, n: number): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (ok[i] === 1) out.push(values[i]!);
  return Float64Array.from(out);
}

function firstSent(s: Samples): number {
  let first = Infinity;
  for (const c of s.requests.values()) for (let i = 0; i < c.length; i++) first = Math.min(first, c.t[i]!);
  return Number.isFinite(first) ? first : 0;
}

/** Offered iterations per second of `load` at `t` seconds into its phase. */
export function offeredRate(load: Load, t: number): number | null {
  switch (load.executor) {
    case "constant-arrival-rate":
      return load.rate;
    case "ramping-arrival-rate": {
      let from = load.startRate;
      let at = 0;
      for (const st of load.stages) {
        if (t <= at + st.duration) return from + ((st.target - from) * (t - at)) / st.duration;
        at += st.duration;
        from = st.target;
      }
      return from;
    }
    default:
      return null;
  }
}

/** Iterations a window must expect before its achieved fraction is judged. */
const MIN_EXPECTED = 5;

export interface KneeWindow {
  service: string;
  startSeconds: number;
  offeredPerSecond: number | null;
  achievedPerSecond: number;
  p95Seconds: number | null;
  errorRate: number;
}

export interface Knee {
  found: boolean;
  /** Offered rate of the first window past the knee (null when none was). */
  offeredPerSecond: number | null;
  /** Highest offered rate of a window that still met every criterion. */
  lastGoodPerSecond: number | null;
  atSeconds: number | null;
  reason: string | null;
  /** The criteria this service was judged by (the shared ones, with its own in their place). */
  criteria: { maxP95Seconds: number; maxErrorRate: number; minAchievedFraction: number };
}

/** Windows of the load over time, per service, and the knee: the first window that breaks a criterion. */
export function knees(c: Campaign, s: Samples): { windows: KneeWindow[]; knees: Record<string, Knee> } {
  const windows: KneeWindow[] = [];
  const out: Record<string, Knee> = {};
  if (c.knee === null) return { windows, knees: out };
  const k = c.knee;
  for (const svc of k.services) {
    // Ingestion is judged by whole workflows, the others by requests.
    const cols = svc === "ingest" ? s.operations.get("ingest.ingest") : s.requests.get(svc);
    const t = cols?.t ?? new Float64Array();
    const lat = cols === undefined ? new Float64Array() : "latency" in cols ? cols.latency : cols.seconds;
    const ok = cols?.ok ?? new Uint8Array();
    const n = cols?.length ?? 0;
    const own = k.perService[svc];
    const criteria = {
      maxP95Seconds: own?.maxP95Seconds ?? k.maxP95Seconds,
      maxErrorRate: own?.maxErrorRate ?? k.maxErrorRate,
      minAchievedFraction: own?.minAchievedFraction ?? k.minAchievedFraction,
    };
    let knee: Knee = { found: false, offeredPerSecond: null, lastGoodPerSecond: null, atSeconds: null, reason: null, criteria };
    // Window starts by repeated addition, then every sample put in its window in one pass.
    const starts: number[] = [];
    for (let w0 = 0; w0 + k.window <= c.durationSeconds + 1e-9; w0 += k.window) starts.push(w0);
    const count = new Float64Array(starts.length);
    const good = new Float64Array(starts.length);
    const okLatency: number[][] = starts.map(() => []);
    for (let i = 0; i < n; i++) {
      const ti = t[i]!;
      if (starts.length === 0) break;
      // floor(t / window), corrected for the rounding of the repeated additions.
      let w = Math.min(starts.length - 1, Math.max(0, Math.floor(ti / k.window)));
      while (w > 0 && ti < starts[w]!) w--;
      while (w < starts.length - 1 && ti >= starts[w]! + k.window) w++;
      if (ti < starts[w]! || ti >= starts[w]! + k.window) continue;
      count[w]!++;
      if (ok[i] === 1) {
        good[w]!++;
        okLatency[w]!.push(lat[i]!);
      }
    }
    for (let w = 0; w < starts.length; w++) {
      const w0 = starts[w]!;
      const mid = w0 + k.window / 2;
      const phase = c.phases.find((p) => mid >= p.startSeconds && mid < p.startSeconds + p.durationSeconds);
      const load = phase?.load[svc as Service];
      const offered = load === undefined || phase === undefined ? null : offeredRate(load, mid - phase.startSeconds);
      const p = percentiles(Float64Array.from(okLatency[w]!));
      const cw = count[w]!;
      const gw = good[w]!;
      const win: KneeWindow = { service: svc, startSeconds: w0, offeredPerSecond: offered, achievedPerSecond: gw / k.window, p95Seconds: p?.p95 ?? null, errorRate: cw === 0 ? 0 : (cw - gw) / cw };
      windows.push(win);
      if (knee.found || offered === null || offered === 0) continue;
      const reasons: string[] = [];
      if (win.p95Seconds !== null && win.p95Seconds > criteria.maxP95Seconds) reasons.push(`p95 ${win.p95Seconds.toFixed(3)} s > ${criteria.maxP95Seconds} s`);
      if (win.errorRate > criteria.maxErrorRate) reasons.push(`error rate ${win.errorRate.toFixed(3)} > ${criteria.maxErrorRate}`);
      // Falling behind is judged only where a window expects enough iterations for a fraction to
      // mean something (at 0.2/s, a 5 s window holds 0, 1 or 2 of them by chance).
      if (offered * k.window >= MIN_EXPECTED && win.achievedPerSecond < criteria.minAchievedFraction * offered) reasons.push(`${win.achievedPerSecond.toFixed(2)}/s done of ${offered.toFixed(2)}/s offered`);
      if (reasons.length > 0) knee = { ...knee, found: true, offeredPerSecond: offered, atSeconds: w0, reason: reasons.join("; ") };
      else knee.lastGoodPerSecond = Math.max(knee.lastGoodPerSecond ?? 0, offered);
    }
    out[svc] = knee;
  }
  return { windows, knees: out };
}

/** Errors while a fault was on, and how long after it was lifted errors went on. */
function faultEffects(s: Samples, f: FaultWindow) {
  const end = f.endSeconds ?? s.lastSeconds;
  let requests = 0;
  let errors = 0;
  let lastErrorAfter = -Infinity;
  let firstAfter = Infinity;
  for (const c of s.requests.values()) {
    for (let i = 0; i < c.length; i++) {
      const t = c.t[i]!;
      if (t >= f.atSeconds && t < end) {
        requests++;
        if (c.ok[i] === 0) errors++;
      } else if (t >= end && t < end + 60) {
        firstAfter = Math.min(firstAfter, t);
        if (c.ok[i] === 0) lastErrorAfter = Math.max(lastErrorAfter, t + c.latency[i]!);
      }
    }
  }
  return {
    requestsDuring: requests,
    errorsDuring: errors,
    errorRateDuring: requests === 0 ? 0 : errors / requests,
    // Lifted at `end`: errors that still came after it are the recovery; none means at once.
    recoverySeconds: f.endSeconds === null ? null : Number.isFinite(lastErrorAfter) ? lastErrorAfter - end : Number.isFinite(firstAfter) ? 0 : null,
  };
}

/**
 * The value at a dotted path of the summary (`services.tap.latencySeconds.p95`), or null. List
 * elements are named as the dashboard names them: by `metric`, `name` or `kind:target`
 * (`faults.site-down:CHSRC.errorsDuring`), else by index.
 */
export function metricAt(summary: unknown, path: string): number | null {
  let v: unknown = summary;
  for (const p of path.split(".")) {
    if (Array.isArray(v)) {
      v = v.find((e: Record<string, unknown>) => e?.metric === p || e?.name === p || `${String(e?.kind)}:${String(e?.target)}` === p) ?? v[Number(p)];
    } else if (v !== null && typeof v === "object") {
      v = (v as Record<string, unknown>)[p];
    } else return null;
  }
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

const compare = (v: number, op: Threshold["op"], limit: number) =>
  op === "<" ? v < limit : op === "<=" ? v <= limit : op === ">" ? v > limit : op === ">=" ? v >= limit : v === limit;

/** `extra`: sections measured beside the load (replication, site losses), in place before the thresholds are judged. */
export function summarise(c: Campaign, s: Samples, integrity: IntegrityResult, faults: FaultWindow[], extra: Record<string, unknown> = {}) {
  const first = firstSent(s);
  const durationSeconds = Math.max(0, s.lastSeconds - first);
  const services: Record<string, unknown> = {};
  for (const [svc, col] of s.requests) {
    let errors = 0;
    for (let i = 0; i < col.length; i++) errors += 1 - col.ok[i]!;
    services[svc] = {
      requests: col.length,
      errors,
      errorRate: col.length === 0 ? 0 : errors / col.length,
      throughputPerSecond: durationSeconds === 0 ? 0 : (col.length - errors) / durationSeconds,
      latencySeconds: percentiles(okValues(col.latency, col.ok, col.length)),
    };
  }
  const operations: Record<string, Record<string, unknown>> = {};
  for (const [key, col] of s.operations) {
    const [svc, op] = [key.slice(0, key.indexOf(".")), key.slice(key.indexOf(".") + 1)];
    let errors = 0;
    let attempts = 0;
    let unfinished = 0;
    for (let i = 0; i < col.length; i++) {
      errors += 1 - col.ok[i]!;
      attempts += col.attempts[i]!;
      // no duration: begun, and stopped at the end of its phase before it finished (load-output.ts)
      if (col.seconds[i] !== col.seconds[i]) unfinished++;
    }
    (operations[svc] ??= {})[op] = {
      count: col.length,
      unfinished,
      errors,
      errorRate: col.length === 0 ? 0 : errors / col.length,
      meanAttempts: col.length === 0 ? 0 : attempts / col.length,
      seconds: percentiles(okValues(col.seconds, col.ok, col.length)),
    };
  }
  const { windows, knees: knee } = knees(c, s);
  const summary: Record<string, unknown> = {
    campaign: c.name,
    verdict: "pass",
    thresholds: [] as unknown[],
    integrity: { files: integrity.files, replicas: integrity.replicas, verified: integrity.verified, lost: integrity.lost, corrupted: integrity.corrupted },
    services,
    operations,
    faults: faults.map((f) => ({ ...f, ...faultEffects(s, f) })),
    knee,
    durationSeconds,
    ...extra,
  };
  const thresholds = c.thresholds.map((th) => {
    const value = metricAt(summary, th.metric);
    return { metric: th.metric, op: th.op, limit: th.limit, value, pass: value !== null && compare(value, th.op, th.limit) };
  });
  summary.thresholds = thresholds;
  summary.verdict = thresholds.every((t) => t.pass) && integrity.lost === 0 && integrity.corrupted === 0 ? "pass" : "fail";
  return { summary, windows };
}

import { quantileSorted } from "simple-statistics";

/** Relative errors |predicted - measured| / measured of per-transfer durations: median and p95. */
export interface ErrorSummary {
  transfers: number;
  median: number;
  p95: number;
}

export function relativeErrors(predicted: Float64Array, measured: Float64Array): ErrorSummary {
  const e = new Float64Array(measured.length);
  for (let i = 0; i < measured.length; i++) {
    const x = Math.abs(predicted[i]! - measured[i]!) / measured[i]!;
    e[i] = Number.isFinite(x) ? x : Infinity;
  }
  e.sort();
  if (e.length === 0) return { transfers: 0, median: NaN, p95: NaN };
  return { transfers: e.length, median: quantileSorted(e as unknown as number[], 0.5), p95: quantileSorted(e as unknown as number[], 0.95) };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : "-");

/** The before/after table, one line per campaign run. */
export function errorTable(lines: { run: string; before: ErrorSummary; after: ErrorSummary }[]): string {
  const head = ["run", "transfers", "median before", "p95 before", "median after", "p95 after"];
  const rows = lines.map((l) => [l.run, String(l.after.transfers), pct(l.before.median), pct(l.before.p95), pct(l.after.median), pct(l.after.p95)]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ")).join("\n");
}

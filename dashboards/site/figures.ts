/**
 * Chart specifications (plotly traces and layouts as plain data) and the helpers shared by the
 * pages: point budgets, fault bands on time axes.
 */

export type Trace = Record<string, unknown>;

export interface Figure {
  id: string;
  title: string;
  note?: string;
  /** Spans the full width instead of half. */
  wide?: boolean;
  data: Trace[];
  layout: Record<string, unknown>;
}

/**
 * Points per line trace on screen. A year of hourly samples is 8,760 points per series and a
 * page can hold dozens of series: min/max decimation keeps every peak and trough (faults, fills)
 * while the browser draws at most this many points per trace.
 */
export const POINT_BUDGET = 800;

/**
 * Min/max decimation: the series is cut into budget/2 equal runs of samples; each run keeps its
 * lowest and highest value, in time order. Series within the budget are returned whole.
 * Non-finite values are dropped (a run of them becomes a gap).
 */
export function decimate(x: ArrayLike<number>, y: ArrayLike<number>, budget = POINT_BUDGET): { x: number[]; y: (number | null)[] } {
  const n = Math.min(x.length, y.length);
  const ox: number[] = [];
  const oy: (number | null)[] = [];
  if (n <= budget) {
    for (let i = 0; i < n; i++) {
      ox.push(x[i]!);
      oy.push(Number.isFinite(y[i]!) ? y[i]! : null);
    }
    return { x: ox, y: oy };
  }
  const buckets = Math.max(1, Math.floor(budget / 2));
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor((b * n) / buckets);
    const hi = Math.floor(((b + 1) * n) / buckets);
    let iMin = -1;
    let iMax = -1;
    for (let i = lo; i < hi; i++) {
      const v = y[i]!;
      if (!Number.isFinite(v)) continue;
      if (iMin < 0 || v < y[iMin]!) iMin = i;
      if (iMax < 0 || v > y[iMax]!) iMax = i;
    }
    if (iMin < 0) {
      ox.push(x[lo]!);
      oy.push(null);
      continue;
    }
    for (const i of iMin === iMax ? [iMin] : iMin < iMax ? [iMin, iMax] : [iMax, iMin]) {
      ox.push(x[i]!);
      oy.push(y[i]!);
    }
  }
  return { x: ox, y: oy };
}

/** Bucketed maximum over time (for heatmaps): `columns` equal runs of samples, each its maximum. */
export function bucketMax(values: ArrayLike<number>, columns: number): (number | null)[] {
  const n = values.length;
  if (n <= columns) return Array.from({ length: n }, (_, i) => (Number.isFinite(values[i]!) ? values[i]! : null));
  const out: (number | null)[] = [];
  for (let b = 0; b < columns; b++) {
    const lo = Math.floor((b * n) / columns);
    const hi = Math.floor(((b + 1) * n) / columns);
    let m = -Infinity;
    for (let i = lo; i < hi; i++) if (values[i]! > m) m = values[i]!;
    out.push(Number.isFinite(m) ? m : null);
  }
  return out;
}

export interface FaultSpan {
  kind: string;
  target: string;
  /** In the chart's x unit. */
  start: number;
  /** End of the fault (null: still open at the end of the run). */
  end: number | null;
  /** End of recovery, when the record knows it. */
  recovered?: number | null;
}

/**
 * Faults as shaded bands over the whole plot height (red while the fault lasts, orange until
 * recovery), labelled at the top. `xEnd` closes bands still open at the end.
 */
export function faultBands(faults: FaultSpan[], xEnd: number): { shapes: Trace[]; annotations: Trace[] } {
  const shapes: Trace[] = [];
  const annotations: Trace[] = [];
  const band = (x0: number, x1: number, color: string) => ({
    type: "rect",
    xref: "x",
    yref: "paper",
    x0,
    x1: Math.max(x1, x0 + (xEnd > 0 ? xEnd * 0.002 : 1e-9)),
    y0: 0,
    y1: 1,
    fillcolor: color,
    line: { width: 0 },
    layer: "below",
  });
  for (const f of faults) {
    const end = f.end ?? xEnd;
    shapes.push(band(f.start, end, "rgba(214,39,40,0.18)"));
    if (f.recovered !== undefined && f.recovered !== null && f.recovered > end) shapes.push(band(end, f.recovered, "rgba(255,127,14,0.14)"));
    // Labels only while they stay readable.
    if (faults.length <= 12) {
      annotations.push({ x: f.start, y: 1, xref: "x", yref: "paper", yanchor: "bottom", xanchor: "left", showarrow: false, text: `${f.kind} ${f.target}`, font: { size: 10, color: "#b22" } });
    }
  }
  return { shapes, annotations };
}

/** The common layout of a time chart. */
export function timeLayout(xTitle: string, yTitle: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    xaxis: { title: { text: xTitle }, zeroline: false },
    yaxis: { title: { text: yTitle }, rangemode: "tozero" },
    ...extra,
  };
}

/** One stable colour per name across every chart of a page (plotly's default palette). */
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
export function colourOf(names: string[]): (name: string) => string {
  const sorted = [...new Set(names)].sort();
  return (name) => {
    const i = sorted.indexOf(name);
    const base = PALETTE[i % PALETTE.length]!;
    // Beyond ten names, vary the shade so neighbours stay apart.
    return i < PALETTE.length ? base : shade(base, Math.floor(i / PALETTE.length));
  };
}

function shade(hex: string, round: number): string {
  const f = round % 2 === 1 ? 0.6 : 1.3;
  const c = [1, 3, 5].map((i) => Math.max(0, Math.min(255, Math.round(parseInt(hex.slice(i, i + 2), 16) * f))));
  return `rgb(${c.join(",")})`;
}

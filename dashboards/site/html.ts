/**
 * Pages of the static site: plain HTML with the chart specifications embedded as JSON, drawn by
 * `dashboard.js` with the bundled plotly.js. No server: every link is relative, every page opens
 * from the file system.
 */
import type { Figure } from "./figures.js";

export const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A table cell: plain text (escaped) or `{ html }` (trusted markup built here). */
export type Cell = string | number | null | undefined | { html: string; sort?: number | string; cls?: string };

/** Numbers shortened to 6 significant digits in the embedded JSON: pages stay small, charts look the same. */
function compactJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isInteger(v) && Number.isFinite(v) ? Number(v.toPrecision(6)) : v))
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export class Page {
  private readonly parts: string[] = [];

  /** `root` is the path from the page to the site root ("" or "../"). */
  constructor(
    readonly title: string,
    readonly root: string,
    readonly crumbs: { text: string; href?: string }[] = [],
    readonly figures: Figure[] = [],
  ) {}

  h2(text: string, id?: string): this {
    this.parts.push(`<h2${id ? ` id="${esc(id)}"` : ""}>${esc(text)}</h2>`);
    return this;
  }

  h3(text: string): this {
    this.parts.push(`<h3>${esc(text)}</h3>`);
    return this;
  }

  /** A paragraph of trusted markup. */
  p(html: string, cls?: string): this {
    this.parts.push(`<p${cls ? ` class="${cls}"` : ""}>${html}</p>`);
    return this;
  }

  raw(html: string): this {
    this.parts.push(html);
    return this;
  }

  table(headers: string[], rows: Cell[][], opts: { cls?: string; caption?: string } = {}): this {
    this.parts.push(renderTable(headers, rows, opts));
    return this;
  }

  /** Adds a chart; charts without any data point are not drawn (a note says so instead). */
  chart(fig: Omit<Figure, "id">): this {
    const points = fig.data.reduce((n, t) => n + tracePoints(t), 0);
    if (points === 0) {
      this.parts.push(`<p class="empty">${esc(fig.title)}: no data in this run.</p>`);
      return this;
    }
    const id = `fig-${this.figures.length}`;
    this.figures.push({ ...fig, id });
    this.parts.push(
      `<figure class="chart${fig.wide ? " wide" : ""}"><figcaption>${esc(fig.title)}${fig.note ? `<span class="note">${esc(fig.note)}</span>` : ""}</figcaption><div class="plot" id="${id}"></div></figure>`,
    );
    return this;
  }

  /** Side-by-side columns: each callback writes into its own section (figures numbered with this page's). */
  columns(...fills: ((p: Page) => void)[]): this {
    const cols = fills.map((fill) => {
      const sub = new Page(this.title, this.root, [], this.figures);
      fill(sub);
      return sub.body();
    });
    this.parts.push(`<div class="columns">${cols.map((c) => `<section class="column">${c}</section>`).join("")}</div>`);
    return this;
  }

  body(): string {
    return this.parts.join("\n");
  }

  render(): string {
    const nav = [{ text: "SRCNet testbed", href: `${this.root}index.html` }, ...this.crumbs]
      .map((c) => (c.href ? `<a href="${esc(c.href)}">${esc(c.text)}</a>` : `<span>${esc(c.text)}</span>`))
      .join(" › ");
    const scripts =
      this.figures.length > 0
        ? `<script id="figures" type="application/json">${compactJson(this.figures)}</script>\n<script src="${this.root}plotly.js"></script>\n<script src="${this.root}dashboard.js"></script>`
        : `<script>document.body.dataset.rendered = "true";</script>`;
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${esc(this.title)}</title>
<link rel="stylesheet" href="${this.root}style.css">
</head>
<body>
<header><nav>${nav}</nav><h1>${esc(this.title)}</h1></header>
<main>
${this.body()}
</main>
${scripts}
</body>
</html>
`;
  }
}

function renderTable(headers: string[], rows: Cell[][], opts: { cls?: string; caption?: string }): string {
  const cell = (c: Cell, tag: "td" | "th") => {
    if (c !== null && typeof c === "object") return `<${tag}${c.cls ? ` class="${c.cls}"` : ""}>${c.html}</${tag}>`;
    const num = typeof c === "number";
    return `<${tag}${num ? ' class="num"' : ""}>${c === null || c === undefined ? "" : esc(num ? fmtNumber(c) : c)}</${tag}>`;
  };
  // A column of numbers (right-aligned cells) has its header right-aligned over them: a left
  // header above right-aligned numbers in a wide table reads as the value of the next column.
  const numeric = headers.map((_, j) => rows.length > 0 && rows.every((r) => typeof r[j] === "number" || r[j] === null || r[j] === undefined) && rows.some((r) => typeof r[j] === "number"));
  return `<table class="${opts.cls ?? "data"}">${opts.caption ? `<caption>${esc(opts.caption)}</caption>` : ""}<thead><tr>${headers
    .map((h, j) => `<th${numeric[j] ? ' class="num"' : ""}>${esc(h)}</th>`)
    .join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => cell(c, "td")).join("")}</tr>`).join("")}</tbody></table>`;
}

/** Points in a plotly trace (x/y arrays, or z of a heatmap, or values of a bar/pie). */
export function tracePoints(t: Record<string, unknown>): number {
  const len = (v: unknown) => (Array.isArray(v) ? v.length : 0);
  if (Array.isArray(t.z)) return (t.z as unknown[]).reduce<number>((n, row) => n + len(row), 0);
  return Math.max(len(t.y), len(t.x), len(t.values));
}

// ---- human units for displays (SI in files, human units on screen) ----

export function fmtNumber(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "—" : x > 0 ? "∞" : "-∞";
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return x.toLocaleString("en-GB");
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e9)) return x.toExponential(3);
  return Number(x.toPrecision(4)).toLocaleString("en-GB", { maximumFractionDigits: 6 });
}

export function fmtBytes(b: number): string {
  if (!Number.isFinite(b)) return "—";
  const units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
  let i = 0;
  let v = Math.abs(b);
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${b < 0 ? "-" : ""}${v.toPrecision(3)} ${units[i]}`;
}

export function fmtSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return "—";
  const a = Math.abs(s);
  if (a === 0) return "0 s";
  if (a < 1) return `${(s * 1000).toPrecision(3)} ms`;
  if (a < 120) return `${s.toPrecision(3)} s`;
  if (a < 7200) return `${(s / 60).toPrecision(3)} min`;
  if (a < 3 * 86_400) return `${(s / 3600).toPrecision(3)} h`;
  return `${(s / 86_400).toPrecision(3)} d`;
}

export const fmtPercent = (f: number): string => (Number.isFinite(f) ? `${(f * 100).toPrecision(3)} %` : "—");

export const fmtChange = (f: number): string => (Number.isNaN(f) ? "—" : !Number.isFinite(f) ? (f > 0 ? "+∞" : "-∞") : `${f >= 0 ? "+" : ""}${(f * 100).toFixed(1)} %`);

/** A metric's value shown in the unit its name says. */
export function fmtMetric(name: string, v: number): string {
  if (/Bytes$|bytes$/.test(name) || /Bytes\./.test(name)) return fmtBytes(v);
  if (/Seconds(\.|$)|seconds$/.test(name)) return fmtSeconds(v);
  if (/Fill$|Rate$|utilisation/i.test(name) || /^links\./.test(name)) return fmtPercent(v);
  return fmtNumber(v);
}

export const badge = (text: string, kind: "ok" | "bad" | "warn" | "info"): { html: string } => ({ html: `<span class="badge ${kind}">${esc(text)}</span>` });

export const statusBadge = (status: string) => badge(status, status === "complete" ? "ok" : status === "failed" ? "bad" : "warn");

export const link = (href: string, text: string) => ({ html: `<a href="${esc(href)}">${esc(text)}</a>` });

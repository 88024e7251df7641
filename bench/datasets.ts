/**
 * Dataset generator throughput: BENCH_ROWS (default 10 million) catalogue rows to Arrow IPC
 * (catalogue + manifest, no payloads, no text formats), then BENCH_TEXT_ROWS (default 1 million)
 * rows with VOTable and CSV as well, measured separately. Prints rows/s and peak RSS.
 * The scenario is sv-2027 with product sizes divided by 100 so that a year holds > 10 M products.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateDataset } from "../datasets/generate.js";
import { loadScenario } from "../scenarios/load.js";
import type { Scenario } from "../scenarios/types.js";
import { mib, peakRss, printTable } from "./report.js";

const rows = Number(process.env.BENCH_ROWS ?? 10_000_000);
const textRows = Number(process.env.BENCH_TEXT_ROWS ?? 1_000_000);

const base = loadScenario("sv-2027");
const sc: Scenario = {
  ...base,
  telescopes: base.telescopes.map((t) => ({
    ...t,
    productMix: t.productMix.map((m) => ({
      ...m,
      size: { ...m.size, medianBytes: m.size.medianBytes / 100, minBytes: m.size.minBytes / 100, maxBytes: m.size.maxBytes / 100 },
    })),
  })),
};

const dir = mkdtempSync(join(tmpdir(), "bench-datasets-"));
try {
  const t0 = performance.now();
  const a = generateDataset({ scenario: sc, out: join(dir, "arrow"), rows, payloads: false, votable: false, csv: false, command: ["bench"] });
  const s1 = (performance.now() - t0) / 1000;
  const rss1 = peakRss();
  const t1 = performance.now();
  const b = generateDataset({ scenario: sc, out: join(dir, "text"), rows: textRows, payloads: false, command: ["bench"] });
  const s2 = (performance.now() - t1) / 1000;
  printTable("dataset generator (sv-2027, sizes / 100, no payloads)", [
    ["Arrow only: rows", String(a.rows)],
    ["Arrow only: wall", `${s1.toFixed(2)} s`],
    ["Arrow only: rows/s", `${(a.rows / s1 / 1e6).toFixed(3)} M`],
    ["Arrow only: peak RSS", mib(rss1)],
    ["Arrow + VOTable + CSV: rows", String(b.rows)],
    ["Arrow + VOTable + CSV: rows/s", `${(b.rows / s2 / 1e6).toFixed(3)} M`],
    ["peak RSS overall", mib(peakRss())],
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

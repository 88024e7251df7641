/**
 * Dataset generator throughput. Target: 10 million catalogue rows to Arrow IPC at >= 1 M rows/s
 * with peak RSS < 1 GB.
 *
 * - BENCH_RUNS (default 3) runs of BENCH_ROWS (default 10 million) rows of catalogue.arrow alone
 *   (no payloads, manifest or text formats): rows/s per run and their median, peak RSS.
 * - One run of the same rows with the manifest as well (what `datasets generate --no-payloads`
 *   writes besides the text formats).
 * - BENCH_TEXT_ROWS (default 200,000) rows with VOTable and CSV as well.
 * - Reference measured in the same run: the output directory's speed for plain 1 MiB writes of as
 *   many bytes as one catalogue, i.e. how fast the file alone could be written.
 *
 * Peer: pyarrow would be the natural one (the same table through pyarrow.ipc); it is looked for
 * with /usr/bin/python3, and when it is absent (as on the project's machines) the ratio printed
 * is against the 1 M rows/s target, and says so. The scenario is sv-2027 with product sizes
 * divided by 100 so that a year holds > 10 M products. Output goes to BENCH_DIR (default the
 * system's temporary directory). The machine's load average is printed: timings are only as
 * quiet as the machine.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { generateDataset, type DatasetOptions } from "../datasets/generate.js";
import { loadScenario } from "../scenarios/load.js";
import type { Scenario } from "../scenarios/types.js";
import { median, mib, peakRss, printTable } from "./report.js";

const rows = Number(process.env.BENCH_ROWS ?? 10_000_000);
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const textRows = Number(process.env.BENCH_TEXT_ROWS ?? 200_000);
const TARGET_ROWS_PER_SECOND = 1e6;
const TARGET_RSS_BYTES = 1e9;

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

const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");
const pyarrow = (() => {
  try {
    return execFileSync("/usr/bin/python3", ["-c", "import pyarrow; print(pyarrow.__version__)"], { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  } catch {
    return null;
  }
})();

/** Seconds and bytes of one generation into a fresh directory (removed afterwards). */
function timed(dir: string, name: string, opts: Omit<DatasetOptions, "scenario" | "out">): { seconds: number; rows: number; bytes: number } {
  const out = join(dir, name);
  const t0 = performance.now();
  const s = generateDataset({ scenario: sc, out, payloads: false, command: ["bench"], ...opts });
  const seconds = (performance.now() - t0) / 1000;
  const bytes = statSync(join(out, "catalogue.arrow")).size;
  rmSync(out, { recursive: true, force: true });
  return { seconds, rows: s.rows, bytes };
}

/** Bytes per second the directory takes for 1 MiB writeSync calls of `bytes` bytes. */
function writeSpeed(dir: string, bytes: number): number {
  const path = join(dir, "write-speed");
  const chunk = new Uint8Array(1 << 20).fill(7);
  const fd = openSync(path, "wx");
  const t0 = performance.now();
  for (let left = bytes; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  closeSync(fd);
  const seconds = (performance.now() - t0) / 1000;
  unlinkSync(path);
  return bytes / seconds;
}

const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "bench-datasets-"));
const loadBefore = load();
try {
  process.stderr.write(`datasets: ${runs} x ${rows} rows to ${dir} (load average ${loadBefore})\n`);
  const arrow = Array.from({ length: runs }, (_, k) => {
    const r = timed(dir, `arrow-${k}`, { rows, manifest: false, votable: false, csv: false });
    process.stderr.write(`  run ${k + 1}: ${(r.rows / r.seconds / 1e6).toFixed(3)} M rows/s\n`);
    return r;
  });
  const arrowRss = peakRss();
  const perSecond = arrow.map((r) => r.rows / r.seconds);
  const best = median(perSecond);
  const withManifest = timed(dir, "manifest", { rows, votable: false, csv: false });
  const text = timed(dir, "text", { rows: textRows });
  const disk = writeSpeed(dir, arrow[0]!.bytes);
  const bytesPerRow = arrow[0]!.bytes / arrow[0]!.rows;
  printTable(`dataset generator: ${rows} rows of sv-2027 (sizes / 100), no payloads, in ${dir}`, [
    ["catalogue.arrow: rows/s per run", perSecond.map((x) => `${(x / 1e6).toFixed(3)} M`).join(", ") + (runs > 1 ? " (run 1 starts the fill thread)" : "")],
    [`catalogue.arrow: rows/s, median of ${runs}`, `${(best / 1e6).toFixed(3)} M (target >= ${TARGET_ROWS_PER_SECOND / 1e6} M)`],
    ["catalogue.arrow: peak RSS", `${mib(arrowRss)} (target < ${TARGET_RSS_BYTES / 1e9} GB)`],
    ["catalogue.arrow: size", `${(arrow[0]!.bytes / 1e9).toFixed(2)} GB, ${bytesPerRow.toFixed(0)} bytes a row`],
    [
      "ratio",
      pyarrow === null
        ? `${(best / TARGET_ROWS_PER_SECOND).toFixed(2)}x the 1 M rows/s target (no peer: pyarrow is not installed for /usr/bin/python3)`
        : `${(best / TARGET_ROWS_PER_SECOND).toFixed(2)}x the 1 M rows/s target (pyarrow ${pyarrow} is installed but no pyarrow peer is implemented yet)`,
    ],
    ["reference: plain writes to this directory", `${(disk / 1e9).toFixed(2)} GB/s = ${(disk / bytesPerRow / 1e6).toFixed(2)} M catalogue rows/s for the file's bytes alone`],
    ["catalogue + manifest: rows/s", `${(withManifest.rows / withManifest.seconds / 1e6).toFixed(3)} M (one run)`],
    [`Arrow + VOTable + CSV (${textRows} rows): rows/s`, `${(text.rows / text.seconds / 1e3).toFixed(0)} k (one run)`],
    ["peak RSS overall", mib(peakRss())],
    ["load average (1, 5, 15 min) before / after", `${loadBefore} / ${load()} on ${execFileSync("nproc").toString().trim()} CPUs`],
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

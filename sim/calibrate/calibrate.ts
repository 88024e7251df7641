/**
 * `testbed calibrate`: fits bandwidth factor, latency factor and setup time to a campaign run's
 * measured transfers, predicts a held-out run with them, and writes a calibration record and a
 * scenario overlay (`sim run --overlay`).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DictColumn, f64, Utf8Column } from "../../records/columns.js";
import { RunRecord, writeAtomically } from "../../records/run-record.js";
import { TableFile } from "../../records/table-file.js";
import { UsageError } from "../../errors/index.js";
import { fit } from "./fit.js";
import { loadRun, type LoadedRun } from "./load.js";
import { relativeErrors, type ErrorSummary } from "./report.js";
import { DEFAULT_PARAMS, prepare, replay, type Prepared, type ReplayParams } from "./replay.js";

export interface CalibrationSummary {
  fitRun: string;
  holdoutRun: string | null;
  params: ReplayParams;
  /** The parameters before the fit: the simulator's defaults. */
  before: ReplayParams;
  loss: number;
  evaluations: number;
  errors: { run: "fit" | "holdout"; transfers: number; skipped: { unfinished: number; unknownLink: number }; before: ErrorSummary; after: ErrorSummary }[];
  linksFrom: string[];
  overlay: string;
}

/** The overlay: `--set`-style paths and values, as a YAML mapping `sim run --overlay` applies. */
export function overlayText(p: ReplayParams, source: string): string {
  return [
    `# Fitted by testbed calibrate on ${source}: apply with testbed sim run <scenario> --overlay <this file>`,
    `network.bandwidthFactor: ${p.bandwidthFactor.toPrecision(6)}`,
    `network.latencyFactor: ${p.latencyFactor.toPrecision(6)}`,
    `policies.transfers.setupTime: ${p.setupSeconds.toPrecision(6)}`,
    "",
  ].join("\n");
}

interface Side {
  name: "fit" | "holdout";
  run: LoadedRun;
  prepared: Prepared;
  before: Float64Array;
  after: Float64Array;
}

export function calibrate(o: { runDir: string; holdoutDir?: string; recordDir: string; overlayPath?: string; onProgress?: (line: string) => void }): CalibrationSummary {
  const fitRun = loadRun(o.runDir);
  const holdout = o.holdoutDir !== undefined ? loadRun(o.holdoutDir) : null;
  const prepared = prepare(fitRun.input);
  if (prepared.rows.length === 0) throw new UsageError(`${join(o.runDir, "transfers.arrow")}: expected finished transfers on the links of ${fitRun.linksFrom}, found none`);
  const record = RunRecord.create(o.recordDir, {
    kind: "calibration",
    scenarioName: "calibration",
    scenario: { fit: o.runDir, holdout: o.holdoutDir ?? null },
    seed: 0,
  });
  try {
    o.onProgress?.(`fitting ${prepared.rows.length} transfers of ${o.runDir}`);
    const r = fit(prepared, DEFAULT_PARAMS, fitRun.settings);
    const sides: Side[] = [{ name: "fit", run: fitRun, prepared, before: replay(prepared, DEFAULT_PARAMS, fitRun.settings), after: replay(prepared, r.params, fitRun.settings) }];
    if (holdout !== null) {
      const hp = prepare(holdout.input);
      sides.push({ name: "holdout", run: holdout, prepared: hp, before: replay(hp, DEFAULT_PARAMS, holdout.settings), after: replay(hp, r.params, holdout.settings) });
    }
    const overlay = o.overlayPath ?? join(o.recordDir, "overlay.yaml");
    const text = overlayText(r.params, o.runDir);
    if (o.overlayPath !== undefined) writeFileSync(overlay, text);
    else writeAtomically(overlay, text);
    writeCalibrationTable(join(o.recordDir, "calibration.arrow"), sides);
    record.addTable("calibration");
    const summary: CalibrationSummary = {
      fitRun: o.runDir,
      holdoutRun: o.holdoutDir ?? null,
      params: r.params,
      before: DEFAULT_PARAMS,
      loss: r.loss,
      evaluations: r.evaluations,
      errors: sides.map((s) => ({
        run: s.name,
        transfers: s.prepared.rows.length,
        skipped: s.prepared.skipped,
        before: relativeErrors(s.before, s.prepared.measured),
        after: relativeErrors(s.after, s.prepared.measured),
      })),
      linksFrom: sides.map((s) => s.run.linksFrom),
      overlay,
    };
    record.writeSummary(summary);
    record.finish("complete");
    return summary;
  } catch (e) {
    record.finish("failed", e instanceof Error ? e.message : String(e));
    throw e;
  }
}

/** `calibration.arrow`: per transfer of each side, measured and predicted durations before and after the fit. */
function writeCalibrationTable(path: string, sides: Side[]): void {
  const B = 65_536;
  const run = new DictColumn(B, 0, ["fit", "holdout"]);
  const id = new Utf8Column(B);
  const link = new DictColumn(B, 1, []);
  const bytes = f64(B);
  const start = f64(B);
  const measured = f64(B);
  const before = f64(B);
  const after = f64(B);
  const file = new TableFile(
    path,
    [
      ["run", run],
      ["transfer_id", id],
      ["link", link],
      ["bytes", bytes],
      ["t_start_seconds", start],
      ["measured_seconds", measured],
      ["predicted_before_seconds", before],
      ["predicted_after_seconds", after],
    ],
    B,
  );
  try {
    for (const s of sides) {
      const p = s.prepared;
      for (let k = 0; k < p.rows.length; k++) {
        const i = file.row;
        run.set(i, s.name);
        id.set(i, p.rows[k]!.id);
        link.set(i, p.rows[k]!.link);
        bytes.values[i] = p.bytes[k]!;
        start.values[i] = p.start[k]!;
        measured.values[i] = p.measured[k]!;
        before.values[i] = s.before[k]!;
        after.values[i] = s.after[k]!;
        file.next();
      }
    }
    file.finish();
  } catch (e) {
    file.abort();
    throw e;
  }
}

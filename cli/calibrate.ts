import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../errors/index.js";

const stamp = () => new Date().toISOString().replace(/[:.]/g, "-");

export function registerCalibrate(program: Command): void {
  program
    .command("calibrate")
    .description("fit the simulator's bandwidth factor, latency factor and setup time to a run's measured transfers; predict a held-out run; write a scenario overlay")
    .argument("<run-dir>", "run record with transfers.arrow and its links (links.json, or stack.paths in run.json)")
    .option("--holdout <run-dir>", "a second run record, predicted with the fitted parameters")
    .option("--out <overlay.yaml>", "where to write the overlay (default: overlay.yaml in the calibration record)")
    .option("--record <dir>", "calibration record to create (default: results/calibration-<time>)")
    .action(async (runDir: string, opts: { holdout?: string; out?: string; record?: string }) => {
      const record = opts.record ?? join("results", `calibration-${stamp()}`);
      if (existsSync(record)) throw new UsageError(`--record: ${record} already exists; choose a new directory`);
      const { calibrate } = await import("../sim/calibrate/calibrate.js");
      const { errorTable } = await import("../sim/calibrate/report.js");
      const s = calibrate({
        runDir,
        recordDir: record,
        ...(opts.holdout !== undefined ? { holdoutDir: opts.holdout } : {}),
        ...(opts.out !== undefined ? { overlayPath: opts.out } : {}),
        onProgress: (line) => process.stderr.write(`${line}\n`),
      });
      const p = s.params;
      process.stdout.write(
        [
          `bandwidth factor ${p.bandwidthFactor.toFixed(4)}, latency factor ${p.latencyFactor.toFixed(4)}, setup ${p.setupSeconds.toFixed(3)} s (${s.evaluations} replays)`,
          errorTable(s.errors.map((e) => ({ run: e.run, before: e.before, after: e.after }))),
          `overlay: ${s.overlay}`,
          `calibration record: ${record}`,
          "",
        ].join("\n"),
      );
    });
}

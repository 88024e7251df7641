import { join } from "node:path";
import { RunRecord, writeAtomically, type RunProvenance } from "../../records/run-record.js";
import { writeTransfers } from "../../records/transfer-table.js";
import { loadScenario } from "../../scenarios/load.js";
import { runSrcnet, type SrcnetSummary } from "./run.js";
import { plannedLinks, transferRows, transferSettings } from "./transfer-rows.js";

/**
 * One simulation job: everything needed to reproduce it, and nothing tied to this process, so
 * the same description can run here, on a worker thread, or on a cluster node.
 */
export interface SimPoint {
  /** Preset name or scenario file. */
  scenario: string;
  /** `path=value` overrides, applied in order. */
  set: string[];
  /** Seed override (null: the scenario's own). */
  seed: number | null;
  /** Run directory to create. */
  out: string;
  /** A simulation made from a measured run (sim run --from-campaign): recorded in run.json. */
  derivedFrom?: RunProvenance["derivedFrom"];
}

export interface PointResult {
  out: string;
  seed: number;
  summary: SrcnetSummary;
  events: number;
  wallSeconds: number;
}

/**
 * Loads, simulates and writes the run record of one point; the record says "failed" if the run
 * throws. `onProgress` gets simulated seconds reached and the run's length.
 */
export function runPoint(point: SimPoint, onProgress?: (simulatedSeconds: number, totalSeconds: number) => void): PointResult {
  const scenario = loadScenario(point.scenario, { set: point.set });
  if (point.seed !== null) scenario.seed = point.seed;
  const record = RunRecord.create(point.out, {
    kind: "simulation",
    scenarioName: scenario.name,
    scenario,
    seed: scenario.seed,
    command: ["sim", "run", point.scenario, ...point.set.flatMap((s) => ["--set", s]), ...(point.seed !== null ? ["--seed", String(point.seed)] : [])],
    ...(point.derivedFrom !== undefined ? { derivedFrom: point.derivedFrom } : {}),
  });
  try {
    const run = runSrcnet(scenario, (t) => onProgress?.(t, scenario.durationSeconds));
    for (const [name, table] of Object.entries(run.tables)) record.writeTable(name, table);
    if (run.transferLog !== null) {
      // What a calibration reads beside the transfers: the links as planned (the scenario's numbers).
      writeAtomically(join(point.out, "links.json"), JSON.stringify({ links: plannedLinks(scenario), transfers: transferSettings(scenario) }, null, 2) + "\n");
      const endpoints = [...scenario.sites.map((x) => x.name), ...scenario.telescopes.map((x) => x.name)];
      writeTransfers(record, transferRows(run.transferLog, endpoints), endpoints);
    }
    record.writeSummary(run.summary);
    record.finish("complete");
    return { out: point.out, seed: scenario.seed, summary: run.summary, events: run.events, wallSeconds: run.wallSeconds };
  } catch (e) {
    record.finish("failed", e instanceof Error ? e.message : String(e));
    throw e;
  }
}

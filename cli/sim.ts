import { existsSync } from "node:fs";
import { join } from "node:path";
import { tableFromArrays } from "apache-arrow";
import type { Command } from "commander";
import { RunRecord } from "../records/run-record.js";
import { defaultScenario } from "../scenarios/default.js";
import { runTransfers } from "../sim/transfers/model.js";
import { UsageError } from "./errors.js";
import { progress } from "./progress.js";

const scenarios = { default: defaultScenario } as const;

export function registerSim(program: Command): void {
  const sim = program.command("sim").description("simulate SRCNet scenarios");
  sim
    .command("run")
    .description("simulate a scenario and write a run record")
    .argument("[scenario]", `scenario to run (${Object.keys(scenarios).join(", ")})`, "default")
    .option("--seed <n>", "random seed (overrides the scenario's)")
    .option("--out <dir>", "run directory to create (default: results/sim-<scenario>-<time>)")
    .option("--no-progress", "do not show progress on stderr")
    .action((name: string, opts: { seed?: string; out?: string; progress: boolean }) => {
      const base = scenarios[name as keyof typeof scenarios];
      if (base === undefined) {
        throw new UsageError(`unknown scenario "${name}": expected one of ${Object.keys(scenarios).join(", ")}`);
      }
      let seed = base.seed;
      if (opts.seed !== undefined) {
        seed = Number(opts.seed);
        if (!Number.isSafeInteger(seed) || seed < 0) {
          throw new UsageError(`--seed: expected an integer >= 0, found "${opts.seed}"`);
        }
      }
      const scenario = { ...base, seed };
      const dir = opts.out ?? join("results", `sim-${scenario.name}-${new Date().toISOString().replace(/[:.]/g, "-")}`);
      if (existsSync(dir)) throw new UsageError(`--out: ${dir} already exists; choose a new run directory`);
      const record = RunRecord.create(dir, { kind: "simulation", scenarioName: scenario.name, scenario, seed });
      const bar = progress(scenario.durationSeconds, "simulated hours", 3600, opts.progress);
      try {
        const run = runTransfers(scenario, (t) => bar.update(t));
        bar.stop();
        record.writeTable(
          "transfers",
          tableFromArrays({
            id: run.transfers.id,
            src: run.transfers.src,
            dst: run.transfers.dst,
            bytes: run.transfers.bytes,
            startSeconds: run.transfers.startSeconds,
            endSeconds: run.transfers.endSeconds,
          }),
        );
        record.writeTable(
          "link_utilisation",
          tableFromArrays({
            timeSeconds: run.linkSamples.timeSeconds,
            link: run.linkSamples.link,
            utilisation: run.linkSamples.utilisation,
          }),
        );
        record.writeSummary(run.summary);
        record.finish("complete");
        const s = run.summary;
        const p = s.transferSeconds;
        process.stdout.write(
          `${scenario.name}: ${s.transfersCompleted}/${s.transfersStarted} transfers, ` +
            `${(s.bytesDelivered / 1e12).toFixed(1)} TB delivered in ${(s.simulatedSeconds / 3600).toFixed(0)} simulated hours` +
            (p ? `; transfer time p50 ${p.p50.toFixed(0)} s, p95 ${p.p95.toFixed(0)} s` : "") +
            `; ${s.events} events in ${run.wallSeconds.toFixed(2)} s\nrun record: ${dir}\n`,
        );
      } catch (e) {
        bar.stop();
        record.finish("failed", e instanceof Error ? e.message : String(e));
        throw e;
      }
    });
}

/**
 * Runs the load engine (a Locust master and its workers, harness/load) on a plan, as the harness
 * does, and reads its output into a run record's tables: for tests that drive real services
 * with the workers' own clients.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tableFromIPC, type Table } from "apache-arrow";
import { Effect } from "effect";
import { ingestLoadOutput, type IngestResult } from "../../harness/campaigns/load-output.js";
import type { LoadPlan, LoadScenario } from "../../harness/campaigns/load-plan.js";
import { loadPython, startLoad } from "../../harness/campaigns/locust.js";

export interface LoadRun {
  result: IngestResult;
  requests: Record<string, unknown>[];
  operations: Record<string, unknown>[];
  exitCode: number | null;
  log: string;
}

const rows = (t: Table) => t.toArray().map((r) => r.toJSON() as Record<string, unknown>);

export async function runLoad(plan: LoadPlan, o: { workdir: string; workers?: number; secrets?: Record<string, string> }): Promise<LoadRun> {
  const dir = mkdtempSync(join(o.workdir, "load-"));
  writeFileSync(join(dir, "plan.json"), JSON.stringify(plan));
  writeFileSync(join(dir, "secrets.json"), JSON.stringify(o.secrets ?? {}), { mode: 0o600 });
  const python = loadPython();
  const logFile = join(dir, "load.log");
  return Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const p = yield* startLoad({ python, planFile: join(dir, "plan.json"), secretsFile: join(dir, "secrets.json"), workers: o.workers ?? 1, logFile, cwd: dir });
        const exited = new Promise<number | null>((ok) => p.master.on("close", (code) => ok(code)));
        const result = yield* Effect.promise(() => ingestLoadOutput(p.master.stdout!, { dir: join(dir, "run") }));
        const exitCode = yield* Effect.promise(() => exited);
        const read = (name: string) => rows(tableFromIPC(readFileSync(join(dir, "run", `${name}.arrow`))));
        return { result, requests: read("requests"), operations: read("operations"), exitCode, log: readFileSync(logFile, "utf8") };
      }),
    ),
  );
}

/**
 * A scenario that runs exactly `iterations` iterations of `service` with one operation of the mix,
 * one every 1 / rate seconds (iteration n takes the workload's item n of that kind, so each once),
 * never dropping one.
 */
export function exactly(service: LoadScenario["service"], op: string, iterations: number, rate = 4): LoadScenario {
  return {
    name: `test__${service}__${op}`,
    phase: "test",
    service,
    startSeconds: 0,
    durationSeconds: iterations / rate,
    gracefulStopSeconds: 120,
    mix: { [op]: 1 },
    // As many at once as there are iterations: none is ever dropped, however slow the service.
    executor: { kind: "constant-arrival-rate", rate, maxConcurrent: iterations },
  };
}

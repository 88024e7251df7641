import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Command } from "commander";
import type { SrcnetSummary } from "../sim/srcnet/run.js";
import { UsageError } from "../errors/index.js";
import { progress, type Progress } from "./progress.js";

/** The README's main job: the preset `npm start` simulates. */
export const DEFAULT_SCENARIO = "sv-2026";

const stamp = () => new Date().toISOString().replace(/[:.]/g, "-");
const collect = (value: string, previous: string[]) => [...previous, value];

function parseSeed(text: string | undefined, option: string): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${option}: expected an integer >= 0, found "${text}"`);
  return n;
}

function newDir(dir: string, option: string): string {
  if (existsSync(dir)) throw new UsageError(`${option}: ${dir} already exists; choose a new directory`);
  return dir;
}

const days = (s: number) => `${(s / 86_400).toFixed(1)} d`;
const pb = (b: number) => `${(b / 1e15).toFixed(2)} PB`;

function headline(s: SrcnetSummary): string {
  const lag = s.replicationLagSeconds;
  const full = Object.entries(s.sites)
    .filter(([, v]) => v.diskFullOn !== null)
    .map(([k, v]) => `${k} ${v.diskFullOn!.slice(0, 10)}`);
  const rec = s.faults.filter((f) => f.timeToRecoverySeconds !== null).map((f) => `${f.target} ${days(f.timeToRecoverySeconds!)}`);
  return [
    `${s.scenario}: ${pb(s.volume.ingestedBytes)} ingested in ${days(s.simulatedSeconds)}, ${s.products.created} products`,
    lag ? `replication lag p50 ${(lag.p50 / 3600).toFixed(2)} h, p95 ${(lag.p95 / 3600).toFixed(2)} h, max ${(lag.max / 3600).toFixed(2)} h` : "no product fully replicated",
    `under-replicated peak ${pb(s.underReplicatedBytes.peak)}; backlog at end ${pb(s.volume.backlogBytes)}; lost ${pb(s.volume.lostBytes)}`,
    `disk full: ${full.length > 0 ? full.join(", ") : "none"}`,
    ...(rec.length > 0 ? [`recovery: ${rec.join(", ")}`] : []),
  ].join("\n");
}

export function registerSim(program: Command): void {
  const sim = program.command("sim").description("simulate SRCNet scenarios");
  sim
    .command("run")
    .description("simulate a scenario (preset name or YAML file) and write a run record")
    .argument("[scenario]", "preset name or scenario file", DEFAULT_SCENARIO)
    .option("--set <path=value>", "override a scenario value (repeatable)", collect, [])
    .option("--overlay <file>", "YAML mapping of path: value overrides, applied before --set (e.g. testbed calibrate's fit)")
    .option("--from-campaign <run>", "simulate the stack a replication campaign ran on: its sites, WAN paths and copies (the scenario argument is not used)")
    .option("--seed <n>", "random seed (overrides the scenario's)")
    .option("--out <dir>", "run directory to create (default: results/sim-<scenario>-<time>)")
    .option("--no-progress", "do not show progress on stderr")
    .action(async (named: string, opts: { set: string[]; overlay?: string; fromCampaign?: string; seed?: string; out?: string; progress: boolean }) => {
      const seed = parseSeed(opts.seed, "--seed");
      const set = [...(opts.overlay !== undefined ? await overlaySets(opts.overlay) : []), ...opts.set];
      let scenario = named;
      let derivedFrom: import("../records/run-record.js").RunProvenance["derivedFrom"];
      let cleanup = () => {};
      if (opts.fromCampaign !== undefined) {
        const { campaignScenario } = await import("../sim/calibrate/from-campaign.js");
        const made = campaignScenario(opts.fromCampaign);
        // The scenario goes through the same loader and checks as any file (JSON is YAML).
        const tmp = mkdtempSync(join(tmpdir(), "testbed-from-campaign-"));
        scenario = join(tmp, "scenario.yaml");
        writeFileSync(scenario, JSON.stringify(made.document, null, 2));
        cleanup = () => rmSync(tmp, { recursive: true, force: true });
        derivedFrom = made.derivedFrom;
        process.stderr.write(`simulating campaign run ${made.derivedFrom.run}: ${made.copies} copies over ${(made.document.links as unknown[]).length} links\n`);
      }
      const label = opts.fromCampaign !== undefined ? `from-${basename(opts.fromCampaign)}` : scenario;
      const out = newDir(opts.out ?? join("results", `sim-${label.replace(/[^\w.-]+/g, "_")}-${stamp()}`), "--out");
      // Heavy modules load only when a command runs, so that --help and errors answer at once.
      const { runPoint } = await import("../sim/srcnet/point.js");
      // The bar is made at the first report, when the run's length is known.
      const ui: { bar: Progress | null } = { bar: null };
      try {
        const r = runPoint({ scenario, set, seed, out, ...(derivedFrom !== undefined ? { derivedFrom } : {}) }, (t, total) => {
          ui.bar ??= progress(total, "simulated days", 86_400, opts.progress);
          ui.bar.update(t);
        });
        ui.bar?.stop();
        process.stdout.write(`${headline(r.summary)}\n${r.events} events in ${r.wallSeconds.toFixed(1)} s\nrun record: ${out}\n`);
      } finally {
        ui.bar?.stop();
        cleanup();
      }
    });

  sim
    .command("sweep")
    .description("run a scenario over varied parameters and seeds, in parallel (worker threads, or a Slurm job array); one run record per point and a sweep table")
    .argument("<scenario>", "preset name or scenario file")
    .option("--vary <key=v1,v2,...>", "a parameter and its values (repeatable: the cross product is swept)", collect, [])
    .option("--seeds <n>", "seeds per combination (1, 2, ... n)", "1")
    .option("--set <path=value>", "fixed override for every point (repeatable)", collect, [])
    .option("--engine <threads|slurm>", "where the points run: worker threads here, or one Slurm job array (sbatch) on a cluster", "threads")
    .option("--parallel <n>", "threads engine: worker threads (default: one per core)")
    .option("--partition <name>", "slurm engine: the partition to submit to (default: the cluster's)")
    .option("--account <name>", "slurm engine: the account to charge")
    .option("--points-per-task <k>", "slurm engine: points each array task runs, one after the other (default: 1, more past 1000 points so the array stays within 1000 tasks)")
    .option("--out <dir>", "sweep directory to create (default: results/sweep-<scenario>-<time>)")
    .option("--resume", "finish the sweep in --out: run only the points whose run record is missing or not complete")
    .option("--no-progress", "do not show progress on stderr")
    .action(
      async (
        scenario: string,
        opts: { vary: string[]; seeds: string; set: string[]; engine: string; parallel?: string; partition?: string; account?: string; pointsPerTask?: string; out?: string; resume?: boolean; progress: boolean },
      ) => {
        const vary = opts.vary.map((v) => {
          const eq = v.indexOf("=");
          if (eq <= 0 || eq === v.length - 1) throw new UsageError(`--vary: expected key=v1,v2,..., found "${v}"`);
          return { key: v.slice(0, eq), values: v.slice(eq + 1).split(",").map((x) => x.trim()) };
        });
        const nSeeds = Number(opts.seeds);
        if (!Number.isInteger(nSeeds) || nSeeds < 1) throw new UsageError(`--seeds: expected an integer >= 1, found "${opts.seeds}"`);
        const engine = sweepEngine(opts);
        if (opts.resume && opts.out === undefined) throw new UsageError("--resume: expected --out <dir>, the sweep directory to finish");
        const outDir = opts.resume ? opts.out! : newDir(opts.out ?? join("results", `sweep-${scenario.replace(/[^\w.-]+/g, "_")}-${stamp()}`), "--out");
        const { sweepPoints, readPlan, writePlan, pendingPoints } = await import("../sim/srcnet/sweep.js");
        const points = sweepPoints({ scenario, set: opts.set, vary, seeds: Array.from({ length: nSeeds }, (_, i) => i + 1), outDir });
        const plan = { scenario, set: opts.set, vary, seeds: nSeeds, points: points.length };
        if (opts.resume) {
          const before = readPlan(outDir);
          if (before === null) throw new UsageError(`--resume: ${outDir}: expected a sweep directory (with plan.json), found ${existsSync(outDir) ? "no plan.json in it" : "nothing at that path"}`);
          if (JSON.stringify(before) !== JSON.stringify(plan)) throw new UsageError(`--resume: ${outDir} is a sweep of ${describePlan(before)}; this command asks for ${describePlan(plan)}`);
        }
        // Validate every point before starting any: a typo in a value fails at once with exit code 2.
        const { loadScenario } = await import("../scenarios/load.js");
        for (const p of points) loadScenario(p.scenario, { set: p.set });
        if (engine.kind === "slurm") await checkSlurm(outDir, opts.resume === true);
        if (!opts.resume) writePlan(outDir, plan);
        const pending = opts.resume ? pendingPoints(points) : points;
        if (opts.resume && opts.progress) process.stderr.write(`resuming ${outDir}: ${pending.length} of ${points.length} points to run\n`);

        // Why a point has no complete or failed run record, from its engine; and, on Slurm, the task that ran it.
        const why = new Map<number, string>();
        let taskOf: (index: number) => string = () => "";
        if (pending.length > 0 && engine.kind === "threads") {
          const { runSweep } = await import("../sim/srcnet/sweep.js");
          const bar = progress(pending.length, `points`, 1, opts.progress);
          const results = await runSweep(pending, { ...(engine.parallel !== undefined ? { parallel: engine.parallel } : {}), onProgress: (f) => bar.update(f * pending.length) });
          bar.stop();
          results.forEach((r, i) => "error" in r && why.set(pending[i]!.index, r.error));
        } else if (pending.length > 0 && engine.kind === "slurm") {
          const { describeEnd } = await import("../sim/srcnet/sweep-slurm.js");
          const outcome = await runOnSlurm(pending, outDir, engine, opts.progress, points.length);
          for (const [k, v] of outcome.why) why.set(k, v);
          taskOf = (index) => {
            const t = outcome.taskOfPoint.get(index);
            if (t === undefined) return "";
            const logs = existsSync(join(outDir, t.stderr)) ? `logs ${join(outDir, t.stdout)}, ${join(outDir, t.stderr)}` : "no log: the task never started";
            // A point its task ended before: the status says how; otherwise say which task ran it.
            return outcome.why.has(index) ? `; ${logs}` : ` (task ${t.task} of Slurm job ${outcome.jobId}: ${describeEnd(t.state)}; ${logs})`;
          };
        }
        const { sweepRows, writeSweepTable } = await import("../sim/srcnet/sweep-table.js");
        const rows = sweepRows(points, outDir, why);
        writeSweepTable(outDir, plan, rows);
        const failed = rows.filter((r) => r.status !== "complete");
        process.stdout.write(`${rows.length} points, ${failed.length} failed; sweep table: ${join(outDir, "sweep.arrow")}\n`);
        for (const r of failed) process.stderr.write(`point ${r.point}: ${r.status}${taskOf(r.point as number)}\n`);
        if (failed.length > 0) process.exitCode = 1;
      },
    );

  // A task of a sweep's Slurm job array (see sim/srcnet/sweep-slurm.ts): not for users.
  sim
    .command("sweep-task", { hidden: true })
    .argument("<tasks-file>", "the submission's tasks.json")
    .argument("<task>", "the array task index (SLURM_ARRAY_TASK_ID)")
    .action(async (tasksFile: string, task: string) => {
      if (!/^\d+$/.test(task)) throw new UsageError(`<task>: expected an array task index, found "${task}"`);
      const { runSweepTask } = await import("../sim/srcnet/sweep-slurm.js");
      process.exitCode = runSweepTask(tasksFile, Number(task));
    });
}

/** An overlay file (a YAML mapping of `path: value`, as `testbed calibrate` writes) as `--set` entries. */
async function overlaySets(file: string): Promise<string[]> {
  const { readFileSync } = await import("node:fs");
  const { parseYaml } = await import("../scenarios/load.js");
  if (!existsSync(file)) throw new UsageError(`--overlay: ${file}: expected a YAML file of path: value overrides, found no such file`);
  const doc = parseYaml(readFileSync(file, "utf8"), file);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new UsageError(`--overlay: ${file}: expected a mapping of path: value (such as "policies.transfers.setupTime: 2.5"), found ${Array.isArray(doc) ? "a list" : JSON.stringify(doc)}`);
  }
  return Object.entries(doc as Record<string, unknown>).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
}

type Engine = import("../sim/srcnet/sweep.js").SweepEngine;

/** The engine and its options; options of the other engine are usage errors. */
function sweepEngine(o: { engine: string; parallel?: string; partition?: string; account?: string; pointsPerTask?: string }): Engine {
  const int = (flag: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: expected an integer >= 1, found "${text}"`);
    return n;
  };
  const name = (flag: string, text: string) => {
    if (!/^[\w.-]+$/.test(text)) throw new UsageError(`${flag}: expected a Slurm name (letters, digits, ".", "_", "-"), found "${text}"`);
    return text;
  };
  if (o.engine === "threads") {
    for (const [flag, v] of [["--partition", o.partition], ["--account", o.account], ["--points-per-task", o.pointsPerTask]] as const) {
      if (v !== undefined) throw new UsageError(`${flag}: only with --engine slurm`);
    }
    return { kind: "threads", ...(o.parallel !== undefined ? { parallel: int("--parallel", o.parallel) } : {}) };
  }
  if (o.engine === "slurm") {
    if (o.parallel !== undefined) throw new UsageError("--parallel: only with --engine threads (on Slurm, as many tasks run at once as the cluster gives)");
    return {
      kind: "slurm",
      pointsPerTask: o.pointsPerTask !== undefined ? int("--points-per-task", o.pointsPerTask) : 0,
      ...(o.partition !== undefined ? { partition: name("--partition", o.partition) } : {}),
      ...(o.account !== undefined ? { account: name("--account", o.account) } : {}),
    };
  }
  throw new UsageError(`--engine: expected threads or slurm, found "${o.engine}"`);
}

const describePlan = (p: { scenario: string; set: string[]; vary: { key: string; values: string[] }[]; seeds: number }) =>
  [p.scenario, ...p.set.map((s) => `--set ${s}`), ...p.vary.map((v) => `--vary ${v.key}=${v.values.join(",")}`), `--seeds ${p.seeds}`].join(" ");

/**
 * Before submitting: sbatch must be there, and a resumed sweep must have no job of its own still
 * in the queue (its tasks would write the same points).
 */
async function checkSlurm(outDir: string, resume: boolean): Promise<void> {
  const { spawnSync } = await import("node:child_process");
  const v = spawnSync("sbatch", ["--version"], { encoding: "utf8" });
  if (v.error !== undefined) throw new UsageError("--engine slurm: sbatch not found on PATH: run on a cluster's login node, or start a local cluster (bash scripts/local-slurm.sh)");
  if (!resume) return;
  const { readdirSync, readFileSync } = await import("node:fs");
  const dir = join(outDir, "slurm");
  if (!existsSync(dir)) return;
  for (const n of readdirSync(dir)) {
    let jobId: string;
    try {
      jobId = (JSON.parse(readFileSync(join(dir, n, "job.json"), "utf8")) as { jobId: string }).jobId;
    } catch {
      continue;
    }
    const q = spawnSync("squeue", ["--jobs", jobId, "--noheader", "--format=%i"], { encoding: "utf8" });
    if (q.status === 0 && q.stdout.trim() !== "") throw new UsageError(`--resume: Slurm job ${jobId} of this sweep is still in the queue; wait for it to end, or scancel ${jobId}`);
  }
}

/** Runs the points as one job array, with progress on stderr and Ctrl-C cancelling the array. */
async function runOnSlurm(pending: import("../sim/srcnet/sweep.js").SweepPoint[], outDir: string, engine: Extract<Engine, { kind: "slurm" }>, showProgress: boolean, total: number) {
  const { Effect } = await import("effect");
  const { runSweepOnSlurm } = await import("../sim/srcnet/sweep-slurm.js");
  const { pointStatus } = await import("../sim/srcnet/sweep.js");
  const { runEffect } = await import("./stack.js");
  const { Interrupted } = await import("../errors/index.js");
  // Arrays stay within Slurm's default MaxArraySize (1001 tasks).
  const pointsPerTask = engine.pointsPerTask > 0 ? engine.pointsPerTask : Math.max(1, Math.ceil(pending.length / 1000));
  const tty = showProgress && process.stderr.isTTY;
  let open = false;
  const say = (line: string, sameLine = false, always = false) => {
    if (!showProgress && !always) return;
    if (tty && sameLine) {
      process.stderr.write(`\r\x1b[K${line}`);
      open = true;
      return;
    }
    process.stderr.write(`${open ? "\n" : ""}${line}\n`);
    open = false;
  };
  try {
    const outcome = await runEffect<import("../sim/srcnet/sweep-slurm.js").SlurmSweepOutcome>(
      Effect.scoped(
        runSweepOnSlurm(pending, {
          sweepDir: outDir,
          pointsPerTask,
          ...(engine.partition !== undefined ? { partition: engine.partition } : {}),
          ...(engine.account !== undefined ? { account: engine.account } : {}),
          onSubmitted: (s) => say(`slurm: submitted job ${s.jobId}: ${s.tasks} task${s.tasks === 1 ? "" : "s"} of up to ${pointsPerTask} point${pointsPerTask === 1 ? "" : "s"}${engine.partition ? ` on partition ${engine.partition}` : ""} (${join(outDir, "slurm", String(s.submission))})`),
          onProgress: (p) => say(`slurm: ${p.done} of ${p.total} tasks done, ${p.failed} failed, ${p.running} running, ${p.pending} pending`, true),
          log: (l) => say(`slurm: ${l}`, false, true),
        }).pipe(Effect.catchTag("SbatchRefused", (e) => Effect.die(new UsageError(`--engine slurm: ${e.message}`)))),
      ),
    );
    if (open) process.stderr.write("\n");
    return outcome;
  } catch (e) {
    if (open) process.stderr.write("\n");
    if (e instanceof Interrupted) {
      const done = pending.filter((p) => pointStatus(p) === "complete").length + (total - pending.length);
      process.stderr.write(`sweep interrupted: ${done} of ${total} points complete; the same command with --resume runs the rest\n`);
    }
    throw e;
  }
}

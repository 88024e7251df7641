/**
 * The Slurm engine of sweeps: the points go to a cluster as ONE job array, each task running up
 * to `pointsPerTask` points (`testbed sim sweep-task <tasks.json> <task>`, the same `runPoint` the
 * worker threads run) and writing their run records into the sweep directory, which the cluster's
 * nodes share with the submitting host. The Slurm plumbing is cluster/slurm.ts.
 *
 * Per submission, in `<sweep>/slurm/<n>/`: `tasks.json` (each task's points), `job.sh` (the batch
 * script), `job.json` (job id, submission time, options), `task-<i>.out` / `.err` (each task's
 * log) and `task-<i>.json` (where and when the task ran, written as it ends).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Effect, type Scope } from "effect";
import { submitArray, taskSucceeded, watchArray, type ArrayProgress, type SbatchRefused, type SlurmError, type TaskState } from "../../cluster/slurm.js";
import { writeAtomically } from "../../records/run-record.js";
import { runPoint, type SimPoint } from "./point.js";
import { pointStatus, type SweepPoint } from "./sweep.js";

/** `tasks.json`: the points of each task (run directories absolute). */
export interface SweepTasksFile {
  sweep: string;
  tasks: (SimPoint & { index: number })[][];
}

/** `task-<i>.json`: where and when a task ran. */
export interface SweepTaskRecord {
  task: number;
  jobId: string | null;
  /** Slurm's name of the node (SLURMD_NODENAME), and the host's own name. */
  node: string | null;
  host: string;
  /** The task's process start and end (ISO 8601). */
  startedAt: string;
  endedAt: string;
  points: { point: number; status: "complete" | "failed"; seconds: number; error?: string }[];
}

export interface SlurmSweepOptions {
  sweepDir: string;
  pointsPerTask: number;
  partition?: string;
  account?: string;
  /** Environment of sbatch and squeue (SLURM_CONF for a local cluster); the tasks inherit it. */
  env?: NodeJS.ProcessEnv;
  onSubmitted?: (info: { jobId: string; tasks: number; submission: number }) => void;
  onProgress?: (p: ArrayProgress) => void;
  log?: (line: string) => void;
}

/** A task of the array, as it ended. */
export interface SweepTaskOutcome {
  task: number;
  points: number[];
  state: TaskState;
  /** Its log files, relative to the sweep directory. */
  stdout: string;
  stderr: string;
}

export interface SlurmSweepOutcome {
  jobId: string;
  submission: number;
  tasks: SweepTaskOutcome[];
  /** By point index: the task that ran it. */
  taskOfPoint: Map<number, SweepTaskOutcome>;
  /** Why a point has no complete or failed run record (its task ended first), by point index. */
  why: Map<number, string>;
}

const root = fileURLToPath(new URL("../../", import.meta.url));
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** How a task ended, in words: "FAILED (exit code 1)", "CANCELLED (signal 15)". */
export function describeEnd(t: TaskState): string {
  if (t.phase !== "ended") return t.phase.toUpperCase();
  const how = t.signal !== null ? ` (signal ${t.signal})` : t.exitCode !== null && t.exitCode !== 0 ? ` (exit code ${t.exitCode})` : "";
  return `${t.state}${how}`;
}

/**
 * Runs `points` (the sweep's points still to run) as one job array and waits for every task to
 * end. The array is a resource of the scope: closing it early (Ctrl-C) cancels the array.
 */
export function runSweepOnSlurm(points: SweepPoint[], o: SlurmSweepOptions): Effect.Effect<SlurmSweepOutcome, SlurmError | SbatchRefused, Scope.Scope> {
  return Effect.gen(function* () {
    const sweepDir = resolve(o.sweepDir);
    const slurmDir = join(sweepDir, "slurm");
    mkdirSync(slurmDir, { recursive: true });
    const submission = readdirSync(slurmDir).filter((d) => /^\d+$/.test(d)).length + 1;
    const dir = join(slurmDir, String(submission));
    mkdirSync(dir);
    const groups: SweepPoint[][] = [];
    for (let i = 0; i < points.length; i += o.pointsPerTask) groups.push(points.slice(i, i + o.pointsPerTask));
    const tasksFile = join(dir, "tasks.json");
    const content: SweepTasksFile = {
      sweep: sweepDir,
      tasks: groups.map((g) => g.map((p) => ({ index: p.index, scenario: p.scenario, set: p.set, seed: p.seed, out: resolve(p.out) }))),
    };
    writeAtomically(tasksFile, JSON.stringify(content, null, 2) + "\n");
    const script = join(dir, "job.sh");
    writeAtomically(
      script,
      [
        "#!/bin/sh",
        `# A task of the sweep ${sweepDir}: runs its points (tasks.json) as the worker threads would.`,
        `exec ${shellQuote(process.execPath)} ${shellQuote(join(root, "bin", "testbed.mjs"))} sim sweep-task ${shellQuote(tasksFile)} "$SLURM_ARRAY_TASK_ID"`,
        "",
      ].join("\n"),
    );
    const job = yield* submitArray(
      {
        script,
        tasks: groups.length,
        name: "testbed-sweep",
        output: join(dir, "task-%a.out"),
        error: join(dir, "task-%a.err"),
        chdir: process.cwd(),
        ...(o.partition !== undefined ? { partition: o.partition } : {}),
        ...(o.account !== undefined ? { account: o.account } : {}),
        ...(o.env !== undefined ? { env: o.env } : {}),
      },
      o.log,
    );
    writeAtomically(
      join(dir, "job.json"),
      JSON.stringify({ jobId: job.jobId, submittedAt: job.submittedAt.toISOString(), tasks: groups.length, pointsPerTask: o.pointsPerTask, partition: o.partition ?? null, account: o.account ?? null }, null, 2) + "\n",
    );
    o.onSubmitted?.({ jobId: job.jobId, tasks: groups.length, submission });
    const states = yield* watchArray(job, { ...(o.onProgress ? { onProgress: o.onProgress } : {}) });

    const tasks: SweepTaskOutcome[] = groups.map((g, t) => ({
      task: t,
      points: g.map((p) => p.index),
      state: states[t]!,
      stdout: relative(sweepDir, join(dir, `task-${t}.out`)),
      stderr: relative(sweepDir, join(dir, `task-${t}.err`)),
    }));
    const taskOfPoint = new Map<number, SweepTaskOutcome>();
    const why = new Map<number, string>();
    for (const t of tasks) {
      for (const [k, index] of t.points.entries()) {
        taskOfPoint.set(index, t);
        const status = pointStatus(groups[t.task]![k]!);
        if (status === "complete" || status === "failed") continue;
        const ended = t.state.phase === "ended" && !taskSucceeded(t.state) ? `ended ${describeEnd(t.state)}` : "ended";
        why.set(index, `task ${t.task} of Slurm job ${job.jobId} ${ended} before the point ${status === null ? "started" : "completed"}`);
      }
    }
    return { jobId: job.jobId, submission, tasks, taskOfPoint, why };
  });
}

/**
 * Body of `testbed sim sweep-task`: runs the points of one task of tasks.json in order (a failed
 * point does not stop the others), then writes `task-<i>.json`. Returns the exit code: 1 when a
 * point failed, so Slurm marks the task FAILED.
 */
export function runSweepTask(tasksFile: string, task: number): number {
  if (!existsSync(tasksFile)) throw new Error(`${tasksFile}: no such tasks file`);
  const file = JSON.parse(readFileSync(tasksFile, "utf8")) as SweepTasksFile;
  const points = file.tasks[task];
  if (points === undefined) throw new Error(`${tasksFile}: expected a task from 0 to ${file.tasks.length - 1}, found ${task}`);
  const startedAt = new Date(performance.timeOrigin).toISOString();
  const ran: SweepTaskRecord["points"] = [];
  for (const { index, ...point } of points) {
    const t0 = performance.now();
    try {
      runPoint(point);
      const seconds = (performance.now() - t0) / 1000;
      ran.push({ point: index, status: "complete", seconds });
      process.stdout.write(`point ${index}: complete in ${seconds.toFixed(2)} s (${point.out})\n`);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      ran.push({ point: index, status: "failed", seconds: (performance.now() - t0) / 1000, error });
      process.stderr.write(`point ${index}: failed: ${error}\n`);
    }
  }
  const record: SweepTaskRecord = {
    task,
    jobId: process.env.SLURM_ARRAY_JOB_ID ?? null,
    node: process.env.SLURMD_NODENAME ?? null,
    host: hostname(),
    startedAt,
    endedAt: new Date().toISOString(),
    points: ran,
  };
  writeAtomically(join(tasksFile, "..", `task-${task}.json`), JSON.stringify(record, null, 2) + "\n");
  return ran.some((r) => r.status === "failed") ? 1 : 0;
}

/**
 * Slurm through its command-line tools (sbatch, squeue, scancel, sacct, scontrol): submit a job
 * array, watch its tasks until every one has ended, cancel it. The submitted array is an Effect
 * resource: when its scope closes before the array has ended (Ctrl-C, a failure), the array is
 * cancelled by its job id and the scope waits until the queue no longer holds it.
 *
 * This module knows nothing of what the tasks run (sweep points, load workers): callers give a
 * batch script and read the tasks' own output. Every call takes the environment to run the tools
 * in (`SLURM_CONF` for a local cluster; nothing on a real one).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { Data, Duration, Effect, Schedule, type Scope } from "effect";

/** Slurm did not answer or answered something unexpected. */
export class SlurmError extends Data.TaggedError("SlurmError")<{ message: string; detail?: string }> {}

/** sbatch refused the job (a partition or account that does not exist, a limit): the user's to fix. */
export class SbatchRefused extends Data.TaggedError("SbatchRefused")<{ message: string }> {}

/** Where the tools run: their environment (e.g. `{ ...process.env, SLURM_CONF }`). */
export interface SlurmEnv {
  env?: NodeJS.ProcessEnv;
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a Slurm tool; a non-zero exit is returned, not failed (callers read its message). */
export function slurmTool(command: string, args: string[], o: SlurmEnv = {}): Effect.Effect<Ran, SlurmError> {
  return Effect.async<Ran, SlurmError>((resume) => {
    const child = execFile(command, args, { env: o.env ?? process.env, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err && typeof err.code === "string") {
        resume(Effect.fail(new SlurmError({ message: err.code === "ENOENT" ? `${command} not found on PATH` : `${command}: ${err.message}` })));
        return;
      }
      resume(Effect.succeed({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }));
    });
    // Interrupted while a tool runs (a query, never sbatch: submission is uninterruptible).
    return Effect.sync(() => child.kill("SIGTERM"));
  });
}

const firstLine = (s: string) => s.trim().split("\n").filter((l) => l.trim() !== "")[0] ?? "";

/** What sbatch needs to submit an array of `tasks` tasks, numbered 0 to tasks - 1. */
export interface ArraySpec extends SlurmEnv {
  /** Batch script (its own `#SBATCH` lines, if any, are honoured; these options override them). */
  script: string;
  tasks: number;
  name: string;
  /** Files for each task's stdout and stderr; `%A` is the array's job id, `%a` the task index. */
  output: string;
  error: string;
  /** Working directory of the tasks. */
  chdir: string;
  partition?: string;
  account?: string;
  /** Tasks running at once at most (`--array=…%N`). */
  throttle?: number;
  /** More sbatch options, as given. */
  extra?: string[];
}

export interface ArrayJob extends SlurmEnv {
  jobId: string;
  tasks: number;
  submittedAt: Date;
}

/** The sbatch command line of an array (exposed for messages and tests). */
export function sbatchArgs(spec: ArraySpec): string[] {
  return [
    "--parsable",
    `--array=0-${spec.tasks - 1}${spec.throttle !== undefined ? `%${spec.throttle}` : ""}`,
    `--job-name=${spec.name}`,
    `--output=${spec.output}`,
    `--error=${spec.error}`,
    `--chdir=${spec.chdir}`,
    "--ntasks=1",
    "--cpus-per-task=1",
    ...(spec.partition !== undefined ? [`--partition=${spec.partition}`] : []),
    ...(spec.account !== undefined ? [`--account=${spec.account}`] : []),
    ...(spec.extra ?? []),
    spec.script,
  ];
}

function sbatch(spec: ArraySpec): Effect.Effect<ArrayJob, SlurmError | SbatchRefused> {
  if (!Number.isInteger(spec.tasks) || spec.tasks < 1) return Effect.fail(new SlurmError({ message: `an array needs at least one task, found ${spec.tasks}` }));
  return slurmTool("sbatch", sbatchArgs(spec), spec).pipe(
    Effect.flatMap((r) => {
      // --parsable prints "jobid" or "jobid;cluster".
      const id = /^(\d+)(;\S+)?$/.exec(r.stdout.trim())?.[1];
      if (r.code === 0 && id !== undefined) return Effect.succeed({ jobId: id, tasks: spec.tasks, submittedAt: new Date(), ...(spec.env ? { env: spec.env } : {}) });
      const why = firstLine(r.stderr).replace(/^sbatch: error: /, "") || `exit code ${r.code}`;
      return Effect.fail(new SbatchRefused({ message: `sbatch refused the job: ${why}` }));
    }),
  );
}

/**
 * Submits an array that lives as long as the scope: closing the scope while any of its tasks is
 * still queued or running cancels the array (scancel by its job id) and waits until the queue no
 * longer holds it. `log` hears about that clean-up (and about its failure, which cannot fail the
 * scope's closing).
 */
export function submitArray(spec: ArraySpec, log: (line: string) => void = () => {}): Effect.Effect<ArrayJob, SlurmError | SbatchRefused, Scope.Scope> {
  return Effect.acquireRelease(sbatch(spec), (job) =>
    activeTasks(job).pipe(
      Effect.flatMap((active) => {
        if (active.size === 0) return Effect.void;
        log(`cancelling job ${job.jobId} (${active.size} task${active.size === 1 ? "" : "s"} not ended)`);
        return cancelJob(job);
      }),
      Effect.catchAll((e) => Effect.sync(() => log(`could not cancel job ${job.jobId}: ${e.message}`))),
    ),
  );
}

/** A task as squeue shows it while it is queued or running. */
export interface ActiveTask {
  /** PENDING, RUNNING, COMPLETING, CONFIGURING, SUSPENDED… */
  state: string;
  /** Its node, or null while pending. */
  node: string | null;
}

/** squeue retried on transient errors (a busy controller): up to ~5 s. */
const transient = Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(5)));

/**
 * The array's tasks still in the queue (pending, running or completing), by task index. A job
 * the controller no longer knows (every task ended and purged) has none.
 */
export function activeTasks(job: ArrayJob): Effect.Effect<Map<number, ActiveTask>, SlurmError> {
  return slurmTool("squeue", ["--jobs", job.jobId, "--array", "--noheader", "--format=%F|%K|%T|%N"], job).pipe(
    Effect.flatMap((r) => {
      if (r.code !== 0) {
        if (/invalid job id/i.test(r.stderr)) return Effect.succeed(new Map<number, ActiveTask>());
        return Effect.fail(new SlurmError({ message: `squeue: ${firstLine(r.stderr) || `exit code ${r.code}`}` }));
      }
      const tasks = new Map<number, ActiveTask>();
      for (const line of r.stdout.split("\n")) {
        const [arrayId, index, state, node] = line.trim().split("|");
        if (arrayId !== job.jobId || index === undefined || !/^\d+$/.test(index)) continue;
        tasks.set(Number(index), { state: state ?? "UNKNOWN", node: node !== undefined && node !== "" && !node.startsWith("(") ? node : null });
      }
      return Effect.succeed(tasks);
    }),
    Effect.retry(transient),
  );
}

/** How an ended task ended, from accounting (sacct) or the job completion file. */
export interface EndedTask {
  /** COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY…; UNKNOWN when the cluster keeps no record. */
  state: string;
  exitCode: number | null;
  /** The signal that ended the batch script, if one did. */
  signal: number | null;
  node: string | null;
}

/** Where a cluster keeps the end of its jobs: accounting, a job completion file, or nowhere we can read. */
type EndSource = { kind: "sacct" } | { kind: "jobcomp"; file: string } | { kind: "none" };

/** Reads slurm.conf's accounting settings (scontrol show config): how ended tasks can be known. */
export function endSource(o: SlurmEnv): Effect.Effect<EndSource, SlurmError> {
  return slurmTool("scontrol", ["show", "config"], o).pipe(
    Effect.flatMap((r): Effect.Effect<EndSource, SlurmError> => {
      if (r.code !== 0) return Effect.fail(new SlurmError({ message: `scontrol show config: ${firstLine(r.stderr) || `exit code ${r.code}`}` }));
      const get = (key: string) => new RegExp(`^${key}\\s*=\\s*(.*)$`, "m").exec(r.stdout)?.[1]?.trim() ?? "";
      if (!/accounting_storage\/none/.test(get("AccountingStorageType")) && get("AccountingStorageType") !== "") return Effect.succeed({ kind: "sacct" });
      if (get("JobCompType") === "jobcomp/filetxt" && get("JobCompLoc") !== "") return Effect.succeed({ kind: "jobcomp", file: get("JobCompLoc") });
      return Effect.succeed({ kind: "none" });
    }),
    Effect.retry(transient),
  );
}

const exitOf = (text: string | undefined) => {
  const m = /^(\d+):(\d+)$/.exec(text ?? "");
  return m ? { exitCode: Number(m[1]), signal: Number(m[2]) === 0 ? null : Number(m[2]) } : { exitCode: null, signal: null };
};

/**
 * Ended tasks of an array as the cluster recorded them (tasks it has no record of yet are
 * absent); `pending`: how the tasks still pending in the array's own record ended (cancelled
 * before they started: Slurm records them once, together), or null.
 */
export interface EndedRecords {
  tasks: Map<number, EndedTask>;
  pending: EndedTask | null;
}

export function endedTasks(job: ArrayJob, source: EndSource): Effect.Effect<EndedRecords, SlurmError> {
  const out: EndedRecords = { tasks: new Map(), pending: null };
  if (source.kind === "none") return Effect.succeed(out);
  if (source.kind === "jobcomp") {
    return Effect.try({
      try: () => {
        for (const line of readFileSync(source.file, "utf8").split("\n")) {
          const f = (k: string) => new RegExp(`(?:^| )${k}=(\\S*)`).exec(line)?.[1];
          const node = f("NodeList");
          const ended = { state: f("JobState") ?? "UNKNOWN", ...exitOf(f("ExitCode")), node: node && node !== "(null)" ? node : null };
          // The array's own record, still holding its pending tasks, has no task index.
          if (f("JobId") === job.jobId && f("ArrayTaskId") === undefined) out.pending = ended;
          if (f("ArrayJobId") !== job.jobId) continue;
          const task = Number(f("ArrayTaskId"));
          if (Number.isInteger(task)) out.tasks.set(task, ended);
        }
        return out;
      },
      catch: (e) => new SlurmError({ message: `reading the job completion file ${source.file}: ${e instanceof Error ? e.message : String(e)}` }),
    });
  }
  return slurmTool("sacct", ["--jobs", job.jobId, "--allocations", "--noheader", "--parsable2", "--format=JobID,State,ExitCode,NodeList"], job).pipe(
    Effect.flatMap((r) => {
      if (r.code !== 0) return Effect.fail(new SlurmError({ message: `sacct: ${firstLine(r.stderr) || `exit code ${r.code}`}` }));
      for (const line of r.stdout.split("\n")) {
        const [id, state, exit, node] = line.trim().split("|");
        const s = (state ?? "UNKNOWN").split(" ")[0]!;
        if (["PENDING", "RUNNING", "REQUEUED", "RESIZING", "SUSPENDED", "COMPLETING"].includes(s)) continue;
        const ended = { state: s, ...exitOf(exit), node: node && node !== "None assigned" ? node : null };
        const m = /^(\d+)_(\d+)$/.exec(id ?? "");
        if (m !== null && m[1] === job.jobId) out.tasks.set(Number(m[2]), ended);
        else if ((id ?? "").startsWith(`${job.jobId}_[`)) out.pending = ended;
      }
      return Effect.succeed(out);
    }),
    Effect.retry(transient),
  );
}

/** A task's state as the watch reports it. */
export type TaskState = { phase: "pending" | "running"; node: string | null } | ({ phase: "ended" } & EndedTask);

/** A task ended well: COMPLETED with exit code 0, or ended where the cluster keeps no record (the caller judges by the task's output). */
export const taskSucceeded = (t: EndedTask): boolean => (t.state === "COMPLETED" && (t.exitCode ?? 0) === 0) || t.state === "UNKNOWN";

export interface ArrayProgress {
  total: number;
  pending: number;
  running: number;
  /** Ended, succeeded or not. */
  done: number;
  /** Ended and not COMPLETED with exit code 0. */
  failed: number;
}

export const countTasks = (tasks: TaskState[]): ArrayProgress => ({
  total: tasks.length,
  pending: tasks.filter((t) => t.phase === "pending").length,
  running: tasks.filter((t) => t.phase === "running").length,
  done: tasks.filter((t) => t.phase === "ended").length,
  failed: tasks.filter((t) => t.phase === "ended" && !taskSucceeded(t)).length,
});

/**
 * Polls the queue every `interval` until every task of the array has ended; resolves with each
 * task's state (index order). `onProgress` hears each change of the counts. An ended task whose
 * record has not appeared after a few polls (or on a cluster that keeps none) is `UNKNOWN`.
 */
export function watchArray(
  job: ArrayJob,
  o: { interval?: Duration.DurationInput; onProgress?: (p: ArrayProgress, tasks: TaskState[]) => void } = {},
): Effect.Effect<TaskState[], SlurmError> {
  return Effect.gen(function* () {
    const source = yield* endSource(job);
    const tasks: TaskState[] = Array.from({ length: job.tasks }, () => ({ phase: "pending" as const, node: null }));
    /** Polls since a task left the queue without a record of its end. */
    const unrecorded = new Map<number, number>();
    let last = "";
    const poll = Effect.gen(function* () {
      const active = yield* activeTasks(job);
      for (let i = 0; i < job.tasks; i++) {
        if (tasks[i]!.phase === "ended") continue;
        const a = active.get(i);
        if (a !== undefined) tasks[i] = a.state === "PENDING" ? { phase: "pending", node: null } : { phase: "running", node: a.node };
        else unrecorded.set(i, (unrecorded.get(i) ?? 0) + 1);
      }
      if (unrecorded.size > 0) {
        const ended = yield* endedTasks(job, source);
        for (const [i, polls] of unrecorded) {
          const e = ended.tasks.get(i) ?? (tasks[i]!.phase === "pending" && ended.pending !== null ? ended.pending : undefined);
          if (e !== undefined || polls > 4 || source.kind === "none") {
            tasks[i] = { phase: "ended", ...(e ?? { state: "UNKNOWN", exitCode: null, signal: null, node: tasks[i]!.node }) };
            unrecorded.delete(i);
          }
        }
      }
      const p = countTasks(tasks);
      const key = JSON.stringify(p);
      if (key !== last) {
        last = key;
        o.onProgress?.(p, tasks);
      }
      return p.done === p.total;
    });
    yield* Effect.repeat(poll, { schedule: Schedule.spaced(o.interval ?? "250 millis"), until: (done) => done });
    return tasks;
  });
}

/** Cancels a job (every task of an array) and waits, up to `wait`, until the queue no longer holds any of it. */
export function cancelJob(job: ArrayJob, wait: Duration.DurationInput = "60 seconds"): Effect.Effect<void, SlurmError> {
  return Effect.gen(function* () {
    const r = yield* slurmTool("scancel", [job.jobId], job);
    if (r.code !== 0 && !/invalid job id/i.test(r.stderr)) return yield* Effect.fail(new SlurmError({ message: `scancel ${job.jobId}: ${firstLine(r.stderr) || `exit code ${r.code}`}` }));
    const polls = Math.ceil(Duration.toMillis(Duration.decode(wait)) / 200);
    let left = new Map<number, ActiveTask>();
    yield* Effect.repeat(
      activeTasks(job).pipe(Effect.tap((a) => Effect.sync(() => (left = a)))),
      { schedule: Schedule.spaced("200 millis").pipe(Schedule.intersect(Schedule.recurs(polls))), until: (a) => a.size === 0 },
    );
    if (left.size > 0) return yield* Effect.fail(new SlurmError({ message: `job ${job.jobId} is still in the queue ${Duration.format(Duration.decode(wait))} after scancel (${left.size} tasks)` }));
  });
}

/**
 * Sweeps on Slurm against sweeps on worker threads, measured in the same run: a 24-point sweep
 * of srcnet-0.1 (four weeks; policies.replicas 2 and 3, 12 seeds each) run by `testbed sim sweep`
 * end to end (a child process, as a user runs it)
 *
 * - on a local Slurm cluster of three slurmd (cluster/local-slurm.ts, one CPU per node) as ONE
 *   job array of BENCH_POINTS_PER_TASK points per task (default 2: 12 tasks, 4 per node);
 * - on worker threads (`--parallel 2`, one per core): the named peer.
 *
 * BENCH_RUNS (default 3) interleaved rounds, the order alternating from one round to the next;
 * medians of the wall times and their ratio slurm / threads. Then the cost of each Slurm task,
 * from what the tasks recorded (slurm/1/job.json: the submission time; task-<i>.json: the node,
 * the task process's start and end, each point's own time):
 *
 * - scheduling: from the moment its node was free (the previous task on it ended, or the array
 *   was submitted) to the task's process start: Slurm's part (target < 0.5 s per task);
 * - start-up: the task's time not spent in its points (Node.js, the loader, the simulator's
 *   modules, writing the task record): ours, the same for any batch system;
 * - overhead per task: the two together.
 *
 * The tables of the two engines are also compared (byte for byte but for host and wall_seconds).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC, tableToIPC } from "apache-arrow";
import { startLocalSlurm } from "../cluster/local-slurm.js";
import type { SweepTaskRecord } from "../sim/srcnet/sweep-slurm.js";
import { median, printTable } from "./report.js";

const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const perTask = Math.max(1, Number(process.env.BENCH_POINTS_PER_TASK ?? 2));
const NODES = 3;
const PARALLEL = 2;
const TARGET_SCHEDULING_SECONDS = 0.5;
const root = join(import.meta.dirname, "..");
const SWEEP = ["sim", "sweep", "srcnet-0.1", "--vary", "policies.replicas=2,3", "--seeds", "12", "--no-progress"];
const log = (l: string) => process.stderr.write(`bench: ${l}\n`);

/** Runs the CLI; resolves with its wall time (seconds). Bounded: ended by its PID after 15 min. */
function timed(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(root, "bin", "testbed.mjs"), ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const deadline = setTimeout(() => child.kill("SIGINT"), 15 * 60_000);
    child.on("close", (code) => {
      clearTimeout(deadline);
      if (code === 0) resolve((performance.now() - t0) / 1000);
      else reject(new Error(`testbed ${args.join(" ")} exited ${code}: ${stderr.trim()}`));
    });
  });
}

interface TaskCost {
  node: string;
  schedulingSeconds: number;
  startupSeconds: number;
}

/** Each task's scheduling and start-up, from the records of one Slurm sweep. */
function taskCosts(sweep: string): { tasks: TaskCost[]; firstStartSeconds: number } {
  const dir = join(sweep, "slurm", "1");
  const job = JSON.parse(readFileSync(join(dir, "job.json"), "utf8")) as { submittedAt: string; tasks: number };
  const submitted = Date.parse(job.submittedAt);
  const records = Array.from({ length: job.tasks }, (_, i) => JSON.parse(readFileSync(join(dir, `task-${i}.json`), "utf8")) as SweepTaskRecord);
  const out: TaskCost[] = [];
  const byNode = new Map<string, SweepTaskRecord[]>();
  for (const r of records) byNode.set(r.node ?? "?", [...(byNode.get(r.node ?? "?") ?? []), r]);
  for (const [node, rs] of byNode) {
    rs.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
    let free = submitted;
    for (const r of rs) {
      const start = Date.parse(r.startedAt);
      const end = Date.parse(r.endedAt);
      const inPoints = r.points.reduce((s, p) => s + p.seconds, 0);
      out.push({ node, schedulingSeconds: (start - free) / 1000, startupSeconds: (end - start) / 1000 - inPoints });
      free = end;
    }
  }
  return { tasks: out, firstStartSeconds: (Math.min(...records.map((r) => Date.parse(r.startedAt))) - submitted) / 1000 };
}

/** sweep.arrow without host and wall_seconds, re-serialised: equal bytes, equal tables. */
function tableBytes(sweep: string): Buffer {
  const t = tableFromIPC(readFileSync(join(sweep, "sweep.arrow")));
  return Buffer.from(tableToIPC(t.select(t.schema.fields.map((f) => f.name).filter((n) => n !== "host" && n !== "wall_seconds")), "file"));
}

const s = (x: number) => `${x.toFixed(2)} s`;
const work = mkdtempSync(join(tmpdir(), "bench-sweep-slurm-"));
const cluster = await startLocalSlurm({ nodes: NODES, log });
try {
  const wall = { threads: [] as number[], slurm: [] as number[] };
  const costs: TaskCost[] = [];
  const firstStarts: number[] = [];
  let identical = true;
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? (["threads", "slurm"] as const) : (["slurm", "threads"] as const);
    const dirs = { threads: join(work, `threads-${r}`), slurm: join(work, `slurm-${r}`) };
    for (const engine of order) {
      const args = engine === "threads" ? [...SWEEP, "--parallel", String(PARALLEL), "--out", dirs.threads] : [...SWEEP, "--engine", "slurm", "--points-per-task", String(perTask), "--out", dirs.slurm];
      const t = await timed(args, cluster.env);
      wall[engine].push(t);
      log(`round ${r + 1}/${runs}: ${engine} ${s(t)}`);
    }
    const c = taskCosts(dirs.slurm);
    costs.push(...c.tasks);
    firstStarts.push(c.firstStartSeconds);
    identical &&= tableBytes(dirs.slurm).equals(tableBytes(dirs.threads));
  }
  const tasks = Math.ceil(24 / perTask);
  const sched = costs.map((c) => c.schedulingSeconds);
  const startup = costs.map((c) => c.startupSeconds);
  const overhead = costs.map((c) => c.schedulingSeconds + c.startupSeconds);
  printTable(`24-point sweep of srcnet-0.1 (4 weeks): Slurm (${NODES} local slurmd, 1 CPU each, ${tasks} tasks of ${perTask} points) vs worker threads (--parallel ${PARALLEL}); ${runs} interleaved runs, medians`, [
    ["threads wall", `${s(median(wall.threads))}  (${wall.threads.map(s).join(", ")})`],
    ["slurm wall", `${s(median(wall.slurm))}  (${wall.slurm.map(s).join(", ")})`],
    ["ratio slurm / threads", (median(wall.slurm) / median(wall.threads)).toFixed(2)],
    ["per task: scheduling", `${s(median(sched))} median, ${s(Math.max(...sched))} max (target < ${TARGET_SCHEDULING_SECONDS} s: ${median(sched) < TARGET_SCHEDULING_SECONDS ? "met" : "NOT met"})`],
    ["per task: start-up", `${s(median(startup))} median (Node.js, loader, modules; not Slurm)`],
    ["per task: overhead", `${s(median(overhead))} median (scheduling + start-up)`],
    ["submission to first task", s(median(firstStarts))],
    ["tables identical", identical ? "yes (byte for byte, host and wall_seconds aside)" : "NO"],
  ]);
} finally {
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}

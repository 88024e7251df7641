/**
 * The local cluster (cluster/local-slurm.ts) and the Slurm plumbing (cluster/slurm.ts) on plain
 * shell tasks: what the watch reports is checked against what the tasks themselves did (their
 * exit codes, the node Slurm gave them in SLURMD_NODENAME, their PIDs) and against Slurm's own
 * tools (sinfo, squeue).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect, Exit, Scope } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalSlurm, type LocalSlurm } from "../../cluster/local-slurm.js";
import { activeTasks, submitArray, watchArray, type ArraySpec, type TaskState } from "../../cluster/slurm.js";

let cluster: (LocalSlurm & { stop: () => Promise<void> }) | undefined;
const dir = mkdtempSync(join(tmpdir(), "testbed-slurm-test-"));

beforeAll(async () => {
  cluster = await startLocalSlurm();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const slurm = (tool: string, ...args: string[]) => execFileSync(tool, args, { env: cluster!.env, encoding: "utf8" });
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));

function spec(name: string, body: string, tasks: number): ArraySpec {
  const script = join(dir, `${name}.sh`);
  writeFileSync(script, `#!/bin/sh\n${body}\n`);
  return { script, tasks, name, output: join(dir, `${name}-%a.out`), error: join(dir, `${name}-%a.err`), chdir: dir, env: cluster!.env };
}

describe("a local Slurm cluster", () => {
  it("has three idle nodes n1-n3 in one partition, each its own slurmd", () => {
    expect(slurm("sinfo", "--noheader", "--Node", "--format=%N %P %t").trim().split("\n").sort()).toEqual(["n1 local* idle", "n2 local* idle", "n3 local* idle"]);
    const pids = cluster!.pids;
    expect(Object.keys(pids).sort()).toEqual(["munged", "slurmctld", "slurmd-n1", "slurmd-n2", "slurmd-n3"]);
    for (const pid of Object.values(pids)) expect(alive(pid)).toBe(true);
    expect(readFileSync(`/proc/${pids["slurmd-n2"]}/cmdline`, "utf8").split("\0")).toContain("n2");
  });

  it("runs an array across the nodes and reports each task's end as the task ended", async () => {
    // Task 2 exits 3; task 4 kills itself (SIGKILL); the others succeed. Each writes its node.
    const s = spec("ends", 'echo "$SLURMD_NODENAME" > "ends-node-$SLURM_ARRAY_TASK_ID"\nsleep 0.5\n[ "$SLURM_ARRAY_TASK_ID" = 2 ] && exit 3\n[ "$SLURM_ARRAY_TASK_ID" = 4 ] && kill -9 $$\nexit 0', 6);
    const seen: string[] = [];
    const tasks = await Effect.runPromise(
      Effect.scoped(Effect.flatMap(submitArray(s), (job) => watchArray(job, { onProgress: (p) => seen.push(`${p.done}/${p.total}`) }))),
    );
    const ended = tasks as Extract<TaskState, { phase: "ended" }>[];
    expect(ended.map((t) => t.phase)).toEqual(Array(6).fill("ended"));
    expect(ended.map((t) => t.state)).toEqual(["COMPLETED", "COMPLETED", "FAILED", "COMPLETED", "FAILED", "COMPLETED"]);
    expect(ended[2]!.exitCode).toBe(3);
    expect(ended[4]!.signal).toBe(9);
    for (const [i, t] of ended.entries()) expect(t.node).toBe(readFileSync(join(dir, `ends-node-${i}`), "utf8").trim());
    // Three nodes with one CPU each: the first three tasks ran side by side on all of them.
    expect(new Set(ended.slice(0, 3).map((t) => t.node))).toEqual(new Set(["n1", "n2", "n3"]));
    expect(seen.at(-1)).toBe("6/6");
  }, 60_000);

  it("closing the scope of a running array cancels it: nothing left in the queue or running", async () => {
    const s = spec("long", 'echo $$ > "long-pid-$SLURM_ARRAY_TASK_ID"\nexec sleep 600', 5);
    const scope = await Effect.runPromise(Scope.make());
    const job = await Effect.runPromise(Scope.extend(submitArray(s), scope));
    // Wait until three tasks run (the other two pend: one CPU per node).
    for (let i = 0; i < 200; i++) {
      const a = await Effect.runPromise(activeTasks(job));
      if ([...a.values()].filter((t) => t.state === "RUNNING").length === 3 && [0, 1, 2].every((k) => existsSync(join(dir, `long-pid-${k}`)))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const pids = [0, 1, 2].map((k) => Number(readFileSync(join(dir, `long-pid-${k}`), "utf8")));
    for (const pid of pids) expect(alive(pid)).toBe(true);
    await Effect.runPromise(Scope.close(scope, Exit.void));
    expect(slurm("squeue", "--noheader", "--array").trim()).toBe("");
    for (const pid of pids) expect(alive(pid)).toBe(false);
  }, 60_000);

  it("stopping the cluster ends every process it started and removes its folder", async () => {
    const { pids, dir: state, conf } = cluster!;
    await cluster!.stop();
    for (const [name, pid] of Object.entries(pids)) expect(alive(pid), name).toBe(false);
    expect(existsSync(state)).toBe(false);
    // No process of any job of this cluster either.
    const left = execFileSync("sh", ["-c", `grep -l -s -a "SLURM_CONF=${conf}" /proc/[0-9]*/environ || true`], { encoding: "utf8" }).trim();
    expect(left.split("\n").filter((f) => f !== "" && !f.includes(`/proc/${process.pid}/`))).toEqual([]);
  }, 60_000);
});

/**
 * `testbed sim sweep --engine slurm` through a local cluster of three slurmd: the command as a
 * user runs it (a child process, SLURM_CONF pointing at the cluster). The Slurm engine's table is
 * compared with the thread engine's; failures are real ones (a resource limit the kernel
 * enforces, which Slurm propagates to the tasks as clusters do); cancelling is a real SIGINT.
 */
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalSlurm, type LocalSlurm } from "../../cluster/local-slurm.js";

const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "testbed-sweep-slurm-"));
let cluster: (LocalSlurm & { stop: () => Promise<void> }) | undefined;

beforeAll(async () => {
  cluster = await startLocalSlurm();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

interface Ran {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** The CLI in `dir`, pointed at the cluster; `limits` is a shell `ulimit` line run first (the limits Slurm propagates to tasks). */
function testbed(args: string[], o: { limits?: string; onStart?: (child: ReturnType<typeof spawn>) => void; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  const cmd = [process.execPath, join(root, "bin", "testbed.mjs"), ...args];
  const child = o.limits ? spawn("bash", ["-c", `${o.limits} && exec "$@"`, "bash", ...cmd], { cwd: dir, env: o.env ?? cluster!.env }) : spawn(cmd[0]!, cmd.slice(1), { cwd: dir, env: o.env ?? cluster!.env });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  o.onStart?.(child);
  return new Promise((resolve) => child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr })));
}

const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const squeue = () => execFileSync("squeue", ["--noheader", "--array"], { env: cluster!.env, encoding: "utf8" }).trim();

/** sweep.arrow without the two columns that say where and how long each point ran, re-serialised. */
function tableBytes(sweep: string): Uint8Array {
  const t = tableFromIPC(readFileSync(join(sweep, "sweep.arrow")));
  return tableToIPC(t.select(t.schema.fields.map((f) => f.name).filter((n) => n !== "host" && n !== "wall_seconds")), "file");
}
function jsonText(sweep: string): string {
  const s = json(join(sweep, "sweep.json"));
  for (const r of s.points) {
    delete r.host;
    delete r.wall_seconds;
  }
  return JSON.stringify(s, null, 2);
}

/** Nodes the array's tasks ran on, by task, from Slurm's job completion file. */
function nodesFromSlurm(jobId: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of readFileSync(cluster!.jobcompFile, "utf8").split("\n")) {
    if (!line.includes(` ArrayJobId=${jobId} `)) continue;
    out.set(Number(/ArrayTaskId=(\d+)/.exec(line)![1]), /NodeList=(\S+)/.exec(line)![1]!);
  }
  return out;
}

const SWEEP = ["sim", "sweep", "srcnet-0.1", "--vary", "policies.replicas=2,3", "--seeds", "3", "--set", "duration=2 d", "--no-progress"];

describe("testbed sim sweep --engine slurm", () => {
  it("runs the points as one array across the three nodes; the table is the thread engine's, byte for byte, but for host and wall_seconds", async () => {
    const [threads, slurm] = [join(dir, "threads"), join(dir, "slurm")];
    const t = await testbed([...SWEEP, "--parallel", "2", "--out", threads]);
    expect(t.stderr).toBe("");
    expect(t.status).toBe(0);
    const s = await testbed([...SWEEP, "--engine", "slurm", "--partition", "local", "--points-per-task", "2", "--out", slurm]);
    expect(s.stderr).toBe("");
    expect(s.status).toBe(0);
    expect(s.stdout).toBe(`6 points, 0 failed; sweep table: ${join(slurm, "sweep.arrow")}\n`);

    expect(Buffer.from(tableBytes(slurm)).equals(Buffer.from(tableBytes(threads)))).toBe(true);
    expect(jsonText(slurm)).toBe(jsonText(threads));
    // Same host here, and fixed-width wall times: the files themselves are the same size.
    expect(readFileSync(join(slurm, "sweep.arrow")).length).toBe(readFileSync(join(threads, "sweep.arrow")).length);

    // One array of three tasks of two points; each task ran on its own node, as Slurm recorded it.
    const job = json(join(slurm, "slurm", "1", "job.json"));
    expect(job.tasks).toBe(3);
    const fromSlurm = nodesFromSlurm(job.jobId);
    const tasks = [0, 1, 2].map((i) => json(join(slurm, "slurm", "1", `task-${i}.json`)));
    expect(tasks.map((x) => x.points.map((p: { point: number }) => p.point))).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(tasks.map((x) => x.node)).toEqual([0, 1, 2].map((i) => fromSlurm.get(i)));
    expect(new Set(tasks.map((x) => x.node))).toEqual(new Set(["n1", "n2", "n3"]));

    // Where and how long: the host of each point, and a wall time within what its task measured around it.
    const rows = json(join(slurm, "sweep.json")).points as { point: number; host: string; wall_seconds: number; run: string }[];
    for (const r of rows) {
      expect(r.host).toBe(hostname());
      expect(r.run).toBe(`point-000${r.point}`);
      const measured = tasks.flatMap((x) => x.points).find((p: { point: number }) => p.point === r.point).seconds;
      expect(r.wall_seconds).toBeGreaterThan(0);
      expect(r.wall_seconds).toBeLessThanOrEqual(measured + 0.002);
    }
    expect(squeue()).toBe("");
  }, 120_000);

  // Points sampled every minute write a links table of several MB; under a 1 MiB file-size limit
  // (ulimit -f, which Slurm carries to its tasks) the kernel refuses the write: EFBIG.
  const LIMITED = ["sim", "sweep", "srcnet-0.1", "--vary", "output.sampleInterval=1 h,1 min", "--seeds", "2", "--set", "duration=2 d", "--engine", "slurm", "--points-per-task", "2", "--no-progress"];
  const failing = () => join(dir, "failing");

  it("a task that fails is reported by point, with its log; the sweep table says which points failed", async () => {
    const r = await testbed([...LIMITED, "--out", failing()], { limits: "ulimit -f 1024" });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`4 points, 2 failed; sweep table: ${join(failing(), "sweep.arrow")}\n`);
    const jobId = json(join(failing(), "slurm", "1", "job.json")).jobId;
    const log = (ext: string) => join(failing(), "slurm", "1", `task-1.${ext}`);
    for (const p of [2, 3]) {
      expect(r.stderr).toContain(`point ${p}: failed: EFBIG: file too large, write (task 1 of Slurm job ${jobId}: FAILED (exit code 1); logs ${log("out")}, ${log("err")})\n`);
      expect(readFileSync(log("err"), "utf8")).toContain(`point ${p}: failed: EFBIG: file too large, write`);
    }
    expect(r.stderr).not.toMatch(/point [01]:/);
    const rows = json(join(failing(), "sweep.json")).points;
    expect(rows.map((x: { status: string }) => x.status)).toEqual(["complete", "complete", "failed: EFBIG: file too large, write", "failed: EFBIG: file too large, write"]);
    expect(nodesFromSlurm(jobId).size).toBe(2);
  }, 120_000);

  it("--resume runs only the points without a complete run record; the table is then a fresh sweep's", async () => {
    const before = [0, 1].map((p) => readFileSync(join(failing(), `point-000${p}`, "run.json"), "utf8"));
    const r = await testbed([...LIMITED.filter((a) => a !== "--no-progress"), "--out", failing(), "--resume"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`resuming ${failing()}: 2 of 4 points to run\n`);
    expect(json(join(failing(), "slurm", "2", "tasks.json")).tasks.map((t: { index: number }[]) => t.map((p) => p.index))).toEqual([[2, 3]]);
    expect([0, 1].map((p) => readFileSync(join(failing(), `point-000${p}`, "run.json"), "utf8"))).toEqual(before);
    for (const p of [0, 1, 2, 3]) expect(json(join(failing(), `point-000${p}`, "run.json")).status).toBe("complete");
    // Nothing left of the failed attempt in the rerun points (a half-written table's temporary).
    expect(readdirSync(join(failing(), "point-0002")).filter((f) => f.includes(".tmp-"))).toEqual([]);
    const fresh = join(dir, "fresh");
    const t = await testbed([...LIMITED.slice(0, LIMITED.indexOf("--engine")), "--no-progress", "--out", fresh]);
    expect(t.status).toBe(0);
    expect(Buffer.from(tableBytes(failing())).equals(Buffer.from(tableBytes(fresh)))).toBe(true);
    expect(jsonText(failing())).toBe(jsonText(fresh));
  }, 120_000);

  it("Ctrl-C cancels the array by its job id: exit 130, nothing left in the queue or running, the sweep incomplete", async () => {
    const out = join(dir, "cancelled");
    let sent = false;
    const r = await testbed(["sim", "sweep", "srcnet-0.1", "--vary", "policies.replicas=2,3", "--seeds", "3", "--engine", "slurm", "--out", out], {
      onStart: (child) => {
        // SIGINT once a task runs (three run, three pend: one CPU per node).
        const poll = setInterval(() => {
          if (sent || !/ R /.test(squeue())) return;
          sent = true;
          clearInterval(poll);
          child.kill("SIGINT");
        }, 100);
        child.on("close", () => clearInterval(poll));
      },
    });
    expect(sent).toBe(true);
    expect(r.status).toBe(130);
    expect(r.stderr).toMatch(/slurm: cancelling job \d+/);
    expect(r.stderr).toContain("the same command with --resume runs the rest");
    expect(r.stderr).toMatch(/testbed: interrupted; everything started was removed\n$/);
    expect(squeue()).toBe("");
    const jobId = json(join(out, "slurm", "1", "job.json")).jobId;
    const left = execFileSync("sh", ["-c", `grep -l -s -a "SLURM_ARRAY_JOB_ID=${jobId}" /proc/[0-9]*/environ || true`], { encoding: "utf8" }).trim();
    expect(left).toBe("");
    expect(existsSync(join(out, "plan.json"))).toBe(true);
    expect(existsSync(join(out, "sweep.json"))).toBe(false);
    const complete = readdirSync(out).filter((d) => d.startsWith("point-") && existsSync(join(out, d, "run.json")) && json(join(out, d, "run.json")).status === "complete");
    expect(complete.length).toBeLessThan(6);
  }, 120_000);

  it("bad Slurm input exits 2 with a clear message: a partition the cluster lacks, no sbatch", async () => {
    const bad = await testbed([...SWEEP, "--engine", "slurm", "--partition", "nope", "--out", join(dir, "bad")]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^testbed: --engine slurm: sbatch refused the job: .*[Pp]artition/m);
    expect(squeue()).toBe("");
    const none = await testbed([...SWEEP, "--engine", "slurm", "--out", join(dir, "none")], { env: { ...cluster!.env, PATH: "/nonexistent" } });
    expect(none.status).toBe(2);
    expect(none.stderr).toBe("testbed: --engine slurm: sbatch not found on PATH: run on a cluster's login node, or start a local cluster (bash scripts/local-slurm.sh)\n");
  }, 60_000);
});

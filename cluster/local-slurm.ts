/**
 * A Slurm cluster on this one host, for tests, benchmarks and laptops: munged, slurmctld and
 * several slurmd (nodes n1…nN, each its own port on 127.0.0.1) from Debian's packages
 * (`slurmctld slurmd slurm-client munge`, installed by scripts/setup.sh --test/--bench), with all
 * state in a fresh temporary folder. It is an Effect resource: closing its scope cancels every
 * job still queued, ends every process it started by its PID (waiting for each to exit) and
 * removes the folder. Ports are free ones, so several clusters can run side by side.
 *
 * Tools pointed at it need `SLURM_CONF` (`cluster.env`); nothing else differs from a real cluster.
 */
import { spawn } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { Effect, Exit, Schedule, Scope } from "effect";
import { SlurmError, slurmTool } from "./slurm.js";

export interface LocalSlurmOptions {
  /** slurmd daemons (nodes n1…nN), default 3. */
  nodes?: number;
  /** CPUs per node (tasks at once per node), default 1. */
  cpusPerNode?: number;
  /** Hears about start and stop. */
  log?: (line: string) => void;
}

export interface LocalSlurm {
  /** The state folder (configuration, spool, logs, job completion file). */
  dir: string;
  conf: string;
  /** process.env with SLURM_CONF pointing at this cluster: give it to sbatch, squeue, the CLI… */
  env: NodeJS.ProcessEnv;
  nodes: string[];
  partition: string;
  /** The job completion file (one line per ended job or array task). */
  jobcompFile: string;
  /** Every process started, by name (munged, slurmctld, slurmd-n1…). */
  pids: Record<string, number>;
}

export const LOCAL_PARTITION = "local";

/** The short host name (slurmctld insists that SlurmctldHost is it). */
export const shortHostname = (): string => hostname().split(".")[0]!;

/**
 * The slurm.conf of a local cluster. Each setting away from Slurm's default says why; those that
 * make task turnaround fast are what let a sweep task start within a fraction of a second of the
 * previous one ending (docs in `man slurm.conf`).
 */
export function localSlurmConf(o: { dir: string; host: string; ctldPort: number; nodePorts: number[]; cpusPerNode: number }): string {
  const nodes = o.nodePorts.map((port, i) => `NodeName=n${i + 1} NodeAddr=127.0.0.1 NodeHostname=${o.host} Port=${port} CPUs=${o.cpusPerNode} State=UNKNOWN`);
  return `# A one-host Slurm cluster made by cluster/local-slurm.ts; removed with this folder.
ClusterName=testbed
# The controller on this host's short name, reached on the loopback at a free port.
SlurmctldHost=${o.host}(127.0.0.1)
SlurmctldPort=${o.ctldPort}
# Root runs everything (tests and CI run as root); jobs run as whoever submits them.
SlurmUser=root
SlurmdUser=root
# munged of this cluster only, on its own socket (the key is made fresh for it).
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${o.dir}/munge/munge.socket
# All state, spool, pid and log files in this folder (%n: one per node, as several slurmd share a host).
StateSaveLocation=${o.dir}/state
SlurmdSpoolDir=${o.dir}/spool/%n
SlurmctldPidFile=${o.dir}/run/slurmctld.pid
SlurmdPidFile=${o.dir}/run/slurmd-%n.pid
SlurmctldLogFile=${o.dir}/log/slurmctld.log
SlurmdLogFile=${o.dir}/log/slurmd-%n.log
# No cgroups here: track processes by their parent, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# No accounting database: sacct has nothing; the job completion file keeps each task's state,
# exit code and node (cluster/slurm.ts reads it when accounting is off).
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=${o.dir}/jobcomp.txt
# The nodes' CPUs as written below, not as detected (three nodes share this host's cores).
SlurmdParameters=config_overrides
# No mail program on these machines.
MailProg=/bin/true
# Schedule CPUs only, first in first out (no backfill thread).
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# Fast turnaround. An epilog makes slurmd report each job's end with EPILOG_COMPLETE, on which
# slurmctld schedules at once; without one, the freed CPU waits for the controller's next
# one-second pass (measured: ~1 s per task per node, ~0.05 s with it). batch_sched_delay=0:
# queued scheduling requests are served at the next pass instead of 3 s later.
Epilog=/bin/true
SchedulerParameters=batch_sched_delay=0
# Ended jobs leave the controller's memory after 2 s (default 300): squeue stays short, the
# completion file keeps the record.
MinJobAge=2
# scancel: SIGKILL 2 s after SIGTERM (default 30), so a cancelled array leaves the queue quickly.
KillWait=2
# Large arrays (defaults: 1001 tasks, 10000 jobs).
MaxArraySize=100001
MaxJobCount=200000
# A node that registers with a valid configuration is usable, even after being down.
ReturnToService=2
${nodes.join("\n")}
PartitionName=${LOCAL_PARTITION} Nodes=n[1-${o.nodePorts.length}] Default=YES MaxTime=INFINITE State=UP
`;
}

/** `count` distinct free TCP ports on the loopback (all bound at once, then released for the daemons). */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const s = createServer();
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => resolve());
      });
      servers.push(s);
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** A process is gone when /proc has no entry for it or only a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Ends a process by its PID: `signal`, then SIGKILL if it has not exited within `ms`; waits for it. */
const stopPid = (pid: number, ms: number, signal: NodeJS.Signals = "SIGTERM"): Effect.Effect<void> =>
  Effect.gen(function* () {
    const send = (s: NodeJS.Signals) => Effect.sync(() => {
      try {
        process.kill(pid, s);
      } catch {
        // already gone
      }
    });
    const gone = (n: number) => Effect.repeat(Effect.sync(() => !alive(pid)), { schedule: Schedule.spaced("50 millis").pipe(Schedule.intersect(Schedule.recurs(n))), until: (g) => g });
    if (!alive(pid)) return;
    yield* send(signal);
    yield* gone(Math.ceil(ms / 50));
    if (alive(pid)) {
      yield* send("SIGKILL");
      yield* gone(100);
    }
  });

const tail = (file: string, lines = 15) => {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
};

/** A daemon of the cluster: started in its own process group (a terminal's Ctrl-C does not reach it), ended by its PID. */
function daemon(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, pids: Record<string, number>, pidsFile: string): Effect.Effect<number, SlurmError, Scope.Scope> {
  return Effect.acquireRelease(
    Effect.try({
      try: () => {
        const fd = openSync(logFile, "a");
        try {
          const child = spawn(command, args, { env, stdio: ["ignore", fd, fd], detached: true });
          if (child.pid === undefined) throw new Error(`${command} could not be started`);
          child.on("error", () => {}); // reported through the log and the readiness check
          child.unref();
          pids[name] = child.pid;
          writeFileSync(pidsFile, Object.entries(pids).map(([n, p]) => `${n} ${p}\n`).join(""));
          return child.pid;
        } finally {
          closeSync(fd);
        }
      },
      catch: (e) => new SlurmError({ message: `starting ${name}: ${e instanceof Error ? e.message : String(e)}` }),
    }),
    (pid) => stopPid(pid, 10_000),
  );
}

/** Processes left by this cluster's jobs (slurmstepd, the tasks' own), found by the SLURM_CONF in their environment. */
function jobProcesses(conf: string): number[] {
  const found: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${e}/environ`, "utf8").split("\0");
      const comm = readFileSync(`/proc/${e}/comm`, "utf8").trim();
      if (env.includes(`SLURM_CONF=${conf}`) && (comm.startsWith("slurmstepd") || env.some((v) => v.startsWith("SLURM_JOB_ID=")))) found.push(Number(e));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Cancels every job of the cluster and waits (up to 20 s) until its queue is empty; then ends what any job left behind. */
function drain(cluster: { conf: string; env: NodeJS.ProcessEnv }, log: (l: string) => void): Effect.Effect<void> {
  return Effect.gen(function* () {
    const queued = yield* slurmTool("squeue", ["--noheader", "--format=%F"], { env: cluster.env });
    const ids = [...new Set(queued.stdout.split("\n").map((l) => l.trim()).filter((l) => /^\d+$/.test(l)))];
    if (ids.length > 0) {
      log(`cancelling jobs left in the queue: ${ids.join(", ")}`);
      yield* slurmTool("scancel", ids, { env: cluster.env });
      yield* Effect.repeat(slurmTool("squeue", ["--noheader", "--format=%F"], { env: cluster.env }), {
        schedule: Schedule.spaced("200 millis").pipe(Schedule.intersect(Schedule.recurs(100))),
        until: (r) => r.stdout.trim() === "",
      });
    }
  }).pipe(
    Effect.catchAll((e) => Effect.sync(() => log(`draining the queue: ${e.message}`))),
    Effect.zipRight(Effect.suspend(() => Effect.forEach(jobProcesses(cluster.conf), (pid) => stopPid(pid, 2000, "SIGKILL"), { discard: true }))),
  );
}

/** One attempt at bringing the cluster up, in `scope`-owned pieces (released in reverse order). */
function start(o: Required<Omit<LocalSlurmOptions, "log">> & { log: (l: string) => void }): Effect.Effect<LocalSlurm, SlurmError, Scope.Scope> {
  return Effect.gen(function* () {
    for (const tool of ["munged", "mungekey", "slurmctld", "slurmd", "sbatch"]) {
      const found = (process.env.PATH ?? "/usr/bin:/bin").split(":").concat(["/usr/sbin", "/sbin"]).some((d) => existsSync(join(d, tool)));
      if (!found) return yield* Effect.fail(new SlurmError({ message: `${tool} not found: install Debian's slurmctld slurmd slurm-client munge (bash scripts/setup.sh --test)` }));
    }
    // The state folder: removed last, after every process is gone.
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const d = mkdtempSync(join(tmpdir(), "testbed-slurm-"));
        chmodSync(d, 0o755); // munged wants the folders above its socket not writable by others
        for (const sub of ["munge", "state", "log", "run", ...Array.from({ length: o.nodes }, (_, i) => `spool/n${i + 1}`)]) mkdirSync(join(d, sub), { recursive: true, mode: 0o755 });
        return d;
      }),
      (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true })),
    );
    const conf = join(dir, "slurm.conf");
    const env = { ...process.env, SLURM_CONF: conf };
    const pids: Record<string, number> = {};
    const pidsFile = join(dir, "run", "pids");
    const [ctldPort, ...nodePorts] = yield* Effect.promise(() => freePorts(o.nodes + 1));
    writeFileSync(conf, localSlurmConf({ dir, host: shortHostname(), ctldPort: ctldPort!, nodePorts, cpusPerNode: o.cpusPerNode }));
    const sbin = (t: string) => (existsSync(`/usr/sbin/${t}`) ? `/usr/sbin/${t}` : t);

    const key = join(dir, "munge", "munge.key");
    const made = yield* slurmTool(sbin("mungekey"), ["--create", `--keyfile=${key}`], { env });
    if (made.code !== 0) return yield* Effect.fail(new SlurmError({ message: `mungekey: ${made.stderr.trim()}` }));
    chmodSync(key, 0o600);
    const socket = join(dir, "munge", "munge.socket");
    // --force: munged refuses to run as root without it.
    yield* daemon("munged", sbin("munged"), ["--foreground", "--force", `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${join(dir, "munge", "munged.pid")}`, `--log-file=${join(dir, "log", "munged.log")}`, `--seed-file=${join(dir, "munge", "munged.seed")}`], env, join(dir, "log", "munged.out"), pids, pidsFile);
    yield* Effect.repeat(Effect.sync(() => existsSync(socket)), { schedule: Schedule.spaced("50 millis").pipe(Schedule.intersect(Schedule.recurs(100))), until: (x) => x });
    if (!existsSync(socket)) return yield* Effect.fail(new SlurmError({ message: "munged did not start", detail: tail(join(dir, "log", "munged.log")) }));

    yield* daemon("slurmctld", sbin("slurmctld"), ["-D", "-f", conf], env, join(dir, "log", "slurmctld.out"), pids, pidsFile);
    const nodes = Array.from({ length: o.nodes }, (_, i) => `n${i + 1}`);
    for (const n of nodes) yield* daemon(`slurmd-${n}`, sbin("slurmd"), ["-D", "-N", n, "-f", conf], env, join(dir, "log", `slurmd-${n}.out`), pids, pidsFile);
    const cluster: LocalSlurm = { dir, conf, env, nodes, partition: LOCAL_PARTITION, jobcompFile: join(dir, "jobcomp.txt"), pids };
    // Released first: no job outlives the daemons.
    yield* Effect.addFinalizer(() => drain(cluster, o.log));

    // Up when every node is idle (a daemon that died is reported with its log).
    const idle = slurmTool("sinfo", ["--noheader", "--Node", "--format=%N %t"], { env }).pipe(
      Effect.map((r) => r.code === 0 && r.stdout.trim().split("\n").filter((l) => /^n\d+ idle$/.test(l.trim())).length === o.nodes),
    );
    const ready = yield* Effect.repeat(
      Effect.gen(function* () {
        const dead = Object.entries(pids).find(([, pid]) => !alive(pid));
        if (dead) {
          const file = dead[0] === "munged" ? "munged.log" : dead[0] === "slurmctld" ? "slurmctld.log" : `${dead[0]}.log`;
          return yield* Effect.fail(new SlurmError({ message: `${dead[0]} exited while starting`, detail: [tail(join(dir, "log", file)), tail(join(dir, "log", `${dead[0]}.out`))].join("\n") }));
        }
        return yield* idle;
      }),
      { schedule: Schedule.spaced("100 millis").pipe(Schedule.intersect(Schedule.recurs(300))), until: (x) => x },
    ).pipe(Effect.zipRight(idle));
    if (!ready) return yield* Effect.fail(new SlurmError({ message: "the local Slurm cluster's nodes did not become idle within 30 s", detail: tail(join(dir, "log", "slurmctld.log")) }));
    o.log(`local Slurm up in ${dir}: ${nodes.length} nodes, controller on port ${ctldPort}`);
    return cluster;
  });
}

/**
 * A local Slurm cluster living as long as the scope. Starting is retried twice (fresh ports and
 * folder each time: another cluster may have taken a port between its choice and its use).
 */
export function localSlurm(options: LocalSlurmOptions = {}): Effect.Effect<LocalSlurm, SlurmError, Scope.Scope> {
  const o = { nodes: options.nodes ?? 3, cpusPerNode: options.cpusPerNode ?? 1, log: options.log ?? (() => {}) };
  const attempt = Effect.gen(function* () {
    const scope = yield* Scope.make();
    const exit = yield* Effect.exit(Scope.extend(start(o), scope));
    if (Exit.isFailure(exit)) {
      yield* Scope.close(scope, exit);
      return yield* Effect.failCause(exit.cause);
    }
    return { cluster: exit.value, scope };
  });
  return Effect.acquireRelease(attempt.pipe(Effect.retry({ times: 2 })), ({ scope, cluster }) =>
    Effect.sync(() => o.log(`stopping the local Slurm cluster in ${cluster.dir}`)).pipe(Effect.zipRight(Scope.close(scope, Exit.void))),
  ).pipe(Effect.map(({ cluster }) => cluster));
}

/**
 * Stops a local cluster whose owner died (from the `run/pids` file it keeps): the daemons by
 * their PIDs, then the folder. For clean-up by hand; the scope does this itself.
 */
export function stopLocalSlurmDir(dir: string, log: (l: string) => void = () => {}): Effect.Effect<void> {
  return Effect.gen(function* () {
    const conf = join(dir, "slurm.conf");
    const env = { ...process.env, SLURM_CONF: conf };
    if (existsSync(conf)) yield* drain({ conf, env }, log);
    const pids = existsSync(join(dir, "run", "pids"))
      ? readFileSync(join(dir, "run", "pids"), "utf8").trim().split("\n").map((l) => l.split(" ")).filter((x) => x.length === 2).map(([n, p]) => ({ name: n!, pid: Number(p) }))
      : [];
    // Only processes that are still this cluster's (a PID may have been reused since).
    const ours = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir);
      } catch {
        return false;
      }
    };
    for (const p of pids.reverse()) if (ours(p.pid)) yield* stopPid(p.pid, 10_000);
    rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * The same cluster for code that is not an Effect (tests, benchmarks): started now, stopped by
 * `stop()` (which waits for every process to end and removes the folder; calling it twice is fine).
 */
export async function startLocalSlurm(options: LocalSlurmOptions = {}): Promise<LocalSlurm & { stop: () => Promise<void> }> {
  const scope = await Effect.runPromise(Scope.make());
  try {
    const cluster = await Effect.runPromise(Scope.extend(localSlurm(options), scope));
    let stopping: Promise<void> | null = null;
    return { ...cluster, stop: () => (stopping ??= Effect.runPromise(Scope.close(scope, Exit.void))) };
  } catch (e) {
    await Effect.runPromise(Scope.close(scope, Exit.void));
    throw e;
  }
}

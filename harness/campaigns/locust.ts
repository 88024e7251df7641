/**
 * The load engine's processes: a Locust master (harness/load/srcnet_load, run from the venv that
 * scripts/python-venv.sh makes) and its workers, local processes by default, or one multi-node
 * Slurm job (`srun`, a worker per node) on a cluster. A worker is started with nothing but the
 * master's host and port, so placing workers is a matter of where `workerCommand` runs. Every
 * process is ended by its PID when the scope closes: the master first (it stops its workers and
 * reports what they ran), then any worker (or the srun holding them) still running.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { createServer } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Effect, type Scope } from "effect";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The venv's python, made (or found) by scripts/python-venv.sh: fast when it exists. */
export function loadPython(): string {
  if (process.env.TESTBED_LOAD_PYTHON) return process.env.TESTBED_LOAD_PYTHON;
  const venv = execFileSync("bash", [join(root, "scripts", "python-venv.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
  return join(venv, "bin", "python");
}

/** A free TCP port on the loopback (bound, then released for the master to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Where the workers run: local processes, or one Slurm job of a worker per node. */
export type WorkerPlacement =
  | { kind: "local" }
  | {
      kind: "slurm";
      partition?: string;
      account?: string;
      /** The environment of srun (SLURM_CONF for a local cluster; nothing on a real one). */
      env?: NodeJS.ProcessEnv;
      /** How the nodes reach the master (default: this host's name). */
      masterHost?: string;
    };

export interface LoadProcesses {
  master: ChildProcess;
  /** The local workers, or the one srun process holding the Slurm job's workers. */
  workers: ChildProcess[];
  /** Where the master listens for workers. */
  masterHost: string;
  masterPort: number;
}

export interface LoadOptions {
  python: string;
  planFile: string;
  secretsFile: string;
  workers: number;
  /** The processes' stderr (Locust's own messages), in the run record's directory. */
  logFile: string;
  /** Working directory of the processes (a scratch folder; the workers' on Slurm too). */
  cwd: string;
  placement?: WorkerPlacement;
}

const env = (cwd: string) => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd, PYTHONUNBUFFERED: "1", LANG: "C.UTF-8" });

/** The command line of a worker: all it needs is where the master is. */
export const workerCommand = (python: string, masterHost: string, masterPort: number): string[] => [python, "-m", "srcnet_load", "worker", "--master-host", masterHost, "--master-port", String(masterPort)];

async function ended(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return Promise.race([new Promise<boolean>((r) => child.once("exit", () => r(true))), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

/** Ends a process we started, by its PID: `signal` first, SIGKILL if it has not exited after `ms`. */
async function end(child: ChildProcess, signal: NodeJS.Signals, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  if (!(await ended(child, ms))) {
    child.kill("SIGKILL");
    await ended(child, 5000);
  }
}

/**
 * srun's command line for `workers` workers, one per node, as one job (they start together and
 * end together; Slurm cancels the job when srun ends).
 */
export function srunArgs(p: Extract<WorkerPlacement, { kind: "slurm" }>, workers: number, jobName: string, worker: string[]): string[] {
  return [
    `--job-name=${jobName}`,
    `--nodes=${workers}`,
    `--ntasks=${workers}`,
    "--ntasks-per-node=1",
    // A worker that ends early (its master gone) must not take the others down with it.
    "--kill-on-bad-exit=0",
    // The workers need no files (the plan reaches them from the master): any folder every node has.
    "--chdir=/tmp",
    ...(p.partition !== undefined ? [`--partition=${p.partition}`] : []),
    ...(p.account !== undefined ? [`--account=${p.account}`] : []),
    ...worker,
  ];
}

/** The master and `workers` workers (local processes, or a Slurm job), living as long as the scope. */
export function startLoad(o: LoadOptions): Effect.Effect<LoadProcesses, Error, Scope.Scope> {
  const placement = o.placement ?? { kind: "local" };
  return Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const port = await freePort();
        const log = openSync(o.logFile, "a");
        try {
          // On Slurm the workers are on other nodes: the master listens on every interface.
          const bind = placement.kind === "slurm" ? "0.0.0.0" : "127.0.0.1";
          const masterHost = placement.kind === "slurm" ? (placement.masterHost ?? hostname()) : "127.0.0.1";
          const master = spawn(
            o.python,
            [
              ...["-m", "srcnet_load", "master", "--plan", o.planFile, "--secrets", o.secretsFile, "--workers", String(o.workers), "--bind-host", bind, "--bind-port", String(port)],
              // A batch job may wait in the queue before its workers connect.
              ...["--connect-seconds", placement.kind === "slurm" ? "900" : "60"],
            ],
            { cwd: o.cwd, env: env(o.cwd), stdio: ["ignore", "pipe", log] },
          );
          const [cmd, ...args] = workerCommand(o.python, masterHost, port);
          const workers =
            placement.kind === "slurm"
              ? [
                  spawn("srun", srunArgs(placement, o.workers, `srcnet-load-${port}`, [cmd!, ...args]), {
                    cwd: o.cwd,
                    env: { ...(placement.env ?? process.env), ...env(o.cwd) },
                    stdio: ["ignore", "ignore", log],
                  }),
                ]
              : Array.from({ length: o.workers }, () => spawn(cmd!, args, { cwd: o.cwd, env: env(o.cwd), stdio: ["ignore", "ignore", log] }));
          return { master, workers, masterHost, masterPort: port };
        } finally {
          closeSync(log);
        }
      },
      catch: (e) => new Error(`starting the load engine: ${e instanceof Error ? e.message : String(e)}`),
    }),
    (p) =>
      Effect.promise(async () => {
        // SIGINT: the master stops its workers, waits for what they ran and writes it out.
        await end(p.master, "SIGINT", 15_000);
        // srun passes SIGTERM on to its tasks and ends the job step; local workers flush and exit.
        await Promise.all(p.workers.map((w) => end(w, "SIGTERM", 10_000)));
      }),
  );
}

/**
 * Warm `stack up` of 3 sites (every image already built): target < 60 s. Measured in the same run
 * against a named peer, the floor Docker itself sets: `docker run -d` of the same containers from
 * the same images on one network, in parallel, waiting for nothing (no service is ready when it
 * returns). The ratio says how much of the up time is the services getting ready (PostgreSQL,
 * Rucio's schema and daemons, DaCHS's import, XRootD) and the stack's own set-up (toxiproxy paths,
 * traffic-control classes, Rucio's RSEs, protocols and distances), not Docker.
 *
 * BENCH_RUNS (default 3) interleaved rounds: up (through the CLI, as users run it; the time it
 * prints for its containers, and the whole command's wall time), down, peer, cleanup. Medians.
 * Every container either side starts carries the stack's label and is removed by it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, printTable } from "./report.js";

const root = join(import.meta.dirname, "..");
const runs = Number(process.env.BENCH_RUNS ?? 3);
const NAME = "bench-up";
const PEER = "bench-up-peer";
const state = mkdtempSync(join(tmpdir(), "bench-stack-up-"));
const env = { ...process.env, TESTBED_STACK_DIR: state };
const log = (l: string) => process.stderr.write(`bench: ${l}\n`);

const testbed = (...args: string[]) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, "bin", "testbed.mjs"), ...args], { encoding: "utf8", env, timeout: 1_800_000 });
  if (r.status !== 0) throw new Error(`testbed ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return { seconds: (performance.now() - t0) / 1000, stdout: r.stdout };
};
const docker = (...args: string[]) => {
  const r = spawnSync("docker", args, { encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) throw new Error(`docker ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
};
const removePeer = () => {
  const ids = spawnSync("docker", ["ps", "-aq", "--filter", `label=org.srcnet-testbed.stack=${PEER}`], { encoding: "utf8" }).stdout.trim().split("\n").filter((x) => x !== "");
  if (ids.length > 0) spawnSync("docker", ["rm", "-f", ...ids]);
  spawnSync("docker", ["network", "rm", `srcnet-${PEER}`], { stdio: "ignore" });
};

/** The peer: the stack's containers (same images, same count) started bare, in parallel. */
function peer(images: string[]): number {
  docker("network", "create", "--label", `org.srcnet-testbed.stack=${PEER}`, `srcnet-${PEER}`);
  const t0 = performance.now();
  const children = images.map((image, i) =>
    spawnSync("bash", ["-c", `docker run -d --name srcnet-${PEER}-${i} --label org.srcnet-testbed.stack=${PEER} --network srcnet-${PEER} --entrypoint sleep ${image} 300 >/dev/null`]),
  );
  const seconds = (performance.now() - t0) / 1000;
  for (const c of children) if (c.status !== 0) throw new Error(`peer: ${c.stderr}`);
  return seconds;
}

async function main(): Promise<void> {
  const args = ["srcnet-0.1", "--name", NAME, "--sites", "UKSRC,CHSRC,AUSSRC", "--client-site", "UKSRC", "--rows", "200"];
  try {
    log("first up (builds any missing image, generates the dataset): not counted");
    testbed("stack", "up", ...args);
    const st = JSON.parse(readFileSync(join(state, NAME, "stack.json"), "utf8")) as { containers: { id: string }[] };
    const images = st.containers.map((c) => docker("inspect", "--format", "{{.Config.Image}}", c.id));
    testbed("stack", "down", "srcnet-0.1", "--name", NAME);
    const wall: number[] = [];
    const containers: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      const ours = () => {
        const r = testbed("stack", "up", ...args);
        const m = /containers ([\d.]+) s/.exec(r.stdout);
        wall.push(r.seconds);
        containers.push(m ? Number(m[1]) : NaN);
        testbed("stack", "down", "srcnet-0.1", "--name", NAME);
        log(`up ${r.seconds.toFixed(1)} s (containers ${m?.[1] ?? "?"} s)`);
      };
      const theirs = () => {
        bare.push(peer(images));
        removePeer();
        log(`peer ${bare.at(-1)!.toFixed(1)} s`);
      };
      if (i % 2 === 0) {
        ours();
        theirs();
      } else {
        theirs();
        ours();
      }
    }
    printTable(`warm stack up, 3 sites of srcnet-0.1 (${images.length} containers), medians of ${runs} interleaved rounds`, [
      ["testbed stack up (wall)", `${median(wall).toFixed(1)} s (target < 60 s: ${median(wall) < 60 ? "met" : "NOT met"})`],
      ["  containers until ready", `${median(containers).toFixed(1)} s`],
      ["peer: docker run -d of the same containers, ready-unaware", `${median(bare).toFixed(1)} s`],
      ["ratio up / peer", `${(median(wall) / median(bare)).toFixed(1)}x`],
    ]);
  } finally {
    spawnSync(process.execPath, [join(root, "bin", "testbed.mjs"), "stack", "down", "srcnet-0.1", "--name", NAME], { env, stdio: "ignore" });
    removePeer();
    rmSync(state, { recursive: true, force: true });
  }
}

await main();

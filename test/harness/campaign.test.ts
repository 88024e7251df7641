/**
 * Campaigns against the real local stack, through the CLI as the operations group runs them:
 * the smoke preset passes, an impossible threshold fails with exit 1, a site failure shows its
 * error burst and recovery in the record, a replica corrupted on purpose is caught, and Ctrl-C
 * leaves an incomplete record and no containers. Every figure is checked against the record's
 * own raw rows (requests.arrow, faults.arrow), not against the code that summarised them.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC, type Table } from "apache-arrow";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalSlurm } from "../../cluster/local-slurm.js";
import { request } from "../../harness/clients/http.js";
import { PUT_OK } from "../../harness/clients/webdav.js";

const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "campaign-it-"));
const env = { ...process.env, TESTBED_STACK_DIR: join(dir, "stacks") };
const STACK = "it-campaign";
const SITES = "AUSSRC,UKSRC,CHSRC";
const testbed = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin", "testbed.mjs"), ...args], { encoding: "utf8", cwd: dir, env, timeout: 900_000 });
const containers = (stack: string) =>
  spawnSync("docker", ["ps", "-aq", "--filter", `label=org.srcnet-testbed.stack=${stack}`], { encoding: "utf8" }).stdout.trim().split("\n").filter((l) => l !== "");

const read = (run: string, table: string): Table => tableFromIPC(readFileSync(join(dir, run, `${table}.arrow`)));
const json = (run: string, file: string) => JSON.parse(readFileSync(join(dir, run, file), "utf8"));
const rows = (t: Table) => t.toArray().map((r) => r.toJSON() as Record<string, unknown>);

/** `<name>.yaml`: one phase of WebDAV reads at 4/s of `files` placed files, plus `extra` lines. */
function readsCampaign(name: string, o: { files: number; kib: number; seconds: number }, extra: string[]): void {
  const lines = [
    `name: ${name}`,
    "stack: { sites: [AUSSRC, UKSRC, CHSRC], clientSite: UKSRC }",
    `files: { count: ${o.files}, size: ${o.kib} KiB, seeded: ${o.files} }`,
    "phases:",
    `  - { name: reads, duration: ${o.seconds} s, load: { webdav: { executor: constant-arrival-rate, rate: 4, mix: { read: 1 } } } }`,
    ...extra,
    "",
  ];
  writeFileSync(join(dir, `${name}.yaml`), lines.join("\n"));
}

beforeAll(() => {
  const r = testbed("stack", "up", "sv-2026", "--name", STACK, "--sites", SITES, "--client-site", "UKSRC");
  if (r.status !== 0) throw new Error(`stack up failed:\n${r.stderr}`);
}, 1_200_000);

afterAll(() => {
  testbed("stack", "down", "sv-2026", "--name", STACK);
  for (const s of [STACK, "campaign-smoke"]) expect(containers(s)).toEqual([]);
}, 300_000);

describe("campaigns on the local stack", () => {
  it("smoke passes: every service loaded, the record agrees with its own rows", () => {
    const r = testbed("campaign", "run", "smoke", "--stack", STACK, "--out", "smoke");
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/verdict: PASS/);
    const run = json("smoke", "run.json");
    expect(run).toMatchObject({ kind: "campaign", status: "complete", campaign: { name: "smoke" }, scenario: { name: "sv-2026" }, tables: expect.arrayContaining(["requests", "operations", "faults"]) });
    expect(run.services.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(["rucio", "dachs", "xrootd", "transfer", "toxiproxy"]));
    const summary = json("smoke", "summary.json");
    const req = rows(read("smoke", "requests"));
    for (const svc of ["tap", "soda", "webdav", "rucio", "ingest"]) {
      const mine = req.filter((x) => x.service === svc);
      expect(mine.length, svc).toBeGreaterThan(0);
      expect(summary.services[svc].requests).toBe(mine.length);
      expect(summary.services[svc].errors).toBe(mine.filter((x) => !x.ok).length);
    }
    // One TAP iteration a second for 40 s (async jobs add requests: create, run, polls, result, delete).
    expect(req.filter((x) => x.service === "tap" && x.phase === "steady").length).toBeGreaterThanOrEqual(38);
    // Sent times lie within the load (50 s, plus the last iterations' grace).
    expect(Math.min(...req.map((x) => x.t_seconds as number))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...req.map((x) => x.t_seconds as number))).toBeLessThan(62);
    // Integrity covers every replica written: placed files x copies, uploads, ingested copies.
    const puts = req.filter((x) => x.service === "webdav" && x.operation === "PUT" && x.ok).length;
    expect(summary.integrity).toEqual({ files: expect.any(Number), replicas: 6 * 2 + puts, verified: 6 * 2 + puts, lost: 0, corrupted: 0 });
    // The Rucio password reached the load only through its 0600 secrets file: no file of the record holds it.
    const password = JSON.parse(readFileSync(join(dir, "stacks", STACK, "credentials.json"), "utf8")).rucio.password as string;
    for (const f of readdirSync(join(dir, "smoke"))) expect(readFileSync(join(dir, "smoke", f)).includes(password), f).toBe(false);
    // Ingested products became discoverable in Rucio and in TAP.
    expect(summary.operations.ingest["tap-discoverable"].count).toBeGreaterThan(0);
    expect(summary.operations.ingest.ingest.errors).toBe(0);
  }, 300_000);

  it("an impossible threshold fails with exit code 1 and a complete record", () => {
    // It declares srcnet-0.1 and runs on the sv-2026 stack: the record names the campaign and the stack's scenario.
    readsCampaign("impossible", { files: 2, kib: 4, seconds: 5 }, ["scenario: srcnet-0.1", "thresholds:", '  services.webdav.latencySeconds.p50: "< 0.000001"', '  services.webdav.errorRate: "== 0"']);
    const r = testbed("campaign", "run", "impossible.yaml", "--stack", STACK, "--out", "impossible");
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}services\.webdav\.latencySeconds\.p50 < 0\.000001/);
    expect(r.stdout).toMatch(/PASS {2}services\.webdav\.errorRate == 0/);
    const run = json("impossible", "run.json");
    const stack = JSON.parse(readFileSync(join(dir, "stacks", STACK, "stack.json"), "utf8"));
    expect(run).toMatchObject({ status: "complete", campaign: { name: "impossible" }, scenario: { name: "sv-2026", sha256: stack.scenarioSha256 } });
    expect(stack.scenarioSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.stderr).toMatch(/stack it-campaign is of scenario sv-2026 \(the campaign declares srcnet-0.1\)/);
    expect(json("impossible", "summary.json").verdict).toBe("fail");
  }, 300_000);

  /** A two-worker run of `readsCampaign(name, 4 files, 4 KiB, 10 s)`: one merged record, the rate split. */
  function expectTwoWorkers(run: string): { worker: string; node: string }[] {
    const s = json(run, "summary.json");
    const req = rows(read(run, "requests"));
    const ops = rows(read(run, "operations"));
    expect(s.workers.map((w: { worker: string }) => w.worker)).toEqual(["w0", "w1"]);
    let sum = 0;
    for (const w of s.workers as { worker: string; host: string; requests: number; errors: number; iterations: number }[]) {
      const mine = req.filter((x) => x.worker === w.worker);
      expect(w.requests, w.worker).toBe(mine.length);
      expect(w.errors, w.worker).toBe(mine.filter((x) => !x.ok).length);
      // The exact split of 4 reads/s for 10 s: every second iteration each.
      expect(w.iterations, w.worker).toBe(20);
      expect(ops.filter((x) => x.worker === w.worker && x.operation === "read").length, w.worker).toBe(20);
      expect(w.host).not.toBe("");
      sum += w.requests;
    }
    // Merged: the record's rows and the summary's totals are the workers' together.
    expect(sum).toBe(req.length);
    expect(s.services.webdav.requests).toBe(req.length);
    // Reads start on the one schedule, i / 4 s, alternating between the workers.
    const starts = ops.filter((x) => x.operation === "read").sort((a, b) => (a.t_seconds as number) - (b.t_seconds as number));
    expect(starts).toHaveLength(40);
    starts.forEach((x, i) => expect(Math.abs((x.t_seconds as number) - i / 4)).toBeLessThan(0.1));
    expect(new Set(starts.filter((_, i) => i % 2 === 0).map((x) => x.worker)).size).toBe(1);
    return s.workers;
  }

  it("two workers: one merged record whose rows per worker are each worker's own counts, the rate split between them", () => {
    readsCampaign("two", { files: 4, kib: 4, seconds: 10 }, []);
    const r = testbed("campaign", "run", "two.yaml", "--stack", STACK, "--out", "two", "--workers", "2");
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(expectTwoWorkers("two").map((w) => w.node)).toEqual(["", ""]);
  }, 300_000);

  it("two workers as one Slurm job on a local cluster: a worker per node, the same merged record", async () => {
    const cluster = await startLocalSlurm();
    try {
      readsCampaign("two-slurm", { files: 4, kib: 4, seconds: 10 }, []);
      const r = spawnSync(process.execPath, [join(root, "bin", "testbed.mjs"), "campaign", "run", "two-slurm.yaml", "--stack", STACK, "--out", "two-slurm", "--workers", "2", "--engine", "slurm", "--partition", cluster.partition], {
        encoding: "utf8",
        cwd: dir,
        env: { ...env, SLURM_CONF: cluster.conf },
        timeout: 300_000,
      });
      expect(r.status, r.stderr + r.stdout).toBe(0);
      expect(r.stderr).toMatch(/2 worker\(s\) as one Slurm job/);
      const nodes = expectTwoWorkers("two-slurm").map((w) => w.node);
      expect(new Set(nodes).size).toBe(2);
      for (const n of nodes) expect(cluster.nodes).toContain(n);
      // The job ended with the campaign: nothing left in the queue.
      const q = spawnSync("squeue", ["-h"], { encoding: "utf8", env: { ...process.env, SLURM_CONF: cluster.conf } });
      expect(q.stdout.trim()).toBe("");
    } finally {
      await cluster.stop();
    }
  }, 300_000);

  it("site-failure: an error burst while the site is down, reads fail over, recovery measured", () => {
    const r = testbed("campaign", "run", "site-failure", "--stack", STACK, "--out", "site-failure");
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const faults = rows(read("site-failure", "faults"));
    expect(faults).toHaveLength(1);
    const f = faults[0]!;
    expect(f).toMatchObject({ kind: "site-down", target: "CHSRC" });
    expect(f.t_start_seconds as number).toBeGreaterThanOrEqual(20);
    expect(f.t_start_seconds as number).toBeLessThan(22);
    expect((f.t_end_seconds as number) - (f.t_start_seconds as number)).toBeGreaterThan(19);
    const req = rows(read("site-failure", "requests")).filter((x) => x.service === "webdav");
    const failed = req.filter((x) => !x.ok);
    // The burst: failures only while the site was down (a request sent just before the end may fail just after).
    expect(failed.length).toBeGreaterThan(10);
    for (const x of failed) {
      expect(x.t_seconds as number).toBeGreaterThanOrEqual((f.t_start_seconds as number) - 1);
      expect(x.t_seconds as number).toBeLessThan((f.t_end_seconds as number) + 1);
      expect(x.status).toBe(0);
    }
    // Successful requests before and after the fault.
    expect(req.some((x) => x.ok && (x.t_seconds as number) > (f.t_end_seconds as number) + 1)).toBe(true);
    const ops = rows(read("site-failure", "operations")).filter((x) => x.operation === "read");
    expect(ops.length).toBeGreaterThan(100);
    expect(ops.every((x) => x.ok)).toBe(true);
    expect(ops.some((x) => (x.attempts as number) > 1)).toBe(true);
    const s = json("site-failure", "summary.json");
    const fault = s.faults[0];
    const within = (x: Record<string, unknown>) => (x.t_seconds as number) >= fault.atSeconds && (x.t_seconds as number) < fault.endSeconds;
    expect(fault.errorsDuring).toBe(rows(read("site-failure", "requests")).filter((x) => !x.ok && within(x)).length);
    expect(fault.recoverySeconds).toBeGreaterThanOrEqual(0);
    expect(fault.recoverySeconds).toBeLessThan(10);
  }, 300_000);

  it("a replica corrupted on purpose is caught by the integrity check", () => {
    readsCampaign("rot", { files: 3, kib: 16, seconds: 8 }, ["faults:", "  - { kind: corrupt-replica, site: AUSSRC, at: 2 s }", "thresholds:", '  operations.webdav.read.errorRate: "== 0"']);
    const r = testbed("campaign", "run", "rot.yaml", "--stack", STACK, "--out", "rot");
    expect(r.status, r.stderr).toBe(1);
    const s = json("rot", "summary.json");
    expect(s.integrity).toMatchObject({ replicas: 6, verified: 5, lost: 0, corrupted: 1 });
    expect(s.integrityProblems[0]).toMatchObject({ site: "AUSSRC", problem: "corrupted" });
    expect(s.verdict).toBe("fail");
    // Reads of the rotten copy failed their checksum and went to the other replica.
    const gets = rows(read("rot", "requests")).filter((x) => x.operation === "GET" && !x.ok);
    expect(gets.every((x) => x.status === 200)).toBe(true);
    expect(s.operations.webdav.read.errors).toBe(0);
  }, 300_000);

  it("stack clean removes the files campaigns left on the sites, and the sites still take new ones", async () => {
    const state = JSON.parse(readFileSync(join(dir, "stacks", STACK, "stack.json"), "utf8")) as { endpoints: { sites: Record<string, { direct: string }> } };
    const find = (site: string) =>
      // The site's own health file is not a campaign's.
      spawnSync("docker", ["exec", `srcnet-${STACK}-xrootd-${site.toLowerCase()}`, "find", "/srv/storage", "-path", "/srv/storage/.well-known", "-prune", "-o", "-type", "f", "-print"], { encoding: "utf8" })
        .stdout.split("\n")
        .filter((l) => l !== "");
    const files = (site: string) => find(site).length;
    // A file an earlier campaign left on UKSRC (they stay as evidence), served by the site.
    const left = find("UKSRC")[0]!;
    const url = `${state.endpoints.sites.UKSRC!.direct}${left.slice("/srv/storage".length)}`;
    expect((await fetch(url)).status).toBe(200);
    // A site more than half full is pointed out before the load.
    spawnSync("docker", ["exec", `srcnet-${STACK}-xrootd-aussrc`, "dd", "if=/dev/zero", "of=/srv/storage/campaign/filler.bin", "bs=1M", "count=140"]);
    readsCampaign("full", { files: 1, kib: 4, seconds: 2 }, []);
    const run = testbed("campaign", "run", "full.yaml", "--stack", STACK, "--out", "full");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr + run.stdout).toMatch(/site AUSSRC: storage 14\d MiB of 256 MiB used before the load; `testbed stack clean` removes what earlier campaigns left/);
    expect(run.stderr + run.stdout).not.toMatch(/site (UKSRC|CHSRC): storage/);
    const before = Object.fromEntries(SITES.split(",").map((s) => [s, files(s)]));
    expect(Object.values(before).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    const r = testbed("stack", "clean", "sv-2026", "--name", STACK);
    expect(r.status, r.stderr).toBe(0);
    for (const site of SITES.split(",")) {
      expect(files(site), site).toBe(0);
      const line = new RegExp(`^${site}: freed (\\d+\\.\\d) MiB, \\d+\\.\\d MiB of 256\\.0 MiB used$`, "m").exec(r.stdout);
      expect(line, r.stdout).not.toBeNull();
      if (before[site]! > 0) expect(Number(line![1])).toBeGreaterThan(0);
    }
    expect((await fetch(url)).status).toBe(404);
    // The site still stores a new file (the directories campaigns write into are made again).
    const again = `${url.replace(/\/[^/]*$/, "")}/after-clean.bin`;
    expect(PUT_OK).toContain((await Effect.runPromise(request("PUT", again, { body: new Uint8Array(1024) }))).status);
    expect((await fetch(again)).status).toBe(200);
  }, 120_000);

  it("Ctrl-C mid-run leaves an incomplete record and no containers", async () => {
    const child = spawn(process.execPath, [join(root, "bin", "testbed.mjs"), "campaign", "run", "smoke", "--out", "interrupted"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    const started = new Promise<void>((resolve) =>
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        // Interrupt once the load has run for a while.
        if (/campaign: 1\d s of 50 s/.test(stderr)) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await Promise.race([started, exited]);
    child.kill("SIGINT");
    expect(await exited, stderr).toBe(130);
    const run = json("interrupted", "run.json");
    expect(run.status).toBe("incomplete");
    expect(run.error).toMatch(/interrupted/);
    expect(run.endedAt).not.toBeNull();
    // What was measured until then is a readable table.
    expect(read("interrupted", "requests").numRows).toBeGreaterThan(0);
    expect(containers("campaign-smoke")).toEqual([]);
  }, 900_000);
});

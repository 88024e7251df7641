import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { Effect, Exit, Scope } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Adler32 } from "../../records/checksum.js";
import { loadScenario } from "../../scenarios/load.js";
import { RucioClient, rseName } from "../../harness/clients/rucio.js";
import { tapSync } from "../../harness/clients/tap.js";
import { request } from "../../harness/clients/http.js";
import { davGet, davPut, PUT_OK } from "../../harness/clients/webdav.js";
import { removeStack, stackContainers, stackNetworks } from "../../harness/docker/labels.js";
import { inject, restartService, undo } from "../../harness/faults/faults.js";
import { DEFAULT_OPTIONS } from "../../harness/stack/plan.js";
import { acquireStack, TEST_SCOPE, type Stack, type UpOptions } from "../../harness/stack/stack.js";

/**
 * The local stack, for real: a 3-site stack of the SRCNet 0.1 scenario (UK, Switzerland,
 * Australia; the harness stands in the UK). Timings are checked against the scenario's link
 * latencies and bandwidths, files against their checksums, the catalogue against the dataset
 * the stack serves, cutouts with astropy, and cleanup with the Docker API.
 */
const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(e);
const stateRoot = mkdtempSync(join(tmpdir(), "testbed-stack-"));
const NAME = "it-mini";
const SITES = ["UKSRC", "CHSRC", "AUSSRC"];
const sc = loadScenario("srcnet-0.1");
const opts: UpOptions = {
  ...DEFAULT_OPTIONS,
  name: NAME,
  sites: SITES,
  datasetRows: 120,
  images: {},
  stateRoot,
  log: (l) => process.stderr.write(`stack: ${l}\n`),
};

const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");
const adler32 = (b: Uint8Array) => {
  const a = new Adler32();
  a.update(b);
  return a.hex();
};

let scope: Scope.CloseableScope;
let stack: Stack;
let upSeconds = 0;

beforeAll(async () => {
  scope = await run(Scope.make());
  const t0 = performance.now();
  stack = await run(Scope.extend(acquireStack(sc, opts), scope));
  upSeconds = (performance.now() - t0) / 1000;
  process.stderr.write(`stack: up in ${upSeconds.toFixed(1)} s (images ${stack.state.timings.imagesSeconds.toFixed(1)} s, containers ${stack.state.timings.startSeconds.toFixed(1)} s)\n`);
}, 30 * 60_000);

afterAll(async () => {
  // Also runs when a test failed: nothing of the stack may outlive the file.
  if (scope) await run(Scope.close(scope, Exit.void));
  rmSync(stateRoot, { recursive: true, force: true });
}, 120_000);

const path = (from: string, to: string) => stack.state.plan.proxies.find((p) => p.name === `${from}->${to}`)!;
const site = (name: string) => stack.state.endpoints.sites[name]!;

describe("stack of real services (3 sites of srcnet-0.1)", () => {
  it("plans each client path from the scenario's links", () => {
    // UK -> Australia is a direct link in the scenario: its latency and bandwidth, scaled.
    const link = sc.links.find((l) => (l.from === "UKSRC" && l.to === "AUSSRC") || (l.from === "AUSSRC" && l.to === "UKSRC"))!;
    const p = path("client", "AUSSRC");
    expect(p.latencySeconds).toBeCloseTo(link.latencySeconds, 9);
    expect(p.bandwidthBitsPerSecond).toBeCloseTo(link.bandwidthBitsPerSecond * opts.bandwidthScale, 3);
    expect(path("client", "UKSRC").latencySeconds).toBe(0);
  });

  it("a WebDAV PUT through the client's WAN path pays the path's latency and bandwidth", async () => {
    const body = randomBytes(256 * 1024);
    const far = path("client", "AUSSRC");
    // Warm the connection pool once so the timing below is one request, not a handshake too.
    await run(davPut(site("AUSSRC").viaClient, "warm/w.bin", new Uint8Array(16)));
    const viaWan = await run(davPut(site("AUSSRC").viaClient, "t/far.bin", body));
    const direct = await run(davPut(site("AUSSRC").direct, "t/direct.bin", body));
    const floor = 2 * far.latencySeconds + (body.length * 8) / far.bandwidthBitsPerSecond;
    process.stderr.write(`stack: PUT 256 KiB to AUSSRC: ${viaWan.seconds.toFixed(3)} s through the WAN path (floor ${floor.toFixed(3)} s), ${direct.seconds.toFixed(3)} s direct\n`);
    expect(viaWan.seconds).toBeGreaterThanOrEqual(floor * 0.95);
    expect(viaWan.seconds).toBeLessThan(floor + 1.0);
    expect(direct.seconds).toBeLessThan(floor / 2);
    // What went in comes out, byte for byte, from the site itself.
    expect(md5((await run(davGet(site("AUSSRC").direct, "t/far.bin"))).value)).toBe(md5(body));
  });

  it("registers a file in Rucio, lists its replica, and the replica's PFN serves the file", async () => {
    const rucio = new RucioClient(stack.state.endpoints.rucio, stack.credentials.rucio);
    const body = randomBytes(100_000);
    const name = `it-${Date.now()}.bin`;
    const rse = rseName("CHSRC");
    await run(rucio.addReplicas(rse, [{ scope: TEST_SCOPE, name, bytes: body.length, adler32: adler32(body), md5: md5(body) }]));
    const [rep] = await run(rucio.listReplicas([{ scope: TEST_SCOPE, name }], ["http"]));
    expect(rep!.bytes).toBe(body.length);
    expect(rep!.adler32).toBe(adler32(body));
    const pfn = rep!.rses[rse]![0]!;
    // Rucio builds the PFN from the RSE's protocol: the CHSRC endpoint as the client sees it.
    expect(pfn.startsWith(`${site("CHSRC").viaClient}/rucio/`)).toBe(true);
    const put = await run(request("PUT", pfn, { body, expect: PUT_OK }));
    expect(put.seconds).toBeGreaterThanOrEqual(2 * path("client", "CHSRC").latencySeconds * 0.95);
    expect(md5((await run(request("GET", pfn, { expect: [200] }))).value)).toBe(md5(body));
  });

  it("Rucio rules: a rule on a dataset is satisfied, and the judge-evaluator picks up files attached later", async () => {
    const rucio = new RucioClient(stack.state.endpoints.rucio, stack.credentials.rucio);
    const rse = rseName("UKSRC");
    const ds = { scope: TEST_SCOPE, name: `ds-${Date.now()}` };
    const file = (i: number) => {
      const b = randomBytes(1000 + i);
      return { scope: TEST_SCOPE, name: `${ds.name}-f${i}`, bytes: b.length, adler32: adler32(b), md5: md5(b) };
    };
    const f0 = file(0);
    await run(rucio.addReplicas(rse, [f0]));
    await run(rucio.addDataset(ds));
    await run(rucio.attach(ds, [{ scope: f0.scope, name: f0.name }]));
    const [ruleId] = await run(rucio.addRule([ds], 1, rse));
    const r0 = await run(rucio.getRule(ruleId!));
    expect(r0.state).toBe("OK");
    expect(r0.locks_ok_cnt).toBe(1);
    // A file attached after the rule: only the judge-evaluator (a separate daemon) adds its lock.
    const f1 = file(1);
    await run(rucio.addReplicas(rse, [f1]));
    await run(rucio.attach(ds, [{ scope: f1.scope, name: f1.name }]));
    const t0 = performance.now();
    let r1 = r0;
    while (performance.now() - t0 < 60_000) {
      r1 = await run(rucio.getRule(ruleId!));
      if (r1.locks_ok_cnt === 2) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    process.stderr.write(`stack: judge-evaluator added the lock in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    expect(r1.locks_ok_cnt).toBe(2);
    expect(r1.state).toBe("OK");
    expect((await run(rucio.listRules(ds))).map((r) => r.id)).toContain(ruleId);
  });

  it("TAP serves every catalogue row of the stack's dataset, and a cone search finds a row by position", async () => {
    const cat = tableFromIPC(readFileSync(join(stack.state.dataset, "catalogue.arrow")));
    const count = await run(tapSync(stack.state.endpoints.tap, "SELECT COUNT(*) AS n FROM ivoa.obscore"));
    expect(Number(count.rows[0]![0])).toBe(cat.numRows);
    const i = 7;
    const id = String(cat.getChild("obs_id")!.get(i));
    const ra = Number(cat.getChild("s_ra")!.get(i));
    const dec = Number(cat.getChild("s_dec")!.get(i));
    const cone = await run(
      tapSync(
        stack.state.endpoints.tap,
        `SELECT obs_id, s_ra, s_dec FROM ivoa.obscore WHERE 1=CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', ${ra}, ${dec}, 0.001))`,
      ),
    );
    const col = cone.fields.indexOf("obs_id");
    expect(cone.rows.map((r) => r[col])).toContain(id);
  });

  it("a SODA cutout of a catalogue image comes back as FITS with a WCS centred where asked", async () => {
    const cat = tableFromIPC(readFileSync(join(stack.state.dataset, "catalogue.arrow")));
    const type = cat.getChild("dataproduct_type")!;
    let i = 0;
    while (i < cat.numRows && type.get(i) !== "image") i++;
    expect(i).toBeLessThan(cat.numRows);
    const ra = Number(cat.getChild("s_ra")!.get(i));
    const dec = Number(cat.getChild("s_dec")!.get(i));
    const fov = Number(cat.getChild("s_fov")!.get(i));
    const pubDid = String(cat.getChild("obs_publisher_did")!.get(i));
    const { sodaCutoutUrl } = await import("../../harness/clients/soda.js");
    const r = fov / 8;
    const res = await run(request("GET", sodaCutoutUrl(stack.state.endpoints.dachs, pubDid, { ra, dec, radiusDeg: r }), { expect: [200] }));
    const file = join(stateRoot, "cutout.fits");
    writeFileSync(file, res.value);
    const py = spawnSync("/usr/bin/python3", [join(import.meta.dirname, "check_cutout.py"), file, String(ra), String(dec), String(r)], { encoding: "utf8" });
    expect(py.stderr).toBe("");
    const c = JSON.parse(py.stdout) as { shape: number[]; requested_px: number[]; pixel_deg: number; half_width_deg: number; separation_deg: number };
    // The requested centre lands within a pixel of the cutout's centre, and the cutout spans about the circle.
    expect(c.separation_deg).toBeLessThan(1.5 * c.pixel_deg);
    expect(c.half_width_deg).toBeGreaterThanOrEqual(r * 0.9);
    expect(c.half_width_deg).toBeLessThan(fov / 2);
  });

  it("a cut link makes requests fail fast; restored, they succeed", async () => {
    const url = site("CHSRC").viaClient;
    await run(davPut(url, "cut/a.bin", new Uint8Array(1000)));
    const f = await run(inject(NAME, { kind: "link-cut", from: "client", to: "CHSRC" }, stateRoot));
    const t0 = performance.now();
    const failed = await run(Effect.either(davGet(url, "cut/a.bin", 10_000)));
    const failSeconds = (performance.now() - t0) / 1000;
    expect(failed._tag).toBe("Left");
    expect(failSeconds).toBeLessThan(2);
    // The other paths are untouched: a round trip to another site still works.
    const other = randomBytes(1000);
    await run(davPut(site("UKSRC").viaClient, "cut/other.bin", other));
    expect(md5((await run(davGet(site("UKSRC").viaClient, "cut/other.bin"))).value)).toBe(md5(other));
    await run(undo(NAME, f.id, stateRoot));
    const ok = await run(davGet(url, "cut/a.bin"));
    expect(ok.value.length).toBe(1000);
  });

  it("a full site refuses writes with a real out-of-space error; freed, it accepts them", async () => {
    const url = site("UKSRC").viaClient;
    const f = await run(inject(NAME, { kind: "storage-full", site: "UKSRC" }, stateRoot));
    const full = await run(Effect.either(davPut(url, "full/x.bin", randomBytes(64 * 1024))));
    expect(full._tag).toBe("Left");
    // XRootD 5.5 answers ENOSPC by closing the connection without a status (curl: "Empty reply
    // from server"), a WebDAV server with 507: either way at once, not by timing out.
    if (full._tag === "Left") {
      if (full.left.status === null) expect(full.left.message).not.toMatch(/no answer within/);
      else expect(full.left.status).toBeGreaterThanOrEqual(500);
    }
    await run(undo(NAME, f.id, stateRoot));
    await run(davPut(url, "full/x.bin", randomBytes(64 * 1024)));
  });

  it("a site down (paused) keeps its data: requests time out while down and succeed after", async () => {
    const url = site("CHSRC").direct;
    const body = randomBytes(5000);
    await run(davPut(url, "down/k.bin", body));
    const f = await run(inject(NAME, { kind: "site-down", site: "CHSRC", mode: "pause" }, stateRoot));
    const during = await run(Effect.either(davGet(url, "down/k.bin", 1500)));
    expect(during._tag).toBe("Left");
    await run(undo(NAME, f.id, stateRoot));
    expect(md5((await run(davGet(url, "down/k.bin"))).value)).toBe(md5(body));
  });

  it("Rucio comes back after a restart with its catalogue intact", async () => {
    const rucio = new RucioClient(stack.state.endpoints.rucio, stack.credentials.rucio);
    const b = randomBytes(10);
    const name = `restart-${Date.now()}`;
    await run(rucio.addReplicas(rseName("UKSRC"), [{ scope: TEST_SCOPE, name, bytes: b.length, adler32: adler32(b), md5: md5(b) }]));
    await run(restartService(NAME, "rucio", stateRoot));
    // The mapped port survives a restart; the server needs a moment to answer again.
    let reps: Awaited<ReturnType<typeof run<{ name: string }[], unknown>>> = [];
    for (let k = 0; k < 60 && reps.length === 0; k++) {
      reps = await run(Effect.orElseSucceed(rucio.listReplicas([{ scope: TEST_SCOPE, name }]), () => []));
      if (reps.length === 0) await new Promise((res) => setTimeout(res, 500));
    }
    expect(reps.map((r) => r.name)).toEqual([name]);
  });

  it("down removes every container and network of the stack (Docker API)", async () => {
    expect((await run(stackContainers(NAME))).length).toBeGreaterThanOrEqual(SITES.length + 5);
    await run(Scope.close(scope, Exit.void));
    expect(await run(stackContainers(NAME))).toEqual([]);
    expect(await run(stackNetworks(NAME))).toEqual([]);
  });
});

const dockerCounts = async () => {
  const { dockerApi } = await import("../../harness/docker/labels.js");
  const api = dockerApi();
  return { containers: (await api.listContainers({ all: true })).length, networks: (await api.listNetworks()).length, volumes: ((await api.listVolumes()).Volumes ?? []).length };
};

describe("stack lifecycle", () => {
  it("ten up/down cycles leak no container, network or volume", async () => {
    const before = await dockerCounts();
    const cycle = { ...opts, name: "it-cycle", sites: ["UKSRC"], datasetRows: 20 };
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const version = await run(
        (await import("../../harness/stack/stack.js")).withStack(sc, cycle, (s) => new RucioClient(s.state.endpoints.rucio, s.credentials.rucio).ping()),
      );
      times.push((performance.now() - t0) / 1000);
      expect(version.version).toMatch(/^41\./);
      expect(await run(stackContainers("it-cycle"))).toEqual([]);
    }
    process.stderr.write(`stack: 10 up/down cycles of a 1-site stack: ${times.map((t) => t.toFixed(1)).join(", ")} s\n`);
    expect(await dockerCounts()).toEqual(before);
    expect(await run(stackNetworks("it-cycle"))).toEqual([]);
  }, 20 * 60_000);

  const cli = (args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string; child: import("node:child_process").ChildProcess }>((resolve) => {
      const child = spawn(process.execPath, [join(import.meta.dirname, "..", "..", "bin", "testbed.mjs"), ...args], {
        env: { ...process.env, TESTBED_STACK_DIR: stateRoot },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (status) => resolve({ status, stdout, stderr, child }));
    });

  it("CLI: up twice is idempotent, status lists endpoints and credentials, down removes everything", async () => {
    const args = ["srcnet-0.1", "--name", "it-cli", "--sites", "UKSRC,CHSRC", "--rows", "20"];
    try {
      const first = await cli(["stack", "up", ...args]);
      expect(first.stderr).not.toMatch(/at .*\.ts:\d+/);
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/stack it-cli up in [\d.]+ s: images [\d.]+ s \((cold build|cached)\), containers [\d.]+ s/);
      const t0 = performance.now();
      const second = await cli(["stack", "up", ...args]);
      expect(second.status).toBe(0);
      expect(second.stdout).toMatch(/stack it-cli is already up/);
      process.stderr.write(`stack: second up returned in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
      const status = await cli(["stack", "status", "srcnet-0.1", "--name", "it-cli"]);
      expect(status.status).toBe(0);
      expect(status.stdout).toMatch(/rucio +http:\/\/127\.0\.0\.1:\d+/);
      expect(status.stdout).toMatch(/CHSRC +http:\/\/127\.0\.0\.1:\d+ \(WAN: 10\.5 ms/);
      expect(status.stdout).toMatch(/credentials .*credentials\.json/);
      expect(status.stdout).not.toMatch(/password|secret/i);
      // A bad fault target is a usage-level error with a clear message, not a stack trace.
      const bad = await cli(["stack", "fault", "srcnet-0.1", "site-down", "NOSUCH", "--name", "it-cli"]);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/has no site "NOSUCH"/);
      const down = await cli(["stack", "down", "srcnet-0.1", "--name", "it-cli"]);
      expect(down.status).toBe(0);
      expect(down.stdout).toMatch(/removed \d+ containers and 1 networks/);
      expect(await run(stackContainers("it-cli"))).toEqual([]);
      expect(await run(stackNetworks("it-cli"))).toEqual([]);
    } finally {
      await run(removeStack("it-cli"));
    }
  }, 10 * 60_000);

  it("CLI: bad options exit 2 with the option and what was expected", async () => {
    const r = await cli(["stack", "up", "srcnet-0.1", "--sites", "UKSRC,NOWHERE"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--sites: scenario srcnet-0.1 has no site "NOWHERE"/);
    const s = await cli(["stack", "up", "srcnet-0.1", "--bandwidth-scale", "0"]);
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/--bandwidth-scale: expected a number > 0, found "0"/);
  });

  it("CLI: Ctrl-C during up removes what was already started", async () => {
    try {
      const child = spawn(process.execPath, [join(import.meta.dirname, "..", "..", "bin", "testbed.mjs"), "stack", "up", "srcnet-0.1", "--name", "it-int", "--sites", "UKSRC", "--rows", "20"], {
        env: { ...process.env, TESTBED_STACK_DIR: stateRoot },
      });
      let stderr = "";
      const started = new Promise<void>((resolve) =>
        child.stderr.on("data", (d) => {
          stderr += d;
          if (/started /.test(stderr)) resolve();
        }),
      );
      const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      await started;
      expect((await run(stackContainers("it-int"))).length).toBeGreaterThan(0);
      child.kill("SIGINT");
      const code = await closed;
      expect(code).toBe(130);
      expect(stderr).toMatch(/interrupted; everything started was removed/);
      expect(await run(stackContainers("it-int"))).toEqual([]);
      expect(await run(stackNetworks("it-int"))).toEqual([]);
    } finally {
      await run(removeStack("it-int"));
    }
  }, 10 * 60_000);
});

/**
 * Real replication on the local stack: Rucio's conveyor daemons hand transfers to the stack's
 * transfer service (FTS3's REST API), which moves the bytes between XRootD sites as HTTP
 * third-party pulls over the WAN paths (toxiproxy for latency and cuts, the kernel's traffic
 * control for one rate shared per path). Figures are checked against the plan's path latencies
 * and rates, files against the Adler-32 computed here from the bytes uploaded, recovery against
 * what Rucio lists.
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Adler32 } from "../../records/checksum.js";
import { request } from "../../harness/clients/http.js";
import { PUT_OK } from "../../harness/clients/webdav.js";
import { RucioClient, rseName, type FileDid } from "../../harness/clients/rucio.js";
import { inject, undo } from "../../harness/faults/faults.js";
import { readCredentials, readState, type StackState } from "../../harness/stack/state.js";
import { TEST_SCOPE } from "../../harness/stack/stack.js";
import { TRANSFER_COLUMNS } from "../../records/transfer-record.js";

const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "replication-it-"));
const stateRoot = join(dir, "stacks");
const env = { ...process.env, TESTBED_STACK_DIR: stateRoot };
const STACK = "it-repl";
const testbed = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin", "testbed.mjs"), ...args], { encoding: "utf8", cwd: dir, env, timeout: 900_000 });
const containers = () =>
  spawnSync("docker", ["ps", "-aq", "--filter", `label=org.srcnet-testbed.stack=${STACK}`], { encoding: "utf8" }).stdout.trim().split("\n").filter((l) => l !== "");
const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(e);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let state: StackState;
let rucio: RucioClient;

beforeAll(() => {
  const r = testbed("stack", "up", "srcnet-0.1", "--name", STACK, "--sites", "UKSRC,CHSRC,AUSSRC", "--client-site", "UKSRC", "--rows", "20");
  if (r.status !== 0) throw new Error(`stack up failed:\n${r.stderr}`);
  state = readState(STACK, stateRoot)!;
  rucio = new RucioClient(state.endpoints.rucio, readCredentials(state).rucio);
}, 1_200_000);

afterAll(() => {
  testbed("stack", "down", "srcnet-0.1", "--name", STACK);
  expect(containers()).toEqual([]);
}, 300_000);

const adler = (b: Uint8Array) => {
  const a = new Adler32();
  a.update(b);
  return a.hex();
};
/** The plan's path a copy from `source` to `destination` crosses: the destination pulls through path DESTINATION->SOURCE. */
const pathOfCopy = (source: string, destination: string) => state.plan.proxies.find((p) => p.name === `${destination}->${source}`)!;
const siteHost = (s: string) => state.plan.sites.find((x) => x.name === s)!.host;

interface LoggedTransfer {
  file: string;
  link: string;
  bytes: number;
  start: number | null;
  end: number | null;
  state: string;
  error: string | null;
  job_id: string;
}
const transfers = async (): Promise<LoggedTransfer[]> => {
  const r = await run(request("GET", `${state.endpoints.transfer}/srcnet/transfers`, { expect: [200] }));
  return new TextDecoder()
    .decode(r.value)
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as LoggedTransfer);
};
const waitFor = async <A>(what: string, seconds: number, f: () => Promise<A | null>): Promise<A> => {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`);
    await sleep(1000);
  }
};

/** Files uploaded to `site` through Rucio (registered, then written to the PFN it gives), attached to a new dataset. */
async function upload(site: string, n: number, bytes: number, opts: { wrongAdler32?: boolean } = {}) {
  const ds = { scope: TEST_SCOPE, name: `it-${Date.now().toString(36)}-${randomBytes(2).toString("hex")}` };
  await run(rucio.addDataset(ds));
  const files: (FileDid & { body: Uint8Array })[] = [];
  for (let i = 0; i < n; i++) {
    const body = randomBytes(bytes);
    const f = { scope: TEST_SCOPE, name: `${ds.name}-${i}`, bytes, adler32: opts.wrongAdler32 ? "0badc0de" : adler(body), md5: createHash("md5").update(body).digest("hex"), body };
    await run(rucio.addReplicas(rseName(site), [{ scope: f.scope, name: f.name, bytes: f.bytes, adler32: f.adler32, md5: f.md5 }]));
    const [rep] = await run(rucio.listReplicas([{ scope: f.scope, name: f.name }], ["http"]));
    await run(request("PUT", rep!.rses[rseName(site)]![0]!, { body, expect: PUT_OK }));
    files.push(f);
  }
  await run(rucio.attach(ds, files.map((f) => ({ scope: f.scope, name: f.name }))));
  await run(rucio.addRule([ds], 1, rseName(site)));
  return { ds, files };
}

const ruleState = async (id: string, want: string) => {
  const r = await run(rucio.getRule(id));
  return r.state === want ? r : null;
};

describe("replication through Rucio's conveyor and the transfer service", () => {
  it("two transfers at once on one path share its rate: each gets about half", async () => {
    const path = pathOfCopy("UKSRC", "AUSSRC");
    const rate = path.bandwidthBitsPerSecond;
    // Big enough that the rate, not the path's latency, sets each copy's time (about 2 s alone).
    const bytes = Math.round(Math.min(24 * 2 ** 20, Math.max(2 ** 20, (rate / 8) * 2)));
    // Files 0-2 carry the bytes; file 3 is tiny: its copy costs what every copy pays besides its
    // bytes (the path's latency on each request, checksums, setup), measured rather than assumed.
    const sizes = [bytes, bytes, bytes, 1024];
    const src = sizes.map((_, i) => `/rucio/it-share/${Date.now()}-${i}.bin`);
    const bodies = sizes.map((n) => randomBytes(n));
    for (let i = 0; i < src.length; i++) await run(request("PUT", `${state.endpoints.sites.UKSRC!.direct}${src[i]}`, { body: bodies[i]!, expect: PUT_OK }));
    const submit = async (idx: number[]) => {
      const body = {
        files: idx.map((i) => ({
          sources: [`http://${siteHost("UKSRC")}:8000${src[i]}`],
          destinations: [`http://${siteHost("AUSSRC")}:8000${src[i]}`],
          filesize: sizes[i],
          checksum: `ADLER32:${adler(bodies[i]!)}`,
          metadata: { test: "share" },
        })),
        params: { verify_checksum: "both", overwrite: true },
      };
      const r = await run(request("POST", `${state.endpoints.transfer}/jobs`, { body: JSON.stringify(body), headers: { "Content-Type": "application/json" }, expect: [200, 201] }));
      const job = (JSON.parse(new TextDecoder().decode(r.value)) as { job_id: string }).job_id;
      await waitFor(`job ${job}`, 120, async () => {
        const j = JSON.parse(new TextDecoder().decode((await run(request("GET", `${state.endpoints.transfer}/jobs/${job}`, { expect: [200] }))).value)) as { job_state: string };
        return ["FINISHED", "FAILED", "FINISHEDDIRTY", "CANCELED"].includes(j.job_state) ? j : null;
      });
      return (await transfers()).filter((t) => t.job_id === job);
    };
    const seconds = (t: LoggedTransfer) => t.end! - t.start!;
    const tiny = await submit([3]);
    const alone = await submit([0]);
    const pair = await submit([1, 2]);
    for (const t of [...tiny, ...alone, ...pair]) expect(t.state, t.error ?? "").toBe("FINISHED");
    const overhead = seconds(tiny[0]!);
    expect(overhead).toBeGreaterThanOrEqual(2 * path.latencySeconds);
    const share = (t: LoggedTransfer) => (bytes * 8) / (seconds(t) - overhead) / rate;
    process.stderr.write(
      `replication: ${bytes} B over ${path.name} at ${(rate / 1e6).toFixed(1)} Mbit/s (a 1 KiB copy: ${overhead.toFixed(2)} s): alone ${seconds(alone[0]!).toFixed(2)} s (${share(alone[0]!).toFixed(2)} of the rate), ` +
        `two at once ${pair.map((t) => `${seconds(t).toFixed(2)} s (${share(t).toFixed(2)})`).join(", ")}\n`,
    );
    expect(share(alone[0]!)).toBeGreaterThan(0.8);
    expect(share(alone[0]!)).toBeLessThan(1.1);
    // Started together, so they overlapped the whole time: each had about half the path.
    expect(Math.abs(pair[0]!.start! - pair[1]!.start!)).toBeLessThan(0.5);
    for (const t of pair) {
      expect(share(t)).toBeGreaterThan(0.4);
      expect(share(t)).toBeLessThan(0.6);
    }
  }, 300_000);

  it("a rule for 2 copies on a dataset of several files ends OK; both sites' bytes verify by Adler-32", async () => {
    const { ds, files } = await upload("UKSRC", 4, 256 * 1024);
    const [id] = await run(rucio.addRule([ds], 2, "UKSRC_DISK|CHSRC_DISK"));
    const t0 = Date.now();
    await waitFor(`rule ${id} OK`, 120, () => ruleState(id!, "OK"));
    process.stderr.write(`replication: rule for 2 copies of ${files.length} files OK after ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const reps = await run(rucio.listReplicas(files.map((f) => ({ scope: f.scope, name: f.name })), ["http"]));
    expect(reps).toHaveLength(files.length);
    for (const f of files) {
      const rep = reps.find((r) => r.name === f.name)!;
      expect(Object.keys(rep.rses).sort()).toEqual(["CHSRC_DISK", "UKSRC_DISK"]);
      for (const pfns of Object.values(rep.rses)) {
        const got = await run(request("GET", pfns[0]!, { expect: [200] }));
        expect(adler(got.value)).toBe(adler(f.body));
      }
    }
  }, 300_000);

  it("a copy over the Australian path takes at least the path's floor", async () => {
    const bytes = 512 * 1024;
    const { ds, files } = await upload("UKSRC", 1, bytes);
    const [id] = await run(rucio.addRule([ds], 1, "AUSSRC_DISK"));
    await waitFor(`rule ${id} OK`, 120, () => ruleState(id!, "OK"));
    const t = (await transfers()).find((x) => x.file === `${TEST_SCOPE}:${files[0]!.name}` && x.state === "FINISHED")!;
    const path = pathOfCopy("UKSRC", "AUSSRC");
    expect(t.link).toBe("UKSRC->AUSSRC");
    const floor = 2 * path.latencySeconds + (bytes * 8) / path.bandwidthBitsPerSecond;
    process.stderr.write(`replication: ${bytes} B UKSRC->AUSSRC in ${(t.end! - t.start!).toFixed(2)} s (floor ${floor.toFixed(2)} s: ${(path.latencySeconds * 1000).toFixed(0)} ms each way, ${(path.bandwidthBitsPerSecond / 1e6).toFixed(1)} Mbit/s)\n`);
    expect(path.latencySeconds).toBeGreaterThan(0.1);
    expect(t.end! - t.start!).toBeGreaterThanOrEqual(floor * 0.95);
  }, 300_000);

  it("a checksum mismatch fails the transfer, and Rucio retries it", async () => {
    const { ds, files } = await upload("UKSRC", 1, 64 * 1024, { wrongAdler32: true });
    await run(rucio.addRule([ds], 1, "CHSRC_DISK"));
    const file = `${TEST_SCOPE}:${files[0]!.name}`;
    const attempts = await waitFor("two failed attempts", 120, async () => {
      const a = (await transfers()).filter((t) => t.file === file);
      return a.length >= 2 ? a : null;
    });
    for (const a of attempts.slice(0, 2)) {
      expect(a.state).toBe("FAILED");
      expect(a.error).toMatch(/CHECKSUM MISMATCH/);
    }
    // Nothing was left at the destination under the file's name.
    const reps = await run(rucio.listReplicas([{ scope: TEST_SCOPE, name: files[0]!.name }], ["http"]));
    expect(Object.keys(reps[0]!.rses)).toEqual(["UKSRC_DISK"]);
  }, 300_000);

  it("a cut path fails its transfers; restored, Rucio resubmits them and they complete", async () => {
    const { ds, files } = await upload("UKSRC", 2, 128 * 1024);
    const names = new Set(files.map((f) => `${TEST_SCOPE}:${f.name}`));
    const cut = await run(inject(STACK, { kind: "link-cut", from: "CHSRC", to: "UKSRC" }, stateRoot));
    let undone = false;
    try {
      const [id] = await run(rucio.addRule([ds], 1, "CHSRC_DISK"));
      const failed = await waitFor("a failed transfer on the cut path", 90, async () => {
        const f = (await transfers()).filter((t) => names.has(t.file) && t.state === "FAILED");
        return f.length > 0 ? f : null;
      });
      expect(failed[0]!.link).toBe("UKSRC->CHSRC");
      await run(undo(STACK, cut.id, stateRoot));
      undone = true;
      const t0 = Date.now();
      await waitFor(`rule ${id} OK after the path came back`, 180, () => ruleState(id!, "OK"));
      process.stderr.write(`replication: rule OK ${((Date.now() - t0) / 1000).toFixed(1)} s after the path was restored\n`);
      const done = (await transfers()).filter((t) => names.has(t.file) && t.state === "FINISHED");
      expect(new Set(done.map((t) => t.file))).toEqual(names);
      for (const t of done) expect(t.start!).toBeGreaterThan(failed[0]!.end!);
    } finally {
      if (!undone) await run(undo(STACK, cut.id, stateRoot));
    }
  }, 400_000);

  it("site loss: every file with a surviving copy has its copies again, the one with none is reported lost", () => {
    const r = testbed("campaign", "run", "site-loss", "--stack", STACK, "--out", "site-loss");
    const summary = JSON.parse(readFileSync(join(dir, "site-loss", "summary.json"), "utf8"));
    const loss = summary.siteLoss.CHSRC;
    process.stderr.write(`replication: site loss: ${JSON.stringify(loss)}\n`);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(loss.filesAffected).toBe(7);
    expect(loss.filesRecovered).toBe(6);
    expect(loss.recoverySeconds).toBeGreaterThan(0);
    expect(loss.lostFiles).toBe(1);
    expect(loss.lost[0]).toMatch(/-scratch-0$/);
    // The recovery copies are in the record's transfers table, towards the lost site.
    const t = tableFromIPC(readFileSync(join(dir, "site-loss", "transfers.arrow")));
    const rows = t.toArray().map((x) => x.toJSON() as Record<string, unknown>);
    const back = rows.filter((x) => x[TRANSFER_COLUMNS.state] === "FINISHED" && x[TRANSFER_COLUMNS.destination] === "CHSRC" && (x[TRANSFER_COLUMNS.submit] as number) >= loss.atSeconds);
    expect(new Set(back.map((x) => x[TRANSFER_COLUMNS.file])).size).toBe(6);
    expect(summary.integrity.lost).toBe(0);
    expect(summary.integrity.corrupted).toBe(0);
    expect(summary.integrity.replicas).toBeGreaterThanOrEqual(6 * 3);
  }, 600_000);
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "testbed-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const testbed = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, "bin", "testbed.mjs"), ...args], { encoding: "utf8", cwd: dir });
const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const table = (path: string) => tableFromIPC(readFileSync(path));

describe("testbed sim run", () => {
  it("simulates a preset and writes a complete, self-consistent run record", () => {
    const out = join(dir, "run");
    const r = testbed("sim", "run", "srcnet-0.1", "--out", out, "--no-progress", "--set", "output.productEvents=true");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/srcnet-0\.1: .* ingested in 28\.0 d/);
    const run = json(join(out, "run.json"));
    expect(run.status).toBe("complete");
    expect(run.kind).toBe("simulation");
    expect(run.scenario.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.tables.sort()).toEqual(["faults", "links", "product_events", "state", "storage"]);
    const s = json(join(out, "summary.json"));
    const v = s.volume;
    expect(v.storedBytes + v.inFlightBytes + v.backlogBytes + v.deletedBytes + v.lostBytes).toBeCloseTo(v.producedBytes, -3);
    // The events table agrees with the summary: one "created" row per product, one "ingested" per ingested one.
    const ev = table(join(out, "product_events.arrow"));
    const kinds = ev.getChild("event")!.toArray() as string[];
    expect(kinds.filter((k) => k === "created").length).toBe(s.products.created);
    expect(kinds.filter((k) => k === "ingested").length).toBe(s.products.ingested);
    // The storage series ends at the summary's final fill.
    // Each direction of each scenario link is one network link: a sample names it once, and
    // every WAN link the scenario lists (both directions) is there.
    const lk = table(join(out, "links.arrow"));
    const t0 = lk.getChild("timeSeconds")!.get(0);
    const first = [...Array(lk.numRows).keys()].filter((i) => lk.getChild("timeSeconds")!.get(i) === t0).map((i) => String(lk.getChild("link")!.get(i)));
    expect(new Set(first).size).toBe(first.length);
    expect(first.filter((n) => !n.endsWith(":disk-write")).length).toBe(2 * 36 + 2 * 2);
    const st = table(join(out, "storage.arrow"));
    const last = new Map<string, number>();
    for (let i = 0; i < st.numRows; i++) if (st.getChild("storageClass")!.get(i) === "disk") last.set(st.getChild("site")!.get(i), st.getChild("usedBytes")!.get(i));
    for (const [site, used] of last) expect(used).toBeLessThanOrEqual(s.sites[site].diskCapacityBytes);
  });

  it("same seed, byte-identical summary; --seed changes it", () => {
    for (const [name, seed] of [["a", "5"], ["b", "5"], ["c", "6"]]) {
      expect(testbed("sim", "run", "srcnet-0.1", "--out", join(dir, name!), "--seed", seed!, "--no-progress", "--set", "duration=1 w").status).toBe(0);
    }
    const read = (n: string) => readFileSync(join(dir, n, "summary.json"), "utf8");
    expect(read("a")).toBe(read("b"));
    expect(read("c")).not.toBe(read("a"));
  });

  it.each([
    [["sim", "run", "no-such-preset"], /no-such-preset/],
    [["sim", "run", "srcnet-0.1", "--set", "policies.replicas=20"], /policies\.replicas: expected .*, found 20/],
    [["sim", "run", "srcnet-0.1", "--set", "duration=3 dd"], /duration: expected a duration such as "3 d", found "3 dd"/],
    [["sim", "run", "--seed", "-3"], /--seed: expected an integer >= 0, found "-3"/],
    [["sim", "run", "--out", "."], /--out: \. already exists/],
    [["sim", "walk"], /unknown command 'walk'/],
    [["sim", "sweep", "srcnet-0.1", "--vary", "policies.replicas"], /--vary: expected key=v1,v2,\.\.\., found "policies\.replicas"/],
    [["sim", "sweep", "srcnet-0.1", "--vary", "policies.replicas=2,x"], /policies\.replicas: expected .*found "x"/],
    [["sim", "sweep", "srcnet-0.1", "--engine", "mpi"], /^testbed: --engine: expected threads or slurm, found "mpi"\n$/],
    [["sim", "sweep", "srcnet-0.1", "--partition", "short"], /^testbed: --partition: only with --engine slurm\n$/],
    [["sim", "sweep", "srcnet-0.1", "--engine", "slurm", "--parallel", "2"], /^testbed: --parallel: only with --engine threads/],
    [["sim", "sweep", "srcnet-0.1", "--engine", "slurm", "--points-per-task", "0"], /^testbed: --points-per-task: expected an integer >= 1, found "0"\n$/],
    [["sim", "sweep", "srcnet-0.1", "--resume"], /^testbed: --resume: expected --out <dir>, the sweep directory to finish\n$/],
    [["sim", "sweep", "srcnet-0.1", "--resume", "--out", "nowhere"], /^testbed: --resume: nowhere: expected a sweep directory \(with plan\.json\), found nothing at that path\n$/],
  ])("bad input %j exits 2 with a clear message and no stack trace", (args, message) => {
    const r = testbed(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("testbed sim sweep", () => {
  it("runs every point on worker threads and tabulates them", () => {
    const out = join(dir, "sweep");
    const r = testbed("sim", "sweep", "srcnet-0.1", "--vary", "policies.replicas=2,3", "--seeds", "2", "--set", "duration=1 w", "--parallel", "2", "--out", out, "--no-progress");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const t = table(join(out, "sweep.arrow"));
    expect(t.numRows).toBe(4);
    const rows = t.toArray().map((row) => row.toJSON());
    expect(rows.map((x) => [x["policies.replicas"], x.seed])).toEqual([["2", 1], ["2", 2], ["3", 1], ["3", 2]]);
    expect(rows.every((x) => x.status === "complete")).toBe(true);
    // Each point is a full run record; a third copy means one more transfer per product.
    // Run directories are relative to the sweep directory (the same table wherever the sweep ran).
    expect(rows.map((x) => x.run)).toEqual(["point-0000", "point-0001", "point-0002", "point-0003"]);
    const s = rows.map((x) => json(join(out, x.run as string, "summary.json")));
    for (const i of [0, 1]) {
      const two = s[i];
      const three = s[i + 2];
      expect(three.transfers.completed - two.transfers.completed).toBeGreaterThan(0.9 * two.products.ingested);
      expect(json(join(out, rows[i + 2]!.run as string, "run.json")).status).toBe("complete");
    }
    expect(JSON.stringify(s[0])).not.toBe(JSON.stringify(s[1])); // seeds differ
  });

  it("--resume reruns only the points without a complete run record, and writes the same table", () => {
    const out = join(dir, "resumed");
    const args = ["sim", "sweep", "srcnet-0.1", "--vary", "policies.replicas=2,3", "--seeds", "2", "--set", "duration=2 d", "--parallel", "2", "--out", out, "--no-progress"];
    expect(testbed(...args).status).toBe(0);
    const first = readFileSync(join(out, "sweep.json"), "utf8");
    const kept = readFileSync(join(out, "point-0000", "run.json"), "utf8");
    // One point never ran, another was stopped half-way (its run.json still says incomplete).
    rmSync(join(out, "point-0001"), { recursive: true });
    const stopped = json(join(out, "point-0003", "run.json"));
    writeFileSync(join(out, "point-0003", "run.json"), JSON.stringify({ ...stopped, status: "incomplete", endedAt: null }));
    rmSync(join(out, "point-0003", "summary.json"));
    const r = testbed(...args.filter((a) => a !== "--no-progress"), "--resume");
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`resuming ${out}: 2 of 4 points to run\n`);
    expect(readFileSync(join(out, "point-0000", "run.json"), "utf8")).toBe(kept);
    for (const p of ["0001", "0003"]) expect(json(join(out, `point-${p}`, "run.json")).status).toBe("complete");
    const strip = (text: string) => JSON.stringify(JSON.parse(text).points.map(({ wall_seconds: _w, ...row }: Record<string, unknown>) => row));
    expect(strip(readFileSync(join(out, "sweep.json"), "utf8"))).toBe(strip(first));
    // Another sweep's command cannot resume it.
    const other = testbed(...args.map((a) => (a === "policies.replicas=2,3" ? "policies.replicas=2,4" : a)), "--resume");
    expect(other.status).toBe(2);
    expect(other.stderr).toBe(`testbed: --resume: ${out} is a sweep of srcnet-0.1 --set duration=2 d --vary policies.replicas=2,3 --seeds 2; this command asks for srcnet-0.1 --set duration=2 d --vary policies.replicas=2,4 --seeds 2\n`);
  });
});

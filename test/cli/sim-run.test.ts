import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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
    const s = rows.map((x) => json(join(x.run as string, "summary.json")));
    for (const i of [0, 1]) {
      const two = s[i];
      const three = s[i + 2];
      expect(three.transfers.completed - two.transfers.completed).toBeGreaterThan(0.9 * two.products.ingested);
      expect(json(join(rows[i + 2]!.run as string, "run.json")).status).toBe("complete");
    }
    expect(JSON.stringify(s[0])).not.toBe(JSON.stringify(s[1])); // seeds differ
  });
});

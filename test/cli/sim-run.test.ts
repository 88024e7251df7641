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

describe("testbed sim run", () => {
  it("simulates the default scenario and writes a complete run record", () => {
    const out = join(dir, "run");
    const r = testbed("sim", "run", "--out", out, "--no-progress");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(run.status).toBe("complete");
    expect(run.kind).toBe("simulation");
    expect(run.seed).toBe(1);
    expect(run.scenario.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.tables.sort()).toEqual(["link_utilisation", "transfers"]);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    const transfers = tableFromIPC(readFileSync(join(out, "transfers.arrow")));
    expect(transfers.numRows).toBe(summary.transfersStarted);
    let bytes = 0;
    const b = transfers.getChild("bytes")!;
    const end = transfers.getChild("endSeconds")!;
    for (let i = 0; i < transfers.numRows; i++) if (!Number.isNaN(end.get(i))) bytes += b.get(i);
    expect(bytes).toBe(summary.bytesDelivered);
    const util = tableFromIPC(readFileSync(join(out, "link_utilisation.arrow")));
    expect(util.numRows).toBe((86_400 / 600) * 20); // 144 samples x 20 links
  });

  it("same seed gives a byte-identical summary", () => {
    testbed("sim", "run", "--out", join(dir, "a"), "--seed", "5", "--no-progress");
    testbed("sim", "run", "--out", join(dir, "b"), "--seed", "5", "--no-progress");
    expect(readFileSync(join(dir, "a", "summary.json"))).toEqual(readFileSync(join(dir, "b", "summary.json")));
  });

  it.each([
    [["sim", "run", "nope"], /unknown scenario "nope": expected one of default/],
    [["sim", "run", "--seed", "-3"], /--seed: expected an integer >= 0, found "-3"/],
    [["sim", "run", "--out", "."], /--out: \. already exists/],
    [["sim", "walk"], /unknown command 'walk'/],
  ])("bad input %j exits 2 with a clear message and no stack trace", (args, message) => {
    const r = testbed(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";

/** The command line: `testbed datasets generate`, spawned as a user would run it. */
const root = join(import.meta.dirname, "..", "..");
const tmp = mkdtempSync(join(tmpdir(), "datasets-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.concurrent("bad input: exit 2 with a message and no stack trace", () => {
  const testbed = (...args: string[]): Promise<{ status: number; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [join(root, "bin", "testbed.mjs"), "datasets", "generate", ...args], { encoding: "utf8", cwd: root }, (error, _stdout, stderr) => {
        resolve({ status: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stderr });
      });
    });
  const existing = join(tmp, "exists");
  mkdirSync(existing, { recursive: true });
  it.each([
    [["srcnet-0.1", "--out", join(tmp, "x1"), "--scale", "0"], /--scale: expected a number in \(0, 1\], found "0"/],
    [["srcnet-0.1", "--out", join(tmp, "x2"), "--scale", "1.5"], /--scale: expected a number in \(0, 1\]/],
    [["srcnet-0.1", "--out", join(tmp, "x8"), "--scale", "-1e-6"], /--scale: expected a number in \(0, 1\]/],
    [["srcnet-0.1", "--out", join(tmp, "x3"), "--scale", "tiny"], /--scale: .*"tiny"/],
    [["srcnet-0.1", "--out", join(tmp, "x4"), "--rows", "0"], /--rows: expected a positive integer, found "0"/],
    [["srcnet-0.1", "--out", join(tmp, "x5"), "--rows", "2.5"], /--rows: expected a positive integer/],
    [["srcnet-0.1", "--out", existing], /--out: .* already exists/],
    [["srcnet-0.1", "--out", join(tmp, "no", "such", "dir")], /--out: cannot create/],
    [["no-such-preset", "--out", join(tmp, "x6")], /no-such-preset: expected a preset name/],
    [["srcnet-0.1", "--out", join(tmp, "x7"), "--set", "telescopes.0.products.0.type=hologram"], /telescopes\[0\]\.products\[0\]\.type: expected one of .*found "hologram"/],
  ])("%j", async (args, message) => {
    const r = await testbed(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.startsWith("testbed: ")).toBe(true);
  });

  it("a good command line writes the dataset", async () => {
    const out = join(tmp, "cli");
    const r = await testbed("srcnet-0.1", "--out", out, "--rows", "25", "--scale", "1e-9", "--no-progress");
    expect(r.status).toBe(0);
    expect(tableFromIPC(readFileSync(join(out, "catalogue.arrow"))).numRows).toBe(25);
    expect(statSync(join(out, "files")).isDirectory()).toBe(true);
    const scopes = readdirSync(join(out, "files"));
    expect(scopes).toHaveLength(1);
    expect(readdirSync(join(out, "files", scopes[0]!)).length).toBe(25);
    expect(JSON.parse(readFileSync(join(out, "run.json"), "utf8")).status).toBe("complete");
    expect(readdirSync(tmp).filter((f) => f.includes(".partial-"))).toEqual([]);
    expect(existsSync(join(tmp, "x1"))).toBe(false);
  });
});

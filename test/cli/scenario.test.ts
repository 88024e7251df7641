import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI from the repository root, so file names in messages are as typed.
 * Asynchronous, so that the tests of a `describe.concurrent` block run side by side.
 */
const testbed = (...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(process.execPath, [join(root, "bin", "testbed.mjs"), ...args], { encoding: "utf8", cwd: root }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ status: code, stdout, stderr });
    });
  });

const STACK = /\n\s+at /;

describe.concurrent("testbed scenario validate", () => {
  it.each([
    // the numbers of srcnet-0.1's comments: 9 sites, 36 + 2 links, 8 PB, 0.5 PFLOPS
    ["srcnet-0.1", "srcnet-0.1: valid; 9 sites, 38 links, 2 telescopes; storage 6.7 PB disk + 1.3 PB tape; 500 TFLOPS; SV 500 TB/week at peak, 2 PB in 4 w"],
    ["sv-2026", "sv-2026: valid; 9 sites, 38 links, 2 telescopes; storage 60 PB disk + 370 PB tape; 5 PFLOPS; SV 3.5 PB/week at peak, 182 PB in 52 w"],
    ["sv-2027", "sv-2027: valid; 14 sites, 48 links, 2 telescopes; storage 202 PB disk + 1.78 EB tape; 20 PFLOPS; SV 14 PB/week at peak, 728 PB in 52 w"],
    ["site-failure", "site-failure: valid; 9 sites, 38 links, 2 telescopes; storage 60 PB disk + 370 PB tape; 5 PFLOPS; SV 3.5 PB/week at peak, 70 PB in 20 w"],
    ["tape-recall", "tape-recall: valid; 9 sites, 38 links, 2 telescopes; storage 60 PB disk + 370 PB tape; 5 PFLOPS; SV 3.5 PB/week at peak, 105 PB in 30 w"],
  ])("%s is valid: a one-line summary, exit 0", async (name, summary) => {
    const r = await testbed("scenario", "validate", name);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${summary}\n`);
  });

  it("validates a file by path and applies --set", async () => {
    const file = join("test", "scenarios", "good", "minimal.yaml");
    const ok = await testbed("scenario", "validate", file, "--set", "policies.replicas=1", "--set", "sites[0].disk.capacity=5 PB");
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^minimal: valid; 3 sites, 3 links, 1 telescope; storage 6 PB disk \+ 10 PB tape;/);
    const bad = await testbed("scenario", "validate", "sv-2026", "--set", "policies.replicas=20");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      "testbed: sv-2026: policies.replicas: expected at most 9 (the number of sites with disk or tape storage), found 20\n",
    );
    const badSet = await testbed("scenario", "validate", "sv-2026", "--set", "polices.replicas=3");
    expect(badSet.status).toBe(2);
    expect(badSet.stderr).toMatch(/^testbed: --set: polices\.replicas: expected a path starting with a top-level key .*, found "polices"\n$/);
    expect(badSet.stderr).not.toMatch(STACK);
  });

  it("an unknown preset or missing file exits 2", async () => {
    const r = await testbed("scenario", "validate", "no-such-scenario");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^testbed: no-such-scenario: expected a preset name \(.*\) or the path of a YAML file, found "no-such-scenario", which is neither\n$/);
  });
});

describe.concurrent("files that are not scenarios at all: exit 2, one short line naming the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "testbed-bad-files-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Each level of aliases repeats the one before nine times: 9^12 nodes once expanded.
  const bomb = join(dir, "aliases.yaml");
  writeFileSync(bomb, ["a: &a [x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 12 }, (_, i) => `l${i}: &l${i} [${Array(9).fill(i === 0 ? "*a" : `*l${i - 1}`).join(", ")}]`)].join("\n") + "\n");
  // A binary file: an ELF header, then bytes that are not UTF-8, then kilobytes of noise.
  const binary = join(dir, "binary.yaml");
  writeFileSync(binary, Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.from([0xff, 0xfe, 0x80]), Buffer.alloc(8192, 0xa7)]));
  const ALIASES = "expected YAML whose aliases expand to at most 1000 nodes, found aliases that expand past that (each level of aliases multiplies the document)";

  it.each([
    [["scenario", "validate"], bomb, `${ALIASES}`],
    [["campaign", "validate"], bomb, `${ALIASES}`],
    [["sim", "run", "--no-progress", "--out", join(dir, "never")], bomb, `${ALIASES}`],
    [["scenario", "validate"], binary, 'expected a readable YAML file (UTF-8 text), found binary data starting "\\x7fELF\\x02\\x01\\x01\\x00\\xff\\xfe\\x80\\xa7\\xa7\\xa7\\xa7\\xa7\\xa7\\xa7\\xa7\\xa7\\xa7\\xa7\\xa7\\xa7"...'],
    [["campaign", "validate"], binary, 'expected a readable YAML campaign file (UTF-8 text), found binary data starting "\\x7fELF'],
  ])("%s %s", async (command, file, message) => {
    const r = await testbed(...command, file);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr.split("\n")).toHaveLength(2);
    expect(r.stderr.startsWith(`testbed: ${file}: ${message}`), r.stderr).toBe(true);
    expect(r.stderr.length).toBeLessThan(300);
  });

  it("bench compare --thresholds with a binary file", async () => {
    const r = await testbed("bench", "compare", "--baseline", dir, "--candidate", dir, "--thresholds", binary);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^testbed: .*binary\.yaml: expected a readable YAML thresholds file \(UTF-8 text\), found binary data starting "\\x7fELF/);
    expect(r.stderr.length).toBeLessThan(300);
  });

  it("a long string where a mapping belongs is cut in the message", async () => {
    const long = join(dir, "long.yaml");
    writeFileSync(long, `${"x".repeat(5000)}\n`);
    const r = await testbed("scenario", "validate", long);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`testbed: ${long}: expected a mapping of scenario fields (name, sites, ...) at the top level, found "${"x".repeat(57)}..."\n`);
  });
});

describe.concurrent("bad-input corpus (test/scenarios/bad)", () => {
  const dir = join("test", "scenarios", "bad");
  const files = readdirSync(join(root, dir)).filter((f) => f.endsWith(".yaml")).sort();

  it("has the cases the brief asks for", () => {
    for (const f of [
      "unknown-site-in-link.yaml",
      "negative-capacity.yaml",
      "too-many-replicas.yaml",
      "unit-typo.yaml",
      "broken-yaml.yaml",
      "fault-after-end.yaml",
      "fractions-not-one.yaml",
    ]) {
      expect(files).toContain(f);
    }
  });

  /** Each file says in its header comments what the first error must be. */
  const header = (file: string) => {
    const text = readFileSync(join(root, dir, file), "utf8");
    const field = (name: string) => {
      const m = new RegExp(`^# ${name}: (.*)$`, "m").exec(text);
      if (m === null) throw new Error(`${file}: no "# ${name}:" line`);
      return m[1]!;
    };
    return { path: field("path"), expected: field("expected"), found: field("found") };
  };

  it.each(files)("%s: exit 2, one line naming the file, path, expected and found, no stack trace", async (file) => {
    const { path, expected, found } = header(file);
    const rel = join(dir, file);
    const r = await testbed("scenario", "validate", rel);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(STACK);
    const first = r.stderr.split("\n")[0]!;
    expect(first).toBe(`testbed: ${rel}: ${path}: expected ${expected}, found ${found}`);
  });
});

describe.concurrent("testbed scenario list and schema", () => {
  it("lists the presets with their descriptions", async () => {
    const r = await testbed("scenario", "list");
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(["dc-srcnet-0.1", "site-failure", "srcnet-0.1", "sv-2026", "sv-2027", "tape-recall"]);
    expect(lines.find((l) => l.startsWith("sv-2027"))).toMatch(/14 PB\/week/);
  });

  it("schema prints the committed JSON Schema", async () => {
    const r = await testbed("scenario", "schema");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(root, "scenarios", "scenario.schema.json"), "utf8"));
    expect(JSON.parse(r.stdout).title).toBe("SRCNet testbed scenario");
  });
});

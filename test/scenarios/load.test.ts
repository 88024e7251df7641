import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ScenarioError } from "../../scenarios/errors.js";
import {
  applySet,
  deepMerge,
  listPresets,
  loadScenario,
  loadScenarioDocument,
  parseSetPath,
  presetNames,
} from "../../scenarios/load.js";
import { thrown } from "./thrown.js";

const here = import.meta.dirname;
const minimal = join(here, "good", "minimal.yaml");
const dir = mkdtempSync(join(tmpdir(), "testbed-scenarios-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scenarioError = (f: () => unknown): ScenarioError => thrown(ScenarioError, f);

describe("presets", () => {
  it("lists the presets with their descriptions", () => {
    const presets = listPresets();
    expect(presets.map((p) => p.name)).toEqual(["dc-srcnet-0.1", "site-failure", "srcnet-0.1", "sv-2026", "sv-2027", "tape-recall"]);
    for (const p of presets) expect(p.description.length).toBeGreaterThan(20);
    expect(presetNames()).toEqual(presets.map((p) => p.name));
  });

  it("loads a bare name as a preset and anything else as a path", () => {
    expect(loadScenario("sv-2026").name).toBe("sv-2026");
    expect(loadScenario(minimal).name).toBe("minimal");
    const e = scenarioError(() => loadScenario("sv-2099"));
    expect(e.message).toBe(
      'sv-2099: expected a preset name (dc-srcnet-0.1, site-failure, srcnet-0.1, sv-2026, sv-2027, tape-recall) or the path of a YAML file, found "sv-2099", which is neither',
    );
  });

  it("returns a fresh object each time (callers may change it)", () => {
    const a = loadScenario("srcnet-0.1");
    a.seed = 99;
    a.sites.pop();
    const b = loadScenario("srcnet-0.1");
    expect(b.seed).toBe(1);
    expect(b.sites).toHaveLength(9);
  });
});

describe("extends", () => {
  it("merges mappings key by key and replaces lists (site-failure = sv-2026 + a fault)", () => {
    const base = loadScenario("sv-2026");
    const s = loadScenario("site-failure");
    expect(s.sites).toEqual(base.sites);
    expect(s.links).toEqual(base.links);
    expect(s.telescopes).toEqual(base.telescopes);
    expect(s.policies).toEqual(base.policies);
    expect(s.analysis).toEqual(base.analysis);
    expect(s.name).toBe("site-failure");
    expect(s.durationSeconds).toBe(20 * 7 * 86400);
    expect(base.faults).toEqual([]);
    expect(s.faults).toEqual([{ kind: "site-down", site: "CHSRC", atSeconds: 10 * 7 * 86400, durationSeconds: 3 * 86400 }]);
    expect(s.output).toEqual({ sampleIntervalSeconds: base.output.sampleIntervalSeconds, productEvents: true, transferEvents: false });
  });

  it("merges nested mappings (tape-recall changes two policies and adds analysis bursts)", () => {
    const base = loadScenario("sv-2026");
    const s = loadScenario("tape-recall");
    expect(s.policies).toEqual({ ...base.policies, diskToTapeAfterSeconds: 14 * 86400 });
    expect(s.analysis).toEqual({
      ...base.analysis!,
      popularityExponent: 0.2,
      bursts: [{ startSeconds: 26 * 7 * 86400, durationSeconds: 3 * 86400, jobsPerDay: 20000 }],
    });
  });

  it("takes a path relative to the extending file, chains, and detects cycles", () => {
    mkdirSync(join(dir, "x"), { recursive: true });
    writeFileSync(join(dir, "x", "a.yaml"), `extends: ${JSON.stringify(minimal)}\nname: a\nseed: 2\n`);
    writeFileSync(join(dir, "b.yaml"), "extends: x/a.yaml\nname: b\npolicies: { replicas: 1 }\n");
    const b = loadScenario(join(dir, "b.yaml"));
    expect(b).toMatchObject({ name: "b", seed: 2, policies: { replicas: 1, diskToTapeAfterSeconds: 7 * 86400 } });

    writeFileSync(join(dir, "c1.yaml"), "extends: c2.yaml\n");
    writeFileSync(join(dir, "c2.yaml"), "extends: c1.yaml\n");
    const e = scenarioError(() => loadScenario(join(dir, "c1.yaml")));
    expect(e.path).toBe("extends");
    expect(e.expected).toBe("a chain of extends without a cycle");
  });

  it("deepMerge: mappings merged, lists and scalars replaced, null replaces", () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1, e: { f: 1 } }, { a: { c: [3] }, e: null, g: 2 })).toEqual({
      a: { b: 1, c: [3] },
      d: 1,
      e: null,
      g: 2,
    });
  });
});

describe("--set", () => {
  it("parses dotted and bracketed paths", () => {
    expect(parseSetPath("policies.replicas")).toEqual(["policies", "replicas"]);
    expect(parseSetPath("sites.0.disk.capacity")).toEqual(["sites", 0, "disk", "capacity"]);
    expect(parseSetPath("sites[0].disk.capacity")).toEqual(["sites", 0, "disk", "capacity"]);
    expect(parseSetPath("telescopes[1].schedule[0].volume")).toEqual(["telescopes", 1, "schedule", 0, "volume"]);
    for (const bad of ["", ".a", "a.", "a..b", "[0].a", "a[x]", "a[0]b", "a b", "0.a"]) expect(parseSetPath(bad), bad).toBeUndefined();
  });

  it("overrides values as YAML scalars: numbers, strings with units, lists", () => {
    const s = loadScenario(minimal, {
      set: [
        "policies.replicas=1",
        "sites.0.disk.capacity=3 PB",
        "sites[1].disk.read = 1 GB/s",
        "faults=[]",
        "telescopes.0.ingest=[PER, {site: LON, weight: 2}]",
        "description=a=b",
      ],
    });
    expect(s.policies.replicas).toBe(1);
    expect(s.sites[0]!.disk!.capacityBytes).toBe(3e15);
    expect(s.sites[1]!.disk!.readBitsPerSecond).toBe(8e9);
    expect(s.faults).toEqual([]);
    expect(s.telescopes[0]!.ingest).toEqual([
      { site: "PER", weight: 1 },
      { site: "LON", weight: 2 },
    ]);
    expect(s.description).toBe("a=b");
  });

  it("applies after extends, in order, and can add entries and missing mappings", () => {
    const s = loadScenario("site-failure", {
      set: ["faults.1={kind: site-down, site: UKSRC, at: 12 w, duration: 1 d}", "faults.1.duration=2 d", "output.sampleInterval=10 min"],
    });
    expect(s.faults).toHaveLength(2);
    expect(s.faults[1]).toEqual({ kind: "site-down", site: "UKSRC", atSeconds: 12 * 7 * 86400, durationSeconds: 2 * 86400 });
    expect(s.output.sampleIntervalSeconds).toBe(600);
    const doc = loadScenarioDocument(minimal, { set: ["analysis=null", "analysis.jobsPerDay=5"] }).document;
    expect(doc.analysis).toEqual({ jobsPerDay: 5 });
  });

  it("reports the value's problem at its path through the normal validation", () => {
    const e = scenarioError(() => loadScenario(minimal, { set: ["sites.0.disk.capacity=2 PBB"] }));
    expect(e.message).toBe(`${minimal}: sites[0].disk.capacity: expected a data size such as "8 PB", found "2 PBB"`);
  });

  it.each([
    ["policies.replicas", '--set: expected path=value such as "policies.replicas=3" or "sites[0].disk.capacity=2 PB", found "policies.replicas"'],
    ["=3", '--set: expected path=value such as "policies.replicas=3" or "sites[0].disk.capacity=2 PB", found "=3"'],
    ["policies..replicas=3", '--set: expected path=value such as "policies.replicas=3" or "sites[0].disk.capacity=2 PB", found "policies..replicas=3"'],
    [
      "polices.replicas=3",
      '--set: polices.replicas: expected a path starting with a top-level key (name, description, seed, start, duration, network, sites, links, telescopes, policies, analysis, operations, faults, injections, output), found "polices"',
    ],
    ["extends=sv-2027", '--set: extends: expected a path starting with a top-level key (name, description, seed, start, duration, network, sites, links, telescopes, policies, analysis, operations, faults, injections, output), found "extends"'],
    ["sites.9.name=X", "--set: sites[9].name: expected an index from 0 to 3 into the list at sites (3 appends), found 9"],
    ["sites.name=X", '--set: sites.name: expected an index into the list at sites, found "name"'],
    ["name.first=X", '--set: name.first: expected a mapping or a list at name, found "minimal"'],
    ["policies.replicas=[1, 2", "--set: policies.replicas: expected a YAML value (a number, a string, [a, b], {k: v})"],
  ])("%j is a ScenarioError", (entry, message) => {
    const e = scenarioError(() => loadScenario(minimal, { set: [entry] }));
    expect(e.file).toBe("--set");
    expect(e.message.startsWith(message)).toBe(true);
  });

  it("applySet works on a plain document", () => {
    const doc: Record<string, unknown> = { policies: { replicas: 2 } };
    applySet(doc, "policies.replicas=3");
    applySet(doc, "links.0={from: A, to: B}");
    expect(doc).toEqual({ policies: { replicas: 3 }, links: [{ from: "A", to: "B" }] });
  });
});

describe("files", () => {
  it("reports an empty file, a non-mapping and a directory", () => {
    writeFileSync(join(dir, "empty.yaml"), "# nothing\n");
    writeFileSync(join(dir, "list.yaml"), "- a\n- b\n");
    expect(scenarioError(() => loadScenario(join(dir, "empty.yaml"))).found).toBe("an empty document");
    expect(scenarioError(() => loadScenario(join(dir, "list.yaml"))).found).toBe('a list ["a","b"]');
    expect(scenarioError(() => loadScenario(dir)).found).toBe("a directory");
  });
});

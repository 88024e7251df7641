import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Either } from "effect";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ScenarioError } from "../../scenarios/errors.js";
import { loadScenario, parseScenario } from "../../scenarios/load.js";
import {
  decodeScenario,
  encodeScenario,
  greatCircleMetres,
  scenarioJsonSchemaText,
} from "../../scenarios/schema.js";
import type { Scenario } from "../../scenarios/types.js";

const here = import.meta.dirname;
const root = join(here, "..", "..");
const minimalPath = join(here, "good", "minimal.yaml");
const minimalText = readFileSync(minimalPath, "utf8");
const minimalRaw = () => parse(minimalText) as Record<string, unknown>;

/** FTS's optimizer defaults as harness/transfer/OPTIMIZER.md gives them (FTS's own link configuration). */
const FTS_OPTIMIZER_DEFAULTS = {
  enabled: true,
  minActive: 2,
  maxActive: 130,
  mode: "normal",
  increaseStep: 1,
  aggressiveIncreaseStep: 2,
  decreaseStep: 1,
  emaAlpha: 0.1,
  lowSuccessRate: 97,
  baseSuccessRate: 96,
  maxStreams: 16,
  steadyIntervalSeconds: 300,
};

/** Decodes a document, expecting problems; returns them as `path: expected X, found Y` lines. */
function problems(doc: unknown): string[] {
  const r = decodeScenario(doc, "t.yaml");
  if (Either.isRight(r)) throw new Error("expected the scenario to be rejected");
  return r.left.map((i) => `${i.path === "" ? "" : `${i.path}: `}expected ${i.expected}, found ${i.found}`);
}

/** The minimal scenario with `change` applied to its raw document. */
function variant(change: (doc: any) => void): unknown {
  const doc = minimalRaw();
  change(doc);
  return doc;
}

const decodeOk = (doc: unknown): Scenario => {
  const r = decodeScenario(doc, "t.yaml");
  if (Either.isLeft(r)) throw new Error(r.left.map((i) => `${i.path}: ${i.expected} / ${i.found}`).join("\n"));
  return r.right;
};

describe("decoding a complete file", () => {
  const s = loadScenario(minimalPath);

  it("converts every quantity to SI units", () => {
    expect(s.name).toBe("minimal");
    expect(s.seed).toBe(7);
    expect(s.startDate).toBe("2027-01-01");
    expect(s.durationSeconds).toBe(4 * 7 * 86400);
    expect(s.network).toEqual({ sharing: "max-min", signalSpeedMetresPerSecond: 2e8, bandwidthFactor: 1, latencyFactor: 1 });
    const lon = s.sites[0]!;
    expect(lon.disk).toEqual({ capacityBytes: 2e15, readBitsPerSecond: 100e9, writeBitsPerSecond: 100e9, costPerTerabyteYear: 30 });
    expect(lon.tape).toEqual({
      capacityBytes: 10e15,
      readBitsPerSecond: 3.2e9 * 8,
      writeBitsPerSecond: 3.2e9 * 8,
      costPerTerabyteYear: 6,
      drives: 8,
      mountSeconds: 90, // default
      seekSeconds: 60, // default
    });
    expect(lon.compute).toEqual({ cores: 1000, flopsPerSecond: 4e13 });
    expect(s.sites[1]!.disk!.costPerTerabyteYear).toBe(0); // default
    expect(s.sites[2]).toMatchObject({ disk: null, tape: null, compute: { cores: 0, flopsPerSecond: 0 } });
  });

  it("turns each link entry into two directions with the same numbers", () => {
    expect(s.links).toHaveLength(6);
    expect(s.links[0]).toEqual({ from: "TEL", to: "PER", bandwidthBitsPerSecond: 100e9, latencySeconds: 0.001 });
    expect(s.links[1]).toEqual({ from: "PER", to: "TEL", bandwidthBitsPerSecond: 100e9, latencySeconds: 0.001 });
    expect(s.links[2]!.latencySeconds).toBe(s.links[3]!.latencySeconds);
  });

  it("reads schedules given as durations or dates, and rates in any unit", () => {
    const t = s.telescopes[0]!;
    expect(t.ingest).toEqual([{ site: "PER", weight: 1 }]);
    expect(t.schedule).toEqual([
      { startSeconds: 0, endSeconds: 14 * 86400, bytesPerWeek: 1e15 },
      { startSeconds: 14 * 86400, endSeconds: 28 * 86400, bytesPerWeek: 3.5e15 }, // 2027-01-15 is 2 weeks after the start
    ]);
    expect(t.productMix[0]).toEqual({
      type: "visibilities",
      volumeFraction: 0.9,
      size: { medianBytes: 1e12, sigma: 0.5, minBytes: 100e9, maxBytes: 10e12 },
    });
  });

  it("fills policies, analysis, operations and faults", () => {
    expect(s.policies).toEqual({
      replicas: 2,
      placement: "free-capacity",
      diskToTapeAfterSeconds: 7 * 86400,
      lifetimeSeconds: null,
      recallOnAccess: true,
      transfers: {
        maxActivePerPair: 50,
        streamsPerTransfer: 4,
        windowBytes: 16 * 1024 * 1024,
        setupSeconds: 2.6, // default
        checksumSourceBytesPerSecond: null, // default
        checksumDestinationBytesPerSecond: 1e9, // default: 1 GB/s
        optimizer: FTS_OPTIMIZER_DEFAULTS,
      },
      recovery: { enabled: true, detectionSeconds: 3600 },
    });
    expect(s.analysis).toEqual({
      jobsPerDay: 100,
      popularityExponent: 1,
      mode: "move-code-to-data",
      coresPerJob: 1,
      runtime: { medianSeconds: 1800, sigma: 1 },
      homeSites: [
        { site: "LON", weight: 1 },
        { site: "PER", weight: 3 },
      ],
      bursts: [{ startSeconds: 21 * 86400, durationSeconds: 86400, jobsPerDay: 1000 }],
    });
    expect(s.operations).toEqual([
      { kind: "replicate", atSeconds: 14 * 86400, to: "LON", filter: { telescope: "TEL", productType: "image", ingestedBeforeSeconds: null } },
    ]);
    expect(s.faults).toEqual([
      { kind: "site-down", site: "LON", atSeconds: 7 * 86400, durationSeconds: 3 * 86400 },
      { kind: "site-random", sites: ["LON", "PER", "GVA"], mtbfSeconds: 365 * 86400, mttrSeconds: 86400 },
      { kind: "link-cut", from: "PER", to: "LON", atSeconds: 19.5 * 86400, durationSeconds: 6 * 3600 },
      { kind: "link-degrade", from: "LON", to: "GVA", atSeconds: 10 * 86400, durationSeconds: 86400, factor: 0.5 },
      { kind: "storage-lost", site: "PER", storageClass: "disk", atSeconds: 21 * 86400 },
    ]);
    expect(s.output).toEqual({ sampleIntervalSeconds: 3600, productEvents: false, transferEvents: false });
  });

  it("applies the documented defaults to a bare file", () => {
    const bare = decodeOk({
      name: "bare",
      sites: [{ name: "A", country: "X", location: { lat: 0, lon: 0 }, disk: { capacity: "1 PB", read: "1 Gbit/s", write: "1 Gbit/s" } }],
      policies: { replicas: 1 },
      faults: null, // an empty `faults:` in YAML
    });
    expect(bare).toMatchObject({
      description: "",
      seed: 1,
      startDate: "2027-01-01",
      durationSeconds: 52 * 7 * 86400,
      network: { sharing: "latency-weighted", signalSpeedMetresPerSecond: 2e8 },
      links: [],
      telescopes: [],
      analysis: null,
      operations: [],
      faults: [],
      output: { sampleIntervalSeconds: 3600, productEvents: false },
    });
  });
});

describe("latency derived from distance", () => {
  // Hand computation, independent of the code under test: haversine with R = 6371 km.
  const R = 6371e3;
  const rad = (d: number) => (d * Math.PI) / 180;
  const [lat1, lon1, lat2, lon2] = [51.5074, -0.1278, -31.9523, 115.8613]; // London, Perth
  const h =
    Math.sin(rad(lat2 - lat1) / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  const distance = 2 * R * Math.asin(Math.sqrt(h));

  it("London-Perth is about 14,500 km", () => {
    expect(distance / 1000).toBeGreaterThan(14_400);
    expect(distance / 1000).toBeLessThan(14_600);
    expect(greatCircleMetres(lat1, lon1, lat2, lon2)).toBeCloseTo(distance, 3);
  });

  it("a link without latency gets distance / signal speed, both directions", () => {
    const s = loadScenario(minimalPath);
    const perLon = s.links.filter((l) => (l.from === "PER" && l.to === "LON") || (l.from === "LON" && l.to === "PER"));
    expect(perLon).toHaveLength(2);
    for (const l of perLon) expect(l.latencySeconds).toBeCloseTo(distance / 2e8, 12); // about 72.5 ms
    expect(perLon[0]!.latencySeconds).toBeGreaterThan(0.072);
    expect(perLon[0]!.latencySeconds).toBeLessThan(0.073);
  });

  it("follows network.signalSpeed", () => {
    const s = decodeOk(variant((d) => (d.network.signalSpeed = 1e8)));
    const l = s.links.find((x) => x.from === "PER" && x.to === "LON")!;
    expect(l.latencySeconds).toBeCloseTo(distance / 1e8, 12);
  });
});

describe("cross-field checks name the path", () => {
  it.each<[string, (d: any) => void, string]>([
    ["unknown link endpoint", (d) => (d.links[1].to = "ZRH"), 'links[1].to: expected a site or telescope name (LON, PER, GVA, TEL), found "ZRH"'],
    ["link to itself", (d) => (d.links[2].to = "LON"), 'links[2].to: expected an endpoint other than from ("LON"), found "LON"'],
    [
      "duplicate site",
      (d) => (d.sites[2].name = "PER"),
      'sites[2].name: expected a name not used before (sites[1].name is already "PER"), found "PER"',
    ],
    [
      "telescope named like a site",
      (d) => {
        d.telescopes[0].name = "LON";
        d.links[0].from = "LON";
      },
      'telescopes[0].name: expected a name not used before (sites[0].name is already "LON"), found "LON"',
    ],
    [
      "duplicate link",
      (d) => d.links.push({ from: "LON", to: "PER", bandwidth: "1 Gbit/s" }),
      "links[3]: expected one entry per pair of endpoints (links[1] already joins LON and PER; an entry covers both directions), found another LON - PER link",
    ],
    ["unknown ingest site", (d) => (d.telescopes[0].ingest = ["SYD"]), 'telescopes[0].ingest[0]: expected a site name (LON, PER, GVA), found "SYD"'],
    [
      "ingest site not reachable",
      (d) => {
        d.telescopes[0].ingest = [{ site: "GVA", weight: 1 }];
        d.links = d.links.filter((l: any) => l.to !== "GVA");
        d.faults = [];
      },
      'telescopes[0].ingest[0].site: expected a site connected to TEL by links, found "GVA", which no chain of links reaches',
    ],
    [
      "fractions",
      (d) => (d.telescopes[0].products[1].fraction = 0.2),
      "telescopes[0].products: expected fractions summing to 1, found fractions summing to 1.1 (0.9 + 0.2)",
    ],
    [
      "duplicate product type",
      (d) => (d.telescopes[0].products[1].type = "visibilities"),
      'telescopes[0].products[1].type: expected each product type once (products[0] is already "visibilities"), found "visibilities"',
    ],
    [
      "median outside [min, max]",
      (d) => (d.telescopes[0].products[0].size.median = "20 TB"),
      'telescopes[0].products[0].size.median: expected a size between min and max (100000000000 B to 10000000000000 B), found "20 TB" (20000000000000 B)',
    ],
    [
      "schedule to == from",
      (d) => (d.telescopes[0].schedule[0].to = 0),
      "telescopes[0].schedule[0].to: expected a time after from (0 s), found 0 (0 s)",
    ],
    [
      "date before the start",
      (d) => (d.telescopes[0].schedule[0].from = "2026-12-31"),
      'telescopes[0].schedule[0].from: expected a time at or after the start of the run (2027-01-01), found "2026-12-31"',
    ],
    [
      "fault exactly at the end",
      (d) => (d.faults[0].at = "4 w"),
      'faults[0].at: expected a time before the end of the run (4 w = 2419200 s), found "4 w" (2419200 s)',
    ],
    [
      "burst after the end",
      (d) => (d.analysis.bursts[0].from = "2027-03-01"),
      'analysis.bursts[0].from: expected a time before the end of the run (4 w = 2419200 s), found "2027-03-01" (5097600 s)',
    ],
    ["unknown operation site", (d) => (d.operations[0].to = "NYC"), 'operations[0].to: expected a site name (LON, PER, GVA), found "NYC"'],
    ["operation to a site without storage", (d) => (d.operations[0].to = "GVA"), 'operations[0].to: expected a site with disk or tape storage, found "GVA"'],
    ["unknown random-fault site", (d) => (d.faults[1].sites = ["LON", "XX"]), 'faults[1].sites[1]: expected a site name (LON, PER, GVA), found "XX"'],
    [
      "cut of a link that does not exist",
      (d) => (d.faults[2].to = "GVA"),
      'faults[2].to: expected an endpoint linked to PER (links has no PER - GVA entry), found "GVA"',
    ],
    [
      "storage class the site lacks",
      (d) => (d.faults[4].class = "tape"),
      'faults[4].class: expected a storage class the site has (PER has no tape), found "tape"',
    ],
    [
      "more replicas than sites with storage",
      (d) => (d.policies.replicas = 3),
      "policies.replicas: expected at most 2 (the number of sites with disk or tape storage), found 3",
    ],
    [
      "optimizer range upside down",
      (d) => (d.policies.transfers = { optimizer: { minActive: 10, maxActive: 5 } }),
      "policies.transfers.optimizer.maxActive: expected at least minActive (10), found 5",
    ],
  ])("%s", (_what, change, message) => {
    expect(problems(variant(change))[0]).toBe(message);
  });

  it("reports every problem, in one pass, first problem first", () => {
    const list = problems(
      variant((d) => {
        d.links[1].to = "ZRH";
        d.policies.replicas = 3;
        d.faults[0].at = "5 w";
      }),
    );
    expect(list).toEqual([
      'links[1].to: expected a site or telescope name (LON, PER, GVA, TEL), found "ZRH"',
      // with links[1] gone, TEL still reaches PER, but the cut of PER-LON refers to a missing link
      "policies.replicas: expected at most 2 (the number of sites with disk or tape storage), found 3",
      'faults[0].at: expected a time before the end of the run (4 w = 2419200 s), found "5 w" (3024000 s)',
      'faults[2].to: expected an endpoint linked to PER (links has no PER - LON entry), found "LON"',
    ]);
  });
});

describe("faults on one target do not overlap in time", () => {
  it.each<[string, (d: any) => void, string]>([
    [
      "two site-down windows on one site",
      (d) => d.faults.push({ kind: "site-down", site: "LON", at: "9 d", duration: "1 d" }),
      'faults[5].at: expected a window that does not overlap faults[0] on site LON (1 w to 10 d from the start), found "9 d" for 1 d (9 d to 10 d from the start)',
    ],
    [
      "a window that holds an earlier one",
      (d) => d.faults.push({ kind: "site-down", site: "LON", at: "6 d", duration: "1 w" }),
      'faults[5].at: expected a window that does not overlap faults[0] on site LON (1 w to 10 d from the start), found "6 d" for 1 w (6 d to 13 d from the start)',
    ],
    [
      "a cut during a degradation of the same link, named the other way round",
      (d) => d.faults.push({ kind: "link-cut", from: "GVA", to: "LON", at: "10 d", duration: "1 h" }),
      'faults[5].at: expected a window that does not overlap faults[3] on link GVA - LON (10 d to 11 d from the start), found "10 d" for 1 h (10 d to 241 h from the start)',
    ],
  ])("%s is rejected", (_what, change, message) => {
    expect(problems(variant(change))).toEqual([message]);
  });

  it("back to back on one site, and at once on two sites, are accepted", () => {
    const s = decodeOk(
      variant((d) => {
        d.faults.push({ kind: "site-down", site: "LON", at: "10 d", duration: "1 d" });
        d.faults.push({ kind: "site-down", site: "GVA", at: "8 d", duration: "1 d" });
      }),
    );
    expect(s.faults.filter((f) => f.kind === "site-down").map((f) => [f.site, f.atSeconds, f.durationSeconds])).toEqual([
      ["LON", 7 * 86_400, 3 * 86_400],
      ["LON", 10 * 86_400, 86_400],
      ["GVA", 8 * 86_400, 86_400],
    ]);
  });
});

describe("per-field checks name the path", () => {
  it.each<[string, (d: any) => void, string]>([
    ["unit typo", (d) => (d.sites[0].disk.capacity = "10 PBB"), 'sites[0].disk.capacity: expected a data size such as "8 PB", found "10 PBB"'],
    ["negative size", (d) => (d.sites[0].disk.capacity = "-1 PB"), 'sites[0].disk.capacity: expected a data size >= 0 such as "8 PB", found "-1 PB"'],
    ["zero bandwidth", (d) => (d.links[0].bandwidth = 0), 'links[0].bandwidth: expected a bit rate > 0 such as "100 Gbit/s", found 0'],
    ["mapping for a quantity", (d) => (d.links[0].bandwidth = { a: 1 }), 'links[0].bandwidth: expected a bit rate such as "100 Gbit/s", found a mapping {"a":1}'],
    ["unknown key", (d) => (d.sites[0].disk.capcity = "1 PB"), 'sites[0].disk.capcity: expected one of the keys capacity, read, write, costPerTBYear, found unknown key "capcity"'],
    ["unknown top-level key", (d) => (d.polices = {}), `polices: expected one of the keys name, description, extends, seed, start, duration, network, sites, links, telescopes, policies, analysis, operations, faults, injections, output, found unknown key "polices"`],
    ["missing field", (d) => delete d.sites[0].location, "sites[0].location: expected a mapping (required), found nothing"],
    ["bad enum", (d) => (d.network.sharing = "fair"), 'network.sharing: expected one of "max-min", "latency-weighted", found "fair"'],
    ["bad fault kind", (d) => (d.faults[0].kind = "meteor"), 'faults[0].kind: expected one of "site-down", "site-random", "link-cut", "link-degrade", "storage-lost", found "meteor"'],
    ["field of another fault kind", (d) => (d.faults[0].factor = 0.5), 'faults[0].factor: expected one of the keys kind, site, at, duration, found unknown key "factor"'],
    ["non-integer drives", (d) => (d.sites[0].tape.drives = 2.5), "sites[0].tape.drives: expected an integer >= 1, found 2.5"],
    ["latitude", (d) => (d.sites[0].location.lat = 91), "sites[0].location.lat: expected a number >= -90 and <= 90, found 91"],
    ["degrade factor", (d) => (d.faults[3].factor = 2), "faults[3].factor: expected a number > 0 and <= 1, found 2"],
    ["bad date", (d) => (d.start = "2027-02-30"), 'start: expected an ISO date such as "2027-01-01", found "2027-02-30"'],
    ["bad time point", (d) => (d.faults[0].at = "next week"), 'faults[0].at: expected a time: a duration from the start such as "4 w" or an ISO date such as "2027-03-01", found "next week"'],
    ["empty sites", (d) => (d.sites = []), "sites: expected a list of one or more sites, found a list []"],
    ["bad ingest entry", (d) => (d.telescopes[0].ingest = [5]), "telescopes[0].ingest[0]: expected a site name or a mapping {site, weight}, found 5"],
    ["bad ingest weight", (d) => (d.telescopes[0].ingest = [{ site: "PER", weight: 0 }]), "telescopes[0].ingest[0].weight: expected a number > 0, found 0"],
    ["random sites", (d) => (d.faults[1].sites = "some"), 'faults[1].sites: expected a list of site names or "all", found "some"'],
    ["string for a boolean", (d) => (d.output = { productEvents: "yes" }), 'output.productEvents: expected true or false, found "yes"'],
    ["bad optimizer mode", (d) => (d.policies.transfers = { optimizer: { mode: "fast" } }), 'policies.transfers.optimizer.mode: expected one of "conservative", "normal", "aggressive", found "fast"'],
    ["EMA weight above 1", (d) => (d.policies.transfers = { optimizer: { emaAlpha: 1.5 } }), "policies.transfers.optimizer.emaAlpha: expected a number > 0 and <= 1, found 1.5"],
    ["checksum rate of 0", (d) => (d.policies.transfers = { checksumRate: { destination: 0 } }), 'policies.transfers.checksumRate.destination: expected a bit rate > 0 such as "100 Gbit/s", found 0'],
  ])("%s", (_what, change, message) => {
    expect(problems(variant(change))[0]).toBe(message);
  });

  it("rejects a document that is not a mapping", () => {
    expect(problems([1, 2])[0]).toBe("expected a mapping, found a list [1,2]");
  });
});

describe("ScenarioError", () => {
  it("has the file, path, expected and found of the first problem and one line per problem", () => {
    let err: unknown;
    try {
      parseScenario(minimalText.replace("capacity: 2 PB", "capacity: 2 PBB").replace("replicas: 2", "replicas: 0"), { file: "x.yaml" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    const e = err as ScenarioError;
    expect(e.file).toBe("x.yaml");
    expect(e.path).toBe("sites[0].disk.capacity");
    expect(e.expected).toBe('a data size such as "8 PB"');
    expect(e.found).toBe('"2 PBB"');
    expect(e.message.split("\n")).toEqual([
      'x.yaml: sites[0].disk.capacity: expected a data size such as "8 PB", found "2 PBB"',
      "x.yaml: policies.replicas: expected an integer >= 1, found 0",
    ]);
    expect(e.issues).toHaveLength(2);
  });

  it("reports broken YAML with line and column", () => {
    let err: unknown;
    try {
      parseScenario("name: x\nsites:\n  - name: A\n   country: B\n", { file: "b.yaml" });
    } catch (e) {
      err = e;
    }
    const e = err as ScenarioError;
    expect(e).toBeInstanceOf(ScenarioError);
    expect(e.issues[0]).toMatchObject({ file: "b.yaml", path: "line 4, column 1", expected: "valid YAML", line: 4, column: 1 });
    expect(e.message).toBe("b.yaml: line 4, column 1: expected valid YAML, found a YAML error: Sequence item without - indicator (MISSING_CHAR)");
  });
});

describe("transfer costs and the optimizer", () => {
  it("reads human units, null checksums and the optimizer's settings", () => {
    const s = decodeOk(
      variant((d) => {
        d.policies.transfers = {
          setupTime: "140 ms",
          checksumRate: { source: "500 MB/s", destination: null },
          optimizer: { enabled: false, minActive: 5, maxActive: 5, mode: "conservative", steadyInterval: "1 min" },
        };
      }),
    );
    expect(s.policies.transfers).toMatchObject({
      maxActivePerPair: 50,
      setupSeconds: 0.14,
      checksumSourceBytesPerSecond: 500e6,
      checksumDestinationBytesPerSecond: null,
      optimizer: { enabled: false, minActive: 5, maxActive: 5, mode: "conservative", increaseStep: 1, steadyIntervalSeconds: 60 },
    });
  });

  it("defaults: FTS's optimizer on, 2.6 s setup, the source's stored checksum, 1 GB/s at the destination", () => {
    const t = decodeOk(minimalRaw()).policies.transfers;
    expect([t.setupSeconds, t.checksumSourceBytesPerSecond, t.checksumDestinationBytesPerSecond]).toEqual([2.6, null, 1e9]);
    expect(t.optimizer).toEqual(FTS_OPTIMIZER_DEFAULTS);
  });

  it("the optimizer's defaults are those of the shared decision table", () => {
    const table = JSON.parse(readFileSync(join(root, "harness", "transfer", "optimizer-cases.json"), "utf8"));
    const o = decodeOk(minimalRaw()).policies.transfers.optimizer;
    const camel = (k: string) => k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    const fromTable = Object.fromEntries(
      Object.entries(table.defaults as Record<string, unknown>).map(([k, v]) => [k === "steady_interval_seconds" ? "steadyIntervalSeconds" : camel(k), v]),
    );
    expect({ ...o, enabled: undefined }).toEqual({ ...fromTable, enabled: undefined });
  });
});

describe("encoding back to a file", () => {
  it.each(["srcnet-0.1", "sv-2027", "site-failure", "tape-recall", minimalPath])("%s round-trips", (name) => {
    const s = loadScenario(name);
    const file = encodeScenario(s);
    expect(decodeOk(JSON.parse(JSON.stringify(file)))).toEqual(s);
  });
});

describe("JSON Schema", () => {
  it("scenarios/scenario.schema.json is a fresh export (regenerate: node bin/testbed.mjs scenario schema > scenarios/scenario.schema.json)", () => {
    const committed = readFileSync(join(root, "scenarios", "scenario.schema.json"), "utf8");
    expect(committed).toBe(scenarioJsonSchemaText());
  });

  it("describes the file side: human units, defaults, no unknown keys", () => {
    const schema = JSON.parse(scenarioJsonSchemaText());
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    // required fields of merged mappings apply only to files without `extends`
    expect(schema.required).toBeUndefined();
    expect(schema.if).toEqual({ required: ["extends"] });
    expect(schema.else.required).toEqual(["name", "sites"]);
    expect(schema.else.properties.analysis.then.required).toEqual(["jobsPerDay", "runtime"]);
    expect(schema.properties.sites.items.required).toEqual(["name", "country", "location"]); // list items stay complete
    expect(schema.additionalProperties).toBe(false);
    const capacity = schema.properties.sites.items.properties.disk.anyOf[0].properties.capacity;
    expect(capacity.description).toMatch(/Usable disk capacity/);
    expect(capacity.anyOf[0].type).toBe("string");
    expect(new RegExp(capacity.anyOf[0].pattern).test("8 PB")).toBe(true);
    expect(new RegExp(capacity.anyOf[0].pattern).test("10 PBB")).toBe(false);
    expect(schema.properties.policies.description).toMatch(/policies/i);
    expect(schema.properties.faults.anyOf[0].items.anyOf.map((f: any) => f.properties.kind.enum[0])).toEqual([
      "site-down",
      "site-random",
      "link-cut",
      "link-degrade",
      "storage-lost",
    ]);
  });
});

/**
 * Campaign descriptions, targets, the load plan's scenarios and the summary arithmetic, without
 * a stack: the load engine's own executors (Python, harness/load) judge the plan's scenarios,
 * hand-computed values judge the statistics.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { campaignPresetNames, loadCampaign } from "../../harness/campaigns/load.js";
import { decodeCampaign } from "../../harness/campaigns/schema.js";
import { loadScenarios } from "../../harness/campaigns/load-plan.js";
import { loadPython } from "../../harness/campaigns/locust.js";
import { knees, metricAt, summarise, type Samples } from "../../harness/campaigns/summary.js";
import { quantileSorted } from "../../records/campaign-record.js";
import { configTarget } from "../../harness/campaigns/target.js";
import { allowSet, hostAllowed, hostOf, pathOf } from "../../harness/campaigns/urls.js";
import { ScenarioError } from "../../scenarios/errors.js";

const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "campaign-config-"));
const testbed = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin", "testbed.mjs"), ...args], { encoding: "utf8", cwd: dir });

const base = {
  name: "t",
  phases: [{ name: "a", duration: "10 s", load: { tap: { executor: "constant-arrival-rate", rate: 2 } } }],
};
const issues = (doc: unknown) => {
  try {
    decodeCampaign(doc, "c.yaml");
  } catch (e) {
    if (e instanceof ScenarioError) return e.issues.map((i) => `${i.path}: expected ${i.expected}, found ${i.found}`);
    throw e;
  }
  return [];
};

describe("campaign descriptions", () => {
  it("every preset validates, with its phases back to back", () => {
    expect(campaignPresetNames()).toEqual(["replicate", "scalability", "site-failure", "site-loss", "smoke", "transfer-calibration", "wan-degrade"]);
    for (const n of campaignPresetNames()) {
      const { campaign: c } = loadCampaign(n);
      let t = 0;
      for (const p of c.phases) {
        expect(p.startSeconds).toBe(t);
        t += p.durationSeconds;
      }
      expect(c.durationSeconds).toBe(t);
    }
    expect(loadCampaign("smoke").campaign.durationSeconds).toBeLessThanOrEqual(60);
  });

  it("replication: rules name declared datasets, before the end of the load; dataset names are unique", () => {
    const ds = { name: "survey", files: 2, size: "1 MiB", site: "UKSRC" };
    expect(
      issues({
        ...base,
        datasets: [ds, ds],
        replication: [
          { kind: "replicate", at: "0 s", dataset: "surveys", copies: 2 },
          { kind: "operations", at: "12 s", dataset: "survey", site: "CHSRC" },
        ],
      }),
    ).toEqual([
      'datasets[1].name: expected a name no other dataset has, found "survey" again',
      'replication[0].dataset: expected a dataset of datasets (survey), found "surveys"',
      "replication[1].at: expected a time before the end of the load (10 s), found 12 s",
    ]);
    expect(issues({ ...base, replication: [{ kind: "replicate", at: "0 s", dataset: "x", copies: 0 }] }).join("\n")).toMatch(/replication\[0\]\.copies: expected/);
    const c = decodeCampaign({ ...base, datasets: [ds], replication: [{ kind: "replicate", at: "1 s", dataset: "survey", copies: 2 }], faults: [{ kind: "site-loss", site: "CHSRC", at: "5 s" }] }, "c.yaml");
    expect(c.replication[0]).toEqual({ kind: "replicate", at: 1, dataset: "survey", copies: 2, rses: "srcnet=True" });
    expect(c.faults[0]).toEqual({ kind: "site-loss", at: 5, site: "CHSRC", detection: 5 });
    expect(c.settle).toBe(120);
  });

  it("names the path, what was expected and what was found", () => {
    expect(issues({ ...base, phases: [{ ...base.phases[0], load: { tap: { executor: "constant-arrival-rate", rate: 2, mix: { cone: 1, knn: 1 } } } }] })).toEqual([
      'phases[0].load.tap.mix.knn: expected one of cone, range, join, async, found "knn"',
    ]);
    expect(issues({ ...base, faults: [{ kind: "site-down", site: "UKSRC", at: "20 s" }] })).toEqual(["faults[0].at: expected a time before the end of the load (10 s), found 20 s"]);
    expect(issues({ ...base, thresholds: { "services.tap.errorRate": "less than 1" } })[0]).toMatch(/^thresholds\.services\.tap\.errorRate: expected a comparison such as "< 0\.5"/);
    expect(
      issues({ ...base, phases: [{ name: "a", duration: "10 s", load: { tap: { executor: "ramping-arrival-rate", stages: [{ target: 5, duration: "4 s" }] } } }] }),
    ).toEqual(["phases[0].load.tap.stages: expected stages lasting the phase's 10 s in all, found 4 s"]);
    expect(issues({ ...base, phases: [base.phases[0], base.phases[0]] })).toEqual(['phases[1].name: expected a name no other phase has, found "a" again']);
    expect(issues({ ...base, phases: [] })[0]).toMatch(/^phases: expected a list of one or more phases/);
  });

  it("the CLI rejects a bad campaign or target with exit code 2 and one line per problem", () => {
    writeFileSync(join(dir, "bad.yaml"), "name: bad\nphases:\n  - name: a\n    duration: 10 parsecs\n");
    const r = testbed("campaign", "validate", "bad.yaml");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^testbed: bad\.yaml: phases\[0\]\.duration: expected a duration such as "3 d", found "10 parsecs"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = testbed("campaign", "run", "no-such-campaign");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/expected a campaign preset \(replicate, scalability, site-failure, site-loss, smoke, transfer-calibration, wan-degrade\) or a readable YAML file, found no such preset or file/);
  });
});

describe("targets", () => {
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it("refuses any endpoint whose host is not on the allowlist", () => {
    const f = write(
      "t1.yaml",
      "name: t\nallowHosts: [rucio.example.org, 'dav.example.org:443']\nrucio: { url: 'https://rucio.example.org:8443', account: a, scope: s, auth: { type: token, token: abc } }\ntap: 'https://evil.example.net/tap'\nsites: [{ name: X, webdav: 'https://dav.example.org:8443/dav' }, { name: Y, webdav: 'https://dav.example.org:443/dav' }]\n",
    );
    expect(() => configTarget(f)).toThrow(ScenarioError);
    try {
      configTarget(f);
    } catch (e) {
      expect((e as ScenarioError).issues.map((i) => `${i.path}: ${i.found}`)).toEqual(['tap: "evil.example.net:443"', 'sites[0].webdav: "dav.example.org:8443"']);
    }
  });

  it("one reading of URLs for the harness and the load workers (the cases their Python tests run too)", () => {
    const cases = JSON.parse(readFileSync(join(root, "harness", "load", "tests", "url_cases.json"), "utf8")) as {
      allow: string[];
      allowed: [string, boolean][];
      hostOf: [string, [string, string] | null][];
      pathOf: [string, string][];
    };
    const allow = allowSet(cases.allow);
    for (const [url, want] of cases.allowed) expect(hostAllowed(allow, url), url).toBe(want);
    for (const [url, want] of cases.hostOf) expect(hostOf(url), url).toEqual(want === null ? null : { host: want[0], hostPort: want[1] });
    // The path a write is recorded under, alike for the workers' uploads and the harness's own.
    for (const [url, want] of cases.pathOf) expect(pathOf(url), url).toBe(want);
  });

  it("reads secrets from the environment and never puts them in a message", () => {
    const f = write(
      "t2.yaml",
      "name: t\nallowHosts: [rucio.example.org]\nrucio: { url: 'https://rucio.example.org', account: a, scope: s, auth: { type: userpass, username: u, password: 'env:CAMPAIGN_TEST_PW' } }\n",
    );
    delete process.env.CAMPAIGN_TEST_PW;
    expect(() => configTarget(f)).toThrow(/rucio\.auth\.password: expected environment variable CAMPAIGN_TEST_PW set, found it unset/);
    process.env.CAMPAIGN_TEST_PW = "s3cret-value";
    const t = configTarget(f);
    expect(t.secrets.rucio_password).toBe("s3cret-value");
    expect(JSON.stringify({ ...t, secrets: undefined })).not.toContain("s3cret-value");
    const r = testbed("campaign", "validate", "smoke", "--target", write("t3.yaml", "name: t\nallowHosts: [a.org]\ntap: 'http://b.org/tap'\n"));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/t3\.yaml: tap: expected a host on allowHosts \(a\.org\), found "b\.org:80"/);
  });
});

describe("the load plan's scenarios", () => {
  it("are what the load engine's executors run: one per phase and service, at the phase's start, rate x duration iterations", () => {
    const { campaign: c } = loadCampaign("smoke");
    const scenarios = loadScenarios(c);
    expect(scenarios.map((s) => s.name).sort()).toEqual(c.phases.flatMap((p) => Object.keys(p.load).map((svc) => `${p.name}__${svc}`)).sort());
    const steadyTap = scenarios.find((s) => s.name === "steady__tap")!;
    expect(steadyTap).toMatchObject({ phase: "steady", service: "tap", startSeconds: 10, gracefulStopSeconds: c.timeoutSeconds, executor: { kind: "constant-arrival-rate", rate: 1 } });
    // The Python executors count each scenario's iterations from the same JSON.
    writeFileSync(join(dir, "scenarios.json"), JSON.stringify(scenarios));
    const py = spawnSync(
      loadPython(),
      ["-c", "import json,sys\nfrom srcnet_load.executors import arrivals, is_open\nfor s in json.load(open(sys.argv[1])):\n    print(s['name'], sum(1 for _ in arrivals(s['executor'], s['durationSeconds'])) if is_open(s['executor']) else -1)", join(dir, "scenarios.json")],
      { encoding: "utf8" },
    );
    expect(py.status, py.stderr).toBe(0);
    const counts = Object.fromEntries(py.stdout.trim().split("\n").map((l) => l.split(" ")).map(([n, k]) => [n, Number(k)]));
    for (const s of scenarios) {
      if (s.executor.kind === "constant-arrival-rate") expect(counts[s.name], s.name).toBe(Math.ceil(s.executor.rate * s.durationSeconds - 1e-9));
    }
    // 0.2 ingestions per second for 40 s: 8, at 0, 5, ..., 35 s (no rounding to whole iterations per unit).
    expect(counts["steady__ingest"]).toBe(8);
  });
});

describe("summary arithmetic", () => {
  it("percentiles interpolate linearly between order statistics", () => {
    const xs = Float64Array.from([1, 2, 3, 4]);
    expect(quantileSorted(xs, 0.5)).toBe(2.5);
    expect(quantileSorted(xs, 0.9)).toBeCloseTo(3.7, 12);
    expect(quantileSorted(Float64Array.from([5]), 0.99)).toBe(5);
  });

  /** Requests at a known offered rate whose latency jumps past 25/s: the knee is where the ramp crosses 25/s. */
  function rampSamples(): Samples {
    const t: number[] = [];
    const lat: number[] = [];
    // Rate ramps 0 -> 50/s over 100 s: r(t) = t/2; requests are placed by integrating it.
    for (let s = 0; s < 100; s += 0.001) {
      const n = Math.floor((s * s) / 4);
      if (n > t.length) {
        t.push(s);
        lat.push(s / 2 > 25 ? 3 : 0.1);
      }
    }
    const col = { t: Float64Array.from(t), latency: Float64Array.from(lat), ok: new Uint8Array(t.length).fill(1), status: new Int16Array(t.length).fill(200), length: t.length };
    return { requests: new Map([["tap", col]]), operations: new Map(), lastSeconds: 100 };
  }

  it("finds the knee of a ramp where latency breaks", () => {
    const c = decodeCampaign(
      {
        name: "k",
        phases: [{ name: "ramp", duration: "100 s", load: { tap: { executor: "ramping-arrival-rate", startRate: 0, stages: [{ target: 50, duration: "100 s" }] } } }],
        knee: { services: ["tap"], window: "5 s", maxP95Seconds: 1 },
      },
      "k.yaml",
    );
    const { knees: k, windows } = knees(c, rampSamples());
    expect(windows).toHaveLength(20);
    // The window [50, 55) is the first holding requests sent above 25/s: its offered rate (mid-window) is 26.25/s.
    expect(k.tap).toMatchObject({ found: true, atSeconds: 50, offeredPerSecond: 26.25, lastGoodPerSecond: 23.75 });
    expect(k.tap!.reason).toMatch(/^p95 3\.000 s > 1 s/);
    // Achieved rate in a window = requests completed / width: r(47.5) = 23.75/s in [45, 50).
    expect(windows[9]!.achievedPerSecond).toBeCloseTo(23.75, 0);
  });

  it("a service's own criteria replace the shared ones for it alone", () => {
    const ramp = { executor: "ramping-arrival-rate", startRate: 0, stages: [{ target: 50, duration: "100 s" }] };
    const c = decodeCampaign(
      {
        name: "k",
        phases: [{ name: "ramp", duration: "100 s", load: { tap: ramp } }],
        knee: { services: ["tap"], window: "5 s", maxP95Seconds: 1, perService: { tap: { maxP95Seconds: 5 } } },
      },
      "k.yaml",
    );
    // The ramp's latency jumps from 0.1 s to 3 s past 25/s: under the shared 1 s bound that is
    // the knee; under tap's own 5 s bound it is not, and nothing else breaks.
    const { knees: k } = knees(c, rampSamples());
    expect(k.tap).toMatchObject({ found: false, lastGoodPerSecond: 48.75, criteria: { maxP95Seconds: 5, maxErrorRate: 0.05, minAchievedFraction: 0.8 } });
    expect(() => decodeCampaign({ name: "k", phases: c.phases.length ? [{ name: "ramp", duration: "100 s", load: { tap: ramp } }] : [], knee: { services: ["tap"], perService: { soda: { maxP95Seconds: 5 } } } }, "k.yaml")).toThrow(
      /k\.yaml.*knee\.perService.*soda/s,
    );
  });

  it("a slow ramp served on time has no knee, however its first windows fall", () => {
    const c = decodeCampaign(
      {
        name: "slow",
        phases: [{ name: "ramp", duration: "90 s", load: { ingest: { executor: "ramping-arrival-rate", startRate: 0.1, stages: [{ target: 3, duration: "90 s" }] } } }],
        knee: { services: ["ingest"], window: "5 s" },
      },
      "slow.yaml",
    );
    // One ingestion each time the integral of the rate r(t) = 0.1 + 2.9 t / 90 passes a whole number.
    const t: number[] = [];
    for (let s = 0, done = 0; s < 90; s += 0.001) {
      if (0.1 * s + (2.9 * s * s) / 180 >= done + 1) {
        t.push(s);
        done++;
      }
    }
    const col = { t: Float64Array.from(t), seconds: new Float64Array(t.length).fill(0.5), ok: new Uint8Array(t.length).fill(1), attempts: new Int16Array(t.length).fill(9), length: t.length };
    const { knees: k } = knees(c, { requests: new Map(), operations: new Map([["ingest.ingest", col]]), lastSeconds: 90 });
    expect(k.ingest).toMatchObject({ found: false, atSeconds: null });
    expect(k.ingest!.lastGoodPerSecond).toBeCloseTo(0.1 + (2.9 * 87.5) / 90, 9);
  });

  it("unfinished operations (no duration) count as errors and are counted apart, outside the percentiles", () => {
    const c = decodeCampaign(base, "c.yaml");
    const col = {
      t: Float64Array.from([1, 2, 3, 4]),
      seconds: Float64Array.from([1, 3, NaN, NaN]),
      ok: Uint8Array.from([1, 1, 0, 0]),
      attempts: Int16Array.from([5, 7, 0, 0]),
      length: 4,
    };
    const { summary } = summarise(c, { requests: new Map(), operations: new Map([["ingest.ingest", col]]), lastSeconds: 10 }, { files: 0, replicas: 0, verified: 0, lost: 0, corrupted: 0, problems: [] }, []);
    const op = (summary.operations as Record<string, Record<string, { count: number; unfinished: number; errors: number; errorRate: number; seconds: { p50: number } }>>).ingest!.ingest!;
    expect(op).toMatchObject({ count: 4, unfinished: 2, errors: 2, errorRate: 0.5, seconds: { p50: 2 } });
  });

  it("thresholds read summary paths, list elements by kind:target; a missing metric fails", () => {
    const c = decodeCampaign({ ...base, thresholds: { "services.tap.errorRate": "== 0", "faults.site-down:X.errorsDuring": "> 0", "services.soda.errorRate": "< 1" } }, "c.yaml");
    const s = rampSamples();
    const { summary } = summarise(c, s, { files: 1, replicas: 2, verified: 2, lost: 0, corrupted: 0, problems: [] }, [{ kind: "site-down", target: "X", atSeconds: 10.5, endSeconds: 20.5 }]);
    expect(metricAt(summary, "faults.site-down:X.requestsDuring")).toBe(Math.floor((20.5 * 20.5) / 4) - Math.floor((10.5 * 10.5) / 4));
    const th = summary.thresholds as { metric: string; pass: boolean; value: number | null }[];
    expect(th.map((x) => [x.metric, x.pass, x.value])).toEqual([
      ["services.tap.errorRate", true, 0],
      ["faults.site-down:X.errorsDuring", false, 0],
      ["services.soda.errorRate", false, null],
    ]);
    expect(summary.verdict).toBe("fail");
  });
});

/** `testbed bench compare` through the real CLI: exit 1 on a regression, 0 without, 2 on bad input. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareRuns } from "../../dashboards/regression/compare-runs.js";
import { loadThresholds, thresholdsFrom } from "../../dashboards/regression/config.js";
import { writeCampaignHistory } from "./campaign-fixture.js";
import { testbed } from "./sim-fixture.js";

const dir = mkdtempSync(join(tmpdir(), "testbed-bench-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const later = new Date("2026-02-01T00:00:00Z");

const BAD_INPUT: [string[], RegExp][] = [
  [["--baseline", "missing-dir", "--candidate", "same"], /^testbed: .*missing-dir: expected a results directory, found nothing at that path$/],
  [["--baseline", "empty", "--candidate", "same"], /^testbed: --baseline .*empty: expected complete run records, found no run\.json below it$/],
  [["--baseline", "baseline", "--candidate", "same", "--thresholds", "bad.yaml"], /^testbed: .*bad\.yaml: alpha: expected a number between 0 and 1 \(exclusive\), found 2$/],
];
const compare = (candidate: string, ...extra: string[]) => testbed(["bench", "compare", "--baseline", join(dir, "baseline"), "--candidate", join(dir, candidate), ...extra]);
type Result = Awaited<ReturnType<typeof testbed>>;
const runs = new Map<string, Result>();

beforeAll(async () => {
  writeCampaignHistory(join(dir, "baseline"), { runs: 10, seed0: 1 });
  writeCampaignHistory(join(dir, "same"), { runs: 3, seed0: 101, start: later });
  writeCampaignHistory(join(dir, "slower"), { runs: 3, seed0: 201, stepAt: 0, factor: { tap: 1.5 }, start: later });
  writeCampaignHistory(join(dir, "one-slower"), { runs: 1, seed0: 301, stepAt: 0, factor: { soda: 1.3 }, start: later });
  writeCampaignHistory(join(dir, "small-baseline"), { runs: 2, seed0: 501 });
  writeCampaignHistory(join(dir, "other-scenario"), { runs: 2, seed0: 401, scenario: "tape-recall", start: later });
  mkdirSync(join(dir, "empty"));
  writeFileSync(join(dir, "bad.yaml"), "alpha: 2\n");
  writeFileSync(join(dir, "strict.yaml"), "metrics:\n  - match: 'services.tap.**'\n    ignore: true\n");
  // Every CLI run up front, three at a time: each pays the CLI's start-up, not each other's.
  const jobs: [string, () => Promise<Result>][] = [
    ["slower", () => compare("slower")],
    ["one-slower", () => compare("one-slower", "--only-changes")],
    ["same", () => compare("same")],
    ["small", () => testbed(["bench", "compare", "--baseline", join(dir, "small-baseline"), "--candidate", join(dir, "one-slower")])],
    ...BAD_INPUT.map(([args], i): [string, () => Promise<Result>] => [
      `bad-${i}`,
      () => testbed(["bench", "compare", ...args.map((a, j) => (j > 0 && args[j - 1]!.startsWith("--") ? join(dir, a) : a))]),
    ]),
  ];
  await Promise.all(
    [0, 1, 2].map(async () => {
      for (let job = jobs.shift(); job !== undefined; job = jobs.shift()) runs.set(job[0], await job[1]());
    }),
  );
}, 120_000);

describe("testbed bench compare", () => {
  it("a candidate with a real regression exits 1 and names it in the table", () => {
    const r = runs.get("slower")!;
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^metric\s+baseline median\s+candidate median\s+change\s+p-value\s+verdict$/m);
    // Three candidate runs above all ten baseline runs: exact two-sided p = 2 / C(13, 3) = 0.0070.
    expect(r.stdout).toMatch(/^services\.tap\.latencySeconds\.p95\s+\S+ ms\s+\S+ ms\s+\+[45]\d\.\d %\s+0\.0070\s+REGRESSION$/m);
    expect(r.stdout).toMatch(/^services\.soda\.latencySeconds\.p95 .* unchanged$/m);
    expect(r.stdout).toMatch(/verdict: REGRESSION \(services\.tap\.latencySeconds\.p50/);
  });

  it("a single candidate run is judged against the baseline's spread (prediction test)", () => {
    const r = runs.get("one-slower")!;
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/1 candidate runs \(prediction test/);
    expect(r.stdout).toMatch(/^services\.soda\.latencySeconds\.p50 .* REGRESSION$/m);
  });

  it("a candidate from the same distribution exits 0", () => {
    const r = runs.get("same")!;
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/0 regressions/);
    expect(r.stdout).toMatch(/verdict: no significant regression/);
  });

  it("a window too small to judge says so, and why, instead of calling the candidate unchanged", () => {
    const r = runs.get("small")!;
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^services\.soda\.latencySeconds\.p50 .* insufficient data$/m);
    expect(r.stdout).toMatch(/^ {2}too few runs: one candidate run is judged against at least 4 baseline runs, found 2$/m);
    expect(r.stdout).toMatch(/verdict: nothing could be judged: too few runs for every metric/);
  });

  // In-process from here: the same functions the command calls, without its start-up time.
  it("a thresholds file can ignore metrics", () => {
    const groups = compareRuns(join(dir, "baseline"), join(dir, "slower"), loadThresholds(join(dir, "strict.yaml")));
    expect(groups).toHaveLength(1);
    expect(groups[0]!.comparisons.some((c) => c.metric.startsWith("services.tap."))).toBe(false);
    expect(groups[0]!.comparisons.every((c) => c.verdict !== "regression")).toBe(true);
  });

  it("runs are matched by kind and scenario name", () => {
    expect(() => compareRuns(join(dir, "baseline"), join(dir, "other-scenario"), thresholdsFrom())).toThrow(
      /--candidate .*other-scenario: expected runs of the same kind and scenario as the baseline \(campaign site-failure\), found campaign tape-recall$/,
    );
  });

  it.each(BAD_INPUT.map(([args, message], i) => [args, message, i] as const))("bad input %j exits 2 with one clear line and no stack trace", (_args, message, i) => {
    const r = runs.get(`bad-${i}`)!;
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe("");
  });
});

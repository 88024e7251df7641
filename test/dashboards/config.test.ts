import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { flattenMetrics, globToRegExp, metricGroups } from "../../dashboards/metrics.js";
import { loadThresholds } from "../../dashboards/regression/config.js";

const dir = mkdtempSync(join(tmpdir(), "testbed-thresholds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("thresholds file", () => {
  it("reads every setting and resolves rules first match first", () => {
    const t = loadThresholds(
      file(
        "good.yaml",
        `test: welch
alpha: 0.01
minEffect: 0.1
window: 5
steps: { alpha: 0.05, minSegment: 3, permutations: 199 }
metrics:
  - match: "services.tap.latencySeconds.p99"
    minEffect: 0.3
  - match: "services.*.latencySeconds.*"
    direction: higher
  - match: "**.errors"
    ignore: true
`,
      ),
    );
    expect([t.test, t.alpha, t.minEffect, t.window]).toEqual(["welch", 0.01, 0.1, 5]);
    expect(t.steps).toEqual({ alpha: 0.05, minSegment: 3, permutations: 199 });
    expect(t.rule("services.tap.latencySeconds.p99")).toMatchObject({ minEffect: 0.3, direction: "lower", alpha: 0.01 });
    expect(t.rule("services.soda.latencySeconds.p50")).toMatchObject({ minEffect: 0.1, direction: "higher" });
    expect(t.rule("services.soda.errors").ignore).toBe(true);
    expect(t.rule("errors").ignore).toBe(true);
  });

  it("an empty file means every default", () => {
    const t = loadThresholds(file("empty.yaml", ""));
    expect([t.test, t.alpha, t.minEffect, t.window]).toEqual(["mann-whitney", 0.05, 0.05, 10]);
  });

  it.each([
    ["alpha: 2\n", "alpha: expected a number between 0 and 1 (exclusive), found 2"],
    ["test: t-test\n", 'test: expected one of "mann-whitney", "welch", found "t-test"'],
    ["window: 0\n", "window: expected an integer >= 1, found 0"],
    ["metrics:\n  - match: x\n    direction: up\n", 'metrics[0].direction: expected one of "lower", "higher", "none", found "up"'],
    ["metrics:\n  - direction: lower\n", "metrics[0].match: expected"],
    ["alhpa: 0.1\n", 'alhpa: expected one of the keys test, alpha, minEffect, window, steps, metrics, found unknown key "alhpa"'],
    ["alpha: [1\n", "line 2, column 1: expected valid YAML, found a YAML error"],
    ["- 1\n", "expected a mapping, found a list"],
  ])("%j is refused as `file: path: expected ..., found ...`", (text, message) => {
    const p = file("bad.yaml", text);
    expect(() => loadThresholds(p)).toThrow(`${p}: ${message}`);
  });

  it("a missing file says so", () => {
    expect(() => loadThresholds(join(dir, "nope.yaml"))).toThrow(`${join(dir, "nope.yaml")}: expected a readable YAML thresholds file, found no such file`);
  });
});

describe("metrics from summary.json", () => {
  const summary = {
    verdict: "pass",
    durationSeconds: 300,
    services: { tap: { requests: 10, latencySeconds: { p50: 0.1 } }, soda: { requests: 4, latencySeconds: { p50: 0.2 } } },
    faults: [
      { kind: "site-down", target: "CHSRC", timeToRecoverySeconds: 5 },
      { kind: "site-down", target: "CHSRC", timeToRecoverySeconds: null },
    ],
    thresholds: [{ metric: "services.tap.latencySeconds.p50", value: 0.1, pass: true }],
    ok: true,
  };

  it("are the finite numeric leaves, named by path; list items by their name", () => {
    expect([...flattenMetrics(summary)]).toEqual([
      ["durationSeconds", 300],
      ["services.tap.requests", 10],
      ["services.tap.latencySeconds.p50", 0.1],
      ["services.soda.requests", 4],
      ["services.soda.latencySeconds.p50", 0.2],
      ["faults.site-down:CHSRC.timeToRecoverySeconds", 5],
      ["thresholds.services_tap_latencySeconds_p50.value", 0.1],
    ]);
  });

  it("collections become one chart with a trace per member", () => {
    const g = metricGroups(summary);
    expect(g.get("services.tap.latencySeconds.p50")).toEqual({ group: "services.*.latencySeconds.p50", member: "tap" });
    expect(g.get("durationSeconds")).toEqual({ group: "durationSeconds", member: "" });
  });

  it("globs: * is one segment, ** any number", () => {
    expect(globToRegExp("services.*.latencySeconds.*").test("services.tap.latencySeconds.p95")).toBe(true);
    expect(globToRegExp("services.*").test("services.tap.latencySeconds")).toBe(false);
    expect(globToRegExp("**.p99").test("services.tap.latencySeconds.p99")).toBe(true);
    expect(globToRegExp("**.p99").test("p99")).toBe(true);
    expect(globToRegExp("volume.lostBytes").test("volumeXlostBytes")).toBe(false);
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  adjustmentsOf,
  decide,
  LinkState,
  order,
  REASONS,
  reasonOf,
  successRate,
  type OptimizerParams,
} from "../../../sim/srcnet/components/optimizer.js";

/**
 * The optimizer's decision function against its table, harness/transfer/optimizer-cases.json:
 * the same rows the transfer service's Python implementation is tested against
 * (harness/transfer/tests/test_optimizer.py). The rows were derived by hand from
 * harness/transfer/OPTIMIZER.md, which re-states FTS3's optimizer (cern-fts/fts3,
 * src/optimizer/services/OptimizerConnections.cpp); nothing here computes an expected value.
 */

interface Row {
  name: string;
  why: string;
  params?: Record<string, unknown>;
  previous: { active: number; success_rate: number; ema: number; retries: number; filesize_avg: number } | null;
  sample: { success_rate: number; throughput: number; filesize_avg: number; queue: number; retries: number };
  expected: { active: number; ema: number; reason: string; adjusted: string[] };
}

const table = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "..", "harness", "transfer", "optimizer-cases.json"), "utf8")) as {
  defaults: Record<string, unknown>;
  decisions: Row[];
  success_rate: { finished: number; failed: number; expected: number; why: string }[];
};

/** The service's snake_case configuration names, in the scenario's camelCase. */
function params(over: Record<string, unknown> = {}): OptimizerParams {
  const all = { ...table.defaults, ...over };
  const camel = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), v]));
  return camel as unknown as OptimizerParams;
}

describe("optimizer decisions (harness/transfer/optimizer-cases.json)", () => {
  it.each(table.decisions.map((r) => [r.name, r] as const))("%s", (_name, row) => {
    const s = new LinkState();
    if (row.previous !== null) {
      s.active = row.previous.active;
      s.successRate = row.previous.success_rate;
      s.ema = row.previous.ema;
      s.retries = row.previous.retries;
      s.filesizeAvg = row.previous.filesize_avg;
    }
    const x = row.sample;
    const code = decide(params(row.params), s, x.success_rate, x.throughput, x.filesize_avg, x.queue, x.retries);
    expect({ active: s.active, reason: reasonOf(code), adjusted: adjustmentsOf(code) }, row.why).toEqual({
      active: row.expected.active,
      reason: row.expected.reason,
      adjusted: row.expected.adjusted,
    });
    if (row.expected.ema === 0) expect(s.ema).toBe(0);
    else expect(Math.abs(s.ema - row.expected.ema) / row.expected.ema, row.why).toBeLessThanOrEqual(1e-12);
    // The new memory is this run's measurement.
    expect([s.successRate, s.retries, s.filesizeAvg]).toEqual([x.success_rate, x.retries, x.filesize_avg]);
  });

  it("the table has a row for every rule and every adjustment", () => {
    expect(new Set(table.decisions.map((r) => r.expected.reason))).toEqual(new Set(REASONS));
    expect(new Set(table.decisions.flatMap((r) => r.expected.adjusted))).toEqual(new Set(["min", "max", "queue", "streams"]));
  });

  it.each(table.success_rate.map((r) => [`${r.finished} finished, ${r.failed} failed`, r] as const))("success rate: %s", (_n, r) => {
    expect(successRate(r.finished, r.failed), r.why).toBe(r.expected);
  });

  it("order() rounds log10 halves away from zero, as C's round()", () => {
    expect(order(1e9)).toBe(9);
    expect(order(3.2e8)).toBe(9); // log10 8.505
    expect(order(3.1e8)).toBe(8); // log10 8.491
    expect(order(0)).toBe(-Infinity);
  });

  it("a link whose throughput keeps rising climbs from halfway by aggressive_increase_step to max_active", () => {
    const p = params();
    const s = new LinkState(); // one state object per link, updated in place
    const limits: number[] = [];
    for (let i = 0; i < 40; i++) {
      decide(p, s, 100, 1e9 * (1 + i / 100), 1e9, 1000, 0);
      limits.push(s.active);
    }
    // 66 = 2 + 128 / 2, then +2 a run: 130 on the 33rd run, and held there.
    expect(limits).toEqual(Array.from({ length: 40 }, (_, i) => Math.min(66 + 2 * i, 130)));
  });
});

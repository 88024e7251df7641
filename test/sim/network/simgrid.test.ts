import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateCases, runOurs, type ComparisonCase } from "./simgrid/cases.js";

/**
 * Our network against SimGrid 3.32 (CM02, factors 1, no cross-traffic) on random topologies:
 * every flow's completion time must agree to a relative error of 1e-6.
 */
const CASES_PER_MODE = 60;
const dir = mkdtempSync(join(tmpdir(), "simgrid-cases-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runSimGrid(cases: ComparisonCase[]): Map<string, number[]> {
  const input = join(dir, "in.json");
  const output = join(dir, "out.json");
  writeFileSync(input, JSON.stringify({ cases: cases.map((c) => c.peer) }));
  execFileSync("/usr/bin/python3", [join(import.meta.dirname, "simgrid", "run_cases.py"), input, output], {
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 300_000,
  });
  const out = JSON.parse(readFileSync(output, "utf8")) as { results: { id: string; completion: number[] }[] };
  return new Map(out.results.map((r) => [r.id, r.completion]));
}

describe("agreement with SimGrid 3.32", () => {
  const modes = ["max-min", "latency-weighted"] as const;
  const cases = modes.flatMap((m, i) => generateCases(CASES_PER_MODE, m, 2026 + i));
  let peer: Map<string, number[]>;

  it("runs every case in SimGrid", () => {
    peer = runSimGrid(cases);
    expect(peer.size).toBe(cases.length);
  }, 600_000);

  for (const mode of modes) {
    it(`${mode}: every flow's completion time within 1e-6 relative of SimGrid's`, () => {
      let worst = 0;
      let where = "";
      let flows = 0;
      for (const c of cases.filter((c) => c.sharing === mode)) {
        const ours = runOurs(c);
        const theirs = peer.get(c.ours.id)!;
        expect(theirs).toHaveLength(c.peer.flows.length);
        ours.forEach((t, i) => {
          const sg = theirs[c.peerIndex[i]!]!;
          const err = Math.abs(t - sg) / Math.max(Math.abs(sg), 1e-12);
          flows++;
          if (!(err <= worst)) {
            worst = err;
            where = `${c.ours.id} flow ${i}: ours ${t}, SimGrid ${sg}`;
          }
        });
      }
      console.log(`${mode}: ${flows} flows in ${CASES_PER_MODE} cases, max relative error ${worst.toExponential(2)} (${where})`);
      expect(flows).toBeGreaterThan(CASES_PER_MODE * 5);
      expect(worst, where).toBeLessThanOrEqual(1e-6);
    });
  }
});

import { describe, expect, it } from "vitest";
import { order, reasonOf, adjustmentsOf } from "../../../sim/srcnet/components/optimizer.js";
import { REPLICA, type TransferClient } from "../../../sim/srcnet/components/transfers.js";
import { FTS_OPTIMIZER, quiet, transfersRig } from "./fixtures.js";

/*
 * The optimizer (harness/transfer/OPTIMIZER.md, defaults: min 2, max 130, normal mode: +2 a step,
 * -1 a step, a run every 300 s) driving one link's channel. Link A-B: 100 Gbit/s, latency 0.02 s;
 * one stream per transfer with a 1 MB window, so each transfer moves at most
 * 1 MB / (2 x 0.02 s) = 25 MB/s: the link's throughput grows with its actives (25 MB/s each) until
 * 500, far above max_active. 2000 files of 25 GB (1000 s each at 25 MB/s) keep the queue full.
 * No costs per file, so a transfer's slot is its copy.
 */
const [A, B] = [0, 1];
const FILE = 25e9;
const RUN = 300;

function rig(optimizer = FTS_OPTIMIZER, maxActivePerPair = 50) {
  const sc = quiet({
    links: [
      { from: "T", to: "A", bandwidthBitsPerSecond: 8e9, latencySeconds: 0.01 },
      { from: "A", to: "B", bandwidthBitsPerSecond: 100e9, latencySeconds: 0.02 },
      { from: "A", to: "C", bandwidthBitsPerSecond: 8e9, latencySeconds: 0.05 },
      { from: "B", to: "C", bandwidthBitsPerSecond: 8e9, latencySeconds: 0.05 },
    ],
  });
  const { sim, net, topo, products, tr } = transfersRig(sc, { windowBytes: 1e6, maxActivePerPair, optimizer });
  // As Rucio does with a failed transfer: submit it again at once.
  const client: TransferClient = {
    transferDone: () => {},
    transferAborted: (p, src, dst, job) => tr.submit(REPLICA, p, src, dst, job),
  };
  tr.serve(REPLICA, client);
  for (let i = 0; i < 2000; i++) tr.submit(REPLICA, products.create(0, 0, FILE), A, B, i);
  /** After each of the first n runs: the limit, the slots in use, the rule and adjustments, the EMA. */
  const watch = (n: number) => {
    const seen: { limit: number; active: number; reason: string; adjusted: string[]; ema: number }[] = [];
    for (let k = 1; k <= n; k++) {
      sim.scheduleAt(k * RUN + 1, () => {
        const code = tr.lastDecision(A, B);
        seen.push({ limit: tr.activeLimit(A, B), active: tr.activeOn(A, B), reason: reasonOf(code), adjusted: adjustmentsOf(code), ema: tr.optimizerState(A, B)!.ema });
      });
    }
    return seen;
  };
  return { sim, net, topo, tr, watch };
}

describe("the optimizer in a link's channel", () => {
  it("runs min_active transfers until its first run, starts halfway, then raises the limit by 2 a run to max_active on a clean link", () => {
    const { sim, tr, watch } = rig();
    expect([tr.activeLimit(A, B), tr.activeOn(A, B)]).toEqual([2, 2]);
    const seen = watch(40);
    sim.run(40 * RUN + 2);
    // Run 1: no memory, 2 + (130 - 2) / 2 = 66. Each later run sees a throughput of about 25 MB/s x
    // the limit it ran with, above the EMA of the earlier, smaller ones: +2, until 130 at run 33.
    expect(seen.map((s) => s.limit)).toEqual(Array.from({ length: 40 }, (_, i) => Math.min(66 + 2 * i, 130)));
    expect(seen[0]!.reason).toBe("no-information");
    expect(seen.slice(1, 33).every((s) => s.reason === "throughput-up" && s.adjusted.length === 0)).toBe(true);
    expect(seen[33]!.adjusted).toEqual(["max"]); // 130 + 2 lowered to 130
    // Queued transfers start as soon as the limit rises: every slot is in use after each run.
    expect(seen.every((s) => s.active === s.limit)).toBe(true);
    expect(tr.decisions).toBe(40);
  });

  it("steps down by 1 a run while transfers fail, and up again once they stop", () => {
    const { sim, tr, watch } = rig();
    const seen = watch(15);
    // Site B fails just before runs 11, 12 and 13: every transfer holding a slot on A->B fails (and is resubmitted).
    for (const k of [11, 12, 13]) sim.scheduleAt(k * RUN - 1, () => tr.abortAt(B));
    sim.run(15 * RUN + 2);
    const limits = seen.map((s) => s.limit);
    expect(limits.slice(0, 10)).toEqual([66, 68, 70, 72, 74, 76, 78, 80, 82, 84]);
    // Runs 11-13: success rate far below 97 (84, 83, 82 failed against at most a few finished): -1 each.
    expect(limits.slice(10, 13)).toEqual([83, 82, 81]);
    expect(seen[10]!.reason).toBe("low-success-worse"); // below the previous run's 100
    expect(seen.slice(10, 13).every((s) => s.reason.startsWith("low-success"))).toBe(true);
    // Run 14: nothing ended (the restarted transfers need 1000 s): 100%, throughput above its EMA: +2.
    expect(seen[13]).toMatchObject({ limit: 83, reason: "throughput-up" });
    expect(tr.completed + tr.inFlight()).toBe(2000); // every failed transfer was submitted again
  });

  it("on a link degraded 100-fold, holds, then steps down by 1 once the throughput's EMA loses an order of magnitude", () => {
    const { sim, net, topo, tr, watch } = rig();
    const seen = watch(45);
    // After run 10 (limit 84, about 2.1 GB/s), A->B drops to 1 Gbit/s = 125 MB/s: the link, not the windows, limits.
    sim.scheduleAt(10 * RUN + 1, () => net.setLinkBandwidth(topo.linkPairs[1]![0], 1e9));
    sim.run(45 * RUN + 2);
    const after = seen.slice(10);
    // The EMA falls by 10% of its distance to 125 MB/s a run; it never rises, so neither does the limit.
    expect(after.every((s, i) => i === 0 || s.ema < after[i - 1]!.ema)).toBe(true);
    expect(after.every((s) => s.reason === "throughput-down-small" || s.reason === "throughput-down")).toBe(true);
    // Exactly one step down: at the run where the EMA crosses 10^8.5 (316 MB/s), order 9 -> 8.
    const down = after.findIndex((s) => s.reason === "throughput-down");
    expect(down).toBeGreaterThan(0);
    expect(after.filter((s) => s.reason === "throughput-down")).toHaveLength(1);
    expect(order(after[down - 1]!.ema)).toBe(9);
    expect(order(after[down]!.ema)).toBe(8);
    expect(after.map((s) => s.limit)).toEqual(after.map((_, i) => (i < down ? 84 : 83)));
    expect(after.at(-1)!.ema).toBeGreaterThan(125e6);
  });

  it("with the optimizer off, the limit is maxActivePerPair, and there are no runs", () => {
    const { sim, tr } = rig({ ...FTS_OPTIMIZER, enabled: false }, 7);
    sim.run(10 * RUN);
    expect([tr.activeLimit(A, B), tr.activeOn(A, B), tr.decisions, tr.lastDecision(A, B)]).toEqual([7, 7, 0, -1]);
  });
});

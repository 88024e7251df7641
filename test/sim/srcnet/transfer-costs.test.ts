import { describe, expect, it } from "vitest";
import { REPLICA, type TransferClient } from "../../../sim/srcnet/components/transfers.js";
import type { Scenario } from "../../../scenarios/types.js";
import { quiet, transfersRig } from "./fixtures.js";

// Endpoints: sites A, B, C, then telescope T. Link A-B: 8 Gbit/s (B = 1e9 bytes/s), one-way latency L = 0.02 s.
const [A, B] = [0, 1];
const S = 10e9; // bytes per file
const BW = 1e9; // bytes/s on A-B
const L = 0.02;
const T = 2.6; // setup, s
const RS = 5e9; // source checksum, bytes/s
const RD = 2e9; // destination checksum, bytes/s

function rig(transfers: Partial<Scenario["policies"]["transfers"]>) {
  const { sim, net, topo, products, tr } = transfersRig(quiet(), transfers);
  const done: { job: number; at: number }[] = [];
  const aborted: { job: number; at: number }[] = [];
  const client: TransferClient = {
    transferDone: (_p, _s, _d, job) => done.push({ job, at: sim.now }),
    transferAborted: (_p, _s, _d, job) => aborted.push({ job, at: sim.now }),
  };
  tr.serve(REPLICA, client);
  const submit = (job: number, bytes = S) => tr.submit(REPLICA, products.create(0, 0, bytes), A, B, job);
  return { sim, net, topo, tr, done, aborted, submit };
}

describe("costs per file on one link (fixed actives)", () => {
  /*
   * N files of size S on one link of bandwidth B and latency L, k = 2 actives, setup T, source
   * checksum rate Rs, destination checksum rate Rd, all submitted at 0. A transfer with a slot
   * pays T, then S / Rs, then the copy (L, then S at its share of B), then S / Rd, in sequence
   * (gfal2's order: harness/transfer/OPTIMIZER.md). The two files of a pair start together, so
   * they copy together and share B: a pair takes D2 = T + S/Rs + L + 2S/B + S/Rd; a file alone
   * D1 = T + S/Rs + L + S/B + S/Rd. The next pair starts when the last ends (its slots free then).
   * With N = 5: done at D2, D2, 2 D2, 2 D2, 2 D2 + D1.
   */
  it("setup, source checksum, copy and destination checksum add up, in pairs", () => {
    const { sim, done, submit } = rig({ maxActivePerPair: 2, setupSeconds: T, checksumSourceBytesPerSecond: RS, checksumDestinationBytesPerSecond: RD });
    for (let i = 0; i < 5; i++) submit(i);
    sim.run();
    const D2 = T + S / RS + L + (2 * S) / BW + S / RD; // 2.6 + 2 + 0.02 + 20 + 5 = 29.62 s
    const D1 = T + S / RS + L + S / BW + S / RD; // 19.62 s
    expect(done.map((d) => d.job)).toEqual([0, 1, 2, 3, 4]);
    expect(done.map((d) => d.at)).toEqual([D2, D2, 2 * D2, 2 * D2, 2 * D2 + D1].map((t) => expect.closeTo(t, 9)));
    expect(2 * D2 + D1).toBeCloseTo(78.86, 9);
  });

  it("a source checksum read from a stored value costs nothing: setup, copy, destination checksum", () => {
    const { sim, done, submit } = rig({ maxActivePerPair: 2, setupSeconds: T, checksumSourceBytesPerSecond: null, checksumDestinationBytesPerSecond: RD });
    for (let i = 0; i < 3; i++) submit(i);
    sim.run();
    const D2 = T + L + (2 * S) / BW + S / RD; // 27.62 s
    const D1 = T + L + S / BW + S / RD; // 17.62 s
    expect(done.map((d) => d.at)).toEqual([D2, D2, D2 + D1].map((t) => expect.closeTo(t, 9)));
  });

  it("a transfer holds its slot through its checksums, moving no bytes then", () => {
    const { sim, net, topo, tr, submit } = rig({ maxActivePerPair: 2, setupSeconds: T, checksumSourceBytesPerSecond: RS, checksumDestinationBytesPerSecond: RD });
    for (let i = 0; i < 3; i++) submit(i);
    const ab = topo.linkPairs[1]![0]; // A->B
    const seen: [number, number, number][] = [];
    // During the source checksum (2.6-4.6 s), the copy (4.6-24.62 s), the destination checksum (24.62-29.62 s).
    for (const t of [3, 10, 25]) sim.scheduleAt(t, () => seen.push([tr.activeOn(A, B), tr.inFlight(), net.linkThroughputBitsPerSecond(ab)]));
    sim.run();
    expect(seen).toEqual([
      [2, 3, 0],
      [2, 3, 8e9],
      [2, 3, 0],
    ]);
  });

  it("a site failure stops transfers paying a cost too; a new one then takes its full time", () => {
    const { sim, tr, done, aborted, submit } = rig({ maxActivePerPair: 2, setupSeconds: T, checksumSourceBytesPerSecond: RS, checksumDestinationBytesPerSecond: RD });
    for (let i = 0; i < 3; i++) submit(i);
    sim.scheduleAt(1, () => {
      tr.abortAt(B); // 0 and 1 in their setup, 2 queued
      submit(9);
    });
    sim.run();
    expect(aborted).toEqual([
      { job: 0, at: 1 },
      { job: 1, at: 1 },
      { job: 2, at: 1 },
    ]);
    // The setups of 0 and 1 end at 2.6 s, after their slots were reused: ignored.
    expect(done).toEqual([{ job: 9, at: expect.closeTo(1 + T + S / RS + L + S / BW + S / RD, 9) }]);
    expect([tr.completed, tr.aborted, tr.inFlight()]).toEqual([1, 3, 0]);
  });
});

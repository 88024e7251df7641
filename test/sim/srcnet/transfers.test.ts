import { describe, expect, it } from "vitest";
import { Simulation } from "../../../sim/kernel/index.js";
import { INGEST, PULL, REPLICA, type TransferClient } from "../../../sim/srcnet/components/transfers.js";
import type { Scenario } from "../../../scenarios/types.js";
import { quiet, transfersRig } from "./fixtures.js";

const GB = 1e9;
// Endpoints: sites A, B, C, then telescope T. Every link 8 Gbit/s (1 GB/s); latencies T-A 0.01, A-B 0.02, A-C 0.05, B-C 0.05 s.
const [A, B, C, T] = [0, 1, 2, 3];

class Recorder implements TransferClient {
  done: { p: number; src: number; dst: number; job: number; at: number }[] = [];
  aborted: { p: number; src: number; dst: number; job: number; at: number }[] = [];
  constructor(private readonly sim: Simulation) {}
  transferDone(p: number, src: number, dst: number, job: number): void {
    this.done.push({ p, src, dst, job, at: this.sim.now });
  }
  transferAborted(p: number, src: number, dst: number, job: number): void {
    this.aborted.push({ p, src, dst, job, at: this.sim.now });
  }
}

function setup(transfers: Partial<Scenario["policies"]["transfers"]> = {}) {
  const { sim, products, tr } = transfersRig(quiet(), transfers);
  const clients = [new Recorder(sim), new Recorder(sim), new Recorder(sim)] as const;
  tr.serve(INGEST, clients[INGEST]);
  tr.serve(REPLICA, clients[REPLICA]);
  tr.serve(PULL, clients[PULL]);
  const product = (bytes: number) => products.create(0, 0, bytes);
  return { sim, tr, clients, product };
}

describe("transfers", () => {
  it("one transfer takes its route latency plus size over the bottleneck bandwidth, and its client is told", () => {
    const { sim, tr, clients, product } = setup();
    const p = product(100 * GB);
    tr.submit(REPLICA, p, A, B, 7);
    tr.submit(INGEST, product(100 * GB), T, A, -1);
    expect(tr.inFlight()).toBe(2);
    sim.run();
    expect(clients[REPLICA].done).toEqual([{ p, src: A, dst: B, job: 7, at: expect.closeTo(0.02 + 100, 9) }]);
    expect(clients[INGEST].done.map((d) => d.at)).toEqual([expect.closeTo(0.01 + 100, 9)]);
    expect(clients[PULL].done).toEqual([]);
    expect(tr.completed).toBe(2);
    expect(tr.inFlight()).toBe(0);
  });

  it("a link runs at most maxActivePerPair transfers at once; the rest wait in order and then share the path", () => {
    const { sim, tr, clients, product } = setup({ maxActivePerPair: 2 });
    for (let i = 0; i < 4; i++) tr.submit(REPLICA, product(100 * GB), A, B, i);
    sim.run();
    // Two share 1 GB/s (200 s each after 0.02 s latency); the next two start when they end.
    const at = 0.02 + 200;
    expect(clients[REPLICA].done.map((d) => d.job)).toEqual([0, 1, 2, 3]);
    expect(clients[REPLICA].done.map((d) => d.at)).toEqual([at, at, 2 * at, 2 * at].map((t) => expect.closeTo(t, 9)));
  });

  it("the active limit is per link: A->B at its cap does not hold back A->C", () => {
    const { sim, tr, clients, product } = setup({ maxActivePerPair: 1 });
    tr.submit(REPLICA, product(100 * GB), A, B, 0);
    tr.submit(REPLICA, product(100 * GB), A, B, 1);
    tr.submit(REPLICA, product(100 * GB), A, C, 2);
    sim.run();
    const at = Object.fromEntries(clients[REPLICA].done.map((d) => [d.job, d.at]));
    expect(at[0]).toBeCloseTo(100.02, 9);
    expect(at[1]).toBeCloseTo(200.04, 9);
    expect(at[2]).toBeCloseTo(100.05, 9);
  });

  it("TCP windows cap each stream at window / (2 x route latency)", () => {
    const { sim, tr, clients, product } = setup({ streamsPerTransfer: 2, windowBytes: 1e6 });
    tr.submit(REPLICA, product(1 * GB), A, B, 0);
    sim.run();
    // 2 streams x 1 MB / 0.04 s = 50 MB/s: 1 GB in 20 s, after 0.02 s latency.
    expect(clients[REPLICA].done[0]!.at).toBeCloseTo(20.02, 9);
  });

  it("a failed site stops its transfers in both directions, queued ones too; the others finish", () => {
    const { sim, tr, clients, product } = setup({ maxActivePerPair: 1 });
    tr.submit(REPLICA, product(100 * GB), A, B, 0);
    tr.submit(PULL, product(100 * GB), A, B, 1); // queued behind 0
    tr.submit(REPLICA, product(100 * GB), B, C, 2);
    tr.submit(REPLICA, product(100 * GB), A, C, 3);
    let left = -1;
    sim.scheduleAt(50, () => {
      tr.abortAt(B);
      left = tr.inFlight();
    });
    sim.run();
    expect(clients[REPLICA].aborted.map((d) => [d.job, d.src, d.dst, d.at])).toEqual([
      [0, A, B, 50],
      [2, B, C, 50],
    ]);
    expect(clients[PULL].aborted.map((d) => d.job)).toEqual([1]);
    expect(left).toBe(1);
    expect(clients[REPLICA].done.map((d) => [d.job, d.at])).toEqual([[3, expect.closeTo(100.05, 9)]]);
    expect([tr.completed, tr.aborted]).toEqual([1, 3]);
  });

  it("a channel whose end failed takes new transfers afterwards, at full speed", () => {
    const { sim, tr, clients, product } = setup();
    tr.submit(REPLICA, product(100 * GB), A, B, 0);
    sim.scheduleAt(50, () => {
      tr.abortAt(B);
      tr.submit(REPLICA, product(100 * GB), A, B, 1);
    });
    sim.run();
    expect(clients[REPLICA].done.map((d) => [d.job, d.at])).toEqual([[1, expect.closeTo(150.02, 9)]]);
  });
});

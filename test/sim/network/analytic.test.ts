import { describe, expect, it } from "vitest";
import { Simulation } from "../../../sim/kernel/index.js";
import { Network, NetworkError, type SharingMode } from "../../../sim/network/index.js";

const Gbps = 1e9;

function setup(sharing: SharingMode = "max-min") {
  const sim = new Simulation();
  const net = new Network(sim, { sharing });
  return { sim, net };
}

/** Starts a flow at `at` and records when it completes under `key`. */
function flowAt(
  sim: Simulation,
  net: Network,
  done: Map<string, number>,
  key: string,
  at: number,
  spec: Parameters<Network["startFlow"]>[0],
) {
  sim.schedule(at, () => net.startFlow({ ...spec, onComplete: () => done.set(key, sim.now) }));
}

describe("one link, N flows", () => {
  it("N equal flows finish together at latency + N*S/C", () => {
    const { sim, net } = setup();
    const l = net.addLink({ bandwidthBitsPerSecond: 10 * Gbps, latencySeconds: 0.02 });
    const done = new Map<string, number>();
    const S = 5e9; // bytes
    for (let i = 0; i < 8; i++) flowAt(sim, net, done, `f${i}`, 0, { route: [l], bytes: S });
    sim.run();
    for (const t of done.values()) expect(t).toBeCloseTo(0.02 + (8 * S * 8) / (10 * Gbps), 9);
  });

  it("unequal sizes follow processor sharing: t_k = t_{k-1} + (N-k+1)(s_k - s_{k-1})/C", () => {
    const { sim, net } = setup();
    const C = 8e9; // bit/s = 1e9 B/s
    const l = net.addLink({ bandwidthBitsPerSecond: C, latencySeconds: 0 });
    const sizes = [1e9, 3e9, 4e9, 10e9];
    const done = new Map<string, number>();
    sizes.forEach((s, i) => flowAt(sim, net, done, `f${i}`, 0, { route: [l], bytes: s }));
    sim.run();
    let t = 0;
    let prev = 0;
    sizes.forEach((s, k) => {
      t += ((sizes.length - k) * (s - prev)) / 1e9;
      prev = s;
      expect(done.get(`f${k}`)).toBeCloseTo(t, 9);
    });
    expect(net.linkBytesCarried(l)).toBeCloseTo(18e9, 0);
  });

  it("a late flow takes half the link from then on", () => {
    const { sim, net } = setup();
    const l = net.addLink({ bandwidthBitsPerSecond: 8e6, latencySeconds: 0 }); // 1e6 B/s
    const done = new Map<string, number>();
    flowAt(sim, net, done, "a", 0, { route: [l], bytes: 2e6 });
    flowAt(sim, net, done, "b", 1, { route: [l], bytes: 1e6 });
    sim.run();
    // a: 1e6 alone in [0,1], then 0.5e6/s; b needs 2 s at 0.5e6/s -> both finish at 3.
    expect(done.get("a")).toBeCloseTo(3, 12);
    expect(done.get("b")).toBeCloseTo(3, 12);
  });
});

describe("parking lot", () => {
  it("gives the textbook max-min shares", () => {
    // Three links in a row; a long flow crosses all, one short flow per link.
    // Capacities 1, 2, 3 (x 8 Mbit/s): link 1 is the bottleneck of the long flow (1/2),
    // the short flows take what is left: 1/2, 3/2, 5/2.
    const { sim, net } = setup();
    const links = [1, 2, 3].map((c) => net.addLink({ bandwidthBitsPerSecond: c * 8e6, latencySeconds: 0 }));
    const long = net.startFlow({ route: links, bytes: 1e12 });
    const shorts = links.map((l) => net.startFlow({ route: [l], bytes: 1e12 }));
    sim.run(0);
    expect(net.flowRateBitsPerSecond(long) / 8e6).toBeCloseTo(0.5, 12);
    expect(shorts.map((f) => net.flowRateBitsPerSecond(f) / 8e6)).toEqual([0.5, 1.5, 2.5].map((x) => expect.closeTo(x, 12)));
  });

  it("N long-haul vs one short flow per hop: long flows get C/(N+1) each", () => {
    const { sim, net } = setup();
    const hops = 5;
    const links = Array.from({ length: hops }, () => net.addLink({ bandwidthBitsPerSecond: 8e9, latencySeconds: 0 }));
    const longs = Array.from({ length: 3 }, () => net.startFlow({ route: links, bytes: 1e15 }));
    const shorts = links.map((l) => net.startFlow({ route: [l], bytes: 1e15 }));
    sim.run(0);
    for (const f of [...longs, ...shorts]) expect(net.flowRateBitsPerSecond(f)).toBeCloseTo(8e9 / 4, 3);
  });
});

describe("caps", () => {
  it("capped flows get their cap, the rest share what is left", () => {
    const { sim, net } = setup();
    const l = net.addLink({ bandwidthBitsPerSecond: 100e6, latencySeconds: 0 });
    const capped = [5e6, 10e6].map((c) => net.startFlow({ route: [l], bytes: 1e12, maxRateBitsPerSecond: c }));
    const loose = [0, 1].map(() => net.startFlow({ route: [l], bytes: 1e12, maxRateBitsPerSecond: 90e6 }));
    sim.run(0);
    expect(capped.map((f) => net.flowRateBitsPerSecond(f))).toEqual([5e6, 10e6]);
    for (const f of loose) expect(net.flowRateBitsPerSecond(f)).toBeCloseTo(42.5e6, 3);
  });

  it("a TCP window caps a flow at window / (2 x route latency)", () => {
    const { sim, net } = setup();
    const a = net.addLink({ bandwidthBitsPerSecond: 10e9, latencySeconds: 0.07 });
    const b = net.addLink({ bandwidthBitsPerSecond: 10e9, latencySeconds: 0.08 });
    const done = new Map<string, number>();
    const W = 4 * 2 ** 20;
    flowAt(sim, net, done, "f", 0, { route: [a, b], bytes: 1e9, windowBytes: W });
    sim.run();
    const rate = W / (2 * 0.15); // bytes/s
    expect(done.get("f")).toBeCloseTo(0.15 + 1e9 / rate, 9);
  });
});

describe("latency-weighted sharing (CM02)", () => {
  it("shares a bottleneck in proportion to 1/route latency", () => {
    const { sim, net } = setup("latency-weighted");
    const C = 8e9; // 1e9 B/s
    const shared = net.addLink({ bandwidthBitsPerSecond: C, latencySeconds: 0.01 });
    const far = net.addLink({ bandwidthBitsPerSecond: 1e12, latencySeconds: 0.29 });
    const near = net.startFlow({ route: [shared], bytes: 1e12 }); // latency 0.01
    const distant = net.startFlow({ route: [shared, far], bytes: 1e12 }); // latency 0.30
    sim.run(0.5);
    const r1 = net.flowRateBitsPerSecond(near);
    const r2 = net.flowRateBitsPerSecond(distant);
    expect(r1 / r2).toBeCloseTo(30, 9);
    expect(r1 + r2).toBeCloseTo(C, 3);
  });

  it("plain max-min ignores latency when sharing", () => {
    const { sim, net } = setup("max-min");
    const shared = net.addLink({ bandwidthBitsPerSecond: 8e9, latencySeconds: 0.01 });
    const far = net.addLink({ bandwidthBitsPerSecond: 1e12, latencySeconds: 0.29 });
    const a = net.startFlow({ route: [shared], bytes: 1e12 });
    const b = net.startFlow({ route: [shared, far], bytes: 1e12 });
    sim.run(0.5);
    expect(net.flowRateBitsPerSecond(a)).toBeCloseTo(4e9, 3);
    expect(net.flowRateBitsPerSecond(b)).toBeCloseTo(4e9, 3);
  });
});

describe("link changes", () => {
  it("a cut stalls flows without losing bytes; restore resumes them", () => {
    const { sim, net } = setup();
    const l = net.addLink({ bandwidthBitsPerSecond: 8e6, latencySeconds: 0.5 }); // 1e6 B/s
    const done = new Map<string, number>();
    flowAt(sim, net, done, "f", 0, { route: [l], bytes: 10e6 });
    sim.schedule(3, () => net.setLinkBandwidth(l, 0));
    sim.schedule(7, () => net.setLinkBandwidth(l, 8e6));
    let stalledRate = -1;
    sim.schedule(5, () => {
      stalledRate = net.linkThroughputBitsPerSecond(l);
    });
    sim.run();
    expect(stalledRate).toBe(0);
    // 0.5 s latency, 2.5e6 B by t=3, 4 s cut, 7.5e6 B after t=7.
    expect(done.get("f")).toBeCloseTo(7 + 7.5, 9);
    expect(net.linkBytesCarried(l)).toBeCloseTo(10e6, 3);
  });

  it("a degraded link slows its flows and frees nothing elsewhere", () => {
    const { sim, net } = setup();
    const l = net.addLink({ bandwidthBitsPerSecond: 8e6, latencySeconds: 0 });
    const done = new Map<string, number>();
    flowAt(sim, net, done, "f", 0, { route: [l], bytes: 4e6 });
    sim.schedule(2, () => net.setLinkBandwidth(l, 2e6)); // 0.25e6 B/s
    sim.run();
    expect(done.get("f")).toBeCloseTo(2 + 2e6 / 0.25e6, 9);
  });
});

describe("incremental recomputation", () => {
  it("touches only the flows connected to the change", () => {
    const { sim, net } = setup();
    const a = [0, 1, 2].map(() => net.addLink({ bandwidthBitsPerSecond: 8e9, latencySeconds: 0 }));
    const b = [0, 1].map(() => net.addLink({ bandwidthBitsPerSecond: 8e9, latencySeconds: 0 }));
    // Component A: 10 flows chained over a0-a1-a2; component B: 4 flows over b0-b1.
    for (let i = 0; i < 10; i++) net.startFlow({ route: [a[i % 3]!, a[(i + 1) % 3]!], bytes: 1e15 });
    for (let i = 0; i < 4; i++) net.startFlow({ route: [b[i % 2]!], bytes: 1e15 });
    sim.run(1);
    net.startFlow({ route: [b[0]!], bytes: 1e15 });
    sim.run(2);
    expect(net.lastSolveFlows).toBe(3); // the new flow and the two already on b0
    net.setLinkBandwidth(a[1]!, 4e9);
    sim.run(3);
    expect(net.lastSolveFlows).toBe(10);
  });

  it("batches every change of one instant into one solve", () => {
    const { sim, net } = setup();
    const l = net.addLink({ bandwidthBitsPerSecond: 8e9, latencySeconds: 0 });
    const before = net.solves;
    for (let i = 0; i < 100; i++) net.startFlow({ route: [l], bytes: 1e9 });
    sim.run(0);
    expect(net.solves - before).toBe(1);
  });
});

describe("invalid calls", () => {
  it("throw a typed error and leave the clock finite", () => {
    const { sim, net } = setup();
    const l = net.addLink({ bandwidthBitsPerSecond: 8e9, latencySeconds: 0 });
    expect(() => net.addLink({ bandwidthBitsPerSecond: -1, latencySeconds: 0 })).toThrow(NetworkError);
    expect(() => net.addLink({ bandwidthBitsPerSecond: NaN, latencySeconds: 0 })).toThrow(/finite number >= 0, got NaN/);
    expect(() => net.addLink({ bandwidthBitsPerSecond: 1, latencySeconds: Infinity })).toThrow(NetworkError);
    expect(() => net.setLinkBandwidth(l, NaN)).toThrow(NetworkError);
    expect(() => net.startFlow({ route: [l], bytes: NaN })).toThrow(/bytes/);
    expect(() => net.startFlow({ route: [l], bytes: -5 })).toThrow(NetworkError);
    expect(() => net.startFlow({ route: [l, 7], bytes: 1 })).toThrow(/route\[1\]: unknown link 7/);
    expect(() => net.startFlow({ route: [l, l], bytes: 1 })).toThrow(/twice/);
    expect(() => net.startFlow({ route: [], bytes: 1 })).toThrow(/at least one link/);
    expect(() => net.startFlow({ route: [l], bytes: 1, maxRateBitsPerSecond: 0 })).toThrow(/maxRateBitsPerSecond/);
    expect(() => net.startFlow({ route: [l], bytes: 1, windowBytes: NaN })).toThrow(/windowBytes/);
    const f = net.startFlow({ route: [l], bytes: 1e9 });
    sim.run();
    expect(() => net.flowRateBitsPerSecond(f)).toThrow(/not live/);
    expect(Number.isFinite(sim.now)).toBe(true);
    expect(sim.now).toBeCloseTo(1, 12);
  });

  it("cancels a flow: it never completes and frees its share", () => {
    const { sim, net } = setup();
    const l = net.addLink({ bandwidthBitsPerSecond: 8e6, latencySeconds: 0 });
    const done = new Map<string, number>();
    const f = net.startFlow({ route: [l], bytes: 1e6, onComplete: () => done.set("f", sim.now) });
    flowAt(sim, net, done, "g", 0, { route: [l], bytes: 1e6 });
    sim.schedule(1, () => expect(net.cancelFlow(f)).toBe(true));
    sim.run();
    expect(done.has("f")).toBe(false);
    expect(done.get("g")).toBeCloseTo(1.5, 12); // 0.5e6 B by t=1, then alone
    expect(net.cancelFlow(f)).toBe(false);
  });
});

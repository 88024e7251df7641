import { describe, expect, it } from "vitest";
import { Simulation } from "../../../sim/kernel/index.js";
import { Network, NetworkError } from "../../../sim/network/index.js";
import { generateCases, runOurs } from "./simgrid/cases.js";

describe("transfer groups", () => {
  it("members share the group's rate (processor sharing) and pay the route latency first", () => {
    const sim = new Simulation();
    const net = new Network(sim);
    const l = net.addLink({ bandwidthBitsPerSecond: 8e6, latencySeconds: 0.5 }); // 1e6 B/s
    const done = new Map<number, number>();
    const g = net.openGroup({ route: [l], onComplete: (tag) => done.set(tag, sim.now) });
    net.addMember(g, 10e6, 1);
    net.addMember(g, 20e6, 2);
    sim.schedule(5, () => net.addMember(g, 1e6, 3));
    sim.run();
    // From 0.5 both at 0.5e6 B/s. Member 3 joins at 5.5: by then 1 and 2 each moved 2.5e6.
    // Three share 1e6 B/s: member 3 (1e6 B) done at 5.5 + 3 = 8.5; 1 and 2 then at 3.5e6.
    // Member 1 needs 6.5e6 more at 0.5e6 B/s: 21.5; member 2 then alone: 21.5 + 10e6/1e6 = 31.5.
    expect(done.get(3)).toBeCloseTo(8.5, 9);
    expect(done.get(1)).toBeCloseTo(21.5, 9);
    expect(done.get(2)).toBeCloseTo(31.5, 9);
    expect(net.groupMembers(g)).toBe(0);
  });

  it("counts the bytes its members moved: finished, moving and aborted ones, without forcing a solve", () => {
    const sim = new Simulation();
    const net = new Network(sim);
    const l = net.addLink({ bandwidthBitsPerSecond: 8e6, latencySeconds: 0.5 }); // 1e6 B/s
    const g = net.openGroup({ route: [l], onComplete: () => {} });
    net.addMember(g, 10e6, 1);
    net.addMember(g, 20e6, 2);
    const seen: number[] = [];
    // The same timeline as above, without member 3: both at 0.5e6 B/s from 0.5 s; 1 done at 20.5.
    for (const t of [0.5, 5.5, 20.5, 25.5]) sim.scheduleAt(t, () => seen.push(net.groupBytesMoved(g)));
    sim.scheduleAt(25.5, () => net.abortGroup(g)); // 2 had moved 10e6 + 5e6 by then
    sim.scheduleAt(30, () => {
      seen.push(net.groupBytesMoved(g));
      net.addMember(g, 1e6, 4); // moves from 30.5 to 31.5
    });
    sim.run();
    seen.push(net.groupBytesMoved(g));
    expect(seen).toEqual([0, 5e6, 20e6, 25e6, 25e6, 26e6].map((b) => expect.closeTo(b, 3)));
  });

  it("gives exactly the completion times of separate flows", () => {
    // Same random cases as the SimGrid comparison; flows with equal (route, streams) share a group.
    let worst = 0;
    for (const c of generateCases(40, "latency-weighted", 99)) {
      const separate = runOurs(c);
      const sim = new Simulation();
      const net = new Network(sim, { sharing: c.sharing });
      const ids = c.ours.links.map((l) => net.addLink({ bandwidthBitsPerSecond: l.bandwidth * 8, latencySeconds: l.latency }));
      const grouped = new Array<number>(c.ours.flows.length).fill(NaN);
      const groups = new Map<string, number>();
      c.ours.flows.forEach((f, i) => {
        const key = `${f.route.join(",")}/${f.streams ?? 1}`;
        if (!groups.has(key))
          groups.set(
            key,
            net.openGroup({
              route: f.route.map((l) => ids[l]!),
              streams: f.streams ?? 1,
              ...(c.ours.tcpGamma > 0 ? { windowBytes: c.ours.tcpGamma } : {}),
              onComplete: (tag) => (grouped[tag] = sim.now),
            }),
          );
        sim.scheduleAt(f.start, () => net.addMember(groups.get(key)!, f.bytes, i));
      });
      for (const ch of c.ours.bandwidthChanges) sim.scheduleAt(ch.time, () => net.setLinkBandwidth(ids[ch.link]!, ch.bandwidth * 8));
      sim.run();
      separate.forEach((t, i) => (worst = Math.max(worst, Math.abs(grouped[i]! - t) / t)));
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it("N streams take the share of N flows; windows cap each stream", () => {
    const sim = new Simulation();
    const net = new Network(sim, { sharing: "latency-weighted" });
    const l = net.addLink({ bandwidthBitsPerSecond: 8e9, latencySeconds: 0.05 });
    const four = net.startFlow({ route: [l], bytes: 1e15, streams: 4 });
    const one = net.startFlow({ route: [l], bytes: 1e15 });
    const capped = net.startFlow({ route: [l], bytes: 1e15, streams: 3, windowBytes: 1e6 }); // 3 x 1e7 B/s
    sim.run(1);
    expect(net.flowRateBitsPerSecond(capped)).toBeCloseTo(3 * 1e7 * 8, 0);
    const rest = 8e9 - 3 * 1e7 * 8;
    expect(net.flowRateBitsPerSecond(four)).toBeCloseTo((rest * 4) / 5, 0);
    expect(net.flowRateBitsPerSecond(one)).toBeCloseTo(rest / 5, 0);
  });

  it("abort returns every member, joining or moving, and none calls back", () => {
    const sim = new Simulation();
    const net = new Network(sim);
    const l = net.addLink({ bandwidthBitsPerSecond: 8e6, latencySeconds: 1 });
    const done: number[] = [];
    const g = net.openGroup({ route: [l], onComplete: (tag) => done.push(tag) });
    net.addMember(g, 5e6, 1);
    sim.schedule(2, () => net.addMember(g, 5e6, 2)); // still joining at t = 2.5
    let aborted: number[] = [];
    sim.schedule(2.5, () => (aborted = net.abortGroup(g)));
    sim.schedule(3, () => net.addMember(g, 1e6, 3)); // the group stays usable
    sim.run();
    expect(aborted.sort()).toEqual([1, 2]);
    expect(done).toEqual([3]);
    expect(sim.now).toBeCloseTo(5, 9);
    expect(net.linkBytesCarried(l)).toBeCloseTo(1.5e6 + 1e6, 3);
    expect(() => net.addMember(g, NaN, 4)).toThrow(NetworkError);
    net.closeGroup(g);
    expect(() => net.addMember(g, 1, 5)).toThrow(/not live/);
    expect(() => net.startFlow({ route: [l], bytes: 1, streams: 0 })).toThrow(/streams must be an integer >= 1/);
  });
});

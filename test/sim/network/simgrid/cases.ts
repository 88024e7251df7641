import { RandomStreams, Simulation } from "../../../../sim/kernel/index.js";
import { Network, type SharingMode } from "../../../../sim/network/index.js";

/** One comparison case in SimGrid's units (bytes/s, seconds); also the peer script's input. */
export interface PeerCase {
  id: string;
  tcpGamma: number;
  links: { bandwidth: number; latency: number }[];
  flows: { start: number; bytes: number; route: number[]; streams?: number }[];
  bandwidthChanges: { time: number; link: number; bandwidth: number }[];
}

export interface ComparisonCase {
  sharing: SharingMode;
  /** The case as our network sees it (real latencies). */
  ours: PeerCase;
  /**
   * The case as given to SimGrid: for plain max-min, zero-latency links and starts shifted by
   * the route latency; a flow of N streams becomes N identical flows.
   */
  peer: PeerCase;
  /** Index in `peer.flows` of the first copy of each of our flows. */
  peerIndex: number[];
}

/**
 * Random topologies and flow sets. Bandwidth changes only ever lower a link's bandwidth:
 * SimGrid bounds each flow by the smallest route bandwidth seen when it starts, so a later
 * increase would be a SimGrid artefact rather than a sharing-model difference.
 */
export function generateCases(count: number, sharing: SharingMode, seed: number): ComparisonCase[] {
  const streams = new RandomStreams(seed);
  const cases: ComparisonCase[] = [];
  for (let c = 0; c < count; c++) {
    const r = streams.stream(`${sharing}-${c}`);
    const logUniform = (lo: number, hi: number) => Math.exp(r.between(Math.log(lo), Math.log(hi)));
    const nLinks = 3 + r.integer(18);
    const links = Array.from({ length: nLinks }, () => ({
      bandwidth: logUniform(1e6, 1e9),
      latency: r.bernoulli(0.1) ? 0 : r.between(1e-4, 0.08),
    }));
    const nFlows = 5 + r.integer(36);
    const flows = Array.from({ length: nFlows }, () => {
      const hops = 1 + r.integer(Math.min(5, nLinks));
      const pool = Array.from({ length: nLinks }, (_, i) => i);
      const route: number[] = [];
      for (let h = 0; h < hops; h++) route.push(pool.splice(r.integer(pool.length), 1)[0]!);
      const streams = r.bernoulli(0.25) ? 2 + r.integer(3) : 1;
      return {
        start: r.bernoulli(0.2) ? 0 : r.between(0, 5),
        // A whole number of bytes per stream: SimGrid moves whole bytes.
        bytes: streams * Math.round(logUniform(1e4, 1e9) / streams),
        route,
        streams,
      };
    });
    const tcpGamma = sharing === "latency-weighted" && r.bernoulli(1 / 3) ? Math.round(logUniform(65536, 16 * 2 ** 20)) : 0;
    const bandwidthChanges: PeerCase["bandwidthChanges"] = [];
    if (r.bernoulli(1 / 3)) {
      const current = links.map((l) => l.bandwidth);
      const times = Array.from({ length: 1 + r.integer(3) }, () => r.between(0, 10)).sort((a, b) => a - b);
      for (const time of times) {
        const link = r.integer(nLinks);
        current[link] = current[link]! * r.between(0.1, 0.9);
        bandwidthChanges.push({ time, link, bandwidth: current[link]! });
      }
    }
    const ours: PeerCase = { id: `${sharing}-${c}`, tcpGamma, links, flows, bandwidthChanges };
    const peerFlows: PeerCase["flows"] = [];
    const peerIndex: number[] = [];
    for (const f of flows) {
      peerIndex.push(peerFlows.length);
      const start = sharing === "latency-weighted" ? f.start : f.start + routeLatency(links, f.route);
      const n = f.streams ?? 1;
      for (let k = 0; k < n; k++) peerFlows.push({ start, bytes: f.bytes / n, route: f.route });
    }
    const peer: PeerCase = {
      ...ours,
      links: sharing === "latency-weighted" ? links : links.map((l) => ({ bandwidth: l.bandwidth, latency: 0 })),
      flows: peerFlows,
    };
    cases.push({ sharing, ours, peer, peerIndex });
  }
  return cases;
}

/** Route latency summed in route order, as both simulators do. */
function routeLatency(links: PeerCase["links"], route: number[]): number {
  let lat = 0;
  for (const l of route) lat += links[l]!.latency;
  return lat;
}

/** Runs a case on our network; returns each flow's completion time. */
export function runOurs(c: ComparisonCase): number[] {
  const sim = new Simulation();
  const net = new Network(sim, { sharing: c.sharing });
  const ids = c.ours.links.map((l) => net.addLink({ bandwidthBitsPerSecond: l.bandwidth * 8, latencySeconds: l.latency }));
  const done = new Array<number>(c.ours.flows.length).fill(NaN);
  c.ours.flows.forEach((f, i) => {
    sim.scheduleAt(f.start, () =>
      net.startFlow({
        route: f.route.map((l) => ids[l]!),
        bytes: f.bytes,
        streams: f.streams ?? 1,
        ...(c.ours.tcpGamma > 0 ? { windowBytes: c.ours.tcpGamma } : {}),
        onComplete: () => {
          done[i] = sim.now;
        },
      }),
    );
  });
  for (const ch of c.ours.bandwidthChanges) {
    sim.scheduleAt(ch.time, () => net.setLinkBandwidth(ids[ch.link]!, ch.bandwidth * 8));
  }
  sim.run();
  return done;
}

import { quantileSorted } from "simple-statistics";
import { Simulation } from "../kernel/index.js";
import { Network, type SharingMode } from "../network/index.js";

/**
 * A transfer workload between sites over a wide-area network: Poisson arrivals of transfers with
 * log-normal sizes between site pairs joined by a WAN link. Each site has an access link in each
 * direction; a transfer crosses the source's uplink, the WAN link and the destination's downlink.
 */
export interface TransferScenario {
  name: string;
  seed: number;
  durationSeconds: number;
  sharing: SharingMode;
  sampleIntervalSeconds: number;
  sites: { name: string; accessBitsPerSecond: number }[];
  /** Wide-area links, one per direction (a->b and b->a) with the same bandwidth and latency. */
  wan: { a: string; b: string; bitsPerSecond: number; latencySeconds: number }[];
  transfers: {
    arrivalsPerSecond: number;
    /** Log-normal sizes given by their median and the sigma of the logarithm. */
    medianBytes: number;
    sigma: number;
    windowBytes?: number;
  };
}

export interface TransferRun {
  summary: TransferSummary;
  /** Wall-clock time of the simulation; kept out of the summary so that it stays deterministic. */
  wallSeconds: number;
  transfers: { id: Int32Array; src: string[]; dst: string[]; bytes: Float64Array; startSeconds: Float64Array; endSeconds: Float64Array };
  linkSamples: { timeSeconds: Float64Array; link: string[]; utilisation: Float64Array };
}

export interface TransferSummary {
  simulatedSeconds: number;
  transfersStarted: number;
  transfersCompleted: number;
  bytesRequested: number;
  bytesDelivered: number;
  transferSeconds: { p50: number; p95: number; max: number } | null;
  linkUtilisation: Record<string, { mean: number; p95: number }>;
  events: number;
}

export function runTransfers(sc: TransferScenario, onProgress?: (simulatedSeconds: number) => void): TransferRun {
  const wall0 = performance.now();
  const sim = new Simulation({ seed: sc.seed });
  const net = new Network(sim, { sharing: sc.sharing });
  const up = new Map<string, number>();
  const down = new Map<string, number>();
  for (const s of sc.sites) {
    up.set(s.name, net.addLink({ name: `${s.name}:up`, bandwidthBitsPerSecond: s.accessBitsPerSecond, latencySeconds: 0 }));
    down.set(s.name, net.addLink({ name: `${s.name}:down`, bandwidthBitsPerSecond: s.accessBitsPerSecond, latencySeconds: 0 }));
  }
  const pairs: { src: string; dst: string; route: number[] }[] = [];
  for (const w of sc.wan) {
    for (const [src, dst] of [
      [w.a, w.b],
      [w.b, w.a],
    ] as const) {
      const l = net.addLink({ name: `${src}->${dst}`, bandwidthBitsPerSecond: w.bitsPerSecond, latencySeconds: w.latencySeconds });
      pairs.push({ src, dst, route: [up.get(src)!, l, down.get(dst)!] });
    }
  }

  const arrivals = sim.random.stream("transfers/arrivals");
  const choice = sim.random.stream("transfers/pairs");
  const sizes = sim.random.stream("transfers/sizes");
  const mu = Math.log(sc.transfers.medianBytes);
  const t = { src: [] as string[], dst: [] as string[], bytes: [] as number[], start: [] as number[], end: [] as number[] };
  const complete = (i: number) => {
    t.end[i] = sim.now;
  };
  const arrive = () => {
    const p = pairs[choice.integer(pairs.length)]!;
    const bytes = Math.round(sizes.lognormal(mu, sc.transfers.sigma));
    const i = t.src.length;
    t.src.push(p.src);
    t.dst.push(p.dst);
    t.bytes.push(bytes);
    t.start.push(sim.now);
    t.end.push(NaN);
    net.startFlow({
      route: p.route,
      bytes,
      ...(sc.transfers.windowBytes !== undefined ? { windowBytes: sc.transfers.windowBytes } : {}),
      onComplete: () => complete(i),
    });
    const next = arrivals.exponential(sc.transfers.arrivalsPerSecond);
    if (sim.now + next < sc.durationSeconds) sim.schedule(next, arrive);
  };
  sim.schedule(arrivals.exponential(sc.transfers.arrivalsPerSecond), arrive);

  const samples = { time: [] as number[], link: [] as string[], util: [] as number[] };
  const carried = new Float64Array(net.links);
  const sample = () => {
    for (let l = 0; l < net.links; l++) {
      const bytes = net.linkBytesCarried(l);
      samples.time.push(sim.now);
      samples.link.push(net.linkName(l));
      samples.util.push(((bytes - carried[l]!) * 8) / (sc.sampleIntervalSeconds * net.linkBandwidthBitsPerSecond(l)));
      carried[l] = bytes;
    }
    onProgress?.(sim.now);
    if (sim.now + sc.sampleIntervalSeconds <= sc.durationSeconds) sim.schedule(sc.sampleIntervalSeconds, sample);
  };
  sim.schedule(sc.sampleIntervalSeconds, sample);
  sim.run(sc.durationSeconds);

  const durations = t.start
    .map((s, i) => t.end[i]! - s)
    .filter((d) => !Number.isNaN(d))
    .sort((a, b) => a - b);
  const linkUtilisation: TransferSummary["linkUtilisation"] = {};
  for (let l = 0; l < net.links; l++) {
    const name = net.linkName(l);
    const u = samples.util.filter((_, i) => samples.link[i] === name).sort((a, b) => a - b);
    if (u.length > 0) linkUtilisation[name] = { mean: u.reduce((a, b) => a + b, 0) / u.length, p95: quantileSorted(u, 0.95) };
  }
  const delivered = t.bytes.reduce((acc, b, i) => acc + (Number.isNaN(t.end[i]!) ? 0 : b), 0);
  return {
    summary: {
      simulatedSeconds: sim.now,
      transfersStarted: t.src.length,
      transfersCompleted: durations.length,
      bytesRequested: t.bytes.reduce((a, b) => a + b, 0),
      bytesDelivered: delivered,
      transferSeconds:
        durations.length === 0
          ? null
          : { p50: quantileSorted(durations, 0.5), p95: quantileSorted(durations, 0.95), max: durations[durations.length - 1]! },
      linkUtilisation,
      events: sim.eventsProcessed,
    },
    wallSeconds: (performance.now() - wall0) / 1000,
    transfers: {
      id: Int32Array.from(t.src.keys()),
      src: t.src,
      dst: t.dst,
      bytes: Float64Array.from(t.bytes),
      startSeconds: Float64Array.from(t.start),
      endSeconds: Float64Array.from(t.end),
    },
    linkSamples: { timeSeconds: Float64Array.from(samples.time), link: samples.link, utilisation: Float64Array.from(samples.util) },
  };
}

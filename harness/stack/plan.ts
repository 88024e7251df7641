import { Simulation } from "../../sim/kernel/index.js";
import { Network } from "../../sim/network/index.js";
import { buildTopology } from "../../sim/srcnet/topology.js";
import type { Scenario } from "../../scenarios/types.js";
import { UsageError } from "../../errors/index.js";

/**
 * What a stack is made of, decided from the scenario alone (no Docker here, so it is testable
 * against the scenario's numbers): the sites that get an XRootD storage endpoint, and one toxiproxy proxy
 * per path — from the client (the harness, standing at `clientSite`) to each site's storage, and
 * from each site to every other site's storage. A path carries its route's latency (the
 * simulator's lowest-latency route, so both see the same WAN) times `latencyScale`, and its
 * bottleneck bandwidth times `bandwidthScale`, so a laptop can carry it. Toxiproxy adds the
 * latency and cuts; the bandwidth is one rate shared by every connection on the path (the
 * kernel's traffic control, shaping.ts), as on a real link and as the simulator assumes.
 */
export interface StackOptions {
  /** Stack name: containers, network and state are keyed by it. */
  name: string;
  /** Sites to stand up (default: every site of the scenario). */
  sites?: string[];
  /** Where the harness stands (default: the first stack site). */
  clientSite?: string;
  bandwidthScale: number;
  latencyScale: number;
  /** Size of each site's storage area (a tmpfs). */
  storageBytesPerSite: number;
}

export const DEFAULT_OPTIONS: StackOptions = {
  name: "testbed",
  bandwidthScale: 1e-3,
  latencyScale: 1,
  storageBytesPerSite: 256 * 1024 * 1024,
};

export interface PlannedSite {
  name: string;
  /** Name of its XRootD container on the stack network (its role, and its host name there). */
  host: string;
  storageBytes: number;
}

export interface PlannedProxy {
  /** `client->SITE` or `A->B`. */
  name: string;
  from: string;
  to: string;
  /** Port toxiproxy listens on inside its container. */
  listenPort: number;
  upstream: string;
  /** One-way latency applied in each direction. */
  latencySeconds: number;
  /** The path's rate, shared by all its connections (scaled); Infinity for a site's own LAN. */
  bandwidthBitsPerSecond: number;
  /** The unscaled scenario values, for reports. */
  scenarioLatencySeconds: number;
  scenarioBandwidthBitsPerSecond: number;
}

export interface StackPlan {
  name: string;
  scenario: string;
  clientSite: string;
  sites: PlannedSite[];
  proxies: PlannedProxy[];
  options: StackOptions;
}

export const CLIENT = "client";
const CLIENT_PORT_BASE = 20000;
const SITE_PORT_BASE = 21000;

/** A site's storage serves http/https (WebDAV verbs, third-party copy) here, and root:// on 1094. */
export const SITE_HTTP_PORT = 8000;
export const SITE_ROOT_PORT = 1094;

export const proxyName = (from: string, to: string) => `${from}->${to}`;
export const siteHost = (site: string) => `xrootd-${site.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`;

export function planStack(sc: Scenario, opts: StackOptions): StackPlan {
  const known = new Set(sc.sites.map((s) => s.name));
  const names = opts.sites ?? sc.sites.map((s) => s.name);
  for (const s of names) {
    if (!known.has(s)) throw new UsageError(`--sites: scenario ${sc.name} has no site "${s}" (sites: ${[...known].join(", ")})`);
  }
  if (names.length === 0) throw new UsageError(`--sites: expected at least one site, found none`);
  const clientSite = opts.clientSite ?? names[0]!;
  if (!known.has(clientSite)) throw new UsageError(`--client-site: scenario ${sc.name} has no site "${clientSite}"`);
  if (!(opts.bandwidthScale > 0)) throw new UsageError(`--bandwidth-scale: expected a number > 0, found ${opts.bandwidthScale}`);
  if (!(opts.latencyScale >= 0)) throw new UsageError(`--latency-scale: expected a number >= 0, found ${opts.latencyScale}`);

  const net = new Network(new Simulation(), { sharing: sc.network.sharing });
  const topo = buildTopology(sc, net);
  const siteByName = new Map(sc.sites.map((s) => [s.name, s]));
  /** Latency and bottleneck bandwidth of the WAN route from a to b; a site to itself is its LAN. */
  const path = (a: string, b: string): { latency: number; bandwidth: number } | null => {
    if (a === b) {
      const disk = siteByName.get(b)!.disk;
      return { latency: 0, bandwidth: disk?.writeBitsPerSecond ?? Infinity };
    }
    const r = topo.route(topo.index.get(a)!, topo.index.get(b)!);
    if (r === null) return null;
    let bw = Infinity;
    for (const l of r) bw = Math.min(bw, net.linkBandwidthBitsPerSecond(l));
    return { latency: topo.latencySeconds(topo.index.get(a)!, topo.index.get(b)!), bandwidth: bw };
  };

  const sites = names.map((n) => ({ name: n, host: siteHost(n), storageBytes: opts.storageBytesPerSite }));
  const proxies: PlannedProxy[] = [];
  const add = (from: string, to: string, p: { latency: number; bandwidth: number }, port: number) =>
    proxies.push({
      name: proxyName(from, to),
      from,
      to,
      listenPort: port,
      upstream: `${siteHost(to)}:${SITE_HTTP_PORT}`,
      latencySeconds: p.latency * opts.latencyScale,
      bandwidthBitsPerSecond: p.bandwidth * opts.bandwidthScale,
      scenarioLatencySeconds: p.latency,
      scenarioBandwidthBitsPerSecond: p.bandwidth,
    });
  names.forEach((to, i) => {
    const p = path(clientSite, to);
    if (p === null) throw new UsageError(`scenario ${sc.name}: no route from the client site ${clientSite} to ${to}`);
    add(CLIENT, to, p, CLIENT_PORT_BASE + i);
  });
  let port = SITE_PORT_BASE;
  for (const from of names) {
    for (const to of names) {
      if (from === to) continue;
      const p = path(from, to);
      if (p !== null) add(from, to, p, port++);
    }
  }
  return { name: opts.name, scenario: sc.name, clientSite, sites, proxies, options: opts };
}

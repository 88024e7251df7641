import type { Network } from "../network/index.js";
import type { Scenario } from "../../scenarios/types.js";

/**
 * The scenario's endpoints (sites, then telescopes) on the network: each scenario link becomes
 * one network link per direction, and each site with disk gets a link standing for its disk
 * write bandwidth, which every transfer into the site crosses. Source-side reads are not a
 * network constraint (replication reads rarely limit a WAN transfer); this also keeps rate
 * solves local to a destination site. Routes follow the lowest total latency.
 */
export interface Topology {
  endpoints: string[];
  /** Index of an endpoint by name. */
  index: Map<string, number>;
  /** Network links of scenario link i: [forward, backward]. */
  linkPairs: [number, number][];
  /** Disk write link of each site (-1 without disk). */
  diskWrite: number[];
  /** route(src, dst): WAN links then the destination's disk write link; null when unreachable. Shared: do not modify. */
  route(src: number, dst: number): readonly number[] | null;
  latencySeconds(src: number, dst: number): number;
}

export function buildTopology(sc: Scenario, net: Network): Topology {
  const endpoints = [...sc.sites.map((s) => s.name), ...sc.telescopes.map((t) => t.name)];
  const index = new Map(endpoints.map((n, i) => [n, i]));
  const n = endpoints.length;
  const adjacency: { to: number; link: number; latency: number }[][] = endpoints.map(() => []);
  // A scenario may list a path once (both directions implied) or once per direction, as the
  // YAML decoder does: either way each direction becomes exactly one network link.
  const pairOf = new Map<string, [number, number]>();
  // A calibration's fit scales every scenario link (network.bandwidthFactor, latencyFactor; 1 by default).
  const bwFactor = sc.network.bandwidthFactor;
  const latFactor = sc.network.latencyFactor;
  const linkPairs: [number, number][] = sc.links.map((l) => {
    const reverse = pairOf.get(`${l.to}\0${l.from}`);
    if (reverse !== undefined) return [reverse[1], reverse[0]];
    const same = pairOf.get(`${l.from}\0${l.to}`);
    if (same !== undefined) return same;
    const a = index.get(l.from)!;
    const b = index.get(l.to)!;
    const bandwidthBitsPerSecond = l.bandwidthBitsPerSecond * bwFactor;
    const latencySeconds = l.latencySeconds * latFactor;
    const fwd = net.addLink({ name: `${l.from}->${l.to}`, bandwidthBitsPerSecond, latencySeconds });
    const back = net.addLink({ name: `${l.to}->${l.from}`, bandwidthBitsPerSecond, latencySeconds });
    adjacency[a]!.push({ to: b, link: fwd, latency: latencySeconds });
    adjacency[b]!.push({ to: a, link: back, latency: latencySeconds });
    const pair: [number, number] = [fwd, back];
    pairOf.set(`${l.from}\0${l.to}`, pair);
    return pair;
  });
  const diskWrite = sc.sites.map((s) =>
    s.disk === null ? -1 : net.addLink({ name: `${s.name}:disk-write`, bandwidthBitsPerSecond: s.disk.writeBitsPerSecond, latencySeconds: 0 }),
  );

  // All-pairs lowest-latency paths (Dijkstra from each endpoint; a few dozen endpoints).
  const paths: (number[] | null)[][] = [];
  const latency: number[][] = [];
  for (let s = 0; s < n; s++) {
    const dist = new Array<number>(n).fill(Infinity);
    const via = new Array<{ from: number; link: number } | null>(n).fill(null);
    const done = new Array<boolean>(n).fill(false);
    dist[s] = 0;
    for (;;) {
      let u = -1;
      for (let i = 0; i < n; i++) if (!done[i] && dist[i]! < Infinity && (u < 0 || dist[i]! < dist[u]!)) u = i;
      if (u < 0) break;
      done[u] = true;
      // Telescopes are sources only: never route through one.
      if (u !== s && u >= sc.sites.length) continue;
      for (const e of adjacency[u]!) {
        if (dist[u]! + e.latency < dist[e.to]!) {
          dist[e.to] = dist[u]! + e.latency;
          via[e.to] = { from: u, link: e.link };
        }
      }
    }
    paths.push(
      endpoints.map((_, d) => {
        if (d === s || dist[d] === Infinity) return null;
        const links: number[] = [];
        for (let x = d; x !== s; x = via[x]!.from) links.unshift(via[x]!.link);
        return links;
      }),
    );
    latency.push(dist);
  }
  // Routes are asked for in placement loops: build each once.
  const routes = paths.map((row) =>
    row.map((p, dst) => {
      if (p === null) return null;
      const w = dst < diskWrite.length ? diskWrite[dst]! : -1;
      return w >= 0 ? [...p, w] : p;
    }),
  );
  return {
    endpoints,
    index,
    linkPairs,
    diskWrite,
    route: (src, dst) => routes[src]![dst] ?? null,
    latencySeconds: (src, dst) => latency[src]![dst]!,
  };
}

/**
 * A path's bandwidth as one rate shared by every connection on it, shaped by the kernel's traffic
 * control in the toxiproxy container's network namespace. Toxiproxy's bandwidth toxic limits each
 * connection separately (its issues #190 and #613), so N parallel transfers would get N times the
 * path's rate; an htb class per path does not. (`netem` is not in this kernel; htb is.)
 *
 * Every proxied byte leaves the toxiproxy container through one of its interfaces (the stack's
 * network, and Docker's default bridge its published ports may use), so shaping the egress of
 * each covers both directions of every path:
 * - towards whoever opened the connection (a download, or a destination site pulling a third-party
 *   copy): the packets' source port is the path's listen port;
 * - towards the site (an upload from the client): the packets go to the site's address on its
 *   storage port. Site-to-site paths carry no uploads (the destination pulls), so only client
 *   paths get this second filter.
 * Traffic of no path (the API) goes to an unshaped default class.
 */
import { Effect } from "effect";
import { docker, DockerError } from "../docker/exec.js";
import { SITE_HTTP_PORT, type PlannedProxy, type StackPlan } from "./plan.js";

/** The default class: traffic of no path (the API, DNS). */
const DEFAULT_CLASS = 1;
/** The interfaces' MTU (Docker's default). */
const MTU = 1500;
/** htb's quantum (bytes a class may send per round): fixed, so tiny and huge rates both stay fair. */
const QUANTUM = 60_000;

/** htb class of the i-th path of the plan (minor ids are hex; 0x10 up leaves room below). */
const classId = (i: number) => `1:${(0x10 + i).toString(16)}`;

/** tc's rate: whole bits per second, at least 8 kbit/s (htb's smallest useful rate). */
export const tcRate = (bitsPerSecond: number) => `${Math.max(8000, Math.round(bitsPerSecond))}bit`;

/** Enough burst for the rate's 10 ms worth, never below a jumbo frame: a small burst caps throughput below the rate. */
const burst = (bitsPerSecond: number) => `${Math.max(16_000, Math.ceil(bitsPerSecond / 8 / 100))}b`;

const tc = (container: string, args: string[]) => docker(["exec", container, "tc", ...args]);

/** The container's interfaces but loopback ("eth0", "eth1", ...). */
const interfaces = (container: string) =>
  docker(["exec", container, "ip", "-o", "link", "show"]).pipe(
    Effect.map((out) =>
      out
        .split("\n")
        .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
        .filter((d): d is string => d !== undefined && d !== "lo"),
    ),
  );

/** Every path with its class. */
export const shapedPaths = (plan: StackPlan): { proxy: PlannedProxy; classId: string }[] => plan.proxies.map((p, i) => ({ proxy: p, classId: classId(i) }));

/** A path's planned rate; a site's own LAN (unlimited; null once the plan went through JSON) gets the default class's. */
const UNLIMITED = 100e9;
const plannedRate = (p: PlannedProxy) => (Number.isFinite(p.bandwidthBitsPerSecond) ? p.bandwidthBitsPerSecond : UNLIMITED);

/** An htb class's parameters for a path of this rate (ceil = rate: a path never borrows). */
const htbClass = (bitsPerSecond: number) => {
  const rate = tcRate(bitsPerSecond);
  const b = burst(bitsPerSecond);
  return ["htb", "rate", rate, "ceil", rate, "burst", b, "cburst", b, "quantum", String(QUANTUM)];
};

/**
 * Installs the classes and filters (replacing any there). `siteAddress` gives each site
 * container's address on the stack network, for the upload filters of client paths.
 */
export function shapePaths(container: string, plan: StackPlan, siteAddress: (site: string) => string): Effect.Effect<void, DockerError> {
  return Effect.gen(function* () {
    for (const dev of yield* interfaces(container)) yield* shapeInterface(container, dev, plan, siteAddress);
  });
}

function shapeInterface(container: string, dev: string, plan: StackPlan, siteAddress: (site: string) => string): Effect.Effect<void, DockerError> {
  return Effect.gen(function* () {
    // No segmentation offload: htb lets a packet out whenever its tokens are not yet negative, so
    // a 64 KB GSO packet would put a path up to that much (26 ms at 20 Mbit/s) ahead of its rate;
    // with packets of one MTU a path runs ahead by its burst at most.
    yield* docker(["exec", container, "ip", "link", "set", "dev", dev, "gso_max_segs", "1", "gso_max_size", String(MTU)]);
    yield* tc(container, ["qdisc", "replace", "dev", dev, "root", "handle", "1:", "htb", "default", String(DEFAULT_CLASS)]);
    yield* tc(container, ["class", "replace", "dev", dev, "parent", "1:", "classid", `1:${DEFAULT_CLASS}`, "htb", "rate", tcRate(UNLIMITED), "quantum", String(QUANTUM)]);
    let prio = 1;
    for (const { proxy, classId: id } of shapedPaths(plan)) {
      yield* tc(container, ["class", "replace", "dev", dev, "parent", "1:", "classid", id, ...htbClass(plannedRate(proxy))]);
      yield* tc(container, ["filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", String(prio++), "u32", "match", "ip", "sport", String(proxy.listenPort), "0xffff", "flowid", id]);
      if (proxy.from === "client") {
        yield* tc(container, [
          "filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", String(prio++), "u32",
          "match", "ip", "dst", `${siteAddress(proxy.to)}/32`, "match", "ip", "dport", String(SITE_HTTP_PORT), "0xffff", "flowid", id,
        ]);
      }
    }
  });
}

/** Sets one path's shared rate (a degraded link), or, without a rate, gives it back its planned one. */
export function setPathRate(container: string, plan: StackPlan, name: string, bitsPerSecond?: number): Effect.Effect<void, DockerError> {
  const shaped = shapedPaths(plan).find((s) => s.proxy.name === name);
  if (shaped === undefined) return Effect.fail(new DockerError({ message: `the stack has no path ${name}` }));
  const params = htbClass(bitsPerSecond ?? plannedRate(shaped.proxy));
  return Effect.gen(function* () {
    for (const dev of yield* interfaces(container)) yield* tc(container, ["class", "change", "dev", dev, "parent", "1:", "classid", shaped.classId, ...params]);
  });
}

const UNIT: Record<string, number> = { "": 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** tc's printed rate ("40Mbit", "8Kbit", "100Gbit") in bits per second. */
export function parseTcRate(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)bit$/.exec(s);
  return m === null ? null : Number(m[1]) * UNIT[m[2]!]!;
}

/** Each path's current rate in bits per second, as the kernel reports it (for status and tests). */
export function pathRates(container: string, plan: StackPlan): Effect.Effect<Record<string, number>, DockerError> {
  return Effect.gen(function* () {
    // Bookworm's tc has no JSON output for classes: "class htb 1:11 root prio 0 rate 40Mbit ceil ...".
    // Every interface carries the same classes: the first one's tell.
    const [dev] = yield* interfaces(container);
    const out = dev === undefined ? "" : yield* tc(container, ["class", "show", "dev", dev]);
    const rateOf = new Map<string, number>();
    for (const line of out.split("\n")) {
      const m = /^class htb (\S+) .*? rate (\S+)/.exec(line.trim());
      const r = m === null ? null : parseTcRate(m[2]!);
      if (m !== null && r !== null) rateOf.set(m[1]!, r);
    }
    const rates: Record<string, number> = {};
    for (const { proxy, classId: id } of shapedPaths(plan)) {
      const r = rateOf.get(id);
      if (r !== undefined) rates[proxy.name] = r;
    }
    return rates;
  });
}

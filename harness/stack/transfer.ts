/**
 * The stack's transfer service (harness/transfer/srcnet_fts): its configuration, made from the
 * plan. Each site's storage is its XRootD endpoints on the stack network; each (source,
 * destination) pair has the WAN path of the connection the destination opens to pull from the
 * source, i.e. the plan's path named `DESTINATION->SOURCE` (a connection from the destination to
 * the source's storage). So a transfer from A to B crosses path `B->A` of the plan, whose latency
 * and shared rate toxiproxy and traffic control apply.
 */
import { join } from "node:path";
import { writeAtomically } from "../../records/run-record.js";
import type { Scenario, TransferOptimizer } from "../../scenarios/types.js";
import { CLIENT, SITE_HTTP_PORT, SITE_ROOT_PORT, type StackPlan } from "./plan.js";

/** FTS3's REST port, as on a real FTS server. */
export const TRANSFER_PORT = 8446;

/** The optimizer's configuration names in the service's config (OPTIMIZER.md, snake case). */
type OptimizerConfig = Record<string, number | string | boolean>;

export interface TransferServiceConfig {
  listen: { host: string; port: number };
  sites: Record<string, string[]>;
  paths: { source: string; destination: string; via: string }[];
  optimizer: OptimizerConfig;
  interval_seconds: number;
  file_timeout_seconds: number;
  connect_timeout_seconds: number;
  max_workers: number;
}

/** Campaign speed: the optimizer decides every 10 s (FTS: 60 s over minutes-long windows), so a campaign of minutes sees it work. */
export const CAMPAIGN_OPTIMIZER_INTERVAL_SECONDS = 10;

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The scenario's optimizer under the service's names; the interval is the campaign's, not the scenario's. */
export function optimizerConfig(o: TransferOptimizer | undefined): OptimizerConfig {
  if (o === undefined) return {};
  const out: OptimizerConfig = {};
  for (const [k, v] of Object.entries(o)) if (k !== "steadyIntervalSeconds") out[snake(k)] = v;
  return out;
}

export function transferConfig(plan: StackPlan, sc?: Scenario): TransferServiceConfig {
  return {
    listen: { host: "0.0.0.0", port: TRANSFER_PORT },
    sites: Object.fromEntries(plan.sites.map((s) => [s.name, [`${s.host}:${SITE_HTTP_PORT}`, `${s.host}:${SITE_ROOT_PORT}`]])),
    paths: plan.proxies
      .filter((p) => p.from !== CLIENT)
      .map((p) => ({ source: p.to, destination: p.from, via: `toxiproxy:${p.listenPort}` })),
    optimizer: optimizerConfig(sc?.policies.transfers.optimizer),
    interval_seconds: CAMPAIGN_OPTIMIZER_INTERVAL_SECONDS,
    // A stack's files are megabytes on scaled links: minutes means something is wrong.
    file_timeout_seconds: 600,
    // An unreachable source fails in seconds, so Rucio's retries and recovery move on.
    connect_timeout_seconds: 5,
    max_workers: 32,
  };
}

export function writeTransferConfig(dir: string, cfg: TransferServiceConfig): string {
  const f = join(dir, "transfer.json");
  writeAtomically(f, JSON.stringify(cfg, null, 2) + "\n");
  return f;
}

/**
 * The links copies take, named in the data's direction (`SOURCE->DESTINATION`) with the latency
 * and shared rate of the path they cross: what a campaign records beside its transfers
 * (links.json) for the simulator and the calibration to read.
 */
export function copyLinks(plan: StackPlan): { name: string; latencySeconds: number; bandwidthBitsPerSecond: number }[] {
  return plan.proxies
    .filter((p) => p.from !== CLIENT && Number.isFinite(p.bandwidthBitsPerSecond))
    .map((p) => ({ name: `${p.to}->${p.from}`, latencySeconds: p.latencySeconds, bandwidthBitsPerSecond: p.bandwidthBitsPerSecond }));
}

/**
 * How copies move on the stack, in the terms of the simulator's transfer model (links.json's
 * `transfers`, which `testbed calibrate` and `sim run --from-campaign` read): one TCP stream per
 * copy (an HTTP third-party pull); no window cap, since the proxy ends TCP inside the stack (its
 * latency is a delay toxic, not the connections' round trip); each path's rate split evenly among
 * its connections (htb), i.e. max-min; the destination's adler32 read as it arrives (XRootD) at
 * about 1 GB/s; and the transfer service's optimizer deciding every 10 s.
 */
export const STACK_TRANSFERS = {
  streamsPerTransfer: 1,
  windowBytes: 2 ** 30,
  checksumSourceBytesPerSecond: null,
  checksumDestinationBytesPerSecond: 1e9,
  sharing: "max-min",
  optimizerIntervalSeconds: CAMPAIGN_OPTIMIZER_INTERVAL_SECONDS,
} as const;

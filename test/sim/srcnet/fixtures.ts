import type { Scenario, Site, TransferOptimizer } from "../../../scenarios/types.js";
import { defaultTransferOptimizer } from "../../../scenarios/schema.js";
import { Simulation } from "../../../sim/kernel/index.js";
import { Network } from "../../../sim/network/index.js";
import { ProductTable } from "../../../sim/srcnet/components/products.js";
import { Transfers } from "../../../sim/srcnet/components/transfers.js";
import { buildTopology } from "../../../sim/srcnet/topology.js";

const GB = 1e9;
const PB = 1e15;

export function site(name: string, over: Partial<Site> = {}): Site {
  return {
    name,
    country: "XX",
    latitudeDegrees: 0,
    longitudeDegrees: 0,
    disk: { capacityBytes: 10 * PB, readBitsPerSecond: 800e9, writeBitsPerSecond: 800e9, costPerTerabyteYear: 10 },
    tape: null,
    compute: { cores: 100, flopsPerSecond: 1e15 },
    ...over,
  };
}

/** The optimizer's defaults (harness/transfer/OPTIMIZER.md), as the scenario schema gives them. */
export const FTS_OPTIMIZER: TransferOptimizer = defaultTransferOptimizer();

/**
 * One telescope T producing fixed-size products (sigma 0) at `productsPerHour`, ingested at A;
 * sites A, B, C; links T-A, A-B, A-C, B-C at 8 Gbit/s (1 GB/s) unless overridden.
 */
export function mini(over: Partial<Scenario> = {}, opts: { productBytes?: number; productsPerHour?: number; productionEndSeconds?: number } = {}): Scenario {
  const size = opts.productBytes ?? 100 * GB;
  const perHour = opts.productsPerHour ?? 3.6;
  return {
    name: "mini",
    description: "test",
    seed: 7,
    startDate: "2027-01-01",
    durationSeconds: 86_400,
    network: { sharing: "latency-weighted", signalSpeedMetresPerSecond: 2e8, bandwidthFactor: 1, latencyFactor: 1 },
    sites: [site("A"), site("B"), site("C")],
    links: [
      { from: "T", to: "A", bandwidthBitsPerSecond: 8e9, latencySeconds: 0.01 },
      { from: "A", to: "B", bandwidthBitsPerSecond: 8e9, latencySeconds: 0.02 },
      { from: "A", to: "C", bandwidthBitsPerSecond: 8e9, latencySeconds: 0.05 },
      { from: "B", to: "C", bandwidthBitsPerSecond: 8e9, latencySeconds: 0.05 },
    ],
    telescopes: [
      {
        name: "T",
        latitudeDegrees: 0,
        longitudeDegrees: 0,
        ingest: [{ site: "A", weight: 1 }],
        schedule: [{ startSeconds: 0, endSeconds: opts.productionEndSeconds ?? 86_400, bytesPerWeek: size * perHour * 168 }],
        productMix: [{ type: "image-cube", volumeFraction: 1, size: { medianBytes: size, sigma: 0, minBytes: size, maxBytes: size } }],
      },
    ],
    policies: {
      replicas: 2,
      placement: "nearest",
      diskToTapeAfterSeconds: null,
      lifetimeSeconds: null,
      recallOnAccess: true,
      transfers: {
        maxActivePerPair: 1000,
        streamsPerTransfer: 1,
        windowBytes: 1e12,
        // No costs per file and a fixed active limit: times in the component tests stay hand-computable.
        setupSeconds: 0,
        checksumSourceBytesPerSecond: null,
        checksumDestinationBytesPerSecond: null,
        optimizer: { ...FTS_OPTIMIZER, enabled: false },
      },
      recovery: { enabled: true, detectionSeconds: 3600 },
    },
    analysis: null,
    operations: [],
    faults: [],
    injections: [],
    output: { sampleIntervalSeconds: 600, productEvents: false, transferEvents: false },
    ...over,
  };
}

/** A tape library of 4 drives (90 s mount, 60 s seek) at 8 Gbit/s, so 2 Gbit/s per drive. */
export const TAPE = { capacityBytes: 1e15, readBitsPerSecond: 8e9, writeBitsPerSecond: 8e9, costPerTerabyteYear: 2, drives: 4, mountSeconds: 90, seekSeconds: 60 };

/** The `mini` sites and links with no production: components are driven by hand. */
export function quiet(over: Partial<Scenario> = {}): Scenario {
  const sc = mini(over);
  sc.telescopes[0]!.schedule = [];
  return sc;
}

/** The transfers component alone on a scenario's topology (no other component), with its products table. */
export function transfersRig(sc: Scenario, transfers: Partial<Scenario["policies"]["transfers"]> = {}) {
  const sim = new Simulation({ seed: 1 });
  const net = new Network(sim, { sharing: sc.network.sharing });
  const topo = buildTopology(sc, net);
  const products = new ProductTable(sim, sc.sites.length, false);
  const tr = new Transfers(sim, net, topo, { ...sc.policies.transfers, ...transfers }, products);
  return { sc, sim, net, topo, products, tr };
}

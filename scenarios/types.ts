/**
 * A validated scenario, as the simulator, the dataset generator and the harness read it. Every
 * quantity is in SI units with the unit in its name (bytes, seconds, bits per second); the YAML
 * files accept human units ("8 PB", "100 Gbit/s", "3 d") and `scenarios/schema.ts` decodes
 * them into this shape.
 */

export type ProductType = "visibilities" | "image-cube" | "image" | "catalogue";
export type Placement = "free-capacity" | "nearest" | "cheapest";
export type SharingMode = "max-min" | "latency-weighted";

export interface Scenario {
  name: string;
  description: string;
  seed: number;
  /** Calendar date of simulated time 0 (ISO 8601 date), for reporting dates such as "disk full on". */
  startDate: string;
  durationSeconds: number;
  network: {
    sharing: SharingMode;
    /** Signal speed used to derive a link's latency from distance when none is given, m/s. */
    signalSpeedMetresPerSecond: number;
    /** Multiplier of every scenario link's bandwidth in the simulator (a calibration's fit; 1: as given). */
    bandwidthFactor: number;
    /** Multiplier of every scenario link's latency in the simulator (a calibration's fit; 1: as given). */
    latencyFactor: number;
  };
  sites: Site[];
  /** Network paths between two endpoints (sites or telescopes), one link per direction. */
  links: Link[];
  telescopes: Telescope[];
  policies: Policies;
  analysis: Analysis | null;
  operations: Operation[];
  faults: Fault[];
  /** Files injected at a steady rate from a site to others (data challenges). */
  injections: Injection[];
  output: {
    sampleIntervalSeconds: number;
    /** Write one row per product event (ingested, replicated, moved to tape, lost...). */
    productEvents: boolean;
    /** Write transfers.arrow (one row per file transfer) and links.json (the planned links). */
    transferEvents: boolean;
  };
}

/**
 * Files appearing at a site at a steady rate (`files` over `durationSeconds`), each transferred
 * to one destination: batches of `batchFiles` files, a batch every batchFiles / rate seconds,
 * go to the destinations in turn.
 */
export interface Injection {
  from: string;
  to: string[];
  startSeconds: number;
  durationSeconds: number;
  files: number;
  fileBytes: number;
  batchFiles: number;
}

export interface Site {
  name: string;
  country: string;
  latitudeDegrees: number;
  longitudeDegrees: number;
  disk: StorageClass | null;
  tape: TapeClass | null;
  compute: { cores: number; flopsPerSecond: number };
}

export interface StorageClass {
  capacityBytes: number;
  readBitsPerSecond: number;
  writeBitsPerSecond: number;
  /** In the scenario's own currency unit (not converted). */
  costPerTerabyteYear: number;
}

/** Tape: read and write bandwidths are the library's total, shared equally by its drives. */
export interface TapeClass extends StorageClass {
  drives: number;
  mountSeconds: number;
  seekSeconds: number;
}

export interface Link {
  /** Site or telescope names. */
  from: string;
  to: string;
  bandwidthBitsPerSecond: number;
  /** One-way latency; derived from great-circle distance when absent in the file. */
  latencySeconds: number;
}

export interface Telescope {
  name: string;
  latitudeDegrees: number;
  longitudeDegrees: number;
  /** Sites that receive this telescope's products first, with relative weights. */
  ingest: { site: string; weight: number }[];
  /** Science Verification periods: [start, end) in simulated seconds, volume per week. */
  schedule: { startSeconds: number; endSeconds: number; bytesPerWeek: number }[];
  productMix: ProductMix[];
}

export interface ProductMix {
  type: ProductType;
  /** Share of the telescope's volume in this product type; shares of a telescope sum to 1. */
  volumeFraction: number;
  /** Log-normal sizes: median and the standard deviation of the natural logarithm, redrawn until inside [min, max]. */
  size: { medianBytes: number; sigma: number; minBytes: number; maxBytes: number };
}

export interface Policies {
  /** Copies required, on distinct sites (>= 2 for SRCNet). */
  replicas: number;
  placement: Placement;
  /** Copies on disk older than this move to tape at the same site (null: never). */
  diskToTapeAfterSeconds: number | null;
  /** Products are deleted everywhere this long after ingestion (null: kept). */
  lifetimeSeconds: number | null;
  /** A read of a product whose copies are all on tape recalls it to disk first. */
  recallOnAccess: boolean;
  transfers: {
    /** FTS-like cap on concurrent transfers per (source, destination) pair, when the optimizer is off. */
    maxActivePerPair: number;
    streamsPerTransfer: number;
    /** Per-stream TCP window: each stream is capped at window / (2 x route latency). */
    windowBytes: number;
    /** Fixed cost of every transfer before its checksum and copy (FTS/gfal2 per-file overhead). */
    setupSeconds: number;
    /** adler32 rate of the source's checksum; null: read from a stored value, at no cost. */
    checksumSourceBytesPerSecond: number | null;
    /** adler32 rate of the destination's checksum after the copy; null: not verified, no cost. */
    checksumDestinationBytesPerSecond: number | null;
    /** FTS's optimizer of active transfers per link (harness/transfer/OPTIMIZER.md). */
    optimizer: TransferOptimizer;
  };
  recovery: {
    /** Re-replicate from surviving copies when a site is down or lost. */
    enabled: boolean;
    /** Time before a down site's products count as lost for re-replication purposes. */
    detectionSeconds: number;
  };
}

/**
 * FTS's optimizer: the per-link limit on active transfers moves between minActive and maxActive
 * by success rate and throughput; the configuration names of harness/transfer/OPTIMIZER.md in camelCase.
 */
export interface TransferOptimizer {
  /** Off: every link runs at most maxActivePerPair transfers. */
  enabled: boolean;
  minActive: number;
  maxActive: number;
  mode: "conservative" | "normal" | "aggressive";
  increaseStep: number;
  aggressiveIncreaseStep: number;
  decreaseStep: number;
  emaAlpha: number;
  /** Percent. */
  lowSuccessRate: number;
  /** Percent. */
  baseSuccessRate: number;
  maxStreams: number;
  /** The optimizer runs once per this interval for every link with activity. */
  steadyIntervalSeconds: number;
}

export interface Analysis {
  jobsPerDay: number;
  /** Zipf exponent of product popularity (higher: a few products get most reads). */
  popularityExponent: number;
  /** "move-code-to-data": jobs run at a site holding a copy; "pull-data": at their home site, after a transfer. */
  mode: "move-code-to-data" | "pull-data";
  coresPerJob: number;
  /** Log-normal job run time: median and sigma of the logarithm. */
  runtime: { medianSeconds: number; sigma: number };
  /** Sites users submit from (pull-data mode) with weights; empty means all sites equally. */
  homeSites: { site: string; weight: number }[];
  /** Extra job arrivals during given periods (for example a read campaign on archived data). */
  bursts: { startSeconds: number; durationSeconds: number; jobsPerDay: number }[];
}

export type Operation = {
  kind: "replicate";
  atSeconds: number;
  /** Copy products matching the filter to this site (in addition to the policy's copies). */
  to: string;
  filter: { telescope: string | null; productType: ProductType | null; ingestedBeforeSeconds: number | null };
};

export type Fault =
  | { kind: "site-down"; site: string; atSeconds: number; durationSeconds: number }
  | { kind: "site-random"; sites: string[]; mtbfSeconds: number; mttrSeconds: number }
  | { kind: "link-cut"; from: string; to: string; atSeconds: number; durationSeconds: number }
  /** The link's bandwidth is multiplied by `factor` (0 < factor <= 1) in both directions, then restored. */
  | { kind: "link-degrade"; from: string; to: string; atSeconds: number; durationSeconds: number; factor: number }
  | { kind: "storage-lost"; site: string; storageClass: "disk" | "tape"; atSeconds: number };

/**
 * What the harness hands the load engine (harness/load/srcnet_load/plan.py reads the same
 * shape, as JSON): endpoints, the allowlist, the workload drawn from the synthetic dataset, the
 * upload pool, and the campaign's phases as scenarios, one per phase and service, each an
 * executor starting when its phase starts. Never a secret: those go to the master in a 0600
 * file of their own, which it hands to its workers and never logs.
 */
import type { Campaign, Load, Service } from "./schema.js";
import { OPERATIONS, SERVICES } from "./schema.js";

export type TapQueryKind = "cone" | "range" | "join" | "async";

export interface TapQuery {
  kind: TapQueryKind;
  adql: string;
  /** Rows the query must return, when the workload knows it (from the catalogue); else null. */
  expectRows: number | null;
}

export interface Cutout {
  /** obs_publisher_did of a catalogue product with a FITS payload. */
  id: string;
  ra: number;
  dec: number;
  radiusDeg: number;
}

/** A payload of the upload pool: made again by each worker from (poolSeed, index), checked by these. */
export interface PoolFile {
  bytes: number;
  /** Rucio's checksums of it, lower-case hex. */
  adler32: string;
  md5: string;
}

export interface SiteEndpoint {
  name: string;
  /** Storage base URL as the client sees the site (through its WAN path). */
  url: string;
  /** Rucio RSE of the site. */
  rse: string;
}

/** A file placed on several sites before the load, for reads that fail over between replicas. */
export interface SeededFile {
  name: string;
  pool: number;
  replicas: { site: string; url: string }[];
}

export interface Stage {
  target: number;
  durationSeconds: number;
}

/**
 * Arrival-rate executors are an open model (iterations start on schedule whatever the responses
 * do, at most `maxConcurrent` at once, the rest dropped and counted); VU executors a closed one.
 */
export type Executor =
  | { kind: "constant-arrival-rate"; rate: number; maxConcurrent: number }
  | { kind: "ramping-arrival-rate"; startRate: number; stages: Stage[]; maxConcurrent: number }
  | { kind: "constant-vus"; vus: number }
  | { kind: "ramping-vus"; startVUs: number; stages: Stage[] };

export interface LoadScenario {
  /** `<phase>__<service>`: unique in the campaign. */
  name: string;
  phase: string;
  service: Service;
  startSeconds: number;
  durationSeconds: number;
  /** An iteration still running when its phase ends gets this long to finish, then is stopped. */
  gracefulStopSeconds: number;
  mix: Record<string, number>;
  executor: Executor;
}

export interface LoadPlan {
  /** Hosts (name or IP, optionally :port) requests may go to; anything else is refused. */
  allowHosts: string[];
  timeoutSeconds: number;
  /** Unique per run: uploads go under `/<prefix>/`, Rucio names start with it. */
  prefix: string;
  endpoints: {
    tap: string | null;
    /** SODA sync endpoint (…/dlget); cutouts are `?ID=…&CIRCLE=ra dec r`. */
    soda: string | null;
    rucio: string | null;
    /** The ingestion service (publishes a product's metadata to TAP). */
    ingest: string | null;
    sites: SiteEndpoint[];
  };
  rucio: { account: string; auth: "userpass" | "token"; scope: string };
  /** The seed the pool's payloads are made from (harness/campaigns/files.ts). */
  poolSeed: number;
  pool: PoolFile[];
  reads: SeededFile[];
  tap: TapQuery[];
  /** The campaign ingests products, so TAP answers may grow beyond `expectRows` while it runs. */
  catalogueGrows: boolean;
  soda: Cutout[];
  /** Replicas per ingested product (each on a different site). */
  copies: number;
  /**
   * Metadata of an ingested product: a catalogue row of the dataset whose identifying fields
   * the load replaces; `didPrefix` + the file's name is its obs_publisher_did.
   */
  ingest: { template: Record<string, unknown>; didPrefix: string } | null;
  scenarios: LoadScenario[];
}

/** The mix a scenario runs: the phase's weights, or every operation of the service equally. */
export function mixOf(service: Service, load: Load): Record<string, number> {
  return Object.keys(load.mix).length > 0 ? { ...load.mix } : Object.fromEntries(OPERATIONS[service].map((op) => [op, 1]));
}

function executor(load: Load): Executor {
  const stages = (s: readonly { target: number; duration: number }[]) => s.map((x) => ({ target: x.target, durationSeconds: x.duration }));
  switch (load.executor) {
    case "constant-arrival-rate":
      return { kind: load.executor, rate: load.rate, maxConcurrent: Math.max(load.vus, load.maxVUs) };
    case "ramping-arrival-rate":
      return { kind: load.executor, startRate: load.startRate, stages: stages(load.stages), maxConcurrent: Math.max(load.vus, load.maxVUs) };
    case "constant-vus":
      return { kind: load.executor, vus: load.vus };
    case "ramping-vus":
      return { kind: load.executor, startVUs: load.startVUs, stages: stages(load.stages) };
  }
}

/** The campaign's phases x services, in phase order. */
export function loadScenarios(c: Campaign): LoadScenario[] {
  const out: LoadScenario[] = [];
  for (const p of c.phases) {
    for (const svc of SERVICES) {
      const load = p.load[svc];
      if (load === undefined) continue;
      out.push({
        name: `${p.name.replace(/[^A-Za-z0-9_-]/g, "_")}__${svc}`,
        phase: p.name,
        service: svc,
        startSeconds: p.startSeconds,
        durationSeconds: p.durationSeconds,
        gracefulStopSeconds: c.timeoutSeconds,
        mix: mixOf(svc, load),
        executor: executor(load),
      });
    }
  }
  return out;
}

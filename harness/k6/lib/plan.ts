/**
 * What the harness hands the k6 script (as JSON, read with `open()` at init): endpoints, the
 * workload drawn from the synthetic dataset, and the upload pool. Never a secret: those come
 * from k6's secret source (`k6/secrets`), which k6 redacts from its logs.
 * Shared by both sides: the harness (Node) writes it, the k6 library reads it.
 */
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

export interface PoolFile {
  /** Local path of the payload (k6 reads it with open(path, "b")). */
  path: string;
  bytes: number;
  /** Rucio's checksums of it, lower-case hex. */
  adler32: string;
  md5: string;
}

export interface SiteEndpoint {
  name: string;
  /** WebDAV base URL as the client sees the site (through its WAN path). */
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

export interface K6Plan {
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
   * the script replaces; `didPrefix` + the file's name is its obs_publisher_did.
   */
  ingest: { template: Record<string, unknown>; didPrefix: string } | null;
}

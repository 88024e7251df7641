/**
 * Replays measured transfers through the simulator's own transfer model: each finished transfer
 * enters its link's channel at its measured start time (when it got its slot: FTS's queueing is
 * not what is fitted) with its bytes, on a network of the measured links, and pays what a
 * simulated transfer pays (setup, checksums, the copy sharing its link with the others moving
 * then, each stream capped by its TCP window over the link's latency). The predicted duration of
 * each is its end minus its start.
 */
import { Simulation } from "../kernel/index.js";
import { Network, type SharingMode } from "../network/index.js";
import type { TransferRow } from "../../records/transfer-record.js";
import type { Scenario } from "../../scenarios/types.js";
import { defaultTransferOptimizer } from "../../scenarios/schema.js";
import { ProductTable } from "../srcnet/components/products.js";
import { Transfers, type TransferClient } from "../srcnet/components/transfers.js";
import type { Topology } from "../srcnet/topology.js";

/** A link as planned, one direction: `links.json` of a run record (or run.json `stack.paths`). */
export interface CalibrationLink {
  /** `SRC->DST`, as transfers.arrow names links. */
  name: string;
  latencySeconds: number;
  bandwidthBitsPerSecond: number;
}

/** What a calibration reads from a run record. */
export interface CalibrationInput {
  links: CalibrationLink[];
  transfers: TransferRow[];
}

/** The fitted parameters. */
export interface ReplayParams {
  /** Multiplies every link's bandwidth (scenario network.bandwidthFactor). */
  bandwidthFactor: number;
  /** Multiplies every link's latency (scenario network.latencyFactor). */
  latencyFactor: number;
  /** Per-file setup (scenario policies.transfers.setupTime). */
  setupSeconds: number;
}

/** How transfers move, held fixed in a fit (the run's own settings when it recorded them). */
export interface ReplaySettings {
  streamsPerTransfer: number;
  windowBytes: number;
  checksumSourceBytesPerSecond: number | null;
  checksumDestinationBytesPerSecond: number | null;
  sharing: SharingMode;
}

/** The scenario defaults (scenarios/schema.ts): what the simulator assumes before a fit. */
export const DEFAULT_PARAMS: ReplayParams = { bandwidthFactor: 1, latencyFactor: 1, setupSeconds: 2.6 };
export const DEFAULT_SETTINGS: ReplaySettings = {
  streamsPerTransfer: 4,
  windowBytes: 16 * 2 ** 20,
  checksumSourceBytesPerSecond: null,
  checksumDestinationBytesPerSecond: 1e9,
  sharing: "latency-weighted",
};

/** Transfers ready to replay: the finished ones on known links, as columns. */
export interface Prepared {
  links: CalibrationLink[];
  endpoints: string[];
  rows: TransferRow[];
  /** Per replayed transfer: index of its link, endpoints, bytes, measured start and duration. */
  link: Int32Array;
  src: Int32Array;
  dst: Int32Array;
  bytes: Float64Array;
  start: Float64Array;
  measured: Float64Array;
  /** Rows left out, and why. */
  skipped: { unfinished: number; unknownLink: number };
}

export function prepare(input: CalibrationInput): Prepared {
  const linkIndex = new Map(input.links.map((l, i) => [l.name, i]));
  const endpoints: string[] = [];
  const ep = new Map<string, number>();
  const endpoint = (n: string) => {
    let i = ep.get(n);
    if (i === undefined) {
      i = endpoints.push(n) - 1;
      ep.set(n, i);
    }
    return i;
  };
  const ends = input.links.map((l) => {
    const [a, b] = l.name.split("->");
    return [endpoint(a!), endpoint(b!)] as const;
  });
  if (endpoints.length > 64) throw new Error(`calibration: at most 64 endpoints, found ${endpoints.length}`);
  const rows: TransferRow[] = [];
  const skipped = { unfinished: 0, unknownLink: 0 };
  for (const r of input.transfers) {
    if (r.state !== "FINISHED" || !Number.isFinite(r.startSeconds) || !Number.isFinite(r.endSeconds) || r.endSeconds <= r.startSeconds) skipped.unfinished++;
    else if (!linkIndex.has(r.link)) skipped.unknownLink++;
    else rows.push(r);
  }
  const n = rows.length;
  const p: Prepared = {
    links: input.links,
    endpoints,
    rows,
    link: new Int32Array(n),
    src: new Int32Array(n),
    dst: new Int32Array(n),
    bytes: new Float64Array(n),
    start: new Float64Array(n),
    measured: new Float64Array(n),
    skipped,
  };
  rows.forEach((r, i) => {
    const l = linkIndex.get(r.link)!;
    p.link[i] = l;
    p.src[i] = ends[l]![0];
    p.dst[i] = ends[l]![1];
    p.bytes[i] = r.bytes;
    p.start[i] = r.startSeconds;
    p.measured[i] = r.endSeconds - r.startSeconds;
  });
  return p;
}

const KIND = 0;

/** Predicted duration of each prepared transfer under the parameters. */
export function replay(p: Prepared, params: ReplayParams, settings: ReplaySettings = DEFAULT_SETTINGS): Float64Array {
  const sim = new Simulation({ seed: 0 });
  const net = new Network(sim, { sharing: settings.sharing });
  const n = p.endpoints.length;
  const routes: (number[] | null)[][] = Array.from({ length: n }, () => new Array<number[] | null>(n).fill(null));
  const latency: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(Infinity));
  p.links.forEach((l) => {
    const [a, b] = l.name.split("->");
    const s = p.endpoints.indexOf(a!);
    const d = p.endpoints.indexOf(b!);
    const lat = l.latencySeconds * params.latencyFactor;
    routes[s]![d] = [net.addLink({ name: l.name, bandwidthBitsPerSecond: l.bandwidthBitsPerSecond * params.bandwidthFactor, latencySeconds: lat })];
    latency[s]![d] = lat;
  });
  const topo: Topology = {
    endpoints: p.endpoints,
    index: new Map(p.endpoints.map((e, i) => [e, i])),
    linkPairs: [],
    diskWrite: [],
    route: (s, d) => routes[s]![d] ?? null,
    latencySeconds: (s, d) => latency[s]![d]!,
  };
  const policy: Scenario["policies"]["transfers"] = {
    // Every transfer starts at its measured start: no limit of the replay's own.
    maxActivePerPair: 2 ** 30,
    streamsPerTransfer: settings.streamsPerTransfer,
    windowBytes: settings.windowBytes,
    setupSeconds: Math.max(0, params.setupSeconds),
    checksumSourceBytesPerSecond: settings.checksumSourceBytesPerSecond,
    checksumDestinationBytesPerSecond: settings.checksumDestinationBytesPerSecond,
    // The replay gives every transfer its measured start: no limit on actives to decide.
    optimizer: { ...defaultTransferOptimizer(), enabled: false },
  };
  const products = new ProductTable(sim, n, false);
  const tr = new Transfers(sim, net, topo, policy, products);
  const predicted = new Float64Array(p.rows.length).fill(NaN);
  const client: TransferClient = {
    transferDone: (_p, _s, _d, job) => {
      predicted[job] = sim.now - p.start[job]!;
    },
    transferAborted: () => {},
  };
  tr.serve(KIND, client);
  const product = new Int32Array(p.rows.length);
  for (let i = 0; i < p.rows.length; i++) product[i] = products.create(0, 0, p.bytes[i]!);
  const enter = (i: number) => tr.submit(KIND, product[i]!, p.src[i]!, p.dst[i]!, i);
  // The kernel orders events of one instant by insertion: insert by start time, then row.
  const order = Array.from(p.start.keys()).sort((a, b) => p.start[a]! - p.start[b]! || a - b);
  for (const i of order) sim.scheduleAt(p.start[i]!, enter, i);
  sim.run();
  return predicted;
}

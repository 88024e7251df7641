import { Dictionary, Int32, Table, Utf8, tableFromArrays, vectorFromArray } from "apache-arrow";
import { quantileSorted } from "simple-statistics";
import type { Scenario } from "../../scenarios/types.js";
import { F64Column, I32Column } from "./columns.js";
import type { FaultRecord } from "./components/faults.js";
import type { TransferLog } from "./components/transfer-log.js";
import { PRODUCT_EVENTS } from "./components/products.js";
import { SrcnetModel } from "./model.js";

export interface SrcnetSummary {
  scenario: string;
  seed: number;
  simulatedSeconds: number;
  products: { created: number; ingested: number; fullyReplicated: number; lost: number };
  /** Where every byte produced is at the end: produced = stored + inFlight + backlog + deleted + lost. */
  volume: {
    producedBytes: number;
    ingestedBytes: number;
    storedBytes: number;
    inFlightBytes: number;
    backlogBytes: number;
    deletedBytes: number;
    lostBytes: number;
  };
  replicationLagSeconds: Distribution | null;
  underReplicatedBytes: { peak: number; final: number };
  faults: {
    kind: string;
    target: string;
    atSeconds: number;
    endSeconds: number | null;
    productsAffected: number;
    bytesAffected: number;
    /** From the fault until every product it left short had its copies again. */
    timeToRecoverySeconds: number | null;
  }[];
  sites: Record<
    string,
    {
      diskCapacityBytes: number;
      /** Peak of data that must stay on disk (the staging cache of recalls excluded). */
      diskPeakBytes: number;
      diskPeakFill: number;
      diskFinalBytes: number;
      /** Date the disk reached 99% of its capacity (used and reserved), or null. */
      diskFullOn: string | null;
      tapeCapacityBytes: number;
      tapeFinalBytes: number;
      tapeFullOn: string | null;
    }
  >;
  links: Record<string, Distribution>;
  jobs: { submitted: number; completed: number; failed: number; waitSeconds: Distribution | null };
  transfers: { completed: number; aborted: number };
  tape: { migrations: number; recalls: number };
  /** Only when the scenario injects files (a data challenge): what each injection did. */
  injections?: InjectionSummary[];
  cost: {
    /** Provisioned capacity x cost per TB-year x run length in years. */
    provisioned: number;
    /** Used volume integrated over time (TB-years, from the samples) x cost per TB-year. */
    used: number;
  };
}

export interface InjectionSummary {
  from: string;
  files: number;
  submitted: number;
  done: number;
  doneBytes: number;
  aborted: number;
  /** Per destination link `SRC->DST`: bytes moved, and its rate over each sample interval (sustained rate). */
  links: Record<
    string,
    {
      bytesMoved: number;
      meanBitsPerSecond: number;
      maxBitsPerSecond: number;
      /** Highest limit on active transfers the link had, and most transfers it held at once, at the samples. */
      maxActiveLimit: number;
      maxActive: number;
    }
  >;
}

export interface SrcnetRun {
  summary: SrcnetSummary;
  tables: Record<string, Table>;
  /** One row per file transfer, when the scenario asks for it (output.transferEvents). */
  transferLog: TransferLog | null;
  events: number;
  wallSeconds: number;
}

type Distribution = { mean: number; p50: number; p95: number; max: number };

const percentiles = (xs: Float64Array): Distribution | null => {
  if (xs.length === 0) return null;
  const s = xs.sort();
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i]!;
  return {
    mean: sum / s.length,
    p50: quantileSorted(s as unknown as number[], 0.5),
    p95: quantileSorted(s as unknown as number[], 0.95),
    max: s[s.length - 1]!,
  };
};

/** Names repeat on every row (site, link, class): dictionary-encode them, as Arrow readers expect. */
const names = (values: string[]) => vectorFromArray(values, new Dictionary(new Utf8(), new Int32()));

const dateAt = (start: string, seconds: number | null): string | null =>
  seconds === null ? null : new Date(Date.parse(`${start}T00:00:00Z`) + seconds * 1000).toISOString();

/** Runs a scenario to its end; `onProgress` is called with simulated seconds at every sample. */
export function runSrcnet(sc: Scenario, onProgress?: (simulatedSeconds: number) => void): SrcnetRun {
  const wall0 = performance.now();
  const m = new SrcnetModel(sc);
  const { sim, net, products, replication, ingest, faults, jobs } = m;
  const faultRecords = faults.log.records;
  const dt = sc.output.sampleIntervalSeconds;
  const storage = { time: new F64Column(), site: [] as string[], cls: [] as string[], used: new F64Column(), staged: new F64Column(), capacity: new F64Column() };
  const links = { time: new F64Column(), link: [] as string[], util: new F64Column() };
  const state = {
    time: new F64Column(),
    under: new F64Column(),
    backlog: new F64Column(),
    pending: new I32Column(),
    transfers: new I32Column(),
    sitesDown: new I32Column(),
  };
  const linkUtil: number[][] = Array.from({ length: net.links }, () => []);
  const carried = new Float64Array(net.links);
  let usedCost = 0;
  const yearSeconds = 365 * 86_400;
  // Injected files' links: bytes moved by each injection's channels, sampled for their sustained rates.
  const injLinks = sc.injections.flatMap((x, j) =>
    x.to.map((d) => ({ j, src: m.topo.index.get(x.from)!, dst: m.topo.index.get(d)!, name: `${x.from}->${d}`, mark: 0, max: 0, maxLimit: 0, maxActive: 0 })),
  );

  const sample = (): void => {
    const t = sim.now;
    for (let s = 0; s < m.nSites; s++) {
      const site = sc.sites[s]!;
      for (const [cls, used, cap, cost] of [
        ["disk", m.storage.diskUsed[s]!, site.disk?.capacityBytes ?? 0, site.disk?.costPerTerabyteYear ?? 0],
        ["tape", m.storage.tapeUsed[s]!, site.tape?.capacityBytes ?? 0, site.tape?.costPerTerabyteYear ?? 0],
      ] as const) {
        if (cap === 0) continue;
        storage.time.push(t);
        storage.site.push(site.name);
        storage.cls.push(cls);
        storage.used.push(used);
        storage.staged.push(cls === "disk" ? m.storage.diskStagedBytes(s) : 0);
        storage.capacity.push(cap);
        usedCost += (used / 1e12) * cost * (dt / yearSeconds);
      }
    }
    for (let l = 0; l < net.links; l++) {
      const bytes = net.linkBytesCarried(l);
      const bw = net.linkBandwidthBitsPerSecond(l);
      const u = bw > 0 ? ((bytes - carried[l]!) * 8) / (dt * bw) : 0;
      carried[l] = bytes;
      linkUtil[l]!.push(u);
      links.time.push(t);
      links.link.push(net.linkName(l));
      links.util.push(u);
    }
    state.time.push(t);
    state.under.push(replication.underBytes);
    state.backlog.push(ingest.backlogBytes);
    state.pending.push(replication.pendingCount());
    state.transfers.push(m.transfers.inFlight());
    state.sitesDown.push(m.sites.downCount);
    for (const l of injLinks) {
      const moved = m.transfers.bytesMovedOn(l.src, l.dst);
      l.max = Math.max(l.max, ((moved - l.mark) * 8) / dt);
      l.mark = moved;
      const limit = m.transfers.activeLimit(l.src, l.dst);
      if (limit > l.maxLimit) l.maxLimit = limit;
      l.maxActive = Math.max(l.maxActive, m.transfers.activeOn(l.src, l.dst));
    }
    onProgress?.(t);
    if (t + dt <= sc.durationSeconds) sim.schedule(dt, sample);
  };
  sim.schedule(dt, sample);
  sim.run(sc.durationSeconds);
  m.transfers.logUnfinished();

  const n = products.count;
  let stored = 0;
  let fully = 0;
  let ingested = 0;
  for (let p = 0; p < n; p++) {
    const held = products.disk.data[p]! !== 0 || products.tape.data[p]! !== 0;
    const replicated = !Number.isNaN(products.replicatedAt.data[p]!);
    if (held) stored += products.size.data[p]!;
    if (replicated) fully++;
    if (held || replicated) ingested++;
  }
  const years = sc.durationSeconds / yearSeconds;
  let provisioned = 0;
  const sites: SrcnetSummary["sites"] = {};
  sc.sites.forEach((s, i) => {
    const diskCap = s.disk?.capacityBytes ?? 0;
    const tapeCap = s.tape?.capacityBytes ?? 0;
    provisioned += (diskCap / 1e12) * (s.disk?.costPerTerabyteYear ?? 0) * years + (tapeCap / 1e12) * (s.tape?.costPerTerabyteYear ?? 0) * years;
    sites[s.name] = {
      diskCapacityBytes: diskCap,
      diskPeakBytes: m.storage.diskPeak[i]!,
      diskPeakFill: diskCap > 0 ? m.storage.diskPeak[i]! / diskCap : 0,
      diskFinalBytes: m.storage.diskUsed[i]!,
      diskFullOn: dateAt(sc.startDate, m.storage.diskFullAt[i]!),
      tapeCapacityBytes: tapeCap,
      tapeFinalBytes: m.storage.tapeUsed[i]!,
      tapeFullOn: dateAt(sc.startDate, m.storage.tapeFullAt[i]!),
    };
  });
  const linkSummary: SrcnetSummary["links"] = {};
  for (let l = 0; l < net.links; l++) {
    const u = Float64Array.from(linkUtil[l]!);
    const p = percentiles(u);
    if (p !== null) linkSummary[net.linkName(l)] = p;
  }
  const faultOut = (f: FaultRecord) => ({
    kind: f.kind,
    target: f.target,
    atSeconds: f.atSeconds,
    endSeconds: f.endSeconds,
    productsAffected: f.productsAffected,
    bytesAffected: f.bytesAffected,
    timeToRecoverySeconds: f.recoveredAtSeconds === null ? null : f.recoveredAtSeconds - f.atSeconds,
  });

  const summary: SrcnetSummary = {
    scenario: sc.name,
    seed: sc.seed,
    simulatedSeconds: sim.now,
    products: { created: n, ingested, fullyReplicated: fully, lost: faults.lostProducts },
    volume: {
      producedBytes: ingest.producedBytes,
      ingestedBytes: ingest.ingestedBytes,
      storedBytes: stored,
      inFlightBytes: ingest.inflightBytes,
      backlogBytes: ingest.backlogBytes,
      deletedBytes: m.lifecycle.deletedBytes,
      lostBytes: faults.lostBytes,
    },
    replicationLagSeconds: percentiles(replication.lags.values()),
    underReplicatedBytes: { peak: replication.underPeakBytes, final: replication.underBytes },
    faults: faultRecords.map(faultOut),
    sites,
    links: linkSummary,
    jobs: { submitted: jobs.submitted, completed: jobs.completed, failed: jobs.failed, waitSeconds: percentiles(jobs.waits.values()) },
    transfers: { completed: m.transfers.completed, aborted: m.transfers.aborted },
    tape: { migrations: m.storage.tapeMigrations, recalls: m.storage.recalls },
    cost: { provisioned, used: usedCost },
  };
  if (sc.injections.length > 0) {
    summary.injections = sc.injections.map((x, j) => {
      const c = m.injections.counts[j]!;
      const links: InjectionSummary["links"] = {};
      for (const l of injLinks) {
        if (l.j !== j) continue;
        const bytes = m.transfers.bytesMovedOn(l.src, l.dst);
        links[l.name] = { bytesMoved: bytes, meanBitsPerSecond: (bytes * 8) / sim.now, maxBitsPerSecond: l.max, maxActiveLimit: l.maxLimit, maxActive: l.maxActive };
      }
      return { from: x.from, files: x.files, submitted: c.submitted, done: c.done, doneBytes: c.doneBytes, aborted: c.aborted, links };
    });
  }

  const tables: Record<string, Table> = {
    storage: new Table({
      timeSeconds: vectorFromArray(storage.time.values()),
      site: names(storage.site),
      storageClass: names(storage.cls),
      usedBytes: vectorFromArray(storage.used.values()),
      /** Of usedBytes, recalls staged in the disk cache (they give way to new data). */
      stagedBytes: vectorFromArray(storage.staged.values()),
      capacityBytes: vectorFromArray(storage.capacity.values()),
    }),
    links: new Table({
      timeSeconds: vectorFromArray(links.time.values()),
      link: names(links.link),
      utilisation: vectorFromArray(links.util.values()),
    }),
    state: tableFromArrays({
      timeSeconds: state.time.values(),
      underReplicatedBytes: state.under.values(),
      backlogBytes: state.backlog.values(),
      productsAwaitingPlacement: state.pending.values(),
      transfersInFlight: state.transfers.values(),
      sitesDown: state.sitesDown.values(),
    }),
    faults: tableFromArrays({
      kind: faultRecords.map((f) => f.kind),
      target: faultRecords.map((f) => f.target),
      atSeconds: Float64Array.from(faultRecords.map((f) => f.atSeconds)),
      endSeconds: Float64Array.from(faultRecords.map((f) => f.endSeconds ?? NaN)),
      recoveredAtSeconds: Float64Array.from(faultRecords.map((f) => f.recoveredAtSeconds ?? NaN)),
    }),
  };
  if (products.events !== null) {
    tables.product_events = new Table({
      timeSeconds: vectorFromArray(products.events.time.values()),
      product: vectorFromArray(products.events.product.values()),
      event: names(Array.from(products.events.event.values(), (e) => PRODUCT_EVENTS[e]!)),
      site: names(Array.from(products.events.site.values(), (s) => (s >= 0 ? sc.sites[s]!.name : ""))),
    });
  }
  return { summary, tables, transferLog: m.transfers.log, events: sim.eventsProcessed, wallSeconds: (performance.now() - wall0) / 1000 };
}

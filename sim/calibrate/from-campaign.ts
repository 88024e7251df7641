/**
 * `sim run --from-campaign RUN`: a simulation of the stack a replication campaign ran on, so the
 * two records measure the same things. The scenario is the stack's own:
 * - its sites (from the stack's scenario) and its WAN paths as links, with the latencies and the
 *   shared rates the stack applied (links.json of the campaign record, already scaled);
 * - every logical copy the campaign's transfer service made (a file to a destination; retries
 *   are the same copy) as a file injected at the source at the time Rucio first submitted it,
 *   with its size: the simulated transfer layer then moves the same files over the same links
 *   from the same moments. Rucio's scheduling (when a rule's transfers are submitted, which
 *   site they go to) is taken from the measurement; what the simulation predicts is the rest.
 * - nothing else happening (no telescopes, no users' jobs, no faults: a site loss shows as the
 *   recovery copies submitted after it), and transfers.arrow written.
 * The transfer policies are the stack scenario's, with how the stack's copies move where the
 * record says (links.json `transfers`: streams, window, checksum rates, sharing, the optimizer's
 * interval), unless an overlay (testbed calibrate's fit) or --set says otherwise.
 */
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { UsageError } from "../../errors/index.js";
import type { RunProvenance } from "../../records/run-record.js";
import type { TransferRow } from "../../records/transfer-record.js";
import { readTransfers } from "../../records/transfer-table.js";
import { loadScenarioDocument } from "../../scenarios/load.js";
import { defaultTransferOptimizer } from "../../scenarios/schema.js";
import { checkLinks, readJson } from "./load.js";
import type { CalibrationLink } from "./replay.js";

type Doc = Record<string, unknown>;

/**
 * The first attempt of each logical copy: a file to a destination, retries included (a failed
 * attempt's next one is the same copy); once a copy has finished, a later transfer of the same
 * file to the same site is a new copy (a recovery after a loss).
 */
export function firstAttempts(rows: readonly TransferRow[]): TransferRow[] {
  const open = new Map<string, boolean>();
  const out: TransferRow[] = [];
  for (const r of [...rows].sort((a, b) => a.submitSeconds - b.submitSeconds)) {
    const k = `${r.file}\u0000${r.destination}`;
    if (open.get(k) !== true) out.push(r);
    open.set(k, r.state !== "FINISHED");
  }
  return out;
}

/** Copies submitted together (same 0.1 s, link and size) become one injection of that many files. */
export function injectionsOf(copies: readonly TransferRow[]): Doc[] {
  const groups = new Map<string, { from: string; to: string; start: number; bytes: number; files: number }>();
  for (const c of copies) {
    const start = Math.round(c.submitSeconds * 10) / 10;
    const k = `${start}\u0000${c.source}\u0000${c.destination}\u0000${c.bytes}`;
    const g = groups.get(k);
    if (g === undefined) groups.set(k, { from: c.source, to: c.destination, start: Math.max(0, start), bytes: c.bytes, files: 1 });
    else g.files++;
  }
  return [...groups.values()].map((g) => ({
    from: g.from,
    to: [g.to],
    start: `${g.start} s`,
    // All at once: one batch of every file, at the start.
    duration: "0.001 s",
    files: g.files,
    fileSize: `${g.bytes} B`,
    batch: g.files,
  }));
}

/** The scenario document of the campaign's stack and copies, and where it came from. */
export function campaignScenario(runDir: string): { document: Doc; derivedFrom: NonNullable<RunProvenance["derivedFrom"]>; copies: number } {
  if (!existsSync(runDir)) throw new UsageError(`--from-campaign: expected a campaign run directory, found nothing at ${runDir}`);
  const run = readJson(join(runDir, "run.json"), "the run's provenance (JSON)") as RunProvenance;
  if (run.kind !== "campaign") throw new UsageError(`${join(runDir, "run.json")}: kind: expected "campaign", found "${String(run.kind)}"`);
  const linksFile = join(runDir, "links.json");
  const linksDoc = readJson(linksFile, "the stack's WAN paths (a replication campaign's links.json)") as Doc;
  const links = checkLinks(linksDoc.links, linksFile, "links");
  if (links.length === 0) throw new UsageError(`${linksFile}: links: expected a list of links, found []`);
  const rows = readTransfers(join(runDir, "transfers.arrow"));
  const copies = firstAttempts(rows);
  if (copies.length === 0) throw new UsageError(`${join(runDir, "transfers.arrow")}: expected the transfers of a replication campaign, found no rows`);

  const base = loadScenarioDocument(run.scenario.name).document;
  const names = new Set(links.flatMap((l) => l.name.split("->")));
  const sites = (base.sites as Doc[]).filter((s) => names.has(String(s.name)));
  // One scenario link per pair: the stack shapes each direction alike (both from the same route).
  const pairs = new Map<string, CalibrationLink>();
  for (const l of links) {
    const [a, b] = l.name.split("->") as [string, string];
    const key = [a, b].sort().join("\u0000");
    if (!pairs.has(key)) pairs.set(key, l);
  }
  const end = Math.max(...rows.map((r) => (Number.isFinite(r.endSeconds) ? r.endSeconds : r.submitSeconds)));
  const transfers = { ...(((base.policies as Doc | undefined)?.transfers ?? {}) as Doc) };
  const network = { ...((base.network as Doc | undefined) ?? {}) };
  const how = linksDoc.transfers as Record<string, unknown> | undefined;
  if (how !== undefined) {
    const num = (k: string) => (typeof how[k] === "number" ? (how[k] as number) : undefined);
    if (num("streamsPerTransfer") !== undefined) transfers.streamsPerTransfer = num("streamsPerTransfer");
    if (num("windowBytes") !== undefined) transfers.window = `${num("windowBytes")} B`;
    if ("checksumSourceBytesPerSecond" in how || "checksumDestinationBytesPerSecond" in how) {
      const rate = (k: string) => (typeof how[k] === "number" ? `${(how[k] as number) * 8} bit/s` : null);
      transfers.checksumRate = { source: rate("checksumSourceBytesPerSecond"), destination: rate("checksumDestinationBytesPerSecond") };
    }
    if (num("optimizerIntervalSeconds") !== undefined) {
      transfers.optimizer = { ...((transfers.optimizer as Doc | undefined) ?? {}), steadyInterval: `${num("optimizerIntervalSeconds")} s` };
    }
    if (typeof how.sharing === "string") network.sharing = how.sharing;
  }
  // The service keeps each link's optimizer memory from one campaign to the next: when every copy
  // started under a limit above the optimizer's minimum, the links were warm, and a simulation
  // starting from the minimum would hold back copies the stack ran at once. Then the simulated
  // channels run at the lowest limit the copies saw, without the optimizer.
  const limits = rows.map((r) => r.actives).filter((a) => a > 0);
  const optimizer = (transfers.optimizer as Doc | undefined) ?? {};
  const minActive = typeof optimizer.minActive === "number" ? optimizer.minActive : defaultTransferOptimizer().minActive;
  if (limits.length === rows.length && Math.min(...limits) > minActive) {
    transfers.optimizer = { ...optimizer, enabled: false };
    transfers.maxActivePerPair = Math.min(...limits);
  }
  const document: Doc = {
    ...base,
    name: `${run.scenario.name}-from-${basename(runDir)}`.slice(0, 120),
    description: `The stack of campaign run ${basename(runDir)} (${run.campaign?.name ?? "campaign"} on ${run.scenario.name}): its sites, WAN paths and every copy its transfer service made, at the times Rucio submitted them.`,
    duration: `${Math.ceil(end + 120)} s`,
    sites,
    telescopes: [],
    analysis: null,
    faults: [],
    links: [...pairs.values()].map((l) => {
      const [from, to] = l.name.split("->");
      return { from, to, bandwidth: `${l.bandwidthBitsPerSecond} bit/s`, latency: `${l.latencySeconds} s` };
    }),
    injections: injectionsOf(copies),
    network,
    policies: { ...((base.policies as Doc | undefined) ?? {}), diskToTapeAfter: null, transfers },
    output: { ...((base.output as Doc | undefined) ?? {}), transferEvents: true, productEvents: false },
  };
  delete document.extends;
  return { document, derivedFrom: { kind: "campaign", run: basename(runDir), startedAt: run.startedAt }, copies: copies.length };
}

import type { Scenario } from "../../scenarios/types.js";
import { TRANSFER_STATES, type TransferRow } from "../../records/transfer-record.js";
import type { TransferLog } from "./components/transfer-log.js";

/** A link as planned: one direction, with the scenario's own numbers (before network.*Factor). */
export interface PlannedLink {
  /** `FROM->TO`, as transfers.arrow names links. */
  name: string;
  latencySeconds: number;
  bandwidthBitsPerSecond: number;
}

/** How the run's transfers moved, beside the links: what a calibration holds fixed while it fits. */
export function transferSettings(sc: Scenario) {
  const t = sc.policies.transfers;
  return {
    streamsPerTransfer: t.streamsPerTransfer,
    windowBytes: t.windowBytes,
    checksumSourceBytesPerSecond: t.checksumSourceBytesPerSecond,
    checksumDestinationBytesPerSecond: t.checksumDestinationBytesPerSecond,
    sharing: sc.network.sharing,
  };
}

/** The scenario's links, one entry per direction: what `links.json` holds. */
export function plannedLinks(sc: Scenario): PlannedLink[] {
  const seen = new Set<string>();
  const out: PlannedLink[] = [];
  for (const l of sc.links) {
    for (const [a, b] of [
      [l.from, l.to],
      [l.to, l.from],
    ] as const) {
      const name = `${a}->${b}`;
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({ name, latencySeconds: l.latencySeconds, bandwidthBitsPerSecond: l.bandwidthBitsPerSecond });
    }
  }
  return out;
}

/**
 * The log's rows as transfers.arrow rows, named by endpoint (sites, then telescopes); the file is
 * `sim:<product>`. One row object is refilled for every row: the writer copies it at once.
 */
export function* transferRows(log: TransferLog, endpoints: readonly string[]): Generator<TransferRow> {
  const links = endpoints.map((a) => endpoints.map((b) => `${a}->${b}`));
  const row: TransferRow = {
    id: "",
    job: "",
    request: "",
    file: "",
    source: "",
    destination: "",
    link: "",
    bytes: 0,
    submitSeconds: 0,
    startSeconds: NaN,
    endSeconds: NaN,
    state: "FINISHED",
    error: "",
    actives: 0,
  };
  for (let i = 0; i < log.length; i++) {
    const src = log.source.data[i]!;
    const dst = log.destination.data[i]!;
    const state = TRANSFER_STATES[log.state.data[i]!]!;
    row.id = String(log.id.data[i]);
    row.file = `sim:${log.product.data[i]}`;
    row.source = endpoints[src]!;
    row.destination = endpoints[dst]!;
    row.link = links[src]![dst]!;
    row.bytes = log.bytes.data[i]!;
    row.submitSeconds = log.submit.data[i]!;
    row.startSeconds = log.start.data[i]!;
    row.endSeconds = log.end.data[i]!;
    row.state = state;
    row.error = state === "FAILED" || state === "CANCELED" ? "source or destination site failed" : "";
    row.actives = log.actives.data[i]!;
    yield row;
  }
}

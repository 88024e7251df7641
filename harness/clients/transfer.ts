/**
 * The stack's transfer service as a campaign reads it: its log of every file transfer
 * (`GET /srcnet/transfers`, one JSON object per line, epoch seconds) turned into rows of
 * `transfers.arrow` (records/transfer-record.ts) on the campaign's clock.
 */
import { Effect } from "effect";
import { TRANSFER_STATES, type TransferRow, type TransferState } from "../../records/transfer-record.js";
import { request, type HttpError } from "./http.js";

/** One line of the service's log, as it writes it (harness/transfer/README.md). */
interface ServiceTransfer {
  transfer_id: string | number;
  job_id: string;
  request_id?: string | null;
  file?: string | null;
  source_site: string;
  dest_site: string;
  link: string;
  bytes?: number | null;
  submit: number;
  start?: number | null;
  end?: number | null;
  state: string;
  error?: string | null;
  link_actives?: number | null;
}

const num = (x: number | null | undefined) => (typeof x === "number" && Number.isFinite(x) ? x : NaN);

/**
 * Every transfer the service has logged whose file passes `keep`, with times in seconds since
 * `originEpochMs`. A state outside FTS's file states is a contract breach, reported as such.
 */
export function fetchTransfers(baseUrl: string, originEpochMs: number, keep: (file: string) => boolean): Effect.Effect<TransferRow[], HttpError> {
  return request("GET", `${baseUrl}/srcnet/transfers`, { expect: [200], timeoutMs: 30_000 }).pipe(
    Effect.map((r) => {
      const origin = originEpochMs / 1000;
      const rows: TransferRow[] = [];
      for (const line of new TextDecoder().decode(r.value).split("\n")) {
        if (line.trim() === "") continue;
        const t = JSON.parse(line) as ServiceTransfer;
        const file = t.file ?? "";
        if (!keep(file)) continue;
        const state = (TRANSFER_STATES as readonly string[]).includes(t.state) ? (t.state as TransferState) : "FAILED";
        rows.push({
          id: String(t.transfer_id),
          job: t.job_id,
          request: t.request_id ?? "",
          file,
          source: t.source_site,
          destination: t.dest_site,
          link: t.link,
          bytes: num(t.bytes),
          submitSeconds: t.submit - origin,
          startSeconds: num(t.start) - origin,
          endSeconds: num(t.end) - origin,
          state,
          error: state === t.state ? (t.error ?? "") : `unknown state ${t.state}${t.error ? `: ${t.error}` : ""}`,
          actives: t.link_actives ?? 0,
        });
      }
      return rows.sort((a, b) => a.submitSeconds - b.submitSeconds);
    }),
  );
}

/**
 * The observables a simulated and a measured run are compared on, computed from `transfers.arrow`
 * rows (records/transfer-record.ts) by one function for both sides: per-link durations of the
 * finished transfers, the replication lag after each rule of the campaign, and the recovery after
 * each site loss. The rule and loss times come from the campaign's summary and apply to both
 * sides (a simulation made from a campaign submits its transfers at the measured times).
 */
import type { TransferRow } from "../records/transfer-record.js";

/** The columns the observables need (a `TransferRow` has them all). */
export type TransferLike = Pick<TransferRow, "link" | "destination" | "file" | "bytes" | "submitSeconds" | "startSeconds" | "endSeconds" | "state">;

export type { Dist } from "../records/campaign-record.js";
import { distOf as dist, type Dist } from "../records/campaign-record.js";

/** The finite values, sorted. */
export const sortedFinite = (xs: readonly number[]): number[] => xs.filter(Number.isFinite).sort((a, b) => a - b);

export interface LinkObservable {
  link: string;
  transfers: number;
  finished: number;
  failed: number;
  /** Bytes of the finished transfers. */
  bytes: number;
  /** t_end - t_start of each finished transfer, sorted. */
  durations: number[];
  duration: Dist | null;
}

export interface RuleObservable {
  addedSeconds: number;
  /** End of the rule's window: the next rule's time, or the first site loss, whichever comes first. */
  untilSeconds: number;
  /** t_end - addedSeconds of each finished transfer submitted in the window, sorted. */
  lags: number[];
  lag: Dist | null;
}

export interface RecoveryObservable {
  site: string;
  atSeconds: number;
  /** Transfers to the site submitted at or after the loss. */
  transfers: number;
  finished: number;
  /** max t_end - atSeconds over the finished ones; null when none finished. */
  recoverySeconds: number | null;
  /** Files those transfers were of that no transfer of finished. */
  filesUnfinished: number;
  bytesFinished: number;
}

export interface TransferObservables {
  links: LinkObservable[];
  rules: RuleObservable[];
  /** Every rule's lag samples together, sorted. */
  lags: number[];
  lag: Dist | null;
  recoveries: RecoveryObservable[];
}

/** What the campaign's summary says of when things happened (seconds since its start). */
export interface CampaignTimes {
  rules: readonly { addedSeconds: number }[];
  losses: readonly { site: string; atSeconds: number }[];
}

const finished = (r: TransferLike) => r.state === "FINISHED";

/** The destination site: the column, else the part of the link after `->`. */
export const destinationOf = (r: TransferLike): string => r.destination || (r.link.includes("->") ? r.link.slice(r.link.indexOf("->") + 2) : "");

export function linkObservables(rows: readonly TransferLike[]): LinkObservable[] {
  const by = new Map<string, LinkObservable>();
  for (const r of rows) {
    let l = by.get(r.link);
    if (l === undefined) by.set(r.link, (l = { link: r.link, transfers: 0, finished: 0, failed: 0, bytes: 0, durations: [], duration: null }));
    l.transfers++;
    if (r.state === "FAILED") l.failed++;
    if (finished(r)) {
      l.finished++;
      l.bytes += r.bytes;
      l.durations.push(r.endSeconds - r.startSeconds);
    }
  }
  const out = [...by.values()].sort((a, b) => a.link.localeCompare(b.link));
  for (const l of out) {
    l.durations = sortedFinite(l.durations);
    l.duration = dist(l.durations);
  }
  return out;
}

/**
 * Rules sorted by time; each owns the finished transfers submitted from its time until the next
 * rule's (or the first site loss, after which transfers are recovery, not replication).
 */
export function ruleObservables(rows: readonly TransferLike[], times: CampaignTimes): RuleObservable[] {
  const firstLoss = Math.min(Infinity, ...times.losses.map((l) => l.atSeconds).filter(Number.isFinite));
  const added = times.rules.map((r) => r.addedSeconds).filter(Number.isFinite).sort((a, b) => a - b);
  const rules: RuleObservable[] = added.map((a, i) => ({ addedSeconds: a, untilSeconds: Math.min(added[i + 1] ?? Infinity, firstLoss), lags: [], lag: null }));
  for (const r of rows) {
    if (!finished(r) || !(r.submitSeconds < firstLoss)) continue;
    // The last rule added at or before the submit (windows are half-open: [added, next)).
    let lo = 0;
    let hi = added.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (added[mid]! <= r.submitSeconds) lo = mid + 1;
      else hi = mid;
    }
    const rule = rules[lo - 1];
    if (rule === undefined || !(r.submitSeconds < rule.untilSeconds)) continue;
    rule.lags.push(r.endSeconds - rule.addedSeconds);
  }
  for (const r of rules) {
    r.lags = sortedFinite(r.lags);
    r.lag = dist(r.lags);
  }
  return rules;
}

export function recoveryObservables(rows: readonly TransferLike[], times: CampaignTimes): RecoveryObservable[] {
  return times.losses.map((loss) => {
    let transfers = 0;
    let done = 0;
    let bytes = 0;
    let last = -Infinity;
    const files = new Set<string>();
    const ok = new Set<string>();
    for (const r of rows) {
      if (!(r.submitSeconds >= loss.atSeconds) || destinationOf(r) !== loss.site) continue;
      transfers++;
      files.add(r.file);
      if (finished(r)) {
        done++;
        bytes += r.bytes;
        ok.add(r.file);
        if (r.endSeconds > last) last = r.endSeconds;
      }
    }
    return {
      site: loss.site,
      atSeconds: loss.atSeconds,
      transfers,
      finished: done,
      recoverySeconds: done > 0 && Number.isFinite(last) ? last - loss.atSeconds : null,
      filesUnfinished: [...files].filter((f) => !ok.has(f)).length,
      bytesFinished: bytes,
    };
  });
}

/** Every observable of one side. */
export function transferObservables(rows: readonly TransferLike[], times: CampaignTimes): TransferObservables {
  const rules = ruleObservables(rows, times);
  const lags = sortedFinite(rules.flatMap((r) => r.lags));
  return { links: linkObservables(rows), rules, lags, lag: dist(lags), recoveries: recoveryObservables(rows, times) };
}

/** simulated / measured; NaN when either is missing or the measured value is 0. */
export const ratio = (simulated: number | null | undefined, measured: number | null | undefined): number =>
  simulated === null || simulated === undefined || measured === null || measured === undefined || measured === 0 ? NaN : simulated / measured;

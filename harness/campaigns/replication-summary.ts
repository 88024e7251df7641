/**
 * What a replication campaign measured, for summary.json: each rule's time to OK, the replication
 * lag of each file a rule copied (from the rule to the end of the file's last transfer it caused),
 * each link's transfers and throughput (from the transfer service's log), and for each site loss:
 * files affected, how long until every file with a surviving copy had its copies again, the files
 * lost (no surviving copy: Rucio lists no available replica of them at the end), and the bytes
 * moved per link to recover.
 */
import { distOf as dist, type LinkSummary, type ReplicationSummary, type RuleSummary, type SiteLossSummary } from "../../records/campaign-record.js";
import type { TransferRow } from "../../records/transfer-record.js";
import type { UploadedDataset } from "./datasets.js";
import { availableCopies, type LossRecord, type RuleRecord } from "./replication.js";

export function linkSummaries(rows: readonly TransferRow[]): Record<string, LinkSummary> {
  const by = new Map<string, TransferRow[]>();
  for (const r of rows) by.set(r.link, [...(by.get(r.link) ?? []), r]);
  const out: Record<string, LinkSummary> = {};
  for (const [link, rs] of [...by].sort(([a], [b]) => a.localeCompare(b))) {
    const done = rs.filter((r) => r.state === "FINISHED");
    const bytes = done.reduce((s, r) => s + r.bytes, 0);
    const first = Math.min(...done.map((r) => r.startSeconds));
    const last = Math.max(...done.map((r) => r.endSeconds));
    out[link] = {
      transfers: rs.length,
      finished: done.length,
      failed: rs.filter((r) => r.state === "FAILED").length,
      bytes,
      throughputBytesPerSecond: done.length > 0 && last > first ? bytes / (last - first) : 0,
      durationSeconds: dist(done.map((r) => r.endSeconds - r.startSeconds)),
    };
  }
  return out;
}

/** Per file of the rule's dataset that the rule made copy: last end of its finished transfers submitted after the rule, minus the rule's time. */
function lags(rule: RuleRecord, dataset: UploadedDataset | undefined, rows: readonly TransferRow[], next: number): number[] {
  if (dataset === undefined) return [];
  const files = new Set(dataset.files.map((f) => `${dataset.did.scope}:${f.name}`));
  const last = new Map<string, number>();
  for (const r of rows) {
    if (r.state !== "FINISHED" || !files.has(r.file) || r.submitSeconds < rule.addedSeconds || r.submitSeconds >= next) continue;
    last.set(r.file, Math.max(last.get(r.file) ?? -Infinity, r.endSeconds));
  }
  return [...last.values()].map((t) => t - rule.addedSeconds);
}

/** `lossesAt`: when site losses struck; copies submitted after one are recovery, not the rules' replication. */
export function replicationSummary(rules: readonly RuleRecord[], datasets: readonly UploadedDataset[], rows: readonly TransferRow[], lossesAt: readonly number[] = []): ReplicationSummary {
  const byName = new Map(datasets.map((d) => [d.name, d]));
  const sorted = [...rules].sort((a, b) => a.addedSeconds - b.addedSeconds);
  const allLags: number[] = [];
  const ruleOut = sorted.map((r, i): RuleSummary => {
    // A file's transfers belong to the latest rule on its dataset added before them, until a site loss.
    const next = Math.min(sorted.slice(i + 1).find((x) => x.dataset === r.dataset)?.addedSeconds ?? Infinity, ...lossesAt.filter((t) => t > r.addedSeconds));
    const l = lags(r, byName.get(r.dataset), rows, next);
    allLags.push(...l);
    return {
      name: `${r.kind}:${r.dataset}:${r.rses}`,
      kind: r.kind,
      dataset: r.dataset,
      copies: r.copies,
      rses: r.rses,
      id: r.id,
      addedSeconds: r.addedSeconds,
      okAfterSeconds: r.okSeconds === null ? null : r.okSeconds - r.addedSeconds,
      state: r.state,
      locksOk: r.locksOk,
      locksReplicating: r.locksReplicating,
      locksStuck: r.locksStuck,
      lagSeconds: dist(l),
      ...(r.error !== undefined ? { error: r.error } : {}),
    };
  });
  const okAfter = ruleOut.flatMap((r) => (r.okAfterSeconds === null ? [] : [r.okAfterSeconds]));
  return {
    rules: ruleOut,
    rulesOk: okAfter.length,
    rulesNotOk: ruleOut.length - okAfter.length,
    ruleOkSeconds: dist(okAfter),
    lagSeconds: dist(allLags),
    links: linkSummaries(rows),
  };
}

/** `finalStates`: each campaign file's replica states at the end (Rucio, all states). */
export function siteLossSummary(losses: readonly LossRecord[], rows: readonly TransferRow[], finalStates: Map<string, Map<string, string>>): Record<string, SiteLossSummary> {
  return Object.fromEntries(
    losses.map((l): [string, SiteLossSummary] => {
      const lost = [...l.affected.keys()].filter((f) => availableCopies(finalStates.get(f)) === 0).sort();
      const recovered = [...l.recoveredAt.values()];
      const all = recovered.length === l.recoverable.size;
      const moved: Record<string, number> = {};
      for (const r of rows) {
        if (r.state === "FINISHED" && r.submitSeconds >= l.atSeconds && l.affected.has(r.file)) moved[r.link] = (moved[r.link] ?? 0) + r.bytes;
      }
      return [
        l.site,
        {
          atSeconds: l.atSeconds,
          declaredSeconds: l.declaredSeconds,
          filesAffected: l.affected.size,
          filesRecoverable: l.recoverable.size,
          filesRecovered: recovered.length,
          recoverySeconds: all ? (recovered.length === 0 ? 0 : Math.max(...recovered) - l.atSeconds) : null,
          lostFiles: lost.length,
          lost,
          bytesMovedByLink: moved,
          ...(l.error !== undefined ? { error: l.error } : {}),
        },
      ];
    }),
  );
}

/**
 * Replication on a campaign's clock, done by Rucio's own daemons through the stack's transfer
 * service: rules added at their times (by the campaign, or by operations for a whole dataset to
 * one site), and site losses (the storage wiped, its replicas declared bad after the detection
 * delay, as operations would from a storage dump; the necromancer re-creates each file that has
 * another copy and marks the others lost). A monitor polls Rucio every second for when each rule
 * became OK and when each affected file had its copies again; `settle` waits for both after the
 * load, bounded.
 */
import { Effect } from "effect";
import { wipeSite } from "../faults/faults.js";
import { rseName, type RucioClient } from "../clients/rucio.js";
import type { UploadedDataset } from "./datasets.js";
import { fileDid } from "./datasets.js";
import type { Campaign, CampaignRule } from "./schema.js";
import type { Target } from "./target.js";

export interface RuleRecord {
  kind: CampaignRule["kind"];
  dataset: string;
  copies: number;
  rses: string;
  id: string | null;
  /** Seconds since the origin when Rucio accepted the rule. */
  addedSeconds: number;
  /** When the monitor first saw it OK; null if it never was. */
  okSeconds: number | null;
  state: string;
  locksOk: number;
  locksReplicating: number;
  locksStuck: number;
  error?: string;
}

export interface LossRecord {
  site: string;
  rse: string;
  atSeconds: number;
  declaredSeconds: number | null;
  /** Campaign files (scope:name) that had a replica on the site when it was lost, with the copies each had then. */
  affected: Map<string, number>;
  /** Affected files with another copy elsewhere at the loss. */
  recoverable: Set<string>;
  /** When each recoverable file had its copies again (seconds since the origin). */
  recoveredAt: Map<string, number>;
  error?: string;
}

type ReplicaStates = Map<string, Map<string, string>>;

/** Every dataset file's replicas and their states (all states), dataset by dataset. */
function replicaStates(rucio: RucioClient, datasets: readonly UploadedDataset[]) {
  return Effect.gen(function* () {
    const out: ReplicaStates = new Map();
    for (const d of datasets) {
      for (const r of yield* rucio.listReplicas([d.did], ["http"], { allStates: true })) {
        out.set(fileDid(r.scope, r.name), new Map(Object.entries(r.states ?? {})));
      }
    }
    return out;
  });
}

/** How many of a file's replicas are AVAILABLE (none when Rucio lists none). */
export const availableCopies = (states: Map<string, string> | undefined) => [...(states ?? new Map<string, string>()).values()].filter((s) => s === "AVAILABLE").length;

/**
 * Starts the rules' and losses' timers and the monitor. A loss is accounted over the datasets'
 * files, which rules protect: a file no rule holds (the load's seeded files) is not Rucio's to
 * re-create.
 */
export function scheduleReplication(c: Campaign, target: Target, rucio: RucioClient, datasets: readonly UploadedDataset[], originMs: number, log: (l: string) => void) {
  const now = () => (Date.now() - originMs) / 1000;
  const rules: RuleRecord[] = [];
  const losses: LossRecord[] = [];
  const timers: NodeJS.Timeout[] = [];
  const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(Effect.either(e));
  const byName = new Map(datasets.map((d) => [d.name, d]));

  for (const r of c.replication) {
    timers.push(
      setTimeout(async () => {
        const d = byName.get(r.dataset)!;
        const [copies, rses] = r.kind === "replicate" ? [r.copies, r.rses] : [1, rseName(r.site)];
        const rec: RuleRecord = { kind: r.kind, dataset: r.dataset, copies, rses, id: null, addedSeconds: now(), okSeconds: null, state: "", locksOk: 0, locksReplicating: 0, locksStuck: 0 };
        rules.push(rec);
        const added = await run(rucio.addRule([d.did], copies, rses, { activity: "Data Consolidation" }));
        rec.addedSeconds = now();
        if (added._tag === "Left") {
          rec.error = added.left.message;
          log(`rule on ${r.dataset} (${copies} x ${rses}) refused: ${added.left.message}`);
        } else {
          rec.id = added.right[0] ?? null;
          log(`rule ${rec.id} on ${r.dataset}: ${copies} x ${rses} at ${rec.addedSeconds.toFixed(1)} s${r.kind === "operations" ? " (operations)" : ""}`);
        }
      }, Math.max(0, r.at * 1000 - (Date.now() - originMs))),
    );
  }

  for (const f of c.faults) {
    if (f.kind !== "site-loss") continue;
    timers.push(
      setTimeout(async () => {
        const rse = rseName(f.site);
        const loss: LossRecord = { site: f.site, rse, atSeconds: now(), declaredSeconds: null, affected: new Map(), recoverable: new Set(), recoveredAt: new Map() };
        losses.push(loss);
        const before = await run(replicaStates(rucio, datasets));
        if (before._tag === "Left") {
          loss.error = `listing replicas before the loss: ${before.left.message}`;
          return;
        }
        for (const [file, states] of before.right) {
          if (states.get(rse) !== "AVAILABLE") continue;
          const n = availableCopies(states);
          loss.affected.set(file, n);
          if (n > 1) loss.recoverable.add(file);
        }
        const wiped = await run(wipeSite(target.stack!.name, f.site));
        loss.atSeconds = now();
        if (wiped._tag === "Left") {
          loss.error = wiped.left.message;
          log(`site-loss ${f.site} failed: ${wiped.left.message}`);
          return;
        }
        log(`site-loss ${f.site} at ${loss.atSeconds.toFixed(1)} s: ${loss.affected.size} campaign files had a replica there, ${loss.recoverable.size} with another copy`);
        // Operations notice after the detection delay and declare what the site held bad.
        await new Promise((r) => setTimeout(r, f.detection * 1000));
        const bad = [...loss.affected.keys()].map((k) => {
          const i = k.indexOf(":");
          return { scope: k.slice(0, i), name: k.slice(i + 1), rse };
        });
        const declared = await run(rucio.declareBadReplicas(bad, `site-loss of ${f.site} (campaign ${c.name})`));
        loss.declaredSeconds = now();
        if (declared._tag === "Left") loss.error = `declaring replicas bad: ${declared.left.message}`;
        else log(`declared ${bad.length} replicas on ${rse} bad at ${loss.declaredSeconds.toFixed(1)} s`);
      }, Math.max(0, f.at * 1000 - (Date.now() - originMs))),
    );
  }

  // The monitor: rule states, and the copies of each file a loss touched, once a second.
  let polling = false;
  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      for (const rec of rules) {
        if (rec.id === null || rec.okSeconds !== null) continue;
        const r = await run(rucio.getRule(rec.id));
        if (r._tag === "Left") continue;
        Object.assign(rec, { state: r.right.state, locksOk: r.right.locks_ok_cnt, locksReplicating: r.right.locks_replicating_cnt, locksStuck: r.right.locks_stuck_cnt });
        if (r.right.state === "OK") rec.okSeconds = now();
      }
      const watching = losses.filter((l) => l.declaredSeconds !== null && l.recoveredAt.size < l.recoverable.size);
      if (watching.length > 0) {
        const states = await run(replicaStates(rucio, datasets));
        if (states._tag === "Right") {
          const t = now();
          for (const l of watching) {
            for (const file of l.recoverable) {
              if (!l.recoveredAt.has(file) && availableCopies(states.right.get(file)) >= l.affected.get(file)!) l.recoveredAt.set(file, t);
            }
          }
        }
      }
    } finally {
      polling = false;
    }
  };
  const monitor = setInterval(() => void poll(), 1000);

  const done = () =>
    c.replication.length === rules.length &&
    rules.every((r) => r.id === null || r.okSeconds !== null) &&
    c.faults.filter((f) => f.kind === "site-loss").length === losses.length &&
    losses.every((l) => l.error !== undefined || (l.declaredSeconds !== null && l.recoveredAt.size === l.recoverable.size));

  return {
    rules,
    losses,
    /** After the load: waits until every rule is OK and every loss recovered, at most `seconds`. */
    settle: async (seconds: number) => {
      const deadline = Date.now() + seconds * 1000;
      while (!done() && Date.now() < deadline) {
        await poll();
        if (done()) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      await poll();
      return done();
    },
    stop: () => {
      for (const t of timers) clearTimeout(t);
      clearInterval(monitor);
    },
    /** Every file's replica states now, for the final accounting of losses. */
    states: () => run(replicaStates(rucio, datasets)),
  };
}

export type ReplicationClock = ReturnType<typeof scheduleReplication>;

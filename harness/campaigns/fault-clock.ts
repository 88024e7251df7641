/**
 * A campaign's faults on its clock: each injected `at` seconds after the load's origin through
 * the stack's fault primitives and undone after `for`; the record gets their actual times.
 */
import { Effect } from "effect";
import { corruptFile, inject, restartService, undo, type FaultSpec } from "../faults/faults.js";
import type { WrittenReplica } from "./files.js";
import type { Campaign, CampaignFault } from "./schema.js";
import type { FaultWindow } from "./summary.js";
import type { Target } from "./target.js";

function faultSpec(f: CampaignFault): FaultSpec | null {
  switch (f.kind) {
    case "site-down":
      return { kind: f.kind, site: f.site, mode: f.mode };
    case "link-cut":
      return { kind: f.kind, from: f.from, to: f.to };
    case "link-degrade":
      return { kind: f.kind, from: f.from, to: f.to, factor: f.factor };
    case "storage-full":
      return { kind: f.kind, site: f.site };
    default:
      return null;
  }
}

const faultTarget = (f: CampaignFault): string =>
  f.kind === "link-cut" || f.kind === "link-degrade" ? `${f.from}->${f.to}` : f.kind === "restart" ? f.service : f.site;

/**
 * The campaign's faults on its clock: each injected `at` seconds after the origin and undone
 * after `for`; their actual times are what the record gets. Returns a handle to stop the timers.
 */
export function scheduleFaults(c: Campaign, target: Target, seeded: WrittenReplica[], originMs: number, log: (l: string) => void) {
  const windows: (FaultWindow & { undo: (() => Promise<void>) | null; error?: string })[] = [];
  const timers: NodeJS.Timeout[] = [];
  const stack = target.stack!.name;
  const now = () => (Date.now() - originMs) / 1000;
  const run = <A>(e: Effect.Effect<A, { message: string }>) => Effect.runPromise(Effect.either(e));
  for (const f of c.faults) {
    // A site loss is Rucio's business as much as the stack's: replication.ts runs it.
    if (f.kind === "site-loss") continue;
    timers.push(
      setTimeout(async () => {
        const w: (typeof windows)[number] = { kind: f.kind, target: faultTarget(f), atSeconds: now(), endSeconds: null, undo: null };
        windows.push(w);
        const spec = faultSpec(f);
        if (spec !== null) {
          const r = await run(inject(stack, spec));
          if (r._tag === "Left") {
            w.error = r.left.message;
            w.endSeconds = w.atSeconds;
            log(`fault ${w.kind} ${w.target} failed: ${r.left.message}`);
            return;
          }
          // On from when it took effect, not from when the timer fired (timers and the load's clock differ by ms).
          w.atSeconds = now();
          const id = r.right.id;
          w.undo = async () => {
            w.undo = null;
            await run(undo(stack, id));
            w.endSeconds = now();
            log(`fault ${w.kind} ${w.target} undone at ${w.endSeconds.toFixed(1)} s`);
          };
          log(`fault ${w.kind} ${w.target} at ${w.atSeconds.toFixed(1)} s`);
          if ("for" in f && f.for !== null) timers.push(setTimeout(() => void w.undo?.(), Math.max(0, (f.at + f.for) * 1000 - (Date.now() - originMs))));
        } else if (f.kind === "restart") {
          const r = await run(restartService(stack, f.service));
          w.endSeconds = now();
          if (r._tag === "Left") w.error = r.left.message;
          log(`fault restart ${f.service} at ${w.atSeconds.toFixed(1)} s (${r._tag === "Right" ? `${r.right.toFixed(1)} s` : r.left.message})`);
        } else if (f.kind === "corrupt-replica") {
          const victim = seeded.find((s) => s.site === f.site);
          if (victim === undefined) {
            w.error = `no file of the campaign on ${f.site}`;
          } else {
            const r = await run(corruptFile(stack, f.site, victim.path));
            if (r._tag === "Left") w.error = r.left.message;
            w.target = `${f.site}:${victim.path}`;
          }
          w.endSeconds = w.atSeconds;
          log(`fault corrupt-replica ${w.target} at ${w.atSeconds.toFixed(1)} s${w.error ? ` failed: ${w.error}` : ""}`);
        }
      }, Math.max(0, f.at * 1000 - (Date.now() - originMs))),
    );
  }
  let stopped: Promise<void> | null = null;
  return {
    windows,
    /**
     * Stops pending timers and undoes every fault still on; once (the end of the load and the
     * run's finalizer both ask).
     */
    stop: () =>
      (stopped ??= (async () => {
        for (const t of timers) clearTimeout(t);
        await Promise.all(windows.map((w) => w.undo?.()));
        // A fault injected by another path (or whose timer raced the stop) is cleared from the state too.
        await run(undo(stack, null));
      })()),
  };
}

export type FaultClock = ReturnType<typeof scheduleFaults>;

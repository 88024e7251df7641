/**
 * Rucio's daemons on the stack: the judge-evaluator in its own container (a fault can restart it
 * alone), and the conveyor (submitter, poller, finisher), judge-repairer, necromancer and reaper
 * together in `rucio-daemons` (harness/stack/images/rucio/entrypoint.sh, role `daemons`). What
 * `stack status` lists: each daemon and whether its process is alive.
 */
import { Effect } from "effect";
import { docker, type DockerError } from "../docker/exec.js";
import type { StackState } from "./state.js";

export const RUCIO_DAEMONS: Record<string, readonly string[]> = {
  "rucio-judge-evaluator": ["judge-evaluator"],
  "rucio-daemons": ["conveyor-submitter", "conveyor-poller", "conveyor-finisher", "judge-repairer", "necromancer", "reaper"],
};

/** Each daemon with whether a process of it runs in its container now. */
export function daemonStatus(state: StackState): Effect.Effect<{ daemon: string; container: string; running: boolean }[], DockerError> {
  return Effect.forEach(Object.entries(RUCIO_DAEMONS), ([role, names]) =>
    Effect.gen(function* () {
      const c = state.containers.find((x) => x.role === role);
      const ps = c === undefined ? "" : yield* docker(["exec", c.id, "ps", "-eo", "args"]).pipe(Effect.orElseSucceed(() => ""));
      return names.map((d) => ({ daemon: d, container: role, running: ps.split("\n").some((l) => l.includes(`/rucio-${d}`)) }));
    }),
  ).pipe(Effect.map((xs) => xs.flat()));
}

/**
 * The sites' storage areas on a local stack: how full each one is, and removing what campaigns
 * wrote there. A site's storage is a tmpfs of the planned size (256 MiB by default) and campaign
 * files stay after a run as its evidence, so a long-lived stack fills up over many runs; a full
 * site then fails uploads with ENOSPC, which reads like a service failure in the next campaign.
 */
import { Effect } from "effect";
import { docker, DockerError } from "../docker/exec.js";
import type { StackState } from "./state.js";

const ROOT = "/srv/storage";
/** Where campaigns write: their own prefix, and the Rucio RSEs' deterministic paths (protocol prefix /rucio). */
const CAMPAIGN_DIRS = [`${ROOT}/campaign`, `${ROOT}/rucio`];

export interface SiteStorage {
  site: string;
  sizeBytes: number;
  usedBytes: number;
}

function siteContainer(state: StackState, site: string): Effect.Effect<string, DockerError> {
  const s = state.plan.sites.find((x) => x.name === site);
  const c = s === undefined ? undefined : state.containers.find((x) => x.role === s.host);
  return c === undefined ? Effect.fail(new DockerError({ message: `stack ${state.name} has no storage container for site ${site}` })) : Effect.succeed(c.id);
}

/** Size and use of one site's storage, as the container's df sees its tmpfs. */
function usage(state: StackState, site: string): Effect.Effect<SiteStorage, DockerError> {
  return Effect.gen(function* () {
    const id = yield* siteContainer(state, site);
    const out = yield* docker(["exec", id, "df", "-P", "-B1", ROOT]);
    // "Filesystem 1-blocks Used Available Capacity Mounted on", then one line of numbers.
    const fields = out.split("\n").at(-1)?.trim().split(/\s+/) ?? [];
    const size = Number(fields[1]);
    const used = Number(fields[2]);
    if (!(size > 0) || !(used >= 0)) return yield* new DockerError({ message: `site ${site}: cannot read df's output for ${ROOT}`, detail: out });
    return { site, sizeBytes: size, usedBytes: used };
  });
}

export const siteStorage = (state: StackState): Effect.Effect<SiteStorage[], DockerError> =>
  Effect.forEach(state.plan.sites, (s) => usage(state, s.name));

/**
 * Removes every file campaigns wrote on every site (a storage-full fault's ballast is the fault's,
 * and stays). Rucio keeps the runs' DIDs and replica records: their names carry each run's prefix
 * and no later run reads them.
 */
export const cleanSites = (state: StackState): Effect.Effect<{ site: string; freedBytes: number; after: SiteStorage }[], DockerError> =>
  Effect.forEach(state.plan.sites, (s) =>
    Effect.gen(function* () {
      const before = yield* usage(state, s.name);
      // The RSE root itself stays (Rucio's deletion checks that it answers).
      yield* docker(["exec", yield* siteContainer(state, s.name), "sh", "-c", `rm -rf ${CAMPAIGN_DIRS.map((d) => `'${d}'`).join(" ")} && install -d -o xrootd -g xrootd ${ROOT}/rucio`]);
      const after = yield* usage(state, s.name);
      return { site: s.name, freedBytes: Math.max(0, before.usedBytes - after.usedBytes), after };
    }),
  );

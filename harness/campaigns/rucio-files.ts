/**
 * The campaign's files as Rucio knows them: the client the campaign itself uses (the target's
 * credentials), and every replica Rucio lists of the campaign's files at the end, as replicas the
 * integrity check reads back (the PFN the client sees, and the bytes the file must hold).
 */
import { Effect } from "effect";
import { RucioClient, type RucioError } from "../clients/rucio.js";
import type { UploadedDataset } from "./datasets.js";
import type { WrittenReplica } from "./files.js";
import type { SeededFile } from "./load-plan.js";
import type { Target } from "./target.js";
import { pathOf } from "./urls.js";

export const rucioClient = (target: Target): RucioClient =>
  new RucioClient(target.endpoints.rucio!, {
    account: target.rucio.account,
    username: target.secrets.rucio_username ?? "",
    password: target.secrets.rucio_password ?? "",
  });

/**
 * Every available replica Rucio lists of the campaign's datasets and seeded files. `pool` of a
 * seeded file is its payload's index; dataset files' expected bytes follow the pool's.
 */
export function listedReplicas(rucio: RucioClient, target: Target, datasets: readonly UploadedDataset[], seeded: readonly SeededFile[]): Effect.Effect<WrittenReplica[], RucioError> {
  return Effect.gen(function* () {
    const scope = target.rucio.scope;
    const expectedOf = new Map<string, number>([
      ...seeded.map((f) => [f.name, f.pool] as const),
      ...datasets.flatMap((d) => d.files.map((f) => [f.name, f.expected] as const)),
    ]);
    const siteOf = new Map(target.endpoints.sites.map((s) => [s.rse, s.name]));
    const lists = [...datasets.map((d) => [d.did]), ...(seeded.length > 0 ? [seeded.map((f) => ({ scope, name: f.name }))] : [])];
    const out: WrittenReplica[] = [];
    for (const dids of lists) {
      for (const r of yield* rucio.listReplicas(dids, ["http"])) {
        const pool = expectedOf.get(r.name);
        if (pool === undefined) continue;
        for (const [rse, pfns] of Object.entries(r.rses)) {
          const site = siteOf.get(rse);
          if (site !== undefined && pfns[0] !== undefined) out.push({ site, path: pathOf(pfns[0]), pool });
        }
      }
    }
    return out;
  });
}

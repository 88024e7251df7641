/**
 * The campaign's files as Rucio knows them: the client the campaign itself uses (the target's
 * credentials), a file uploaded as a data-lake client uploads, and every replica Rucio lists of the
 * campaign's files at the end, as replicas the integrity check reads back (the PFN the client
 * sees, and the bytes the file must hold).
 */
import { Effect } from "effect";
import { request, type HttpError } from "../clients/http.js";
import { RucioClient, type FileDid, type RucioError } from "../clients/rucio.js";
import { PUT_OK } from "../clients/webdav.js";
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

/** Registers the file's replica at `rse`, asks Rucio for its PFN and writes `body` there; returns the PFN. */
export function uploadReplica(rucio: RucioClient, rse: string, file: FileDid, body: Uint8Array): Effect.Effect<string, RucioError | HttpError> {
  return Effect.gen(function* () {
    const did = { scope: file.scope, name: file.name };
    yield* rucio.addReplicas(rse, [file]);
    const listed = yield* rucio.listReplicas([did], ["http", "https"]);
    const pfn = listed[0]?.rses[rse]?.[0];
    if (pfn === undefined) return yield* Effect.die(new Error(`Rucio lists no PFN of ${file.scope}:${file.name} at ${rse}`));
    yield* request("PUT", pfn, { body, expect: PUT_OK });
    return pfn;
  });
}

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

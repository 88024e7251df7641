/**
 * The datasets a replication campaign uploads before its load, as a data-lake client uploads
 * through Rucio: the dataset DID, each file registered at the upload site's RSE, its bytes
 * written to the PFN Rucio gives, the files attached, and a rule for that one copy (what
 * `rucio upload` leaves). Rules the campaign adds later then have something to replicate.
 */
import { Effect } from "effect";
import { Checksums } from "../../records/checksum.js";
import type { HttpError } from "../clients/http.js";
import type { Did, RucioClient, RucioError } from "../clients/rucio.js";
import type { PoolFile } from "./load-plan.js";
import { payload, type WrittenReplica } from "./files.js";
import { uploadReplica } from "./rucio-files.js";
import type { CampaignDataset } from "./schema.js";
import type { Target } from "./target.js";
import { pathOf } from "./urls.js";

export interface UploadedDataset {
  /** The name in the campaign file. */
  name: string;
  did: Did;
  site: string;
  rse: string;
  /** Each file's name, and the index of its expected bytes in the campaign's list of expected files. */
  files: { name: string; expected: number; bytes: number }[];
  /** Where each file was written (for the integrity check; `pool` indexes the expected files). */
  written: WrittenReplica[];
}

/** Payload seeds of dataset files start here, apart from the load's pool (0, 1, ...). */
const DATASET_SEED_BASE = 1_000_000;

export const fileDid = (scope: string, name: string) => `${scope}:${name}`;

/**
 * Uploads every dataset; appends each file's checksums to `expected` (which the integrity check
 * compares against). Payloads are made one at a time: a dataset never sits in memory whole.
 */
export function uploadDatasets(
  target: Target,
  rucio: RucioClient,
  prefix: string,
  seed: number,
  datasets: readonly CampaignDataset[],
  expected: PoolFile[],
  log: (line: string) => void,
): Effect.Effect<UploadedDataset[], HttpError | RucioError> {
  return Effect.forEach(datasets, (d, k) =>
    Effect.gen(function* () {
      const site = target.endpoints.sites.find((s) => s.name === d.site);
      if (site === undefined) {
        return yield* Effect.die(new Error(`dataset ${d.name}: the target has no site ${d.site} (sites: ${target.endpoints.sites.map((s) => s.name).join(", ")})`));
      }
      const scope = target.rucio.scope;
      const did = { scope, name: `${prefix}-${d.name}` };
      log(`uploading dataset ${did.name}: ${d.files} files of ${d.size} bytes to ${site.name}`);
      yield* rucio.addDataset(did);
      const uploaded: UploadedDataset = { name: d.name, did, site: site.name, rse: site.rse, files: [], written: [] };
      for (let i = 0; i < d.files; i++) {
        const bytes = payload(seed, DATASET_SEED_BASE * (k + 1) + i, d.size);
        const sums = Checksums.of(bytes);
        const name = `${did.name}-${i}`;
        const pfn = yield* uploadReplica(rucio, site.rse, { scope, name, bytes: sums.bytes, adler32: sums.adler32, md5: sums.md5 }, bytes);
        const index = expected.push(sums) - 1;
        uploaded.files.push({ name, expected: index, bytes: sums.bytes });
        uploaded.written.push({ site: site.name, path: pathOf(pfn), pool: index });
      }
      yield* rucio.attach(did, uploaded.files.map((f) => ({ scope, name: f.name })));
      yield* rucio.addRule([did], 1, site.rse);
      return uploaded;
    }),
  );
}

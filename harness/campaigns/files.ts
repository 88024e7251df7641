/**
 * The campaign's files: a pool of deterministic payloads that uploads draw from, files placed on
 * `copies` sites before the load (registered in Rucio where there is one, so reads can fail over),
 * and the integrity check at the end: every replica written is read back and checksum-verified.
 */
import { createHash } from "node:crypto";
import { Effect, Schedule } from "effect";
import { Checksums } from "../../records/checksum.js";
import { request, type HttpError } from "../clients/http.js";
import { PUT_OK } from "../clients/webdav.js";
import type { RucioError } from "../clients/rucio.js";
import { rucioClient, uploadReplica } from "./rucio-files.js";
import type { PoolFile, SeededFile } from "./load-plan.js";
import { pathOf } from "./urls.js";
import type { Target } from "./target.js";

/** Payload `i` of a run: SHA-256 in counter mode over (seed, i), so the same seed gives the same bytes. */
export function payload(seed: number, i: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let off = 0, block = 0; off < bytes; off += 32, block++) {
    const h = createHash("sha256").update(`srcnet-campaign:${seed}:${i}:${block}`).digest();
    out.set(h.subarray(0, Math.min(32, bytes - off)), off);
  }
  return out;
}

/** The upload pool: its payloads and what the load workers check theirs by (they make the same bytes from the seed). */
export function makePool(seed: number, count: number, bytes: number): { files: PoolFile[]; payloads: Uint8Array[] } {
  const payloads = Array.from({ length: count }, (_, i) => payload(seed, i, bytes));
  return { files: payloads.map((b) => Checksums.of(b)), payloads };
}

/** A replica the campaign wrote (or placed): where, and which payload it must hold. */
export interface WrittenReplica {
  site: string;
  path: string;
  pool: number;
}

/**
 * Places `n` files on `copies` sites each (rotating), before the load. With Rucio, as a data-lake
 * client uploads: register the replica, ask Rucio for its PFN, write there; else under
 * `/campaign/<prefix>/seed/`.
 */
export function seedFiles(
  target: Target,
  prefix: string,
  pool: PoolFile[],
  payloads: Uint8Array[],
  n: number,
  copies: number,
): Effect.Effect<{ reads: SeededFile[]; written: WrittenReplica[] }, HttpError | RucioError> {
  return Effect.gen(function* () {
    const sites = target.endpoints.sites;
    const rucio = target.endpoints.rucio === null ? null : rucioClient(target);
    const reads: SeededFile[] = [];
    const written: WrittenReplica[] = [];
    for (let i = 0; i < n && sites.length > 0; i++) {
      const p = i % pool.length;
      const name = `${prefix}-seed-${i}`;
      const chosen = Array.from({ length: Math.min(copies, sites.length) }, (_, k) => sites[(i + k) % sites.length]!);
      const replicas: SeededFile["replicas"] = [];
      for (const s of chosen) {
        let url: string;
        if (rucio !== null) {
          const f = pool[p]!;
          url = yield* uploadReplica(rucio, s.rse, { scope: target.rucio.scope, name, bytes: f.bytes, adler32: f.adler32, md5: f.md5 }, payloads[p]!);
        } else {
          url = `${s.url}/campaign/${prefix}/seed/${i}.bin`;
          yield* request("PUT", url, { body: payloads[p]!, expect: PUT_OK });
        }
        replicas.push({ site: s.name, url });
        written.push({ site: s.name, path: pathOf(url), pool: p });
      }
      reads.push({ name, pool: p, replicas });
    }
    return { reads, written };
  });
}

export interface IntegrityResult {
  files: number;
  replicas: number;
  verified: number;
  lost: number;
  corrupted: number;
  /** The replicas that failed, for the record (site, path, what was found). */
  problems: { site: string; path: string; problem: "lost" | "corrupted"; detail: string }[];
}

/**
 * Reads every replica back from its site (around the WAN paths) and compares its MD5 and
 * Adler-32 with the payload it was written from. Missing (404/410, or unreachable after
 * retries) is lost; different bytes are corrupted.
 */
export function verifyIntegrity(target: Target, pool: PoolFile[], replicas: WrittenReplica[], timeoutMs: number): Effect.Effect<IntegrityResult> {
  const base = new Map(target.endpoints.sites.map((s) => [s.name, s.direct]));
  const unique = [...new Map(replicas.map((r) => [`${r.site}\u0000${r.path}`, r])).values()];
  return Effect.gen(function* () {
    const outcomes = yield* Effect.forEach(
      unique,
      (r) =>
        request("GET", `${base.get(r.site)}${r.path}`, { timeoutMs, expect: [200] }).pipe(
          Effect.retry({ schedule: Schedule.exponential("200 millis"), times: 3, while: (e) => e.status === null || e.status >= 500 }),
          Effect.map((res) => {
            const want = pool[r.pool]!;
            const got = Checksums.of(res.value);
            return got.bytes === want.bytes && got.md5 === want.md5 && got.adler32 === want.adler32
              ? null
              : { site: r.site, path: r.path, problem: "corrupted" as const, detail: `${got.bytes} bytes, md5 ${got.md5}; expected ${want.bytes} bytes, md5 ${want.md5}` };
          }),
          Effect.catchAll((e) => Effect.succeed({ site: r.site, path: r.path, problem: "lost" as const, detail: e.message })),
        ),
      { concurrency: 8 },
    );
    const problems = outcomes.filter((o) => o !== null);
    return {
      files: new Set(unique.map((r) => r.path.split("/").pop())).size,
      replicas: unique.length,
      verified: unique.length - problems.length,
      lost: problems.filter((p) => p.problem === "lost").length,
      corrupted: problems.filter((p) => p.problem === "corrupted").length,
      problems,
    };
  });
}

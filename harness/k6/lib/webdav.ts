/** WebDAV load: uploads of pool payloads, and reads that fail over between a file's replicas. */
import http from "k6/http";
import crypto from "k6/crypto";
import exec from "k6/execution";
import type { K6Plan } from "./plan.ts";
import { hostAllowed, params, refused, timed } from "./http.ts";
import { pathOf } from "./urls.ts";
import { bodyBytes, recordOperation, recordRequest } from "./record.ts";

/**
 * PUT of pool payload `pool` to `url`; `site` and `path` go with the row so the integrity check
 * can read back exactly what was written. Returns whether the server stored it.
 */
export function put(plan: K6Plan, payloads: ArrayBuffer[], pool: number, site: string, url: string, operation = "PUT"): boolean {
  const body = payloads[pool]!;
  if (!hostAllowed(plan, url)) {
    recordRequest("webdav", operation, refused, 0, false, 0);
    return false;
  }
  const { value: res, ms } = timed(() => http.put(url, body, params(plan, { "content-type": "application/octet-stream" })));
  const ok = res.status === 201 || res.status === 204;
  recordRequest("webdav", operation, res, ms, ok, body.byteLength, { site, path: pathOf(url), pool });
  return ok;
}

/** GET that checks the content: right size and MD5, else the replica is not a good copy. */
export function get(plan: K6Plan, url: string, md5: string): boolean {
  if (!hostAllowed(plan, url)) {
    recordRequest("webdav", "GET", refused, 0, false, 0);
    return false;
  }
  const { value: res, ms } = timed(() => http.get(url, { ...params(plan), responseType: "binary" }));
  const ok = res.status === 200 && res.body instanceof ArrayBuffer && crypto.md5(res.body, "hex") === md5;
  recordRequest("webdav", "GET", res, ms, ok, bodyBytes(res.body));
  return ok;
}


let uploads = 0;

/** One upload to the next site in turn, under the run's prefix. */
export function upload(plan: K6Plan, payloads: ArrayBuffer[]): void {
  const sites = plan.endpoints.sites;
  const n = uploads++;
  const site = sites[(exec.vu.idInTest + n) % sites.length]!;
  const pool = (exec.vu.idInTest * 7 + n) % plan.pool.length;
  put(plan, payloads, pool, site.name, `${site.url}/campaign/${plan.prefix}/up/${exec.vu.idInTest}-${n}.bin`);
}

let reads = 0;

/**
 * A read as a data-lake client does it: the replicas in turn (starting from a different one each
 * time) until one returns a good copy. One row per attempt, one operation row for the read.
 */
export function read(plan: K6Plan): void {
  if (plan.reads.length === 0) return;
  const n = reads++;
  const f = plan.reads[(exec.vu.idInTest + n) % plan.reads.length]!;
  const md5 = plan.pool[f.pool]!.md5;
  const t0 = Date.now();
  let attempts = 0;
  let ok = false;
  for (let i = 0; i < f.replicas.length && !ok; i++) {
    const r = f.replicas[(n + i) % f.replicas.length]!;
    attempts++;
    ok = get(plan, r.url, md5);
  }
  recordOperation("webdav", "read", Date.now() - t0, ok, attempts);
}

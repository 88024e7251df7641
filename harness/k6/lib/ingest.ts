/**
 * The ingestion workflow, as SRCNet's ingestion does it: ask Rucio where the file goes on each
 * of `copies` sites, upload it there, register the replicas, add a rule for the copies, publish
 * the product's metadata; then measure how long until it is discoverable in Rucio (every replica
 * listed) and in TAP (ObsCore returns it).
 */
import http from "k6/http";
import exec from "k6/execution";
import { sleep } from "k6";
import type { K6Plan } from "./plan.ts";
import { hostAllowed, params, refused, timed } from "./http.ts";
import { beginOperation, bodyBytes, recordOperation, recordRequest } from "./record.ts";
import { call } from "./rucio.ts";
import { put } from "./webdav.ts";
import { TABLEDATA, votableRows } from "./tap.ts";

const enc = encodeURIComponent;
const POLLS = 40;
const POLL_SECONDS = 0.25;

let n = 0;

function publish(plan: K6Plan, product: Record<string, unknown>): boolean {
  const url = `${plan.endpoints.ingest}/products`;
  if (plan.endpoints.ingest === null || !hostAllowed(plan, url)) {
    recordRequest("ingest", "publish", refused, 0, false, 0);
    return false;
  }
  const body = JSON.stringify(product);
  const { value: res, ms } = timed(() => http.post(url, body, params(plan, { "content-type": "application/json" })));
  const ok = res.status === 201 || res.status === 200;
  recordRequest("ingest", "publish", res, ms, ok, body.length + bodyBytes(res.body));
  return ok;
}

function tapFinds(plan: K6Plan, did: string): boolean {
  const adql = `SELECT obs_publisher_did FROM ivoa.obscore WHERE obs_publisher_did = '${did.replace(/'/g, "''")}'`;
  const url = `${plan.endpoints.tap}/sync?REQUEST=doQuery&LANG=ADQL&RESPONSEFORMAT=${enc(TABLEDATA)}&QUERY=${enc(adql)}`;
  if (plan.endpoints.tap === null || !hostAllowed(plan, url)) {
    recordRequest("tap", "discover-query", refused, 0, false, 0);
    return false;
  }
  const { value: res, ms } = timed(() => http.get(url, params(plan)));
  const rows = res.status === 200 && typeof res.body === "string" ? votableRows(res.body) : -1;
  recordRequest("tap", "discover-query", res, ms, rows >= 0, bodyBytes(res.body));
  return rows === 1;
}

/** Polls `found` until it holds (bounded); the seconds since `t0` when it did, else null. */
function until(found: () => boolean, t0: number): number | null {
  for (let i = 0; i < POLLS; i++) {
    if (found()) return (Date.now() - t0) / 1000;
    sleep(POLL_SECONDS);
  }
  return null;
}

export function ingestOne(plan: K6Plan, token: string, payloads: ArrayBuffer[]): void {
  const t0 = Date.now();
  const scope = plan.rucio.scope;
  const i = n++;
  const name = `${plan.prefix}-ing-${exec.vu.idInTest}-${i}`;
  const pool = (exec.vu.idInTest * 3 + i) % plan.pool.length;
  const f = plan.pool[pool]!;
  const all = plan.endpoints.sites;
  const sites = Array.from({ length: Math.min(plan.copies, all.length) }, (_, k) => all[(exec.vu.idInTest + i + k) % all.length]!);
  let attempts = 0;
  const id = beginOperation("ingest", "ingest");
  const finish = (ok: boolean) => recordOperation("ingest", "ingest", Date.now() - t0, ok, attempts, { id });

  const pfns: string[] = [];
  for (const s of sites) {
    attempts++;
    const r = call(plan, token, "lfns2pfns", "GET", `/rses/${enc(s.rse)}/lfns2pfns?lfn=${enc(`${scope}:${name}`)}&scheme=http&operation=write`, undefined, [200]);
    const pfn = r.ok && r.body !== null ? (JSON.parse(r.body) as Record<string, string>)[`${scope}:${name}`] : undefined;
    attempts++;
    if (pfn === undefined || !put(plan, payloads, pool, s.name, pfn)) return finish(false);
    pfns.push(pfn);
  }
  for (const s of sites) {
    attempts++;
    const r = call(plan, token, "add-replicas", "POST", "/replicas", { rse: s.rse, files: [{ scope, name, bytes: f.bytes, adler32: f.adler32, md5: f.md5 }] }, [201]);
    if (!r.ok) return finish(false);
  }
  attempts++;
  const rule = call(plan, token, "add-rule", "POST", "/rules/", { dids: [{ scope, name }], copies: sites.length, rse_expression: sites.map((s) => s.rse).join("|"), account: plan.rucio.account }, [201]);
  if (!rule.ok) return finish(false);

  const inRucio = until(() => {
    attempts++;
    const r = call(plan, token, "list-replicas", "POST", "/replicas/list", { dids: [{ scope, name }] }, [200]);
    if (!r.ok || r.body === null) return false;
    const line = r.body.split("\n").find((l) => l.trim() !== "");
    const states = line === undefined ? {} : ((JSON.parse(line) as { states?: Record<string, string> }).states ?? {});
    return sites.every((s) => states[s.rse] === "AVAILABLE");
  }, t0);
  if (inRucio !== null) recordOperation("ingest", "rucio-discoverable", inRucio * 1000, true, 1);

  let inTap: number | null = null;
  if (plan.ingest !== null) {
    const did = `${plan.ingest.didPrefix}${name}`;
    const product = { ...plan.ingest.template, obs_publisher_did: did, obs_id: name, access_url: pfns[0] ?? "", access_estsize: Math.ceil(f.bytes / 1024) };
    attempts++;
    if (publish(plan, product)) {
      inTap = until(() => {
        attempts++;
        return tapFinds(plan, did);
      }, t0);
      if (inTap !== null) recordOperation("ingest", "tap-discoverable", inTap * 1000, true, 1);
    }
  }
  finish(inRucio !== null && (plan.ingest === null || inTap !== null));
}

/** Rucio REST load: DIDs, replicas and rules, as a client of the data lake calls them. */
import http from "k6/http";
import exec from "k6/execution";
import type { K6Plan } from "./plan.ts";
import { hostAllowed, params, refused, timed } from "./http.ts";
import { bodyBytes, recordRequest } from "./record.ts";

const enc = encodeURIComponent;

/** One call; ok when the status is one of `expect`. Returns the response body (or null). */
export function call(
  plan: K6Plan,
  token: string,
  operation: string,
  method: string,
  path: string,
  body: unknown,
  expect: number[],
): { ok: boolean; status: number; body: string | null } {
  const url = `${plan.endpoints.rucio}${path}`;
  if (plan.endpoints.rucio === null || !hostAllowed(plan, url)) {
    recordRequest("rucio", operation, refused, 0, false, 0);
    return { ok: false, status: 0, body: null };
  }
  const payload = body === undefined ? null : JSON.stringify(body);
  const headers: Record<string, string> = { "X-Rucio-Auth-Token": token };
  if (payload !== null) headers["content-type"] = "application/json";
  const { value: res, ms } = timed(() => http.request(method, url, payload, params(plan, headers)));
  const ok = expect.includes(res.status);
  recordRequest("rucio", operation, res, ms, ok, (payload?.length ?? 0) + bodyBytes(res.body));
  return { ok, status: res.status, body: typeof res.body === "string" ? res.body : null };
}

/** A token from userpass (password from the secret source) or the configured token itself. */
export function authenticate(plan: K6Plan, secret: { username?: string; password?: string; token?: string }): string {
  if (plan.rucio.auth === "token") return secret.token ?? "";
  const res = http.get(`${plan.endpoints.rucio}/auth/userpass`, {
    ...params(plan, { "X-Rucio-Account": plan.rucio.account, "X-Rucio-Username": secret.username ?? "", "X-Rucio-Password": secret.password ?? "" }),
  });
  const token = res.headers["X-Rucio-Auth-Token"] ?? res.headers["x-rucio-auth-token"];
  if (res.status !== 200 || token === undefined) throw new Error(`Rucio userpass authentication failed: HTTP ${res.status}`);
  return token;
}

let n = 0;
let dataset: string | null = null;

/** One Rucio operation of the mix. */
export function rucioOp(plan: K6Plan, token: string, op: string): void {
  const scope = plan.rucio.scope;
  const id = `${plan.prefix}-${exec.vu.idInTest}-${n++}`;
  const seeded = plan.reads.length > 0 ? plan.reads[n % plan.reads.length]! : null;
  switch (op) {
    case "add-did": {
      const r = call(plan, token, "add-did", "POST", `/dids/${enc(scope)}/${enc(`${id}-ds`)}`, { type: "DATASET" }, [201]);
      if (r.ok) dataset = `${id}-ds`;
      break;
    }
    case "add-replicas": {
      // A registration only (no bytes are written): the catalogue side of an upload.
      const site = plan.endpoints.sites[n % plan.endpoints.sites.length]!;
      const f = plan.pool[n % plan.pool.length]!;
      call(plan, token, "add-replicas", "POST", "/replicas", { rse: site.rse, files: [{ scope, name: `${id}-reg`, bytes: f.bytes, adler32: f.adler32, md5: f.md5 }] }, [201]);
      break;
    }
    case "list-replicas":
      if (seeded !== null) call(plan, token, "list-replicas", "POST", "/replicas/list", { dids: [{ scope, name: seeded.name }] }, [200]);
      break;
    case "add-rule": {
      if (dataset === null) rucioOp(plan, token, "add-did");
      if (dataset === null) break;
      const rses = plan.endpoints.sites.map((s) => s.rse).join("|");
      call(plan, token, "add-rule", "POST", "/rules/", { dids: [{ scope, name: dataset }], copies: 1, rse_expression: rses, account: plan.rucio.account }, [201]);
      dataset = null;
      break;
    }
    case "list-rules":
      if (seeded !== null) call(plan, token, "list-rules", "GET", `/dids/${enc(scope)}/${enc(seeded.name)}/rules`, undefined, [200]);
      break;
  }
}

/**
 * TAP load: ADQL queries from the plan, sync (`/sync`, one request) or async (UWS job on
 * `/async`: create, run, poll, fetch the result, delete). A request counts as ok only when its
 * status is right and its content is: a VOTable whose QUERY_STATUS is not ERROR and, when the
 * workload knows it, exactly the expected number of rows. Results are asked for as TABLEDATA
 * (DaCHS's default is BINARY), so rows can be counted as `<TR>` elements without an XML parser.
 */
import http from "k6/http";
import { sleep } from "k6";
import type { K6Plan, TapQuery } from "./plan.ts";
import { hostAllowed, params, refused, timed } from "./http.ts";
import { beginOperation, bodyBytes, recordOperation, recordRequest } from "./record.ts";

/** TAP 1.1's name for TABLEDATA; DaCHS also takes `votable/td` and `votabletd`. */
export const TABLEDATA = "application/x-votable+xml;serialization=TABLEDATA";
/** Phase polls per async job, and the pause between them (growing to POLL_MAX_SECONDS). */
const MAX_POLLS = 120;
const POLL_FIRST_SECONDS = 0.1;
const POLL_MAX_SECONDS = 1;

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const form = (fields: Record<string, string>) =>
  Object.keys(fields)
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(fields[k]!)}`)
    .join("&");
const queryForm = (q: TapQuery) => form({ REQUEST: "doQuery", LANG: "ADQL", RESPONSEFORMAT: TABLEDATA, QUERY: q.adql });

/**
 * Rows of a TABLEDATA VOTable result, or -1 when the body is not one: no VOTABLE, no
 * QUERY_STATUS INFO (DALI requires it), or QUERY_STATUS ERROR. OVERFLOW is a result.
 */
export function votableRows(body: unknown): number {
  if (typeof body !== "string" || !body.includes("<VOTABLE")) return -1;
  const status = /<INFO\b[^>]*\bname=["']QUERY_STATUS["'][^>]*>/.exec(body);
  if (status === null) return -1;
  const value = /\bvalue=["']([^"']*)["']/.exec(status[0]);
  if (value === null || value[1] === "ERROR") return -1;
  return (body.match(/<TR[\s>]/g) ?? []).length;
}

/**
 * When the campaign ingests products, the catalogue only grows while it runs: an answer may then
 * hold more rows than the dataset alone gives (new matches, new groups), never fewer.
 */
const resultOk = (plan: K6Plan, body: unknown, expectRows: number | null) => {
  const rows = votableRows(body);
  return rows >= 0 && (expectRows === null || rows === expectRows || (plan.catalogueGrows && rows > expectRows));
};

/** A response header by name, whatever its case. */
function header(headers: Record<string, string>, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const k in headers) if (k.toLowerCase() === want) return headers[k];
  return undefined;
}

/** `loc` (a Location header, possibly relative) as an absolute URL, relative to `base`. */
export function resolveUrl(base: string, loc: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(loc)) return loc;
  if (loc.startsWith("//")) return `${/^[a-z][a-z0-9+.-]*:/i.exec(base)?.[0] ?? "http:"}${loc}`;
  if (loc.startsWith("/")) return `${/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(base)?.[0] ?? ""}${loc}`;
  return base.replace(/[?#].*$/, "").replace(/[^/]*$/, "") + loc;
}

/** Runs one query of the plan's workload; true when it returned the right answer. */
export function tapQuery(plan: K6Plan, q: TapQuery): boolean {
  return q.kind === "async" ? asyncQuery(plan, q) : syncQuery(plan, q);
}

function syncQuery(plan: K6Plan, q: TapQuery): boolean {
  const meta = { kind: q.kind };
  const url = `${plan.endpoints.tap}/sync`;
  if (plan.endpoints.tap === null || !hostAllowed(plan, url)) {
    recordRequest("tap", "sync-query", refused, 0, false, 0, meta);
    return false;
  }
  const body = queryForm(q);
  const { value: res, ms } = timed(() => http.post(url, body, params(plan, FORM)));
  // DaCHS answers a failed query with 200 and QUERY_STATUS ERROR (400 by TAP 1.1): the content decides.
  const ok = res.status === 200 && resultOk(plan, res.body, q.expectRows);
  recordRequest("tap", "sync-query", res, ms, ok, body.length + bodyBytes(res.body), meta);
  return ok;
}

const redirected = (status: number) => status === 303 || status === 302 || status === 301 || status === 307;

/**
 * One UWS job, each request its own row, and one `async-query` operation row for the whole
 * job (its time includes the pauses between polls). The job is deleted whatever happened once
 * it exists, so a campaign leaves no jobs behind.
 */
function asyncQuery(plan: K6Plan, q: TapQuery): boolean {
  const meta = { kind: q.kind };
  const t0 = Date.now();
  let attempts = 0;
  const id = beginOperation("tap", "async-query");
  const finish = (ok: boolean) => {
    recordOperation("tap", "async-query", Date.now() - t0, ok, attempts, { ...meta, id });
    return ok;
  };
  const createUrl = `${plan.endpoints.tap}/async`;
  if (plan.endpoints.tap === null || !hostAllowed(plan, createUrl)) {
    recordRequest("tap", "async-create", refused, 0, false, 0, meta);
    return finish(false);
  }

  const body = queryForm(q);
  attempts++;
  const created = timed(() => http.post(createUrl, body, params(plan, FORM)));
  const loc = header(created.value.headers, "Location");
  const job = redirected(created.value.status) && loc !== undefined && loc !== "" ? resolveUrl(createUrl, loc) : null;
  // A job URL on a host off the allowlist is a bad answer: never followed.
  const jobOk = job !== null && hostAllowed(plan, job);
  recordRequest("tap", "async-create", created.value, created.ms, jobOk, body.length + bodyBytes(created.value.body), meta);
  if (!jobOk) return finish(false);

  let ok = true;
  attempts++;
  const runBody = form({ PHASE: "RUN" });
  const run = timed(() => http.post(`${job}/phase`, runBody, params(plan, FORM)));
  const runOk = redirected(run.value.status) || run.value.status === 200;
  recordRequest("tap", "async-run", run.value, run.ms, runOk, runBody.length + bodyBytes(run.value.body), meta);
  ok &&= runOk;

  let phase = "";
  for (let i = 0; runOk && i < MAX_POLLS; i++) {
    attempts++;
    const poll = timed(() => http.get(`${job}/phase`, params(plan)));
    phase = poll.value.status === 200 && typeof poll.value.body === "string" ? poll.value.body.trim() : "";
    // A job in ERROR or ABORTED fails on the poll that reports it: no result request follows.
    const pollOk = /^(PENDING|QUEUED|EXECUTING|COMPLETED)$/.test(phase);
    recordRequest("tap", "async-poll", poll.value, poll.ms, pollOk, bodyBytes(poll.value.body), meta);
    if (!pollOk || phase === "COMPLETED") break;
    sleep(Math.min(POLL_MAX_SECONDS, POLL_FIRST_SECONDS * 1.5 ** i));
  }
  ok &&= phase === "COMPLETED";

  if (phase === "COMPLETED") {
    attempts++;
    // TAP 1.1 fixes the result's place in the job: <job>/results/result.
    const result = timed(() => http.get(`${job}/results/result`, params(plan)));
    const resOk = result.value.status === 200 && resultOk(plan, result.value.body, q.expectRows);
    recordRequest("tap", "async-result", result.value, result.ms, resOk, bodyBytes(result.value.body), meta);
    ok &&= resOk;
  }

  attempts++;
  const del = timed(() => http.del(job, null, params(plan)));
  const delOk = redirected(del.value.status) || del.value.status === 200 || del.value.status === 204;
  recordRequest("tap", "async-delete", del.value, del.ms, delOk, bodyBytes(del.value.body), meta);
  return finish(ok && delOk);
}

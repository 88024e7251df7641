/**
 * Where a campaign sends its load. `local`: the stack `testbed stack up` started (endpoints and
 * credentials from its state). Otherwise a YAML file naming real endpoints, credentials and an
 * allowlist of hosts: any endpoint whose host is not on the list is refused before anything is
 * sent. Secrets (inline or `env:VAR`) stay in this object: they go to the load master in a 0600
 * file of their own (never a command line or the environment), which hands them to its workers;
 * they are never written to a log or the run record.
 */
import { Either, ParseResult, Schema } from "effect";
import { readYamlFile } from "../../scenarios/yaml.js";
import { issuesFromParse, ScenarioError, type ScenarioIssue } from "../../scenarios/errors.js";
import { listOf, name } from "../../scenarios/schema.js";
import { rseName } from "../clients/rucio.js";
import { TEST_SCOPE } from "../stack/stack.js";
import { readCredentials, type StackState } from "../stack/state.js";
import { allowSet, hostAllowed, hostOf } from "./urls.js";

export interface TargetSite {
  name: string;
  /** WebDAV base the load uses. */
  url: string;
  /** WebDAV base the integrity check reads from (locally: around the WAN paths, so a cut link is not a loss). */
  direct: string;
  rse: string;
}

export interface Target {
  kind: "local" | "config";
  name: string;
  allowHosts: string[];
  endpoints: { tap: string | null; soda: string | null; rucio: string | null; ingest: string | null; sites: TargetSite[] };
  rucio: { account: string; auth: "userpass" | "token"; scope: string };
  /** DID prefix of ingested products (obs_publisher_did = prefix + name). */
  didPrefix: string;
  services: { name: string; version: string }[];
  /** The local stack, for faults. */
  stack: StackState | null;
  /** Never logged, never recorded. */
  secrets: { rucio_username?: string; rucio_password?: string; rucio_token?: string };
}

export function localTarget(state: StackState): Target {
  const creds = readCredentials(state);
  const e = state.endpoints;
  return {
    kind: "local",
    name: `local stack ${state.name}`,
    allowHosts: ["127.0.0.1"],
    endpoints: {
      tap: e.tap,
      soda: `${e.dachs}/srcnet/q/dl/dlget`,
      rucio: e.rucio,
      ingest: (e as { ingest?: string }).ingest ?? null,
      sites: state.plan.sites.map((s) => ({ name: s.name, url: e.sites[s.name]!.viaClient, direct: e.sites[s.name]!.direct, rse: rseName(s.name) })),
    },
    rucio: { account: creds.rucio.account, auth: "userpass", scope: TEST_SCOPE },
    didPrefix: "ivo://srcnet.testbed/campaign?",
    services: state.services,
    stack: state,
    secrets: { rucio_username: creds.rucio.username, rucio_password: creds.rucio.password },
  };
}

const url = (what: string) =>
  Schema.String.pipe(Schema.filter((s) => hostOf(s) !== null, { description: what, [Symbol.for("srcnet-testbed/scenario/expected")]: "an http(s) URL" }));
const secret = name("A secret, inline or `env:VARIABLE`.");

const TargetFile = Schema.Struct({
  name: name("What this target is."),
  allowHosts: listOf(name("A host name or address, optionally host:port."), "hosts", "The only hosts the campaign may send requests to."),
  rucio: Schema.optional(
    Schema.Struct({
      url: url("Rucio server base URL."),
      account: name("Rucio account."),
      scope: name("A scope the account may write to."),
      auth: Schema.Union(
        Schema.Struct({ type: Schema.Literal("userpass"), username: name("User name."), password: secret }),
        Schema.Struct({ type: Schema.Literal("token"), token: secret }),
      ),
    }),
  ),
  tap: Schema.optional(url("TAP service base URL.")),
  soda: Schema.optional(url("SODA sync endpoint.")),
  ingest: Schema.optional(url("Ingestion service base URL.")),
  didPrefix: Schema.optionalWith(Schema.String, { default: () => "ivo://srcnet.testbed/campaign?" }),
  sites: Schema.optionalWith(
    Schema.Array(Schema.Struct({ name: name("Site name."), webdav: url("WebDAV base URL for campaign files."), rse: Schema.optional(name("Its Rucio RSE.")) })),
    { default: () => [] },
  ),
});

const decodeTarget = Schema.decodeUnknownEither(TargetFile, { errors: "all", onExcessProperty: "error" });

function resolveSecret(value: string, file: string, path: string): string {
  if (!value.startsWith("env:")) return value;
  const v = process.env[value.slice(4)];
  if (v === undefined || v === "") throw new ScenarioError({ file, path, expected: `environment variable ${value.slice(4)} set`, found: "it unset" });
  return v;
}

export function configTarget(file: string): Target {
  const r = decodeTarget(readYamlFile(file, file, 'a readable target file (or "local")'));
  if (Either.isLeft(r)) throw new ScenarioError(issuesFromParse(file, (r.left as ParseResult.ParseError).issue));
  const t = r.right;
  const issues: ScenarioIssue[] = [];
  const allow = allowSet(t.allowHosts);
  const check = (path: string, u: string | undefined) => {
    if (u !== undefined && !hostAllowed(allow, u)) {
      issues.push({ file, path, expected: `a host on allowHosts (${t.allowHosts.join(", ")})`, found: `"${hostOf(u)?.hostPort}"` });
    }
  };
  check("rucio.url", t.rucio?.url);
  check("tap", t.tap);
  check("soda", t.soda);
  check("ingest", t.ingest);
  t.sites.forEach((s, i) => check(`sites[${i}].webdav`, s.webdav));
  if (issues.length > 0) throw new ScenarioError(issues);
  const secrets: Target["secrets"] = {};
  if (t.rucio?.auth.type === "userpass") {
    secrets.rucio_username = t.rucio.auth.username;
    secrets.rucio_password = resolveSecret(t.rucio.auth.password, file, "rucio.auth.password");
  } else if (t.rucio?.auth.type === "token") {
    secrets.rucio_token = resolveSecret(t.rucio.auth.token, file, "rucio.auth.token");
  }
  const trim = (u: string | undefined) => (u === undefined ? null : u.replace(/\/+$/, ""));
  return {
    kind: "config",
    name: t.name,
    allowHosts: [...t.allowHosts],
    endpoints: {
      tap: trim(t.tap),
      soda: trim(t.soda),
      rucio: trim(t.rucio?.url),
      ingest: trim(t.ingest),
      sites: t.sites.map((s) => ({ name: s.name, url: trim(s.webdav)!, direct: trim(s.webdav)!, rse: s.rse ?? rseName(s.name) })),
    },
    rucio: { account: t.rucio?.account ?? "", auth: t.rucio?.auth.type ?? "userpass", scope: t.rucio?.scope ?? TEST_SCOPE },
    didPrefix: t.didPrefix,
    services: [],
    stack: null,
    secrets,
  };
}

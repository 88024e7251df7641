import { Data, Effect, Schedule } from "effect";
import { request } from "./http.js";
import { CLIENT, SITE_HTTP_PORT, type StackPlan } from "../stack/plan.js";
import { TRANSFER_PORT } from "../stack/transfer.js";
import type { StackEndpoints } from "../stack/state.js";

/** The Rucio REST API refused a call; the message carries Rucio's ExceptionClass and text. */
export class RucioError extends Data.TaggedError("RucioError")<{ message: string; status: number | null }> {}

export interface RucioCredentials {
  account: string;
  username: string;
  password: string;
}

export interface Did {
  scope: string;
  name: string;
}

export interface FileDid extends Did {
  bytes: number;
  adler32: string;
  md5: string;
}

export interface Replica extends Did {
  bytes: number;
  adler32: string;
  rses: Record<string, string[]>;
  states: Record<string, string>;
}

export interface Rule {
  id: string;
  scope: string;
  name: string;
  rse_expression: string;
  copies: number;
  state: string;
  locks_ok_cnt: number;
  locks_replicating_cnt: number;
  locks_stuck_cnt: number;
}

/** A protocol's priority for an operation: 1 is first; null: not used for it. */
export type Priority = number | null;

/** RSE names are upper case; a site's RSE is its name with the storage class. */
export const rseName = (site: string) => `${site.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_DISK`;

const enc = encodeURIComponent;

/**
 * A client of the Rucio REST API (the calls a data-management campaign makes), with userpass
 * authentication. The token is renewed when Rucio says it expired. Lists come back as
 * newline-delimited JSON.
 */
export class RucioClient {
  private token: string | null = null;

  constructor(
    readonly url: string,
    private readonly creds: RucioCredentials,
  ) {}

  private authenticate(): Effect.Effect<string, RucioError> {
    return request("GET", `${this.url}/auth/userpass`, {
      headers: { "X-Rucio-Account": this.creds.account, "X-Rucio-Username": this.creds.username, "X-Rucio-Password": this.creds.password },
    }).pipe(
      Effect.mapError((e) => new RucioError({ message: e.message, status: e.status })),
      Effect.flatMap((r) => {
        const t = r.headers.get("x-rucio-auth-token");
        return r.status === 200 && t
          ? Effect.succeed(t)
          : Effect.fail(new RucioError({ message: `Rucio ${this.url}: userpass authentication of ${this.creds.account} failed (HTTP ${r.status})`, status: r.status }));
      }),
      Effect.tap((t) => Effect.sync(() => (this.token = t))),
    );
  }

  /** One API call; `expect` lists the statuses that mean success. */
  call(method: string, path: string, body?: unknown, expect: number[] = [200, 201]): Effect.Effect<{ status: number; text: string; seconds: number }, RucioError> {
    const self = this;
    const once = (token: string) =>
      request(method, `${self.url}${path}`, {
        headers: { "X-Rucio-Auth-Token": token, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).pipe(
        Effect.mapError((e) => new RucioError({ message: e.message, status: e.status })),
        Effect.map((r) => ({ status: r.status, text: new TextDecoder().decode(r.value), seconds: r.seconds, exception: r.headers.get("exceptionclass") })),
      );
    return Effect.gen(function* () {
      let r = yield* once(self.token ?? (yield* self.authenticate()));
      if (r.status === 401) r = yield* once(yield* self.authenticate());
      if (!expect.includes(r.status)) {
        return yield* new RucioError({
          message: `Rucio ${method} ${path}: HTTP ${r.status}${r.exception ? ` ${r.exception}` : ""}: ${r.text.trim().slice(0, 300)}`,
          status: r.status,
        });
      }
      return r;
    });
  }

  private json<A>(method: string, path: string, body?: unknown): Effect.Effect<A, RucioError> {
    return this.call(method, path, body).pipe(Effect.map((r) => JSON.parse(r.text) as A));
  }

  private lines<A>(method: string, path: string, body?: unknown): Effect.Effect<A[], RucioError> {
    return this.call(method, path, body).pipe(
      Effect.map((r) =>
        r.text
          .split("\n")
          .filter((l) => l.trim() !== "")
          .map((l) => JSON.parse(l) as A),
      ),
    );
  }

  ping(): Effect.Effect<{ version: string }, RucioError> {
    return request("GET", `${this.url}/ping`, { expect: [200] }).pipe(
      Effect.map((r) => JSON.parse(new TextDecoder().decode(r.value)) as { version: string }),
      Effect.mapError((e) => new RucioError({ message: e.message, status: e.status })),
    );
  }

  addRse(rse: string, attrs: Record<string, string | boolean>): Effect.Effect<void, RucioError> {
    const self = this;
    return Effect.gen(function* () {
      yield* self.call("POST", `/rses/${enc(rse)}`, { deterministic: true, volatile: false }, [201, 409]);
      for (const [k, v] of Object.entries(attrs)) yield* self.call("POST", `/rses/${enc(rse)}/attr/${enc(k)}`, { value: v }, [201, 409]);
    });
  }

  /**
   * A protocol of an RSE with its priorities per domain and operation (1 first; null: not used for
   * it — 0 is not "off" in Rucio 41, it is the highest priority). Rucio picks the client's
   * protocols by `read`/`write`/`delete` and the conveyor's by `third_party_copy_read` (source)
   * and `third_party_copy_write` (destination).
   */
  addProtocol(
    rse: string,
    p: { scheme: string; hostname: string; port: number; prefix: string; impl?: string },
    wan: { read: Priority; write: Priority; delete: Priority; third_party_copy_read: Priority; third_party_copy_write: Priority },
  ): Effect.Effect<void, RucioError> {
    const { impl = "rucio.rse.protocols.webdav.Default", ...where } = p;
    const lan = { read: wan.read, write: wan.write, delete: wan.delete };
    return Effect.asVoid(this.call("POST", `/rses/${enc(rse)}/protocols/${enc(p.scheme)}`, { ...where, impl, domains: { lan, wan } }, [201, 409]));
  }

  /** The conveyor needs a distance (its ranking) between two RSEs before it will transfer between them. */
  addDistance(source: string, destination: string, distance: number): Effect.Effect<void, RucioError> {
    return Effect.asVoid(this.call("POST", `/rses/${enc(source)}/distances/${enc(destination)}`, { distance }, [201, 409]));
  }

  setAccountLimit(account: string, rse: string, bytes: number): Effect.Effect<void, RucioError> {
    return Effect.asVoid(this.call("POST", `/accounts/${enc(account)}/limits/local/${enc(rse)}`, { bytes }, [200, 201]));
  }

  addScope(account: string, scope: string): Effect.Effect<void, RucioError> {
    return Effect.asVoid(this.call("POST", `/accounts/${enc(account)}/scopes/${enc(scope)}`, undefined, [201, 409]));
  }

  /** Registers files (new DIDs) with a replica at `rse`. */
  addReplicas(rse: string, files: FileDid[]): Effect.Effect<number, RucioError> {
    return this.call("POST", "/replicas", { rse, files }, [201]).pipe(Effect.map((r) => r.seconds));
  }

  /** Replicas of the DIDs (files, or a dataset's files); `allStates` lists unavailable and bad ones too, with their state per RSE. */
  listReplicas(dids: Did[], schemes?: string[], opts: { allStates?: boolean } = {}): Effect.Effect<Replica[], RucioError> {
    return this.lines<Replica>("POST", "/replicas/list", { dids, ...(schemes ? { schemes } : {}), ...(opts.allStates ? { all_states: true } : {}) });
  }

  /**
   * Declares replicas bad, as operations do for a lost disk: the necromancer then re-creates each
   * from another copy, or marks the file lost when there is none. Returns what was not declared, per RSE.
   */
  declareBadReplicas(replicas: (Did & { rse: string })[], reason: string): Effect.Effect<Record<string, string[]>, RucioError> {
    return this.call("POST", "/replicas/bad", { replicas, reason }, [201]).pipe(
      Effect.map((r) => (r.text.trim() === "" ? {} : (JSON.parse(r.text) as Record<string, string[]>))),
    );
  }

  addDataset(d: Did): Effect.Effect<void, RucioError> {
    return Effect.asVoid(this.call("POST", `/dids/${enc(d.scope)}/${enc(d.name)}`, { type: "DATASET" }, [201]));
  }

  attach(to: Did, dids: Did[]): Effect.Effect<void, RucioError> {
    return Effect.asVoid(this.call("POST", `/dids/${enc(to.scope)}/${enc(to.name)}/dids`, { dids }, [201]));
  }

  addRule(dids: Did[], copies: number, rseExpression: string, opts: { lifetimeSeconds?: number; activity?: string } = {}): Effect.Effect<string[], RucioError> {
    return this.json<string[]>("POST", "/rules/", {
      dids,
      copies,
      rse_expression: rseExpression,
      account: this.creds.account,
      ...(opts.lifetimeSeconds !== undefined ? { lifetime: opts.lifetimeSeconds } : {}),
      ...(opts.activity !== undefined ? { activity: opts.activity } : {}),
    });
  }

  getRule(id: string): Effect.Effect<Rule, RucioError> {
    return this.json<Rule>("GET", `/rules/${enc(id)}`);
  }

  listRules(d: Did): Effect.Effect<Rule[], RucioError> {
    return this.lines<Rule>("GET", `/dids/${enc(d.scope)}/${enc(d.name)}/rules`);
  }

  deleteRule(id: string): Effect.Effect<void, RucioError> {
    return Effect.asVoid(this.call("DELETE", `/rules/${enc(id)}`, { purge_replicas: false }, [200]));
  }
}

/**
 * Makes the stack usable as a data lake. Each site is one deterministic RSE with two protocols of
 * its XRootD storage: the site as the client sees it (through the client's WAN path, for the
 * campaign's reads and writes), and the site on the stack network (for third-party copies and
 * deletion, which the transfer service and Rucio's daemons do from inside the stack). The RSE's
 * `fts` attribute points the conveyor at the stack's transfer service; a distance between every
 * pair of sites (their path's latency in ms, at least 1) lets the conveyor rank sources. The
 * site's name and country are attributes; the root account gets a quota on each, and the scopes.
 */
export function configureRucio(url: string, creds: RucioCredentials, plan: StackPlan, endpoints: StackEndpoints, scopes: string[]): Effect.Effect<void, RucioError> {
  const client = new RucioClient(url, creds);
  return Effect.gen(function* () {
    yield* client.ping().pipe(Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.intersect(Schedule.recurs(50)))));
    for (const s of plan.sites) {
      const rse = rseName(s.name);
      const u = new URL(endpoints.sites[s.name]!.viaClient);
      yield* client.addRse(rse, { site: s.name, srcnet: true, fts: TRANSFER_SERVICE_URL });
      yield* client.addProtocol(rse, { scheme: "http", hostname: u.hostname, port: Number(u.port), prefix: RSE_PREFIX }, CLIENT_PROTOCOL);
      yield* client.addProtocol(rse, { scheme: TPC_SCHEME, hostname: s.host, port: SITE_HTTP_PORT, prefix: RSE_PREFIX }, STACK_PROTOCOL);
      yield* client.setAccountLimit(creds.account, rse, s.storageBytes);
    }
    for (const p of plan.proxies) {
      if (p.from === CLIENT) continue;
      // Path A->B carries the copies from B to A (A pulls).
      yield* client.addDistance(rseName(p.to), rseName(p.from), Math.max(1, Math.round(p.latencySeconds * 1000)));
    }
    for (const scope of scopes) yield* client.addScope(creds.account, scope);
  });
}

/** Where RSE paths start on each site's storage. */
export const RSE_PREFIX = "/rucio";
/** The transfer service as Rucio's daemons reach it on the stack network. */
const TRANSFER_SERVICE_URL = `http://transfer:${TRANSFER_PORT}`;
/**
 * The scheme of third-party copies: davs (WebDAV over TLS) is what SRC sites use, but the stack's
 * sites are reached through the WAN paths' proxies under other names than their certificates';
 * XRootD serves plain http on the same port with the same third-party-copy handler.
 */
const TPC_SCHEME = "http";
const CLIENT_PROTOCOL = { read: 1, write: 1, delete: null, third_party_copy_read: null, third_party_copy_write: null };
const STACK_PROTOCOL = { read: null, write: null, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 };

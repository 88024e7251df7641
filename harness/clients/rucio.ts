import { Data, Effect, Schedule } from "effect";
import { request } from "./http.js";
import type { StackPlan } from "../stack/plan.js";
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

  addProtocol(rse: string, p: { scheme: string; hostname: string; port: number; prefix: string }): Effect.Effect<void, RucioError> {
    const ops = { read: 1, write: 1, delete: 1 };
    return Effect.asVoid(
      this.call(
        "POST",
        `/rses/${enc(rse)}/protocols/${enc(p.scheme)}`,
        {
          ...p,
          impl: "rucio.rse.protocols.webdav.Default",
          domains: { lan: ops, wan: { ...ops, third_party_copy_read: 1, third_party_copy_write: 1 } },
        },
        [201, 409],
      ),
    );
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

  listReplicas(dids: Did[], schemes?: string[]): Effect.Effect<Replica[], RucioError> {
    return this.lines<Replica>("POST", "/replicas/list", { dids, ...(schemes ? { schemes } : {}) });
  }

  addDataset(d: Did): Effect.Effect<void, RucioError> {
    return Effect.asVoid(this.call("POST", `/dids/${enc(d.scope)}/${enc(d.name)}`, { type: "DATASET" }, [201]));
  }

  attach(to: Did, dids: Did[]): Effect.Effect<void, RucioError> {
    return Effect.asVoid(this.call("POST", `/dids/${enc(to.scope)}/${enc(to.name)}/dids`, { dids }, [201]));
  }

  addRule(dids: Did[], copies: number, rseExpression: string, opts: { lifetimeSeconds?: number } = {}): Effect.Effect<string[], RucioError> {
    return this.json<string[]>("POST", "/rules/", {
      dids,
      copies,
      rse_expression: rseExpression,
      account: this.creds.account,
      ...(opts.lifetimeSeconds !== undefined ? { lifetime: opts.lifetimeSeconds } : {}),
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
 * Makes the stack usable as a data lake: one deterministic RSE per site whose WebDAV protocol is
 * the site's endpoint as the client sees it (through the client's WAN path), the site's name and
 * country as attributes, a quota for the root account on each, and the dataset's scope.
 */
export function configureRucio(url: string, creds: RucioCredentials, plan: StackPlan, endpoints: StackEndpoints, scopes: string[]): Effect.Effect<void, RucioError> {
  const client = new RucioClient(url, creds);
  return Effect.gen(function* () {
    yield* client.ping().pipe(Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.intersect(Schedule.recurs(50)))));
    for (const s of plan.sites) {
      const rse = rseName(s.name);
      const u = new URL(endpoints.sites[s.name]!.viaClient);
      yield* client.addRse(rse, { site: s.name, srcnet: true });
      yield* client.addProtocol(rse, { scheme: "http", hostname: u.hostname, port: Number(u.port), prefix: "/rucio" });
      yield* client.setAccountLimit(creds.account, rse, s.storageBytes);
    }
    for (const scope of scopes) yield* client.addScope(creds.account, scope);
  });
}

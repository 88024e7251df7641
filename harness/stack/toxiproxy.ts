import { Data, Effect, Schedule } from "effect";
import type { PlannedProxy } from "./plan.js";

/** The toxiproxy HTTP API (v2) answered with an error. */
export class ToxiproxyError extends Data.TaggedError("ToxiproxyError")<{ message: string }> {}

export class Toxiproxy {
  constructor(readonly apiUrl: string) {}

  private call(method: string, path: string, body?: unknown): Effect.Effect<unknown, ToxiproxyError> {
    return Effect.tryPromise({
      try: async () => {
        const res = await fetch(`${this.apiUrl}${path}`, {
          method,
          headers: body === undefined ? {} : { "content-type": "application/json" },
          body: body === undefined ? null : JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.trim()}`);
        return text === "" ? null : (JSON.parse(text) as unknown);
      },
      catch: (e) => new ToxiproxyError({ message: `toxiproxy at ${this.apiUrl}: ${e instanceof Error ? e.message : String(e)}` }),
    });
  }

  /** Waits until the API answers (the container's port is mapped before the server listens). */
  ready(): Effect.Effect<void, ToxiproxyError> {
    return this.call("GET", "/version").pipe(
      Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.intersect(Schedule.recurs(100)))),
      Effect.asVoid,
    );
  }

  /**
   * Creates (or replaces) a proxy for a planned path with its latency toxics in both directions:
   * a request pays the one-way latency going up, the response coming down. The path's bandwidth
   * is not a toxic (toxiproxy would cap each connection apart): shaping.ts shares it.
   */
  configure(p: PlannedProxy): Effect.Effect<void, ToxiproxyError> {
    const self = this;
    return Effect.gen(function* () {
      yield* self.call("POST", "/populate", [{ name: p.name, listen: `0.0.0.0:${p.listenPort}`, upstream: p.upstream, enabled: true }]);
      for (const stream of ["upstream", "downstream"] as const) {
        if (p.latencySeconds > 0) {
          yield* self.call("POST", `/proxies/${encodeURIComponent(p.name)}/toxics`, {
            name: `latency_${stream}`,
            type: "latency",
            stream,
            toxicity: 1,
            attributes: { latency: Math.round(p.latencySeconds * 1000), jitter: 0 },
          });
        }
      }
    });
  }

  /** Disabled: the proxy closes its connections and refuses new ones (a cut link). */
  setEnabled(name: string, enabled: boolean): Effect.Effect<void, ToxiproxyError> {
    return Effect.asVoid(this.call("POST", `/proxies/${encodeURIComponent(name)}`, { enabled }));
  }

  proxy(name: string): Effect.Effect<{ enabled: boolean; toxics: { name: string; attributes: Record<string, number> }[] }, ToxiproxyError> {
    return this.call("GET", `/proxies/${encodeURIComponent(name)}`) as Effect.Effect<
      { enabled: boolean; toxics: { name: string; attributes: Record<string, number> }[] },
      ToxiproxyError
    >;
  }

  version(): Effect.Effect<string, ToxiproxyError> {
    return this.call("GET", "/version").pipe(Effect.map((v) => (typeof v === "string" ? v : JSON.stringify(v))));
  }
}

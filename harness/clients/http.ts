import { Data, Effect } from "effect";

/** A request that could not be made or answered with an unexpected status. */
export class HttpError extends Data.TaggedError("HttpError")<{ message: string; status: number | null; seconds: number }> {}

export interface Timed<A> {
  status: number;
  seconds: number;
  value: A;
}

/**
 * One HTTP request with its wall time (to the end of the body), bounded by a timeout so a hung
 * peer (a paused site) becomes an error instead of a stall. Secrets go in headers and are never
 * part of an error message.
 */
export function request(
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: Uint8Array | string; timeoutMs?: number; expect?: number[] } = {},
): Effect.Effect<Timed<Uint8Array> & { headers: Headers }, HttpError> {
  return Effect.tryPromise({
    try: async () => {
      const t0 = performance.now();
      const res = await fetch(url, {
        method,
        headers: opts.headers ?? {},
        body: (opts.body ?? null) as BodyInit | null,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
      const value = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, seconds: (performance.now() - t0) / 1000, value, headers: res.headers };
    },
    catch: (e) => {
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : "";
      return new HttpError({ message: `${method} ${redact(url)}: ${e instanceof Error ? e.message : String(e)}${cause}`, status: null, seconds: NaN });
    },
  }).pipe(
    Effect.flatMap((r) =>
      opts.expect !== undefined && !opts.expect.includes(r.status)
        ? Effect.fail(
            new HttpError({
              message: `${method} ${redact(url)}: HTTP ${r.status} (expected ${opts.expect.join(" or ")}): ${new TextDecoder().decode(r.value.slice(0, 300)).trim()}`,
              status: r.status,
              seconds: r.seconds,
            }),
          )
        : Effect.succeed(r),
    ),
  );
}

/** URLs in messages never carry user:password. */
export const redact = (url: string) => url.replace(/\/\/[^/@]*@/, "//***@");

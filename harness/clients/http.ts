import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
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
 *
 * Node's own http client, not fetch: fetch (undici) sends every header name in lower case, and
 * XRootD 5.5's HTTP server reads `content-length` as no length at all (an upload then stores an
 * empty file and answers 200). Here header names go out as written, `Content-Length` included.
 */
export function request(
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: Uint8Array | string; timeoutMs?: number; expect?: number[] } = {},
): Effect.Effect<Timed<Uint8Array> & { headers: Headers }, HttpError> {
  return Effect.async<Timed<Uint8Array> & { headers: Headers }, HttpError>((resume) => {
    const t0 = performance.now();
    const body = typeof opts.body === "string" ? Buffer.from(opts.body) : opts.body;
    const fail = (e: Error) => {
      const cause = e.cause instanceof Error ? `: ${e.cause.message}` : "";
      resume(Effect.fail(new HttpError({ message: `${method} ${redact(url)}: ${e.message}${cause}`, status: null, seconds: NaN })));
    };
    let u: URL;
    try {
      u = new URL(url);
    } catch (e) {
      fail(e as Error);
      return;
    }
    const send = u.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(
      u,
      {
        method,
        headers: { ...(body !== undefined ? { "Content-Length": String(body.byteLength) } : {}), ...(opts.headers ?? {}) },
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", fail);
        res.on("end", () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
          resume(Effect.succeed({ status: res.statusCode ?? 0, seconds: (performance.now() - t0) / 1000, value: new Uint8Array(Buffer.concat(chunks)), headers }));
        });
      },
    );
    // The socket's idle timeout, and a deadline for the whole exchange (a slow trickle is a hang too).
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${(opts.timeoutMs ?? 30_000) / 1000} s`)), opts.timeoutMs ?? 30_000);
    req.on("timeout", () => req.destroy(new Error(`no answer within ${(opts.timeoutMs ?? 30_000) / 1000} s`)));
    req.on("error", fail);
    req.on("close", () => clearTimeout(deadline));
    req.end(body);
    return Effect.sync(() => {
      clearTimeout(deadline);
      req.destroy();
    });
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

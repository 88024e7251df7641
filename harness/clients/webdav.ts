import { Effect } from "effect";
import { request, type HttpError, type Timed } from "./http.js";

/**
 * What a storage endpoint answers a PUT that stored the file: 201 or 204 (WebDAV), or 200, which
 * XRootD's HTTP server answers for a new file as for a replaced one.
 */
export const PUT_OK = [200, 201, 204];

/** WebDAV storage endpoint operations a campaign needs, each timed. `base` is the endpoint URL. */
export const davPut = (base: string, path: string, body: Uint8Array, timeoutMs?: number): Effect.Effect<Timed<null>, HttpError> =>
  request("PUT", `${base}/${path.replace(/^\//, "")}`, { body, expect: PUT_OK, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }).pipe(
    Effect.map((r) => ({ status: r.status, seconds: r.seconds, value: null })),
  );

export const davGet = (base: string, path: string, timeoutMs?: number): Effect.Effect<Timed<Uint8Array>, HttpError> =>
  request("GET", `${base}/${path.replace(/^\//, "")}`, { expect: [200], ...(timeoutMs !== undefined ? { timeoutMs } : {}) });

export const davDelete = (base: string, path: string): Effect.Effect<Timed<null>, HttpError> =>
  request("DELETE", `${base}/${path.replace(/^\//, "")}`, { expect: [200, 204, 404] }).pipe(
    Effect.map((r) => ({ status: r.status, seconds: r.seconds, value: null })),
  );

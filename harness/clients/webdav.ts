import { Effect } from "effect";
import { request, type HttpError, type Timed } from "./http.js";

/** WebDAV storage endpoint operations a campaign needs, each timed. `base` is the endpoint URL. */
export const davPut = (base: string, path: string, body: Uint8Array, timeoutMs?: number): Effect.Effect<Timed<null>, HttpError> =>
  request("PUT", `${base}/${path.replace(/^\//, "")}`, { body, expect: [201, 204], ...(timeoutMs !== undefined ? { timeoutMs } : {}) }).pipe(
    Effect.map((r) => ({ status: r.status, seconds: r.seconds, value: null })),
  );

export const davGet = (base: string, path: string, timeoutMs?: number): Effect.Effect<Timed<Uint8Array>, HttpError> =>
  request("GET", `${base}/${path.replace(/^\//, "")}`, { expect: [200], ...(timeoutMs !== undefined ? { timeoutMs } : {}) });

export const davDelete = (base: string, path: string): Effect.Effect<Timed<null>, HttpError> =>
  request("DELETE", `${base}/${path.replace(/^\//, "")}`, { expect: [204, 404] }).pipe(
    Effect.map((r) => ({ status: r.status, seconds: r.seconds, value: null })),
  );

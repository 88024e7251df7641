/**
 * Requests from the k6 side go only to hosts on the campaign's allowlist: the harness checks the
 * configured endpoints before k6 starts, and this checks every URL the script builds or follows
 * (UWS job locations, access URLs), so a response cannot send load elsewhere.
 */
import type { K6Plan } from "./plan.ts";
import type { Outcome } from "./record.ts";
import { allowSet, hostAllowed as isAllowed } from "./urls.ts";

let allowed: ReadonlySet<string> | null = null;

/** The URL's host (or host:port) is on the plan's allowlist. */
export function hostAllowed(plan: K6Plan, url: string): boolean {
  allowed ??= allowSet(plan.allowHosts);
  return isAllowed(allowed, url);
}

/** A request the script refused to send: recorded like a transport error. */
export const refused: Outcome = {
  status: 0,
  timings: { blocked: 0, connecting: 0, tls_handshaking: 0, sending: 0, waiting: 0, receiving: 0 },
};

/** Runs `f` and measures its wall time in milliseconds. */
export function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = Date.now();
  const value = f();
  return { value, ms: Date.now() - t0 };
}

/** Per-request k6 params: the campaign timeout, no redirects followed behind the allowlist's back. */
export const params = (plan: K6Plan, headers: Record<string, string> = {}) => ({
  timeout: `${plan.timeoutSeconds}s`,
  redirects: 0,
  headers,
  tags: { name: "srcnet" },
});

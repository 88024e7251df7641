/**
 * Requests from the k6 side go only to hosts on the campaign's allowlist: the harness checks the
 * configured endpoints before k6 starts, and this checks every URL the script builds or follows
 * (UWS job locations, access URLs), so a response cannot send load elsewhere.
 */
import type { K6Plan } from "./plan.ts";
import type { Outcome } from "./record.ts";

let allowed: Set<string> | null = null;

/** The URL's host (and host:port) is on the allowlist. */
export function hostAllowed(plan: K6Plan, url: string): boolean {
  allowed ??= new Set(plan.allowHosts.map((h) => h.toLowerCase()));
  const m = /^https?:\/\/(?:[^/@]*@)?(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?/i.exec(url);
  if (m === null) return false;
  const host = m[1]!.toLowerCase();
  return allowed.has(host) || (m[2] !== undefined && allowed.has(`${host}:${m[2]}`));
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

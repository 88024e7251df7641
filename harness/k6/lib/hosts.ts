/**
 * The allowlist rule, shared by the harness (checking a target's endpoints before anything is
 * sent) and the k6 script (checking every URL it builds or follows), so both judge a URL alike.
 * No imports: it runs in Node and in k6's runtime, which has no URL class.
 *
 * An entry is a host (any port) or host:port; a URL without a port has its scheme's default.
 */

/** Host (lower case, IPv6 without brackets) and host:port of an http(s) URL; null for anything else. */
export function hostOf(url: string): { host: string; hostPort: string } | null {
  const m = /^(https?):\/\/(?:[^/?#@]*@)?(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?(?:[/?#]|$)/i.exec(url);
  if (m === null) return null;
  const host = m[2]!.toLowerCase().replace(/^\[|\]$/g, "");
  return { host, hostPort: `${host}:${m[3] ?? (m[1]!.toLowerCase() === "https" ? "443" : "80")}` };
}

/** The allowlist as a set of lower-case entries. */
export const allowSet = (hosts: readonly string[]): ReadonlySet<string> => new Set(hosts.map((h) => h.toLowerCase().replace(/^\[|\]/g, "")));

/** Whether the URL's host, or its host:port, is on the allowlist. */
export function hostAllowed(allow: ReadonlySet<string>, url: string): boolean {
  const h = hostOf(url);
  return h !== null && (allow.has(h.host) || allow.has(h.hostPort));
}

/**
 * What the harness and the load workers both read from a URL, so both read it alike (the
 * workers' Python is harness/load/srcnet_load/urls.py; both are tested on the same cases,
 * harness/load/tests/url_cases.json): the allowlist rule (the harness checks a target's
 * endpoints before anything is sent, the workers every URL they build or follow) and the path a
 * file was written under (the integrity check matches the workers' writes with the harness's own).
 *
 * An allowlist entry is a host (any port) or host:port; a URL without a port has its scheme's default.
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

/** The path of an absolute URL, without query or fragment. */
export const pathOf = (url: string): string => url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "").replace(/[?#].*$/, "") || "/";

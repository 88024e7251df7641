/**
 * Metrics are the numeric leaves of a run's summary.json, named by their path:
 * `replicationLagSeconds.p95`, `sites.AUSSRC.diskPeakFill`, `services.tap.latencySeconds.p99`.
 * List elements are named by their `metric`, `name` or `kind`+`target` field when they have one
 * (else their position), with dots replaced by `_` so that a path always splits on dots.
 */

export type Direction = "lower" | "higher" | "none";

const label = (el: unknown, i: number): string => {
  if (el !== null && typeof el === "object") {
    const o = el as Record<string, unknown>;
    if (typeof o.metric === "string") return o.metric;
    if (typeof o.name === "string") return o.name;
    if (typeof o.kind === "string" && typeof o.target === "string") return `${o.kind}:${o.target}`;
  }
  return String(i);
};

const segment = (s: string) => s.replace(/\./g, "_");

/** Numeric leaves (finite numbers only; booleans, strings and nulls are not metrics), in document order. */
export function flattenMetrics(summary: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (v: unknown, path: string): void => {
    if (typeof v === "number") {
      if (Number.isFinite(v) && path !== "") out.set(path, v);
    } else if (Array.isArray(v)) {
      const seen = new Map<string, number>();
      v.forEach((el, i) => {
        let name = segment(label(el, i));
        const n = seen.get(name) ?? 0;
        seen.set(name, n + 1);
        if (n > 0) name = `${name}#${n + 1}`;
        walk(el, path === "" ? name : `${path}.${name}`);
      });
    } else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) walk(x, path === "" ? segment(k) : `${path}.${segment(k)}`);
    }
  };
  walk(summary, "");
  return out;
}

/**
 * Groups for charts: a path segment whose parent is a collection (a list, or a mapping whose
 * values are all mappings with the same keys, like `sites` or `services`) becomes `*`, so
 * `sites.AUSSRC.diskPeakFill` and `sites.UKSRC.diskPeakFill` share the chart `sites.*.diskPeakFill`
 * with one trace per site. Returns path -> { group, member }.
 */
export function metricGroups(summary: unknown): Map<string, { group: string; member: string }> {
  const out = new Map<string, { group: string; member: string }>();
  const isCollection = (v: unknown): boolean => {
    if (Array.isArray(v)) return v.length > 0;
    if (v === null || typeof v !== "object") return false;
    const vals = Object.values(v);
    if (vals.length < 2 || !vals.every((x) => x !== null && typeof x === "object" && !Array.isArray(x))) return false;
    const keys = (x: object) => Object.keys(x).sort().join(",");
    return vals.every((x) => keys(x as object) === keys(vals[0] as object));
  };
  const flat = flattenMetrics(summary);
  // Walk again with the same naming, remembering which segments are collection members.
  const walk = (v: unknown, path: string[], group: string[], member: string[]): void => {
    if (typeof v === "number") {
      const p = path.join(".");
      if (flat.has(p)) out.set(p, { group: group.join("."), member: member.join(" ") });
      return;
    }
    if (v === null || typeof v !== "object") return;
    const coll = isCollection(v);
    const entries: [string, unknown][] = Array.isArray(v)
      ? (() => {
          const seen = new Map<string, number>();
          return v.map((el, i) => {
            let name = segment(label(el, i));
            const n = seen.get(name) ?? 0;
            seen.set(name, n + 1);
            if (n > 0) name = `${name}#${n + 1}`;
            return [name, el] as [string, unknown];
          });
        })()
      : Object.entries(v).map(([k, x]) => [segment(k), x]);
    for (const [k, x] of entries) walk(x, [...path, k], [...group, coll ? "*" : k], coll ? [...member, k] : member);
  };
  walk(summary, [], [], []);
  return out;
}

/**
 * `*` matches one path segment, `**` any number of them (including none); everything else is
 * literal. `services.*.latencySeconds.*`, `**.p99`, `volume.lostBytes`.
 */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      // `**.` may match nothing at all.
      if (glob[i + 2] === ".") {
        re += "(?:.*\\.)?";
        i += 2;
      } else {
        re += ".*";
        i += 1;
      }
    } else if (c === "*") re += "[^.]*";
    else re += c.replace(/[\\^$+?.()|[\]{}]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/**
 * What "better" means for a metric, from its name, when the thresholds file does not say.
 * First match wins; `none` means the metric is reported but never called a regression.
 */
export const DEFAULT_DIRECTIONS: readonly { pattern: RegExp; direction: Direction | "ignore"; why: string }[] = [
  { pattern: /^thresholds\./, direction: "ignore", why: "threshold verdicts are shown apart; their values repeat other metrics" },
  { pattern: /(^|\.)(seed|schemaVersion)$|capacityBytes$|Capacity/i, direction: "ignore", why: "configuration echoed, not a result" },
  { pattern: /(^|\.)requests$/, direction: "none", why: "set by the load generator's arrival rate, not by the service" },
  { pattern: /throughput|perSecond|verified|completed|fullyReplicated/i, direction: "higher", why: "work done" },
  {
    pattern: /latency|lag|wait|error|lost|corrupt|backlog|underReplicated|failed|aborted|recovery|cost|Seconds/i,
    direction: "lower",
    why: "time, errors, loss, backlog, cost",
  },
  { pattern: /(^|\.)(ingested|ingestedBytes|created|files|replicas)$/i, direction: "higher", why: "work done" },
];

export function defaultDirection(metric: string): Direction | "ignore" {
  for (const d of DEFAULT_DIRECTIONS) if (d.pattern.test(metric)) return d.direction;
  return "none";
}

/**
 * Smallest relative change that counts, by name, when neither the thresholds file's rule nor its
 * top-level `minEffect` says: tail statistics (p99, max) move more from run to run than medians.
 */
export function defaultMinEffect(metric: string, fallback: number): number {
  return /(^|\.)(p99|max)$/.test(metric) ? Math.max(fallback, 0.1) : fallback;
}

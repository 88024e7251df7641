/**
 * A campaign: phases of load per service (as executors: open-model arrival rates or closed-model
 * VUs), faults at given times, and SLO
 * thresholds, validated like scenarios: every problem names the file, the path in it, what was
 * expected and what was found.
 */
import { Either, ParseResult, Schema } from "effect";
import { ExpectedId, issuesFromParse, ScenarioError, type ScenarioIssue } from "../../scenarios/errors.js";
import { dataSize, duration, group, listOf, literals, name, number, withDefault } from "../../scenarios/schema.js";

export const SERVICES = ["tap", "soda", "webdav", "rucio", "ingest"] as const;
export type Service = (typeof SERVICES)[number];

/** What each service's load is made of; a mix weights these. */
export const OPERATIONS = {
  tap: ["cone", "range", "join", "async"],
  soda: ["cutout"],
  webdav: ["upload", "read"],
  rucio: ["add-did", "add-replicas", "list-replicas", "add-rule", "list-rules"],
  ingest: ["ingest"],
} as const satisfies Record<Service, readonly string[]>;

const Stage = Schema.Struct({
  target: number({ min: 0 }, "Rate (iterations per second) or VUs at the end of the stage."),
  duration: duration("How long the stage ramps."),
});

const vus = (what: string) => number({ integer: true, min: 1, max: 1000 }, what);
const rate = number({ exclusiveMin: 0, max: 10_000 }, "Iterations started per second.");
const stages = listOf(Stage, "stages", "Stages: ramp to `target` over `duration`, one after the other.");

const ConstantArrivalRate = Schema.Struct({
  executor: Schema.Literal("constant-arrival-rate"),
  rate,
  vus: withDefault(vus("Iterations that may run at once, at the least (the cap is the larger of vus and maxVUs)."), () => 4),
  maxVUs: withDefault(vus("Most iterations that may run at once; one due past it is dropped and counted."), () => 50),
});
const RampingArrivalRate = Schema.Struct({
  executor: Schema.Literal("ramping-arrival-rate"),
  startRate: withDefault(number({ min: 0 }, "Iterations per second at the start."), () => 0),
  stages,
  vus: withDefault(vus("Iterations that may run at once, at the least (the cap is the larger of vus and maxVUs)."), () => 4),
  maxVUs: withDefault(vus("Most iterations that may run at once; one due past it is dropped and counted."), () => 100),
});
const ConstantVus = Schema.Struct({
  executor: Schema.Literal("constant-vus"),
  vus: vus("VUs looping for the whole phase."),
});
const RampingVus = Schema.Struct({
  executor: Schema.Literal("ramping-vus"),
  startVUs: withDefault(number({ integer: true, min: 0 }, "VUs at the start."), () => 0),
  stages,
});

const Mix = Schema.Record({ key: Schema.String, value: number({ min: 0 }, "Relative weight of the operation.") });

const Load = Schema.extend(
  Schema.Union(ConstantArrivalRate, RampingArrivalRate, ConstantVus, RampingVus),
  Schema.Struct({ mix: group(Mix, (): typeof Mix.Type => ({})) }),
).annotations({ description: "An executor and its parameters, and the mix of operations (default: equal weights)." });

const LoadFile = Schema.Struct({
  tap: Schema.optional(Load),
  soda: Schema.optional(Load),
  webdav: Schema.optional(Load),
  rucio: Schema.optional(Load),
  ingest: Schema.optional(Load),
});

const PhaseFile = Schema.Struct({
  name: name("The phase's name, put on every request it makes."),
  duration: duration("How long the phase lasts."),
  load: group(LoadFile, (): typeof LoadFile.Type => ({})),
});

const at = duration("When the fault starts, from the start of the load.", "non-negative");
const lasting = Schema.optionalWith(Schema.NullOr(duration("How long it lasts (omit: until the end).")), { default: () => null });
const FaultFile = Schema.Union(
  Schema.Struct({ kind: Schema.Literal("site-down"), at, for: lasting, site: name("The site."), mode: withDefault(literals(["stop", "pause"], "stop: refused at once; pause: hangs"), () => "stop" as const) }),
  Schema.Struct({ kind: Schema.Literal("link-cut"), at, for: lasting, from: name('"client" or a site.'), to: name("A site.") }),
  Schema.Struct({ kind: Schema.Literal("link-degrade"), at, for: lasting, from: name('"client" or a site.'), to: name("A site."), factor: number({ exclusiveMin: 0, max: 1 }, "Bandwidth multiplier.") }),
  Schema.Struct({ kind: Schema.Literal("storage-full"), at, for: lasting, site: name("The site.") }),
  Schema.Struct({ kind: Schema.Literal("restart"), at, service: literals(["rucio", "postgres", "dachs", "rucio-judge-evaluator"], "The service restarted.") }),
  Schema.Struct({ kind: Schema.Literal("corrupt-replica"), at, site: name("The site one of whose campaign files gets a flipped byte.") }),
  Schema.Struct({
    kind: Schema.Literal("site-loss"),
    at,
    site: name("The site whose storage is lost (wiped); it stays up, empty."),
    detection: withDefault(duration("How long until operations notice and declare its replicas bad.", "non-negative"), () => 5),
  }),
);

/** Datasets the campaign uploads through Rucio before the load, all files of one on one site (with a rule for that copy, as an upload makes). */
const DatasetFile = Schema.Struct({
  name: name("The dataset's name (its DID gets the run's prefix)."),
  files: number({ integer: true, min: 1, max: 1000 }, "Files in the dataset."),
  size: dataSize("Size of each file.", "positive"),
  site: name("The site the files are uploaded to."),
});

const ruleAt = duration("When the rule is added, from the start of the load.", "non-negative");
/** Rules added on the campaign's clock: replication by the campaign, or operations moving a whole dataset to a chosen site. */
const ReplicationFile = Schema.Union(
  Schema.Struct({
    kind: Schema.Literal("replicate"),
    at: ruleAt,
    dataset: name("A dataset of `datasets`."),
    copies: number({ integer: true, min: 1, max: 10 }, "Copies the rule asks for, on different sites."),
    rses: withDefault(Schema.String.annotations({ description: "Rucio RSE expression the copies go to." }), () => "srcnet=True"),
  }),
  Schema.Struct({
    kind: Schema.Literal("operations"),
    at: ruleAt,
    dataset: name("A dataset of `datasets`."),
    site: name("The site operations replicate the whole dataset to."),
  }),
);

const THRESHOLD = /^\s*(<=|>=|==|<|>)\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$/;
const ThresholdExpr = Schema.String.pipe(
  Schema.filter((s) => THRESHOLD.test(s), { description: 'A comparison such as "< 0.5" or "== 0".', [ExpectedId]: 'a comparison such as "< 0.5" or "== 0"' }),
);

const Thresholds = Schema.Record({ key: Schema.String, value: Schema.Union(ThresholdExpr, Schema.Array(ThresholdExpr)) });

const maxP95 = number({ exclusiveMin: 0 }, "A window with a higher p95 latency is past the knee.");
const maxErrors = number({ min: 0, max: 1 }, "A window with a higher error rate is past the knee.");
const minAchieved = number({ exclusiveMin: 0, max: 1 }, "A window completing less than this fraction of the offered rate is past the knee.");
/** One service's own criteria, where the shared ones do not fit it (an ingestion, with its polls, is slower than a query). */
const KneeCriteria = Schema.Struct({
  maxP95Seconds: Schema.optional(maxP95),
  maxErrorRate: Schema.optional(maxErrors),
  minAchievedFraction: Schema.optional(minAchieved),
});
const PerServiceKnee = Schema.Struct({ tap: Schema.optional(KneeCriteria), ingest: Schema.optional(KneeCriteria) }).annotations({
  description: "Criteria of one service that replace the shared ones.",
});
const Knee = Schema.Struct({
  services: listOf(literals(["tap", "ingest"], "A service whose knee is sought."), "services", "Services whose knee is reported."),
  window: withDefault(duration("Width of the windows the load is judged in."), () => 5),
  maxP95Seconds: withDefault(maxP95, () => 2),
  maxErrorRate: withDefault(maxErrors, () => 0.05),
  minAchievedFraction: withDefault(minAchieved, () => 0.8),
  perService: group(PerServiceKnee, (): typeof PerServiceKnee.Type => ({})),
});

export const CampaignFile = Schema.Struct({
  name: name("The campaign's name."),
  description: withDefault(Schema.String, () => ""),
  scenario: withDefault(name("The scenario the local stack is made from (preset or file)."), () => "sv-2026"),
  seed: withDefault(number({ integer: true, min: 0 }, "Seed of every random choice."), () => 1),
  stack: group(
    Schema.Struct({
      sites: Schema.optionalWith(Schema.NullOr(listOf(name("A site."), "sites", "Sites of the local stack (default: three of the scenario's).")), { default: () => null }),
      clientSite: Schema.optionalWith(Schema.NullOr(name("The site the harness stands in for.")), { default: () => null }),
      bandwidthScale: withDefault(number({ exclusiveMin: 0, max: 1 }, "WAN bandwidth multiplier."), () => 1e-3),
      latencyScale: withDefault(number({ min: 0 }, "WAN latency multiplier."), () => 1),
      rows: withDefault(number({ integer: true, min: 10, max: 100_000 }, "Catalogue rows served by TAP."), () => 200),
      storagePerSite: withDefault(dataSize("Storage of each site's WebDAV endpoint.", "positive"), () => 256 * 1024 ** 2),
    }),
    () => ({ sites: null, clientSite: null, bandwidthScale: 1e-3, latencyScale: 1, rows: 200, storagePerSite: 256 * 1024 ** 2 }),
  ),
  files: group(
    Schema.Struct({
      count: withDefault(number({ integer: true, min: 1, max: 1000 }, "Distinct payloads uploads draw from."), () => 8),
      size: withDefault(dataSize("Size of each payload.", "positive"), () => 64 * 1024),
      seeded: withDefault(number({ integer: true, min: 0, max: 1000 }, "Files placed on `copies` sites before the load, for reads."), () => 8),
    }),
    () => ({ count: 8, size: 64 * 1024, seeded: 8 }),
  ),
  copies: withDefault(number({ integer: true, min: 1, max: 10 }, "Replicas of each seeded and ingested file, on different sites."), () => 2),
  timeout: withDefault(duration("Per-request timeout."), () => 10),
  phases: listOf(PhaseFile, "phases", "The campaign's phases, run one after the other."),
  datasets: group(Schema.Array(DatasetFile), () => []),
  replication: group(Schema.Array(ReplicationFile), () => []),
  settle: withDefault(duration("After the load, how long to wait at most for rules to be OK and lost copies re-created."), () => 120),
  faults: group(Schema.Array(FaultFile), () => []),
  thresholds: group(Thresholds, (): typeof Thresholds.Type => ({})),
  knee: Schema.optionalWith(Schema.NullOr(Knee), { default: () => null }),
});

export type CampaignFileType = typeof CampaignFile.Type;
export type Load = typeof Load.Type;
export type CampaignFault = typeof FaultFile.Type;
export type CampaignDataset = typeof DatasetFile.Type;
export type CampaignRule = typeof ReplicationFile.Type;
export interface Threshold {
  metric: string;
  op: "<" | "<=" | ">" | ">=" | "==";
  limit: number;
}
export interface Phase {
  name: string;
  startSeconds: number;
  durationSeconds: number;
  load: Partial<Record<Service, Load>>;
}
export interface Campaign extends Omit<CampaignFileType, "phases" | "thresholds" | "timeout"> {
  phases: Phase[];
  thresholds: Threshold[];
  timeoutSeconds: number;
  /** Sum of the phases' durations. */
  durationSeconds: number;
}

/** Checks across fields (names that must exist, durations that must agree), as issues. */
function crossCheck(c: CampaignFileType, file: string): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  const seen = new Set<string>();
  const total = c.phases.reduce((s, p) => s + p.duration, 0);
  c.phases.forEach((p, i) => {
    if (seen.has(p.name)) issues.push({ file, path: `phases[${i}].name`, expected: "a name no other phase has", found: `"${p.name}" again` });
    seen.add(p.name);
    for (const svc of SERVICES) {
      const l = p.load[svc];
      if (l === undefined) continue;
      const path = `phases[${i}].load.${svc}`;
      for (const op of Object.keys(l.mix)) {
        if (!(OPERATIONS[svc] as readonly string[]).includes(op)) {
          issues.push({ file, path: `${path}.mix.${op}`, expected: `one of ${OPERATIONS[svc].join(", ")}`, found: `"${op}"` });
        }
      }
      if (Object.keys(l.mix).length > 0 && Object.values(l.mix).every((w) => w === 0)) {
        issues.push({ file, path: `${path}.mix`, expected: "at least one weight above 0", found: "all weights 0" });
      }
      if (l.executor === "ramping-arrival-rate" || l.executor === "ramping-vus") {
        const sum = l.stages.reduce((s, st) => s + st.duration, 0);
        if (Math.abs(sum - p.duration) > 1e-9) {
          issues.push({ file, path: `${path}.stages`, expected: `stages lasting the phase's ${p.duration} s in all`, found: `${sum} s` });
        }
      }
    }
  });
  c.faults.forEach((f, i) => {
    if (f.at >= total) issues.push({ file, path: `faults[${i}].at`, expected: `a time before the end of the load (${total} s)`, found: `${f.at} s` });
  });
  const datasets = new Set<string>();
  c.datasets.forEach((d, i) => {
    if (datasets.has(d.name)) issues.push({ file, path: `datasets[${i}].name`, expected: "a name no other dataset has", found: `"${d.name}" again` });
    datasets.add(d.name);
  });
  c.replication.forEach((r, i) => {
    if (!datasets.has(r.dataset)) {
      issues.push({ file, path: `replication[${i}].dataset`, expected: `a dataset of datasets (${[...datasets].join(", ") || "none declared"})`, found: `"${r.dataset}"` });
    }
    if (r.at >= total) issues.push({ file, path: `replication[${i}].at`, expected: `a time before the end of the load (${total} s)`, found: `${r.at} s` });
  });
  for (const metric of Object.keys(c.thresholds)) {
    if (!/^[A-Za-z0-9_.:-]+$/.test(metric)) issues.push({ file, path: `thresholds`, expected: "metric paths such as services.tap.latencySeconds.p95", found: `"${metric}"` });
  }
  return issues;
}

const decodeFile = Schema.decodeUnknownEither(CampaignFile, { errors: "all", onExcessProperty: "error" });

/** Validates a raw document into a Campaign, or throws a ScenarioError listing every problem. */
export function decodeCampaign(raw: unknown, file: string): Campaign {
  const r = decodeFile(raw);
  if (Either.isLeft(r)) throw new ScenarioError(issuesFromParse(file, (r.left as ParseResult.ParseError).issue));
  const c = r.right;
  const issues = crossCheck(c, file);
  if (issues.length > 0) throw new ScenarioError(issues);
  let t = 0;
  const phases: Phase[] = c.phases.map((p) => {
    const phase = { name: p.name, startSeconds: t, durationSeconds: p.duration, load: p.load as Partial<Record<Service, Load>> };
    t += p.duration;
    return phase;
  });
  const thresholds: Threshold[] = Object.entries(c.thresholds).flatMap(([metric, v]) =>
    (typeof v === "string" ? [v] : v).map((expr) => {
      const m = THRESHOLD.exec(expr)!;
      return { metric, op: m[1] as Threshold["op"], limit: Number(m[2]) };
    }),
  );
  const { phases: _p, thresholds: _t, timeout, ...rest } = c;
  return { ...rest, phases, thresholds, timeoutSeconds: timeout, durationSeconds: t };
}

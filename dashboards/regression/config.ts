/**
 * The regression thresholds file (YAML): which test, how significant and how large a change
 * must be to count, how many baseline runs to compare against, and per-metric rules (direction,
 * thresholds, ignore) matched by glob. Validated with effect Schema; a bad file is a UsageError
 * naming the file, the path inside it, what was expected and what was found.
 *
 *     test: mann-whitney        # or welch
 *     alpha: 0.05               # two-sided significance of the two-sample test
 *     minEffect: 0.05           # smallest relative change of medians that counts (5 %)
 *     window: 10                # the most recent baseline runs compared against
 *     steps: { alpha: 0.01, minSegment: 2, permutations: 999 }
 *     metrics:
 *       - match: "services.*.latencySeconds.*"
 *         direction: lower      # lower | higher | none
 *         minEffect: 0.10
 *       - match: "durationSeconds"
 *         ignore: true
 */
import { Either, Schema } from "effect";
import { ExpectedId, formatIssue, issuesFromParse } from "../../scenarios/errors.js";
import { readYamlFile } from "../../scenarios/yaml.js";
import { UsageError } from "../../errors/index.js";
import { defaultDirection, defaultMinEffect, globToRegExp, type Direction } from "../metrics.js";
import { STEP_DEFAULTS } from "./steps.js";

export type TestKind = "mann-whitney" | "welch";

const expected = (text: string) => ({ [ExpectedId]: text });
const Probability = Schema.Number.pipe(Schema.greaterThan(0), Schema.lessThan(1)).annotations(expected("a number between 0 and 1 (exclusive)"));
const NonNegative = Schema.Number.pipe(Schema.nonNegative()).annotations(expected("a number >= 0 (a fraction: 0.05 is 5 %)"));
const PositiveInt = Schema.Number.pipe(Schema.int(), Schema.greaterThanOrEqualTo(1)).annotations(expected("an integer >= 1"));
const Permutations = Schema.Number.pipe(Schema.int(), Schema.greaterThanOrEqualTo(99)).annotations(expected("an integer >= 99"));
const Glob = Schema.String.pipe(Schema.minLength(1)).annotations(expected('a metric path or glob such as "services.*.latencySeconds.p95"'));

const RuleSchema = Schema.Struct({
  match: Glob,
  direction: Schema.optional(Schema.Literal("lower", "higher", "none")),
  alpha: Schema.optional(Probability),
  minEffect: Schema.optional(NonNegative),
  ignore: Schema.optional(Schema.Boolean),
});

export const ThresholdsSchema = Schema.Struct({
  test: Schema.optional(Schema.Literal("mann-whitney", "welch")),
  alpha: Schema.optional(Probability),
  minEffect: Schema.optional(NonNegative),
  window: Schema.optional(PositiveInt),
  steps: Schema.optional(
    Schema.Struct({
      alpha: Schema.optional(Probability),
      minSegment: Schema.optional(PositiveInt),
      permutations: Schema.optional(Permutations),
    }),
  ),
  metrics: Schema.optional(Schema.Array(RuleSchema)),
});
export type ThresholdsFile = Schema.Schema.Type<typeof ThresholdsSchema>;

/** Everything the verdicts need for one metric. */
export interface MetricRule {
  direction: Direction;
  ignore: boolean;
  alpha: number;
  minEffect: number;
  test: TestKind;
}

export interface Thresholds {
  test: TestKind;
  alpha: number;
  minEffect: number;
  window: number;
  steps: { alpha: number; minSegment: number; permutations: number };
  rules: { match: RegExp; glob: string; direction?: Direction; alpha?: number; minEffect?: number; ignore?: boolean }[];
  /** The rule for a metric: the first matching entry of `metrics`, then the defaults by name. */
  rule(metric: string): MetricRule;
}

export const DEFAULT_THRESHOLDS = { test: "mann-whitney", alpha: 0.05, minEffect: 0.05, window: 10 } as const;

export function thresholdsFrom(file: ThresholdsFile = {}): Thresholds {
  const rules = (file.metrics ?? []).map((r) => ({ ...r, glob: r.match, match: globToRegExp(r.match) }));
  const base = {
    test: file.test ?? DEFAULT_THRESHOLDS.test,
    alpha: file.alpha ?? DEFAULT_THRESHOLDS.alpha,
    minEffect: file.minEffect ?? DEFAULT_THRESHOLDS.minEffect,
    window: file.window ?? DEFAULT_THRESHOLDS.window,
    steps: {
      alpha: file.steps?.alpha ?? STEP_DEFAULTS.alpha,
      minSegment: file.steps?.minSegment ?? STEP_DEFAULTS.minSegment,
      permutations: file.steps?.permutations ?? STEP_DEFAULTS.permutations,
    },
  };
  return {
    ...base,
    rules,
    rule(metric) {
      const r = rules.find((x) => x.match.test(metric));
      const byName = defaultDirection(metric);
      return {
        direction: r?.direction ?? (byName === "ignore" ? "none" : byName),
        ignore: r?.ignore ?? (r?.direction === undefined && byName === "ignore"),
        alpha: r?.alpha ?? base.alpha,
        minEffect: r?.minEffect ?? (file.minEffect !== undefined ? base.minEffect : defaultMinEffect(metric, base.minEffect)),
        test: base.test,
      };
    },
  };
}

const decode = Schema.decodeUnknownEither(ThresholdsSchema, { errors: "all", onExcessProperty: "error" });

/** Reads and validates a thresholds file; any problem is a UsageError, one line per problem. */
export function loadThresholds(path: string): Thresholds {
  // Unreadable, binary, bad YAML: one line each naming the file, as scenario files report them.
  const raw: unknown = readYamlFile(path, path, "a readable YAML thresholds file");
  // An empty file means "all defaults".
  if (raw === null || raw === undefined) return thresholdsFrom({});
  const r = decode(raw);
  if (Either.isLeft(r)) throw new UsageError(issuesFromParse(path, r.left.issue).map(formatIssue).join("\n"));
  return thresholdsFrom(r.right);
}

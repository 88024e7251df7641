/**
 * The scenario file format (YAML, human field names and units) and its decoding into the
 * validated, SI-unit {@link Scenario} of `types.ts`.
 *
 * Two layers:
 * - {@link ScenarioFile}: the shape of the file. Each field is checked on its own: kinds, units
 *   ("8 PB", "100 Gbit/s", "3 d"), ranges, defaults. Unknown keys are errors (typos).
 * - {@link ScenarioSchema}: `ScenarioFile` transformed into `Scenario`, with the checks that
 *   need several fields (names referred to exist, fractions sum to 1, times fall inside the run,
 *   replicas fit the sites...), latency derived from distance, and both directions of each link.
 *
 * The JSON Schema of the file (for editor completion) is {@link scenarioJsonSchema}; every field
 * description in it comes from this module.
 */
import { Either, JSONSchema, ParseResult, Schema } from "effect";
import type * as AST from "effect/SchemaAST";
import { customIssue, ExpectedId, formatPath, issuesFromParse, type ScenarioIssue } from "./errors.js";
import type {
  Analysis,
  Fault,
  Link,
  Injection,
  Operation,
  Placement,
  ProductMix,
  ProductType,
  Scenario,
  SharingMode,
  Site,
  Telescope,
  TransferOptimizer,
} from "./types.js";
import * as U from "./units.js";
import { formatFound, UnitError } from "./units.js";

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const sentence = (s: string) => (s === "" || /[.!?]$/.test(s) ? s : `${s}.`);

const UNIT_DOCS: ReadonlyMap<U.QuantityKind, string> = new Map([
  [U.DATA_SIZE, "B, kB, MB, GB, TB, PB, EB (powers of 1000) or KiB, MiB, GiB, TiB, PiB, EiB (powers of 1024)"],
  [U.BIT_RATE, "bit/s, kbit/s ... Tbit/s, kbps ... Tbps, or byte rates B/s, kB/s ... PB/s, KiB/s ... (x 8)"],
  [U.DURATION, "ms, s, min, h, d, w (7 d), y (365 d), or spelled out: seconds, minutes, hours, days, weeks, years"],
  [U.VOLUME_RATE, "a data size unit per s, min, h (hour), d (day), w (week) or y (year)"],
  [U.FLOPS, "FLOPS, kFLOPS ... EFLOPS (or PFLOP/s)"],
]);

/**
 * A quantity with a unit: a bare number (in the base unit) or a string such as "8 PB". Decodes
 * to the base unit; a typo or a value out of bounds fails with `expected a data size such as
 * "8 PB", found "10 PBB"`.
 */
function quantity(k: U.QuantityKind, bound: U.Bound, description: string) {
  const expected = U.expectedText(k);
  const doc =
    `${sentence(description)} ${capitalise(k.noun)}${bound === "positive" ? " > 0" : bound === "non-negative" ? " >= 0" : ""}: ` +
    `a number in ${k.baseUnit}, or a string with a unit: ${UNIT_DOCS.get(k)}; e.g. "${k.example}".`;
  const numberSchema: Record<string, unknown> = { type: "number" };
  if (bound === "positive") numberSchema.exclusiveMinimum = 0;
  if (bound === "non-negative") numberSchema.minimum = 0;
  return Schema.transformOrFail(Schema.Union(Schema.String, Schema.Number), Schema.Number, {
    strict: true,
    decode: (value, _options, ast) => {
      try {
        return ParseResult.succeed(U.parseQuantity(k, value, bound));
      } catch (e) {
        if (e instanceof UnitError) return ParseResult.fail(customIssue(ast, value, e.expected, e.found));
        throw e;
      }
    },
    encode: (n) => ParseResult.succeed(n),
  }).annotations({
    [ExpectedId]: expected,
    description: doc,
    jsonSchema: { description: doc, anyOf: [{ type: "string", pattern: U.stringPattern(k) }, numberSchema] },
  });
}

export const dataSize = (description: string, bound: U.Bound = "non-negative") => quantity(U.DATA_SIZE, bound, description);
const bitRate = (description: string, bound: U.Bound = "positive") => quantity(U.BIT_RATE, bound, description);
export const duration = (description: string, bound: U.Bound = "positive") => quantity(U.DURATION, bound, description);
const volumeRate = (description: string) => quantity(U.VOLUME_RATE, "non-negative", description);
const flops = (description: string) => quantity(U.FLOPS, "non-negative", description);

interface NumberBounds {
  readonly integer?: boolean;
  readonly min?: number;
  readonly exclusiveMin?: number;
  readonly max?: number;
}

/** A plain number (no unit) within bounds. */
export function number(bounds: NumberBounds, description: string) {
  const { integer = false, min, exclusiveMin, max } = bounds;
  const parts: string[] = [];
  if (min !== undefined) parts.push(`>= ${min}`);
  if (exclusiveMin !== undefined) parts.push(`> ${exclusiveMin}`);
  if (max !== undefined) parts.push(`<= ${max}`);
  const expected = `${integer ? "an integer" : "a number"}${parts.length > 0 ? ` ${parts.join(" and ")}` : ""}`;
  const jsonSchema: Record<string, unknown> = { type: integer ? "integer" : "number", description };
  if (min !== undefined) jsonSchema.minimum = min;
  if (exclusiveMin !== undefined) jsonSchema.exclusiveMinimum = exclusiveMin;
  if (max !== undefined) jsonSchema.maximum = max;
  return Schema.Number.pipe(
    Schema.filter(
      (n) =>
        Number.isFinite(n) &&
        (!integer || Number.isSafeInteger(n)) &&
        (min === undefined || n >= min) &&
        (exclusiveMin === undefined || n > exclusiveMin) &&
        (max === undefined || n <= max),
      { [ExpectedId]: expected, description, jsonSchema },
    ),
  );
}

/** A name (of a site, telescope...): a non-empty string. */
export const name = (description: string) =>
  Schema.String.pipe(
    Schema.filter((s) => s.trim() !== "", {
      [ExpectedId]: "a non-empty name",
      description,
      jsonSchema: { type: "string", minLength: 1, description },
    }),
  );

/** A non-empty list; `what` names its items in messages ("sites"). */
export const listOf = <A, I, R>(item: Schema.Schema<A, I, R>, what: string, description: string) =>
  Schema.Array(item).pipe(
    Schema.filter((xs) => xs.length >= 1, {
      [ExpectedId]: `a list of one or more ${what}`,
      description,
      jsonSchema: { minItems: 1 },
    }),
  );

export const literals = <const L extends readonly [string, ...string[]]>(values: L, description: string) =>
  Schema.Literal(...values).annotations({ description });

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Milliseconds since the epoch of an ISO 8601 date or date-time (UTC unless it has a zone), or undefined. */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_DATE_TIME.exec(text.trim());
  if (m === null) return undefined;
  const [, day, hh, mm, ss, zone] = m;
  const d = ISO_DATE.exec(day!)!;
  const year = Number(d[1]);
  const month = Number(d[2]);
  const date = Number(d[3]);
  const check = new Date(Date.UTC(year, month - 1, date));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) return undefined;
  if (hh === undefined) return check.getTime();
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss ?? 0) > 60) return undefined;
  const iso = `${day}T${hh}:${mm}:${ss ?? "00"}${zone === undefined ? "Z" : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

const isoDate = (description: string) =>
  Schema.String.pipe(
    Schema.filter((s) => ISO_DATE.test(s) && parseIsoDate(s) !== undefined, {
      [ExpectedId]: 'an ISO date such as "2027-01-01"',
      description,
      jsonSchema: { type: "string", pattern: ISO_DATE.source, description },
    }),
  );

/** A point in simulated time as written: an offset from the start, or a calendar date. */
export type TimePoint = { readonly offsetSeconds: number } | { readonly dateMs: number; readonly text: string };

const TimePointType = Schema.Union(
  Schema.Struct({ offsetSeconds: Schema.Number }),
  Schema.Struct({ dateMs: Schema.Number, text: Schema.String }),
);

const TIME_EXPECTED = 'a time: a duration from the start such as "4 w" or an ISO date such as "2027-03-01"';

/** A time in the run: a duration from the start ("4 w", seconds as a number) or an ISO date. */
const timePoint = (description: string) => {
  const doc =
    `${sentence(description)} A duration from the start of the run (a number of seconds or a string with a unit: ` +
    `${UNIT_DOCS.get(U.DURATION)}, e.g. "4 w"), or an ISO 8601 date or date-time (UTC unless a zone is given), e.g. "2027-03-01".`;
  return Schema.transformOrFail(Schema.Union(Schema.String, Schema.Number), TimePointType, {
    strict: true,
    decode: (value, _options, ast) => {
      if (typeof value === "string") {
        const ms = parseIsoDate(value);
        if (ms !== undefined) return ParseResult.succeed({ dateMs: ms, text: value });
        if (/^\s*\d{4}-/.test(value)) return ParseResult.fail(customIssue(ast, value, 'a valid ISO date such as "2027-03-01"'));
      }
      try {
        return ParseResult.succeed({ offsetSeconds: U.parseDuration(value, "non-negative") });
      } catch (e) {
        if (e instanceof UnitError) return ParseResult.fail(customIssue(ast, value, TIME_EXPECTED));
        throw e;
      }
    },
    encode: (t) => ParseResult.succeed("offsetSeconds" in t ? t.offsetSeconds : t.text),
  }).annotations({
    [ExpectedId]: TIME_EXPECTED,
    description: doc,
    jsonSchema: {
      description: doc,
      anyOf: [
        { type: "string", pattern: U.stringPattern(U.DURATION) },
        { type: "string", pattern: ISO_DATE_TIME.source },
        { type: "number", minimum: 0 },
      ],
    },
  });
};

/** An optional field with a default. */
export const withDefault = <A, I, R>(schema: Schema.Schema<A, I, R>, value: () => A) =>
  Schema.optionalWith(schema, { default: value });

/**
 * An optional list or mapping with a default, also applied when the field is written empty
 * (`faults:` with every entry commented out is null in YAML).
 */
export const group = <A, I, R>(schema: Schema.Schema<A, I, R>, value: () => A) =>
  Schema.optionalWith(schema, { default: value, nullable: true });

/** An optional field that may be null, defaulting to null. */
export const nullable = <A, I, R>(schema: Schema.Schema<A, I, R>) =>
  Schema.optionalWith(Schema.NullOr(schema), { default: () => null });

/** The decoded default of a struct all of whose fields have defaults. */
const defaultsOf = <A, I, R>(schema: Schema.Schema<A, I, R>): (() => A) => {
  const decode = Schema.decodeUnknownSync(schema as Schema.Schema<A, I, never>);
  return () => decode({});
};

// ---------------------------------------------------------------------------------------------
// The file format
// ---------------------------------------------------------------------------------------------

const Location = Schema.Struct({
  lat: number({ min: -90, max: 90 }, "Latitude in degrees, north positive."),
  lon: number({ min: -180, max: 180 }, "Longitude in degrees, east positive."),
}).annotations({ description: "Geographic location, used to derive link latencies from great-circle distance." });

const storageFields = (what: string) => ({
  capacity: dataSize(`Usable ${what} capacity of the site.`),
  read: bitRate(`Aggregate ${what} read bandwidth of the site.`),
  write: bitRate(`Aggregate ${what} write bandwidth of the site.`),
  costPerTBYear: withDefault(
    number({ min: 0 }, `Cost of keeping 1 TB on ${what} for a year, in any one currency used throughout the scenario (default 0: not costed).`),
    () => 0,
  ),
});

const Disk = Schema.Struct(storageFields("disk")).annotations({ description: "Disk storage at the site (omit or null: none)." });

const Tape = Schema.Struct({
  ...storageFields("tape"),
  drives: number({ integer: true, min: 1 }, "Number of tape drives: how many files can be read or written at once."),
  mount: withDefault(duration("Time to mount a cartridge in a drive (default 90 s)."), () => 90),
  seek: withDefault(duration("Time to position a mounted tape at a file (default 60 s).", "non-negative"), () => 60),
}).annotations({
  description: "Tape storage at the site (omit or null: none). read/write are the aggregate over all drives.",
});

const Compute = Schema.Struct({
  cores: withDefault(number({ integer: true, min: 0 }, "CPU cores available to SRCNet jobs (default 0)."), () => 0),
  flops: withDefault(flops("Peak compute rate (default 0)."), () => 0),
}).annotations({ description: "Compute at the site (default none)." });

const SiteFile = Schema.Struct({
  name: name("Unique site name, e.g. UKSRC; used to refer to the site everywhere else."),
  country: Schema.String.annotations({ description: "Country (or countries) hosting the site." }),
  location: Location,
  disk: nullable(Disk),
  tape: nullable(Tape),
  compute: group(Compute, defaultsOf(Compute)),
}).annotations({ description: "An SRCNet site (a national SKA Regional Centre or one of its data centres)." });

const LinkFile = Schema.Struct({
  from: name("A site or telescope name."),
  to: name("Another site or telescope name."),
  bandwidth: bitRate("Bandwidth available to SRCNet on this path, in each direction."),
  latency: Schema.optional(
    duration(
      "One-way latency. Default: great-circle distance between the two endpoints' locations divided by network.signalSpeed.",
      "non-negative",
    ),
  ),
}).annotations({ description: "A network path between two endpoints; one entry stands for both directions with the same numbers." });

const WeightedSite = Schema.Struct({
  site: name("A site name."),
  weight: withDefault(number({ exclusiveMin: 0 }, "Relative weight (default 1)."), () => 1),
});

const siteList = (description: string) =>
  Schema.Array(
    Schema.Union(name("A site name (weight 1)."), WeightedSite).annotations({
      [ExpectedId]: "a site name or a mapping {site, weight}",
    }),
  ).annotations({ description });

const PRODUCT_TYPES = ["visibilities", "image-cube", "image", "catalogue"] as const satisfies readonly ProductType[];

const ProductFile = Schema.Struct({
  type: literals(PRODUCT_TYPES, "Product type."),
  fraction: number({ exclusiveMin: 0, max: 1 }, "Share of the telescope's data volume in this product type; the fractions of a telescope sum to 1."),
  size: Schema.Struct({
    median: dataSize("Median product size.", "positive"),
    sigma: number({ min: 0 }, "Standard deviation of the natural logarithm of the size (log-normal sizes)."),
    min: dataSize("Smallest size: sizes are drawn log-normal and redrawn until within [min, max] (a truncated log-normal)."),
    max: dataSize("Largest size.", "positive"),
  }).annotations({ description: "Log-normal size distribution truncated to [min, max]." }),
});

const PeriodFile = Schema.Struct({
  from: timePoint("Start of the period (inclusive)."),
  to: timePoint("End of the period (exclusive); after from."),
  volume: volumeRate("Data volume the telescope produces per week during the period."),
});

const TelescopeFile = Schema.Struct({
  name: name("Unique telescope name, e.g. SKA-Low; links refer to it like a site."),
  location: Location,
  ingest: listOf(
    Schema.Union(name("A site name (weight 1)."), WeightedSite).annotations({
      [ExpectedId]: "a site name or a mapping {site, weight}",
    }),
    "ingest sites",
    "Sites that receive the telescope's products first: a list of site names (equal shares) or of {site, weight}.",
  ),
  schedule: group(
    Schema.Array(PeriodFile).annotations({ description: "Science Verification periods and their volume per week (default none)." }),
    () => [],
  ),
  products: listOf(ProductFile, "product types", "Product mix: which types, their share of the volume and their sizes."),
}).annotations({ description: "A telescope and the data it sends to SRCNet." });

const OPTIMIZER_MODES = ["conservative", "normal", "aggressive"] as const satisfies readonly TransferOptimizer["mode"][];

/**
 * FTS's optimizer, with the configuration names of harness/transfer/OPTIMIZER.md in camelCase.
 * Defaults are FTS's (github.com/cern-fts/fts3 at e0a7e05): its default link configuration
 * `* -> *` (src/db/schema/mysql/fts-schema-10.0.1.sql:546-547: min_active 2, max_active 130,
 * optimizer_mode 2) and its server configuration (src/config/ServerConfigReader.cpp).
 */
const TransferOptimizerFile = Schema.Struct({
  enabled: withDefault(
    Schema.Boolean.annotations({
      description:
        "Run FTS's optimizer: each link's limit on active transfers moves between minActive and maxActive by success rate and throughput (harness/transfer/OPTIMIZER.md); " +
        "false: every link runs at most maxActivePerPair (default true, as in FTS, whose default link configuration * -> * has optimizer_mode 2).",
    }),
    () => true,
  ),
  minActive: withDefault(
    number({ integer: true, min: 1 }, "Lowest active limit of a link, and its limit before the optimizer's first run on it (FTS link min_active; default 2, FTS's * -> * link configuration)."),
    () => 2,
  ),
  maxActive: withDefault(
    number({ integer: true, min: 1 }, "Highest active limit of a link, >= minActive (FTS link max_active; default 130, FTS's * -> * link configuration)."),
    () => 130,
  ),
  mode: withDefault(
    literals(
      OPTIMIZER_MODES,
      "FTS optimizer_mode: conservative steps up by increaseStep and only with that many transfers queued; normal and aggressive step up by aggressiveIncreaseStep (default normal, FTS's * -> * link configuration).",
    ),
    () => "normal" as const,
  ),
  increaseStep: withDefault(
    number({ integer: true, min: 1 }, "Step up in conservative mode (FTS OptimizerIncreaseStep; default 1, ServerConfigReader.cpp)."),
    () => 1,
  ),
  aggressiveIncreaseStep: withDefault(
    number({ integer: true, min: 1 }, "Step up in normal and aggressive modes (FTS OptimizerAggressiveIncreaseStep; default 2, ServerConfigReader.cpp)."),
    () => 2,
  ),
  decreaseStep: withDefault(
    number({ integer: true, min: 1 }, "Step down on low success or a throughput drop of an order of magnitude (FTS OptimizerDecreaseStep; default 1, ServerConfigReader.cpp)."),
    () => 1,
  ),
  emaAlpha: withDefault(
    number({ exclusiveMin: 0, max: 1 }, "Weight of the newest throughput sample in its moving average (FTS OptimizerEMAAlpha; default 0.1, ServerConfigReader.cpp)."),
    () => 0.1,
  ),
  lowSuccessRate: withDefault(
    number({ min: 0, max: 100 }, "Success rate (percent) below which a link steps down whatever its throughput (FTS OptimizerLowSuccessRate; default 97, ServerConfigReader.cpp)."),
    () => 97,
  ),
  baseSuccessRate: withDefault(
    number({ min: 0, max: 100 }, "A low success rate that improves to at least this (percent) holds the limit instead of stepping down (FTS OptimizerBaseSuccessRate; default 96, ServerConfigReader.cpp)."),
    () => 96,
  ),
  maxStreams: withDefault(
    number({ integer: true, min: 1 }, "Normal and aggressive modes do not step up past queued transfers x maxStreams (FTS OptimizerMaxStreams; default 16, ServerConfigReader.cpp)."),
    () => 16,
  ),
  steadyInterval: withDefault(
    duration(
      "The optimizer runs once per interval for every link with activity, measuring that interval (FTS OptimizerSteadyInterval; default 300 s, ServerConfigReader.cpp; FTS itself runs every 60 s and decides at least once per steady interval).",
    ),
    () => 300,
  ),
}).annotations({
  description: "FTS's optimizer of the number of active transfers per link; names as in harness/transfer/OPTIMIZER.md (min_active is minActive, and so on).",
});

const ChecksumRateFile = Schema.Struct({
  source: withDefault(
    Schema.NullOr(bitRate("adler32 rate of the source's checksum, taken before the copy")).annotations({
      description:
        "adler32 rate of the source's checksum, taken before the copy; null: the source answers from a stored checksum at no cost " +
        "(default null: XRootD records a computed adler32 in the file's extended attributes and answers later queries from it, xrdadler32(1); " +
        "measured on the testbed's machines: 4.4-6.0 s for a 6.4 GB file the first time, 0.009 s the second; every SRCNet copy was itself checksummed on arrival).",
    }),
    () => null,
  ),
  destination: withDefault(
    Schema.NullOr(bitRate("adler32 rate of the destination's checksum, taken after the copy")).annotations({
      description:
        "adler32 rate of the destination's checksum, taken after the copy; null: not verified " +
        "(default 1 GB/s: xrdadler32 of XRootD 5.5.3 on a 6.4 GB file with a cold page cache ran at 1.07-1.47 GB/s on the testbed's machines; zlib's adler32 on data in memory 2.6 GB/s).",
    }),
    () => 8e9,
  ),
}).annotations({
  description: "Checksum costs per byte of a transfer: gfal2 checks the source before the copy and the destination after it (harness/transfer/OPTIMIZER.md, Costs per file).",
});

const Transfers = Schema.Struct({
  maxActivePerPair: withDefault(
    number({ integer: true, min: 1 }, "FTS-like cap on concurrent transfers per (source, destination) pair when the optimizer is off (default 50)."),
    () => 50,
  ),
  streamsPerTransfer: withDefault(number({ integer: true, min: 1 }, "Parallel TCP streams per transfer (default 4)."), () => 4),
  window: withDefault(
    dataSize("Per-stream TCP window: each stream is capped at window / (2 x route latency) (default 16 MiB).", "positive"),
    () => 16 * 2 ** 20,
  ),
  setupTime: withDefault(
    duration(
      "Fixed cost of every transfer before its checksums and copy, holding its slot: FTS's and gfal2's per-file overhead " +
        "(default 2.6 s: a root:// third-party copy through gfal2 2.21.3 and XRootD 5.5 costs about 2.6 s per file on the testbed's machines; " +
        "an http third-party copy of a small file took 0.14 s there).",
      "non-negative",
    ),
    () => 2.6,
  ),
  checksumRate: group(ChecksumRateFile, defaultsOf(ChecksumRateFile)),
  optimizer: group(TransferOptimizerFile, defaultsOf(TransferOptimizerFile)),
}).annotations({
  description:
    "File transfers, as FTS runs them: per link a limit on active transfers (fixed, or FTS's optimizer), and per file a setup time, a checksum at the source and one at the destination.",
});

const Recovery = Schema.Struct({
  enabled: withDefault(
    Schema.Boolean.annotations({ description: "Re-replicate from surviving copies when a site is down or lost (default true)." }),
    () => true,
  ),
  detection: withDefault(
    duration("Time before a down site's products count as lost for re-replication (default 1 h).", "non-negative"),
    () => 3600,
  ),
}).annotations({ description: "Automatic recovery of lost copies." });

const PLACEMENTS = ["free-capacity", "nearest", "cheapest"] as const satisfies readonly Placement[];

const Policies = Schema.Struct({
  replicas: withDefault(number({ integer: true, min: 1 }, "Copies of every product, on distinct sites (default 2)."), () => 2),
  placement: withDefault(
    literals(PLACEMENTS, "Where copies beyond the ingest site go: the site with most free capacity, the nearest, or the cheapest (default free-capacity)."),
    () => "free-capacity" as const,
  ),
  diskToTapeAfter: nullable(duration("Copies on disk older than this move to tape at the same site (default null: never).")),
  lifetime: nullable(duration("Products are deleted everywhere this long after ingestion (default null: kept).")),
  recallOnAccess: withDefault(
    Schema.Boolean.annotations({ description: "A read of a product whose copies are all on tape recalls it to disk first (default true)." }),
    () => true,
  ),
  transfers: group(Transfers, defaultsOf(Transfers)),
  recovery: group(Recovery, defaultsOf(Recovery)),
}).annotations({ description: "Data management policies." });

const Burst = Schema.Struct({
  from: timePoint("Start of the burst."),
  duration: duration("Length of the burst."),
  jobsPerDay: number({ min: 0 }, "Extra job arrivals per day during the burst."),
});

const MODES = ["move-code-to-data", "pull-data"] as const satisfies readonly Analysis["mode"][];

const AnalysisFile = Schema.Struct({
  jobsPerDay: number({ min: 0 }, "Analysis jobs submitted per day (Poisson arrivals)."),
  popularityExponent: withDefault(
    number({ min: 0 }, "Zipf exponent of product popularity; higher: a few products get most reads; 0: uniform (default 1)."),
    () => 1,
  ),
  mode: withDefault(
    literals(MODES, "move-code-to-data: jobs run at a site holding a copy; pull-data: at their home site after a transfer (default move-code-to-data)."),
    () => "move-code-to-data" as const,
  ),
  coresPerJob: withDefault(number({ integer: true, min: 1 }, "Cores each job uses (default 1)."), () => 1),
  runtime: Schema.Struct({
    median: duration("Median job run time."),
    sigma: withDefault(number({ min: 0 }, "Standard deviation of the logarithm of the run time (default 1)."), () => 1),
  }).annotations({ description: "Log-normal job run time." }),
  homeSites: group(siteList("Sites users submit from (pull-data mode), names or {site, weight}; empty: all sites equally (default)."), () => []),
  bursts: group(
    Schema.Array(Burst).annotations({ description: "Extra job arrivals during given periods, e.g. a read campaign on archived data (default none)." }),
    () => [],
  ),
}).annotations({ description: "Users' analysis jobs reading products (omit or null: none)." });

const Filter = Schema.Struct({
  telescope: nullable(name("Only products of this telescope (default: any).")),
  productType: nullable(literals(PRODUCT_TYPES, "Only products of this type (default: any).")),
  ingestedBefore: nullable(timePoint("Only products ingested before this time (default: any).")),
});

const OperationFile = Schema.Struct({
  kind: Schema.Literal("replicate").annotations({ description: "Copy matching products to a site (in addition to the policy's copies)." }),
  at: timePoint("When the operation starts; before the end of the run."),
  to: name("Destination site."),
  filter: group(Filter, defaultsOf(Filter)),
});

const faultAt = () => timePoint("When the fault starts; before the end of the run.");

const SiteDown = Schema.Struct({
  kind: Schema.Literal("site-down").annotations({ description: "A site is unreachable for a while; its data is not lost." }),
  site: name("The site."),
  at: faultAt(),
  duration: duration("How long the site is down."),
});
const SiteRandom = Schema.Struct({
  kind: Schema.Literal("site-random").annotations({ description: "Sites fail and recover at random (exponential times)." }),
  sites: Schema.Union(Schema.Literal("all"), listOf(name("A site name."), "site names", "Sites affected.")).annotations({
    [ExpectedId]: 'a list of site names or "all"',
    description: 'The sites affected: a list of names or "all".',
  }),
  mtbf: duration("Mean time between failures of each site."),
  mttr: duration("Mean time to repair."),
});
const LinkCut = Schema.Struct({
  kind: Schema.Literal("link-cut").annotations({ description: "A link carries nothing for a while (both directions)." }),
  from: name("One endpoint of an existing link."),
  to: name("The other endpoint."),
  at: faultAt(),
  duration: duration("How long the link is cut."),
});
const LinkDegrade = Schema.Struct({
  kind: Schema.Literal("link-degrade").annotations({ description: "A link's bandwidth is multiplied by factor for a while (both directions)." }),
  from: name("One endpoint of an existing link."),
  to: name("The other endpoint."),
  at: faultAt(),
  duration: duration("How long the link is degraded."),
  factor: number({ exclusiveMin: 0, max: 1 }, "Multiplier applied to the link's bandwidth, in (0, 1]."),
});
const StorageLost = Schema.Struct({
  kind: Schema.Literal("storage-lost").annotations({ description: "All copies in one storage class of a site are lost for good." }),
  site: name("The site."),
  class: literals(["disk", "tape"], "Which storage class is lost."),
  at: faultAt(),
});

const FaultFile = Schema.Union(SiteDown, SiteRandom, LinkCut, LinkDegrade, StorageLost).annotations({
  description:
    "A fault: kind is one of site-down, site-random, link-cut, link-degrade, storage-lost. Faults with a window on one site (site-down) or one link (link-cut, link-degrade) must not overlap in time; back to back is allowed.",
});

const SHARING = ["max-min", "latency-weighted"] as const satisfies readonly SharingMode[];

const Network = Schema.Struct({
  sharing: withDefault(
    literals(SHARING, "Bandwidth sharing between flows: plain max-min fairness, or latency-weighted as in SimGrid's CM02 (default)."),
    () => "latency-weighted" as const,
  ),
  signalSpeed: withDefault(
    number({ exclusiveMin: 0 }, "Signal speed in m/s used to derive a link's latency from distance (default 2e8, light in fibre)."),
    () => 2e8,
  ),
  bandwidthFactor: withDefault(
    number(
      { exclusiveMin: 0 },
      "Multiplier of every link's bandwidth as the simulator uses it (default 1); `testbed calibrate` fits it to measured transfers and writes it in its overlay.",
    ),
    () => 1,
  ),
  latencyFactor: withDefault(
    number(
      { exclusiveMin: 0 },
      "Multiplier of every link's latency, given or derived from distance, as the simulator uses it (default 1); `testbed calibrate` fits it to measured transfers.",
    ),
    () => 1,
  ),
}).annotations({ description: "Network model settings." });

const InjectionFile = Schema.Struct({
  from: name("The site the files are injected at: the source of their transfers."),
  to: listOf(name("A site name."), "destination sites", "Destination sites, in turn: batch k of files goes to to[k mod n]."),
  start: withDefault(timePoint("When injection starts (default 0)."), () => ({ offsetSeconds: 0 })),
  duration: duration("How long files are injected, at a steady rate (files / duration)."),
  files: number({ integer: true, min: 1 }, "Files injected over the duration."),
  fileSize: dataSize("Size of every file.", "positive"),
  batch: withDefault(
    number(
      { integer: true, min: 1 },
      "Files submitted together to one destination, as a dataset under one replication rule; a batch every batch / rate seconds (default 1: file by file, destinations in turn).",
    ),
    () => 1,
  ),
}).annotations({
  description:
    "Files injected at a site at a steady rate and transferred to other sites (a data challenge): each file is one transfer from `from` to one destination, through the transfer channels.",
});

const Output = Schema.Struct({
  sampleInterval: withDefault(duration("Interval between samples of time series (default 1 h)."), () => 3600),
  productEvents: withDefault(
    Schema.Boolean.annotations({ description: "Write one row per product event: ingested, replicated, moved to tape, lost... (default false)." }),
    () => false,
  ),
  transferEvents: withDefault(
    Schema.Boolean.annotations({
      description: "Write transfers.arrow, one row per file transfer the transfer channels ran (records/transfer-record.ts), and links.json, the links as planned (default false).",
    }),
    () => false,
  ),
}).annotations({ description: "What a run writes." });

/** The keys a scenario file may have at its top level. */
export const TOP_LEVEL_KEYS = [
  "name",
  "description",
  "extends",
  "seed",
  "start",
  "duration",
  "network",
  "sites",
  "links",
  "telescopes",
  "policies",
  "analysis",
  "operations",
  "faults",
  "injections",
  "output",
] as const;

/** The scenario file as written (the encoded side) and after per-field decoding (the type side). */
export const ScenarioFile = Schema.Struct({
  name: name("Scenario name, used in run directory names."),
  description: withDefault(Schema.String.annotations({ description: "What the scenario is for (default empty)." }), () => ""),
  extends: Schema.optional(
    Schema.String.annotations({
      description:
        "A preset name (or a path relative to this file) that this file is merged over: mappings key by key, lists replaced. Resolved when the file is loaded.",
    }),
  ),
  seed: withDefault(number({ integer: true, min: 0 }, "Seed of every random choice in a run (default 1)."), () => 1),
  start: withDefault(isoDate('Calendar date of simulated time 0, an ISO date (default "2027-01-01").'), () => "2027-01-01"),
  duration: withDefault(duration('Length of the simulated run (default "52 w").'), () => 52 * U.SECONDS.week),
  network: group(Network, defaultsOf(Network)),
  sites: listOf(SiteFile, "sites", "SRCNet sites."),
  links: group(Schema.Array(LinkFile).annotations({ description: "Network paths between sites and telescopes." }), () => []),
  telescopes: group(Schema.Array(TelescopeFile).annotations({ description: "Telescopes sending data." }), () => []),
  policies: group(Policies, defaultsOf(Policies)),
  analysis: nullable(AnalysisFile),
  operations: group(Schema.Array(OperationFile).annotations({ description: "Scheduled data operations." }), () => []),
  faults: group(Schema.Array(FaultFile).annotations({ description: "Faults injected during the run." }), () => []),
  injections: group(Schema.Array(InjectionFile).annotations({ description: "Files injected at a steady rate from a site to others (data challenges)." }), () => []),
  output: group(Output, defaultsOf(Output)),
}).annotations({
  title: "SRCNet testbed scenario",
  description:
    "A scenario for the SRCNet testbed. Quantities take units (\"8 PB\", \"100 Gbit/s\", \"3 d\", \"3.5 PB/week\"); a bare number is in the base unit (bytes, bit/s, seconds, bytes/week, FLOP/s).",
});

export type ScenarioFileType = typeof ScenarioFile.Type;
export type ScenarioFileEncoded = typeof ScenarioFile.Encoded;

// ---------------------------------------------------------------------------------------------
// From the file to the Scenario: cross-field checks and derived values
// ---------------------------------------------------------------------------------------------

/** Mean Earth radius used for great-circle distances, m. */
export const EARTH_RADIUS_METRES = 6_371_000;

/** Great-circle distance by the haversine formula on a sphere of radius {@link EARTH_RADIUS_METRES}, m. */
export function greatCircleMetres(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_METRES * Math.asin(Math.min(1, Math.sqrt(a)));
}

type Path = (string | number)[];

/** The raw value at a path of the document as written, for messages. */
function rawAt(doc: unknown, path: Path): unknown {
  let v: unknown = doc;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

const listNames = (all: readonly string[]) => {
  const names = [...new Set(all)];
  return names.length <= 20 ? names.join(", ") : `${names.slice(0, 20).join(", ")}, ... (${names.length} in all)`;
};

const time = (seconds: number) => {
  const human = U.formatDuration(seconds);
  return human === `${seconds} s` ? human : `${human} = ${seconds} s`;
};

/**
 * Builds the Scenario from the per-field-decoded file, checking what needs several fields.
 * Returns the scenario or the problems, each with its path in the file.
 */
function build(
  file: ScenarioFileType,
  raw: unknown,
  ast: AST.AST,
): Either.Either<Scenario, ParseResult.ParseIssue[]> {
  const issues: ParseResult.ParseIssue[] = [];
  const problem = (path: Path, expected: string, found?: string) => {
    const actual = rawAt(raw, path);
    issues.push(new ParseResult.Pointer(path as [string | number, ...(string | number)[]], raw, customIssue(ast, actual, expected, found ?? formatFound(actual))));
  };

  const startMs = parseIsoDate(file.start)!;
  const end = file.duration;

  /** Seconds from the start of a time point; reports times before the start. */
  const seconds = (t: TimePoint, path: Path): number => {
    if ("offsetSeconds" in t) return t.offsetSeconds;
    const s = (t.dateMs - startMs) / 1000;
    if (s < 0) {
      problem(path, `a time at or after the start of the run (${file.start})`);
      return 0;
    }
    return s;
  };
  /** Like `seconds`, also requiring the time to fall before the end of the run. */
  const beforeEnd = (t: TimePoint, path: Path): number => {
    const s = seconds(t, path);
    if (s >= end) {
      problem(path, `a time before the end of the run (${time(end)})`, `${formatFound(rawAt(raw, path))} (${s} s)`);
    }
    return s;
  };

  // ---- sites and telescopes: unique names ----
  const firstUse = new Map<string, string>();
  const claim = (n: string, path: Path) => {
    const prev = firstUse.get(n);
    if (prev !== undefined) problem(path, `a name not used before (${prev} is already "${n}")`);
    else firstUse.set(n, formatPath(path));
  };
  file.sites.forEach((s, i) => claim(s.name, ["sites", i, "name"]));
  file.telescopes.forEach((t, i) => claim(t.name, ["telescopes", i, "name"]));

  const siteNames = file.sites.map((s) => s.name);
  const siteSet = new Set(siteNames);
  const siteByName = new Map(file.sites.map((s) => [s.name, s]));
  const telescopeNames = file.telescopes.map((t) => t.name);
  const telescopeSet = new Set(telescopeNames);
  const locations = new Map<string, { lat: number; lon: number }>();
  for (const t of file.telescopes) locations.set(t.name, t.location);
  for (const s of file.sites) locations.set(s.name, s.location);

  const knownSite = (n: string, path: Path): boolean => {
    if (siteSet.has(n)) return true;
    problem(path, `a site name (${listNames(siteNames)})`);
    return false;
  };
  const knownTelescope = (n: string, path: Path): boolean => {
    if (telescopeSet.has(n)) return true;
    problem(path, telescopeNames.length === 0 ? "no telescope (the scenario has none)" : `a telescope name (${listNames(telescopeNames)})`);
    return false;
  };

  // ---- sites ----
  const sites: Site[] = file.sites.map((s) => ({
    name: s.name,
    country: s.country,
    latitudeDegrees: s.location.lat,
    longitudeDegrees: s.location.lon,
    disk:
      s.disk === null
        ? null
        : {
            capacityBytes: s.disk.capacity,
            readBitsPerSecond: s.disk.read,
            writeBitsPerSecond: s.disk.write,
            costPerTerabyteYear: s.disk.costPerTBYear,
          },
    tape:
      s.tape === null
        ? null
        : {
            capacityBytes: s.tape.capacity,
            readBitsPerSecond: s.tape.read,
            writeBitsPerSecond: s.tape.write,
            costPerTerabyteYear: s.tape.costPerTBYear,
            drives: s.tape.drives,
            mountSeconds: s.tape.mount,
            seekSeconds: s.tape.seek,
          },
    compute: { cores: s.compute.cores, flopsPerSecond: s.compute.flops },
  }));

  // ---- links ----
  const endpoints = [...siteNames, ...telescopeNames];
  const endpointSet = new Set(endpoints);
  const linkIndex = new Map<string, number>();
  const pairKey = (a: string, b: string) => JSON.stringify(a < b ? [a, b] : [b, a]);
  const adjacency = new Map<string, Set<string>>();
  const links: Link[] = [];
  file.links.forEach((l, i) => {
    let ok = true;
    for (const end of ["from", "to"] as const) {
      if (!endpointSet.has(l[end])) {
        problem(["links", i, end], `a site or telescope name (${listNames(endpoints)})`);
        ok = false;
      }
    }
    if (!ok) return;
    if (l.from === l.to) {
      problem(["links", i, "to"], `an endpoint other than from ("${l.from}")`);
      return;
    }
    const key = pairKey(l.from, l.to);
    const prev = linkIndex.get(key);
    if (prev !== undefined) {
      problem(["links", i], `one entry per pair of endpoints (links[${prev}] already joins ${l.from} and ${l.to}; an entry covers both directions)`,
        `another ${l.from} - ${l.to} link`);
      return;
    }
    linkIndex.set(key, i);
    const a = locations.get(l.from)!;
    const b = locations.get(l.to)!;
    const latencySeconds = l.latency ?? greatCircleMetres(a.lat, a.lon, b.lat, b.lon) / file.network.signalSpeed;
    links.push(
      { from: l.from, to: l.to, bandwidthBitsPerSecond: l.bandwidth, latencySeconds },
      { from: l.to, to: l.from, bandwidthBitsPerSecond: l.bandwidth, latencySeconds },
    );
    for (const [x, y] of [
      [l.from, l.to],
      [l.to, l.from],
    ] as const) {
      if (!adjacency.has(x)) adjacency.set(x, new Set());
      adjacency.get(x)!.add(y);
    }
  });
  const reachable = (from: string): Set<string> => {
    const seen = new Set([from]);
    const queue = [from];
    while (queue.length > 0) {
      for (const n of adjacency.get(queue.pop()!) ?? []) {
        if (!seen.has(n)) {
          seen.add(n);
          queue.push(n);
        }
      }
    }
    return seen;
  };

  // ---- weighted site lists ----
  const weighted = (list: readonly (string | { site: string; weight: number })[], path: Path) => {
    const out: { site: string; weight: number }[] = [];
    const seen = new Map<string, number>();
    list.forEach((entry, j) => {
      const e = typeof entry === "string" ? { site: entry, weight: 1 } : entry;
      const p: Path = typeof entry === "string" ? [...path, j] : [...path, j, "site"];
      if (!knownSite(e.site, p)) return;
      const prev = seen.get(e.site);
      if (prev !== undefined) {
        problem(p, `each site once (${formatPath([...path, prev])} is already "${e.site}")`);
        return;
      }
      seen.set(e.site, j);
      out.push({ site: e.site, weight: e.weight });
    });
    return out;
  };

  // ---- telescopes ----
  const telescopes: Telescope[] = file.telescopes.map((t, i) => {
    const base: Path = ["telescopes", i];
    const ingest = weighted(t.ingest, [...base, "ingest"]);
    const from = reachable(t.name);
    ingest.forEach((e) => {
      if (!from.has(e.site)) {
        const j = t.ingest.findIndex((x) => (typeof x === "string" ? x : x.site) === e.site);
        const p: Path = typeof t.ingest[j] === "string" ? [...base, "ingest", j] : [...base, "ingest", j, "site"];
        problem(p, `a site connected to ${t.name} by links`, `${formatFound(e.site)}, which no chain of links reaches`);
      }
    });
    const schedule = t.schedule.map((p, j) => {
      const path: Path = [...base, "schedule", j];
      const startSeconds = seconds(p.from, [...path, "from"]);
      const endSeconds = seconds(p.to, [...path, "to"]);
      if (endSeconds <= startSeconds) {
        problem([...path, "to"], `a time after from (${time(startSeconds)})`, `${formatFound(rawAt(raw, [...path, "to"]))} (${endSeconds} s)`);
      }
      return { startSeconds, endSeconds, bytesPerWeek: p.volume };
    });
    const types = new Map<ProductType, number>();
    const productMix: ProductMix[] = t.products.map((p, j) => {
      const path: Path = [...base, "products", j];
      const prev = types.get(p.type);
      if (prev !== undefined) problem([...path, "type"], `each product type once (products[${prev}] is already "${p.type}")`);
      else types.set(p.type, j);
      const { median, sigma, min, max } = p.size;
      if (min > max) {
        problem([...path, "size", "min"], `a size <= max (${formatFound(rawAt(raw, [...path, "size", "max"]))} = ${max} B)`,
          `${formatFound(rawAt(raw, [...path, "size", "min"]))} (${min} B)`);
      } else if (median < min || median > max) {
        problem([...path, "size", "median"], `a size between min and max (${min} B to ${max} B)`,
          `${formatFound(rawAt(raw, [...path, "size", "median"]))} (${median} B)`);
      }
      return { type: p.type, volumeFraction: p.fraction, size: { medianBytes: median, sigma, minBytes: min, maxBytes: max } };
    });
    const sum = t.products.reduce((a, p) => a + p.fraction, 0);
    if (Math.abs(sum - 1) > 1e-6) {
      problem([...base, "products"], "fractions summing to 1",
        `fractions summing to ${Number(sum.toPrecision(12))} (${t.products.map((p) => p.fraction).join(" + ")})`);
    }
    return {
      name: t.name,
      latitudeDegrees: t.location.lat,
      longitudeDegrees: t.location.lon,
      ingest,
      schedule,
      productMix,
    };
  });

  // ---- policies ----
  const withStorage = file.sites.filter((s) => s.disk !== null || s.tape !== null).length;
  if (file.policies.replicas > withStorage) {
    problem(["policies", "replicas"], `at most ${withStorage} (the number of sites with disk or tape storage)`);
  }
  const policies = {
    replicas: file.policies.replicas,
    placement: file.policies.placement,
    diskToTapeAfterSeconds: file.policies.diskToTapeAfter,
    lifetimeSeconds: file.policies.lifetime,
    recallOnAccess: file.policies.recallOnAccess,
    transfers: transfersOf(file.policies.transfers),
    recovery: { enabled: file.policies.recovery.enabled, detectionSeconds: file.policies.recovery.detection },
  };
  const opt = file.policies.transfers.optimizer;
  if (opt.maxActive < opt.minActive) {
    problem(["policies", "transfers", "optimizer", "maxActive"], `at least minActive (${opt.minActive})`, String(opt.maxActive));
  }

  // ---- analysis ----
  let analysis: Analysis | null = null;
  if (file.analysis !== null) {
    const a = file.analysis;
    analysis = {
      jobsPerDay: a.jobsPerDay,
      popularityExponent: a.popularityExponent,
      mode: a.mode,
      coresPerJob: a.coresPerJob,
      runtime: { medianSeconds: a.runtime.median, sigma: a.runtime.sigma },
      homeSites: weighted(a.homeSites, ["analysis", "homeSites"]),
      bursts: a.bursts.map((b, j) => ({
        startSeconds: beforeEnd(b.from, ["analysis", "bursts", j, "from"]),
        durationSeconds: b.duration,
        jobsPerDay: b.jobsPerDay,
      })),
    };
  }

  // ---- operations ----
  const operations: Operation[] = file.operations.map((o, j) => {
    const path: Path = ["operations", j];
    const atSeconds = beforeEnd(o.at, [...path, "at"]);
    if (knownSite(o.to, [...path, "to"])) {
      const s = siteByName.get(o.to)!;
      if (s.disk === null && s.tape === null) problem([...path, "to"], "a site with disk or tape storage");
    }
    if (o.filter.telescope !== null) knownTelescope(o.filter.telescope, [...path, "filter", "telescope"]);
    return {
      kind: "replicate",
      atSeconds,
      to: o.to,
      filter: {
        telescope: o.filter.telescope,
        productType: o.filter.productType,
        ingestedBeforeSeconds: o.filter.ingestedBefore === null ? null : seconds(o.filter.ingestedBefore, [...path, "filter", "ingestedBefore"]),
      },
    };
  });

  // ---- faults ----
  const knownLink = (from: string, to: string, path: Path) => {
    let ok = true;
    for (const [end, n] of [
      ["from", from],
      ["to", to],
    ] as const) {
      if (!endpointSet.has(n)) {
        problem([...path, end], `a site or telescope name (${listNames(endpoints)})`);
        ok = false;
      }
    }
    if (ok && !linkIndex.has(pairKey(from, to))) {
      problem([...path, "to"], `an endpoint linked to ${from} (links has no ${from} - ${to} entry)`);
    }
  };
  const faults: Fault[] = file.faults.map((f, j) => {
    const path: Path = ["faults", j];
    switch (f.kind) {
      case "site-down":
        knownSite(f.site, [...path, "site"]);
        return { kind: f.kind, site: f.site, atSeconds: beforeEnd(f.at, [...path, "at"]), durationSeconds: f.duration };
      case "site-random": {
        const list = f.sites === "all" ? siteNames : f.sites;
        if (f.sites !== "all") f.sites.forEach((s, k) => knownSite(s, [...path, "sites", k]));
        return { kind: f.kind, sites: [...list], mtbfSeconds: f.mtbf, mttrSeconds: f.mttr };
      }
      case "link-cut":
        knownLink(f.from, f.to, path);
        return { kind: f.kind, from: f.from, to: f.to, atSeconds: beforeEnd(f.at, [...path, "at"]), durationSeconds: f.duration };
      case "link-degrade":
        knownLink(f.from, f.to, path);
        return {
          kind: f.kind,
          from: f.from,
          to: f.to,
          atSeconds: beforeEnd(f.at, [...path, "at"]),
          durationSeconds: f.duration,
          factor: f.factor,
        };
      case "storage-lost":
        if (knownSite(f.site, [...path, "site"]) && siteByName.get(f.site)![f.class] === null) {
          problem([...path, "class"], `a storage class the site has (${f.site} has no ${f.class})`);
        }
        return { kind: f.kind, site: f.site, storageClass: f.class, atSeconds: beforeEnd(f.at, [...path, "at"]) };
    }
  });

  // Windowed faults on one target must not overlap: the first to end would restore the site (or
  // the link's bandwidth) while the second still holds it down. Back to back (one ends as the
  // next starts) is fine; write one longer fault for a longer outage.
  const windows = new Map<string, { j: number; from: number; to: number }[]>();
  faults.forEach((f, j) => {
    if (f.kind === "site-random" || f.kind === "storage-lost") return;
    const target = f.kind === "site-down" ? `site ${f.site}` : `link ${pairKey(f.from, f.to)}`;
    const from = f.atSeconds;
    const to = f.atSeconds + f.durationSeconds;
    const earlier = windows.get(target) ?? [];
    const clash = earlier.find((w) => w.from < to && from < w.to);
    if (clash !== undefined) {
      const what = f.kind === "site-down" ? `site ${f.site}` : `link ${f.from} - ${f.to}`;
      const span = (a: number, b: number) => `${U.formatDuration(a)} to ${U.formatDuration(b)} from the start`;
      problem(["faults", j, "at"], `a window that does not overlap faults[${clash.j}] on ${what} (${span(clash.from, clash.to)})`,
        `${formatFound(rawAt(raw, ["faults", j, "at"]))} for ${U.formatDuration(f.durationSeconds)} (${span(from, to)})`);
    }
    windows.set(target, [...earlier, { j, from, to }]);
  });

  // ---- injections ----
  const injections: Injection[] = file.injections.map((x, j) => {
    const path: Path = ["injections", j];
    knownSite(x.from, [...path, "from"]);
    x.to.forEach((d, k) => {
      if (!knownSite(d, [...path, "to", k])) return;
      if (d === x.from) problem([...path, "to", k], `a site other than from ("${x.from}")`);
      else if (!linkIndex.has(pairKey(x.from, d))) problem([...path, "to", k], `a site linked to ${x.from} (links has no ${x.from} - ${d} entry)`);
    });
    return {
      from: x.from,
      to: [...x.to],
      startSeconds: beforeEnd(x.start, [...path, "start"]),
      durationSeconds: x.duration,
      files: x.files,
      fileBytes: x.fileSize,
      batchFiles: x.batch,
    };
  });

  if (issues.length > 0) return Either.left(issues);
  return Either.right({
    name: file.name,
    description: file.description,
    seed: file.seed,
    startDate: file.start,
    durationSeconds: file.duration,
    network: {
      sharing: file.network.sharing,
      signalSpeedMetresPerSecond: file.network.signalSpeed,
      bandwidthFactor: file.network.bandwidthFactor,
      latencyFactor: file.network.latencyFactor,
    },
    sites,
    links,
    telescopes,
    policies,
    analysis,
    operations,
    faults,
    injections,
    output: { sampleIntervalSeconds: file.output.sampleInterval, productEvents: file.output.productEvents, transferEvents: file.output.transferEvents },
  });
}

/** The Scenario of types.ts as a schema: checked by `build`, so the declaration only tags the type. */
const ScenarioType = Schema.declare((u: unknown): u is Scenario => typeof u === "object" && u !== null, {
  identifier: "Scenario",
  [ExpectedId]: "a scenario",
});

/** From a Scenario back to the (decoded) file form: SI numbers, which the file accepts as bare numbers. */
function unbuild(s: Scenario, ast: AST.AST): Either.Either<ScenarioFileType, ParseResult.ParseIssue> {
  const used = new Set<number>();
  const links: ScenarioFileType["links"][number][] = [];
  for (let i = 0; i < s.links.length; i++) {
    if (used.has(i)) continue;
    const l = s.links[i]!;
    const j = s.links.findIndex(
      (r, k) =>
        k !== i &&
        !used.has(k) &&
        r.from === l.to &&
        r.to === l.from &&
        r.bandwidthBitsPerSecond === l.bandwidthBitsPerSecond &&
        r.latencySeconds === l.latencySeconds,
    );
    if (j < 0) {
      return Either.left(
        new ParseResult.Pointer(["links", i], s, customIssue(ast, l, "links in both directions with the same bandwidth and latency (a file entry stands for both)")),
      );
    }
    used.add(i).add(j);
    links.push({ from: l.from, to: l.to, bandwidth: l.bandwidthBitsPerSecond, latency: l.latencySeconds });
  }
  const at = (seconds: number): TimePoint => ({ offsetSeconds: seconds });
  const storage = (c: NonNullable<Site["disk"]>) => ({
    capacity: c.capacityBytes,
    read: c.readBitsPerSecond,
    write: c.writeBitsPerSecond,
    costPerTBYear: c.costPerTerabyteYear,
  });
  return Either.right({
    name: s.name,
    description: s.description,
    seed: s.seed,
    start: s.startDate,
    duration: s.durationSeconds,
    network: {
      sharing: s.network.sharing,
      signalSpeed: s.network.signalSpeedMetresPerSecond,
      bandwidthFactor: s.network.bandwidthFactor,
      latencyFactor: s.network.latencyFactor,
    },
    sites: s.sites.map((x) => ({
      name: x.name,
      country: x.country,
      location: { lat: x.latitudeDegrees, lon: x.longitudeDegrees },
      disk: x.disk === null ? null : storage(x.disk),
      tape: x.tape === null ? null : { ...storage(x.tape), drives: x.tape.drives, mount: x.tape.mountSeconds, seek: x.tape.seekSeconds },
      compute: { cores: x.compute.cores, flops: x.compute.flopsPerSecond },
    })),
    links,
    telescopes: s.telescopes.map((t) => ({
      name: t.name,
      location: { lat: t.latitudeDegrees, lon: t.longitudeDegrees },
      ingest: t.ingest.map((e) => ({ ...e })),
      schedule: t.schedule.map((p) => ({ from: at(p.startSeconds), to: at(p.endSeconds), volume: p.bytesPerWeek })),
      products: t.productMix.map((p) => ({
        type: p.type,
        fraction: p.volumeFraction,
        size: { median: p.size.medianBytes, sigma: p.size.sigma, min: p.size.minBytes, max: p.size.maxBytes },
      })),
    })),
    policies: {
      replicas: s.policies.replicas,
      placement: s.policies.placement,
      diskToTapeAfter: s.policies.diskToTapeAfterSeconds,
      lifetime: s.policies.lifetimeSeconds,
      recallOnAccess: s.policies.recallOnAccess,
      transfers: transfersFileOf(s.policies.transfers),
      recovery: { enabled: s.policies.recovery.enabled, detection: s.policies.recovery.detectionSeconds },
    },
    analysis:
      s.analysis === null
        ? null
        : {
            jobsPerDay: s.analysis.jobsPerDay,
            popularityExponent: s.analysis.popularityExponent,
            mode: s.analysis.mode,
            coresPerJob: s.analysis.coresPerJob,
            runtime: { median: s.analysis.runtime.medianSeconds, sigma: s.analysis.runtime.sigma },
            homeSites: s.analysis.homeSites.map((e) => ({ ...e })),
            bursts: s.analysis.bursts.map((b) => ({ from: at(b.startSeconds), duration: b.durationSeconds, jobsPerDay: b.jobsPerDay })),
          },
    operations: s.operations.map((o) => ({
      kind: o.kind,
      at: at(o.atSeconds),
      to: o.to,
      filter: {
        telescope: o.filter.telescope,
        productType: o.filter.productType,
        ingestedBefore: o.filter.ingestedBeforeSeconds === null ? null : at(o.filter.ingestedBeforeSeconds),
      },
    })),
    faults: s.faults.map((f) => {
      switch (f.kind) {
        case "site-down":
          return { kind: f.kind, site: f.site, at: at(f.atSeconds), duration: f.durationSeconds };
        case "site-random":
          return { kind: f.kind, sites: [...f.sites], mtbf: f.mtbfSeconds, mttr: f.mttrSeconds };
        case "link-cut":
          return { kind: f.kind, from: f.from, to: f.to, at: at(f.atSeconds), duration: f.durationSeconds };
        case "link-degrade":
          return { kind: f.kind, from: f.from, to: f.to, at: at(f.atSeconds), duration: f.durationSeconds, factor: f.factor };
        case "storage-lost":
          return { kind: f.kind, site: f.site, class: f.storageClass, at: at(f.atSeconds) };
      }
    }),
    injections: s.injections.map((x) => ({
      from: x.from,
      to: [...x.to],
      start: at(x.startSeconds),
      duration: x.durationSeconds,
      files: x.files,
      fileSize: x.fileBytes,
      batch: x.batchFiles,
    })),
    output: { sampleInterval: s.output.sampleIntervalSeconds, productEvents: s.output.productEvents, transferEvents: s.output.transferEvents },
  });
}

type TransfersFile = ScenarioFileType["policies"]["transfers"];

/** FTS's optimizer with every value at its default (OPTIMIZER.md's defaults, as a scenario gets them). */
export function defaultTransferOptimizer(): Scenario["policies"]["transfers"]["optimizer"] {
  const { steadyInterval, ...optimizer } = defaultsOf(TransferOptimizerFile)();
  return { ...optimizer, steadyIntervalSeconds: steadyInterval };
}

/** policies.transfers as the simulator reads it: SI units, checksum rates in bytes per second. */
function transfersOf(t: TransfersFile): Scenario["policies"]["transfers"] {
  const { steadyInterval, ...optimizer } = t.optimizer;
  return {
    maxActivePerPair: t.maxActivePerPair,
    streamsPerTransfer: t.streamsPerTransfer,
    windowBytes: t.window,
    setupSeconds: t.setupTime,
    checksumSourceBytesPerSecond: t.checksumRate.source === null ? null : t.checksumRate.source / 8,
    checksumDestinationBytesPerSecond: t.checksumRate.destination === null ? null : t.checksumRate.destination / 8,
    optimizer: { ...optimizer, steadyIntervalSeconds: steadyInterval },
  };
}

function transfersFileOf(t: Scenario["policies"]["transfers"]): TransfersFile {
  const { steadyIntervalSeconds, ...optimizer } = t.optimizer;
  return {
    maxActivePerPair: t.maxActivePerPair,
    streamsPerTransfer: t.streamsPerTransfer,
    window: t.windowBytes,
    setupTime: t.setupSeconds,
    checksumRate: {
      source: t.checksumSourceBytesPerSecond === null ? null : t.checksumSourceBytesPerSecond * 8,
      destination: t.checksumDestinationBytesPerSecond === null ? null : t.checksumDestinationBytesPerSecond * 8,
    },
    optimizer: { ...optimizer, steadyInterval: steadyIntervalSeconds },
  };
}

/**
 * The scenario file decoded into a validated {@link Scenario}. Encoding gives back a file
 * document with SI numbers (and one link entry per pair of directions).
 */
export const ScenarioSchema = Schema.transformOrFail(ScenarioFile, ScenarioType, {
  strict: true,
  decode: (file, _options, ast, raw) =>
    Either.match(build(file, raw, ast), {
      onLeft: (issues) => ParseResult.fail(new ParseResult.Composite(ast, raw, issues as [ParseResult.ParseIssue, ...ParseResult.ParseIssue[]])),
      onRight: (s) => ParseResult.succeed(s),
    }),
  encode: (s, _options, ast) =>
    Either.match(unbuild(s, ast), {
      onLeft: (issue) => ParseResult.fail(issue),
      onRight: (f) => ParseResult.succeed(f),
    }),
});

const decodeEither = Schema.decodeUnknownEither(ScenarioSchema, { errors: "all", onExcessProperty: "error" });

/**
 * Decodes a raw document (as parsed from YAML, `extends` already resolved) into a Scenario, or
 * the list of problems, each naming `file` and a path in the document.
 */
export function decodeScenario(raw: unknown, file: string): Either.Either<Scenario, ScenarioIssue[]> {
  return Either.mapLeft(decodeEither(raw), (e) => issuesFromParse(file, e.issue));
}

/** A Scenario back to a file document (plain data, SI numbers), e.g. to record what was run. */
export const encodeScenario = (s: Scenario): ScenarioFileEncoded => Schema.encodeSync(ScenarioSchema)(s);

/** Copies the description of an `anyOf` member (X in "X or null") up to the `anyOf`, where editors look for it. */
function hoistDescriptions(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(hoistDescriptions);
  if (node === null || typeof node !== "object") return;
  const n = node as Record<string, unknown>;
  if (Array.isArray(n.anyOf) && n.description === undefined) {
    const described = n.anyOf.find((m) => typeof (m as { description?: unknown }).description === "string");
    if (described !== undefined) n.description = (described as { description: string }).description;
  }
  Object.values(n).forEach(hoistDescriptions);
}

type JsonObject = Record<string, unknown>;
const isJsonObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Removes the `required` lists of the mappings that `extends` merges key by key (those reached
 * from the top through mappings only: lists are replaced whole, so their items stay complete)
 * and returns them as a schema to apply when there is no `extends`.
 */
function takeRequired(node: JsonObject): JsonObject | undefined {
  if (Array.isArray(node.anyOf)) {
    const object = node.anyOf.find((m) => isJsonObject(m) && m.type === "object") as JsonObject | undefined;
    const inner = object === undefined ? undefined : takeRequired(object);
    return inner === undefined ? undefined : { if: { type: "object" }, then: inner };
  }
  if (node.type !== "object") return undefined;
  const out: JsonObject = {};
  if (Array.isArray(node.required) && node.required.length > 0) out.required = node.required;
  delete node.required;
  const properties: JsonObject = {};
  for (const [key, value] of Object.entries(isJsonObject(node.properties) ? node.properties : {})) {
    const inner = isJsonObject(value) ? takeRequired(value) : undefined;
    if (inner !== undefined) properties[key] = inner;
  }
  if (Object.keys(properties).length > 0) out.properties = properties;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The JSON Schema (draft 7) of scenario files, for editor completion and validation. A file
 * with `extends` may leave out anything its base provides, so required fields of merged
 * mappings apply only to files without `extends`.
 */
export function scenarioJsonSchema(): object {
  const schema: JsonObject = { ...JSONSchema.make(ScenarioSchema) };
  hoistDescriptions(schema);
  const strict = takeRequired(schema);
  if (strict !== undefined) Object.assign(schema, { if: { required: ["extends"] }, else: strict });
  return schema;
}

/** The JSON Schema as the text of scenarios/scenario.schema.json (2-space indent, final newline). */
export const scenarioJsonSchemaText = (): string => `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;

/**
 * Human quantities in scenario files ("8 PB", "100 Gbit/s", "3 d", "3.5 PB/week") and their
 * conversion to the SI base units the simulator uses (bytes, bits per second, seconds, bytes per
 * week, FLOP/s). A bare number is already in the base unit. Anything else fails with a
 * {@link UnitError} that says what was expected and what was found.
 *
 * Decimal prefixes are applied in decimal ("0.05" and "e15" give 5e13 exactly, not
 * 0.05 x 1e15 = 50000000000000.01), binary prefixes (KiB ... EiB) by multiplication.
 */

/** A value that could not be read as the quantity asked for. */
export class UnitError extends Error {
  override readonly name = "UnitError";
  constructor(
    /** What was expected, e.g. `a data size such as "8 PB"`. */
    readonly expected: string,
    /** What was found, quoted as it would be written in YAML, e.g. `"10 PBB"`. */
    readonly found: string,
  ) {
    super(`expected ${expected}, found ${found}`);
  }
}

/** A quantity as written in a file: a string with a unit, or a bare number in the base unit. */
export type Quantity = string | number;

/** Which values a quantity may take. */
export type Bound = "any" | "non-negative" | "positive";

export interface QuantityKind {
  /** Name used in messages: "data size", "duration"... */
  readonly noun: string;
  /** An example used in messages: "8 PB". */
  readonly example: string;
  /** The base unit, for documentation. */
  readonly baseUnit: string;
  /** Unit symbols and their factors to the base unit: a power of ten as `{ pow10 }` or a plain factor. */
  readonly units: ReadonlyMap<string, Factor>;
  /** A regular expression (source) matching exactly the unit symbols, for the JSON Schema. */
  readonly unitPattern: string;
}

type Factor = { readonly pow10: number; readonly times?: number } | { readonly factor: number };

const NUMBER = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?$/;
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(\S(?:.*\S)?)?$/;

const SI_PREFIXES: readonly [string, number][] = [
  ["", 0],
  ["k", 3],
  ["M", 6],
  ["G", 9],
  ["T", 12],
  ["P", 15],
  ["E", 18],
];
const BINARY_PREFIXES: readonly [string, number][] = [
  ["Ki", 10],
  ["Mi", 20],
  ["Gi", 30],
  ["Ti", 40],
  ["Pi", 50],
  ["Ei", 60],
];

function kind(
  noun: string,
  example: string,
  baseUnit: string,
  unitPattern: string,
  entries: Iterable<[string, Factor]>,
): QuantityKind {
  return { noun, example, baseUnit, unitPattern, units: new Map(entries) };
}

const SIZE_PATTERN = "[kMGTPE]?B|[KMGTPE]iB";

function* sizeUnits(suffix: string, times = 1): Generator<[string, Factor]> {
  for (const [p, e] of SI_PREFIXES) yield [`${p}B${suffix}`, times === 1 ? { pow10: e } : { pow10: e, times }];
  for (const [p, e] of BINARY_PREFIXES) yield [`${p}B${suffix}`, { factor: 2 ** e * times }];
}

/** Data sizes in bytes: B, kB ... EB (powers of 1000) and KiB ... EiB (powers of 1024). */
export const DATA_SIZE = kind("data size", "8 PB", "bytes", `${SIZE_PATTERN}|bytes`, [...sizeUnits(""), ["bytes", { pow10: 0 }]]);

/** Bit rates in bits per second: kbit/s ... Tbit/s, kbps ... Tbps, and byte rates (x 8) such as GB/s. */
export const BIT_RATE = kind("bit rate", "100 Gbit/s", "bit/s", `[kMGTPE]?(?:bit/s|bps)|(?:${SIZE_PATTERN})/s`, [
  ...SI_PREFIXES.map(([p, e]): [string, Factor] => [`${p}bit/s`, { pow10: e }]),
  ...SI_PREFIXES.map(([p, e]): [string, Factor] => [`${p}bps`, { pow10: e }]),
  ...sizeUnits("/s", 8),
]);

const SECOND = 1;
const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;
const WEEK = 7 * DAY;
const YEAR = 365 * DAY;

const TIME_UNITS: readonly [string[], Factor][] = [
  [["ms"], { pow10: -3 }],
  [["us", "µs"], { pow10: -6 }],
  [["s", "second", "seconds"], { factor: SECOND }],
  [["min", "minute", "minutes"], { factor: MINUTE }],
  [["h", "hour", "hours"], { factor: HOUR }],
  [["d", "day", "days"], { factor: DAY }],
  [["w", "week", "weeks"], { factor: WEEK }],
  [["y", "year", "years"], { factor: YEAR }],
];

/** Durations in seconds: ms, s, min, h, d, w (7 d), y (365 d), also spelled out (days, weeks...). */
export const DURATION = kind(
  "duration",
  "3 d",
  "seconds",
  "ms|us|µs|s|seconds?|min|minutes?|h|hours?|d|days?|w|weeks?|y|years?",
  TIME_UNITS.flatMap(([names, f]) => names.map((n): [string, Factor] => [n, f])),
);

const RATE_PERIODS: readonly [string[], number][] = [
  [["s"], SECOND],
  [["min"], MINUTE],
  [["h", "hour"], HOUR],
  [["d", "day"], DAY],
  [["w", "week"], WEEK],
  [["y", "year"], YEAR],
];

/** Data volume per time in bytes per week: "3.5 PB/week", "500 TB/day", "2 PB/w". */
export const VOLUME_RATE = kind(
  "volume rate",
  "3.5 PB/week",
  "bytes/week",
  `(?:${SIZE_PATTERN}|bytes)/(?:s|min|h|hour|d|day|w|week|y|year)`,
  [...DATA_SIZE.units].flatMap(([size, f]) =>
    RATE_PERIODS.flatMap(([names, seconds]) =>
      names.map((n): [string, Factor] => {
        const perWeek = WEEK / seconds;
        return [`${size}/${n}`, "pow10" in f ? { pow10: f.pow10, times: perWeek } : { factor: f.factor * perWeek }];
      }),
    ),
  ),
);

/** Floating-point operations per second: FLOPS, kFLOPS ... EFLOPS (also written PFLOP/s). */
export const FLOPS = kind("compute rate", "0.05 PFLOPS", "FLOP/s", "[kMGTPE]?(?:FLOPS|FLOP/s)", [
  ...SI_PREFIXES.map(([p, e]): [string, Factor] => [`${p}FLOPS`, { pow10: e }]),
  ...SI_PREFIXES.map(([p, e]): [string, Factor] => [`${p}FLOP/s`, { pow10: e }]),
]);

/** How a value is quoted in messages: strings as in YAML/JSON, everything else as text. */
export function formatFound(value: unknown): string {
  if (value === undefined) return "nothing";
  // A long string (a whole file read as one scalar, say) is cut: the message stays one line.
  if (typeof value === "string") return value.length > 60 ? `${JSON.stringify(value.slice(0, 57)).slice(0, -1)}..."` : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  let json: string;
  try {
    json = JSON.stringify(value) ?? String(value);
  } catch {
    json = String(value);
  }
  const what = Array.isArray(value) ? "a list" : "a mapping";
  return `${what} ${json.length > 60 ? `${json.slice(0, 57)}...` : json}`;
}

function boundText(bound: Bound): string {
  return bound === "positive" ? " > 0" : bound === "non-negative" ? " >= 0" : "";
}

/** What a quantity of this kind and bound looks like, for messages: `a data size >= 0 such as "8 PB"`. */
export function expectedText(k: QuantityKind, bound: Bound = "any"): string {
  return `a ${k.noun}${boundText(bound)} such as "${k.example}"`;
}

function scale(mantissa: string, f: Factor): number {
  if ("pow10" in f) {
    const m = NUMBER.exec(mantissa);
    if (m === null) return Number.NaN;
    const [, sign, digits, exp] = m;
    const value = Number(`${sign}${digits}e${Number(exp ?? 0) + f.pow10}`);
    return f.times === undefined ? value : value * f.times;
  }
  return Number(mantissa) * f.factor;
}

/**
 * Reads a quantity of the given kind into its base unit. Throws {@link UnitError} for an unknown
 * unit, a missing number, a non-finite value or a value outside the bound (by default >= 0).
 */
export function parseQuantity(k: QuantityKind, value: unknown, bound: Bound = "non-negative"): number {
  // Unreadable values get the plain description; readable ones out of bounds get the bound too.
  const fail = (withBound = false): never => {
    throw new UnitError(expectedText(k, withBound ? bound : "any"), formatFound(value));
  };
  let result: number;
  if (typeof value === "number") {
    result = value;
  } else if (typeof value === "string") {
    const m = QUANTITY.exec(value.trim());
    if (m === null) return fail();
    const [, number, unit] = m;
    if (unit === undefined) {
      result = Number(number);
    } else {
      const factor = k.units.get(unit);
      if (factor === undefined) return fail();
      result = scale(number!, factor);
    }
  } else {
    return fail();
  }
  if (!Number.isFinite(result)) return fail();
  if (bound === "non-negative" && !(result >= 0)) return fail(true);
  if (bound === "positive" && !(result > 0)) return fail(true);
  // -0 and 0 are the same quantity; keep the output free of -0.
  return result === 0 ? 0 : result;
}

/** "8 PB" -> 8e15 bytes; "1.5 TiB" -> 1.5 x 2^40 bytes. */
export const parseDataSize = (v: unknown, bound?: Bound): number => parseQuantity(DATA_SIZE, v, bound);
/** "100 Gbit/s" -> 1e11 bit/s; "1 GB/s" -> 8e9 bit/s. */
export const parseBitRate = (v: unknown, bound?: Bound): number => parseQuantity(BIT_RATE, v, bound);
/** "3 d" -> 259200 s; "2 w" -> 1209600 s; "1 y" -> 365 d. */
export const parseDuration = (v: unknown, bound?: Bound): number => parseQuantity(DURATION, v, bound);
/** "3.5 PB/week" -> 3.5e15 bytes per week; "500 TB/day" -> 3.5e15 bytes per week. */
export const parseVolumeRate = (v: unknown, bound?: Bound): number => parseQuantity(VOLUME_RATE, v, bound);
/** "0.05 PFLOPS" -> 5e13 FLOP/s. */
export const parseFlops = (v: unknown, bound?: Bound): number => parseQuantity(FLOPS, v, bound);

/** The unit symbols a kind accepts, for documentation (JSON Schema descriptions, help). */
export function unitList(k: QuantityKind): string[] {
  return [...k.units.keys()];
}

// ---- display (SI, for summaries) ----

function withPrefix(value: number, unit: string, prefixes: readonly [string, number][], digits: number): string {
  let best: [string, number] = prefixes[0]!;
  for (const p of prefixes) if (Math.abs(value) >= 10 ** p[1]) best = p;
  const scaled = value / 10 ** best[1];
  return `${Number(scaled.toFixed(digits))} ${best[0]}${unit}`;
}

/** 8e15 -> "8 PB". */
export const formatBytes = (bytes: number, digits = 2): string => withPrefix(bytes, "B", SI_PREFIXES, digits);
/** 1e11 -> "100 Gbit/s". */
export const formatBitRate = (bps: number, digits = 2): string => withPrefix(bps, "bit/s", SI_PREFIXES, digits);
/** 5e14 -> "500 TFLOPS". */
export const formatFlops = (flops: number, digits = 2): string => withPrefix(flops, "FLOPS", SI_PREFIXES, digits);

/** 259200 -> "3 d": the largest of w, d, h, min, s that divides the duration, else 2 decimals. */
export function formatDuration(seconds: number): string {
  const units: [string, number][] = [
    ["w", WEEK],
    ["d", DAY],
    ["h", HOUR],
    ["min", MINUTE],
    ["s", SECOND],
  ];
  for (const [u, f] of units) {
    const v = seconds / f;
    if (Math.abs(v) >= 1 && Math.abs(v - Math.round(v)) < 1e-9) return `${Math.round(v)} ${u}`;
  }
  for (const [u, f] of units) if (Math.abs(seconds) >= f) return `${Number((seconds / f).toFixed(2))} ${u}`;
  return `${seconds} s`;
}

export const SECONDS = { minute: MINUTE, hour: HOUR, day: DAY, week: WEEK, year: YEAR } as const;

/** A regular expression (source) for the string form of a quantity of this kind, for the JSON Schema. */
export function stringPattern(k: QuantityKind): string {
  return `^\\s*[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?\\s*(?:${k.unitPattern})?\\s*$`;
}

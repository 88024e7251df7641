/**
 * Reading run records from disk (the layout is in records/README.md): finding run directories
 * (a `run.json`) and sweeps (a `sweep.json` beside `point-NNNN` runs) under the given folders,
 * and reading their summaries and Arrow tables. Dashboards see runs only through this module.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { tableFromIPC, type Table } from "apache-arrow";
import { Either, Schema } from "effect";
import type { RunProvenance } from "../records/run-record.js";
import { readTransfers } from "../records/transfer-table.js";
import type { TransferRow } from "../records/transfer-record.js";
import { UsageError } from "../errors/index.js";

/** The fields of run.json the dashboard relies on; others are kept but not required. */
const ProvenanceSchema = Schema.Struct({
  kind: Schema.String,
  tool: Schema.Struct({ name: Schema.String, version: Schema.String }),
  git: Schema.Struct({ commit: Schema.NullOr(Schema.String), dirty: Schema.NullOr(Schema.Boolean) }),
  scenario: Schema.Struct({ name: Schema.String, sha256: Schema.optional(Schema.String) }),
  /** Campaign records since the campaign was recorded apart from the scenario; older ones lack it. */
  campaign: Schema.optional(Schema.Struct({ name: Schema.String, sha256: Schema.optional(Schema.String) })),
  seed: Schema.Number,
  machine: Schema.optional(Schema.Struct({ hostname: Schema.String, cpus: Schema.optional(Schema.Number), platform: Schema.optional(Schema.String), arch: Schema.optional(Schema.String) })),
  services: Schema.optional(Schema.Array(Schema.Struct({ name: Schema.String, version: Schema.String }))),
  startedAt: Schema.String,
  endedAt: Schema.NullOr(Schema.String),
  status: Schema.Literal("incomplete", "complete", "failed"),
  error: Schema.optional(Schema.String),
  tables: Schema.Array(Schema.String),
});
export type Provenance = Schema.Schema.Type<typeof ProvenanceSchema> & Partial<Pick<RunProvenance, "command" | "schemaVersion">>;
const decodeProvenance = Schema.decodeUnknownEither(ProvenanceSchema);

/**
 * What a run is of, for titles, history groups and the runs table: the scenario, and for a
 * campaign the campaign run on it ("site-failure on srcnet-0.1").
 */
export const runSubject = (p: Provenance): string => (p.campaign !== undefined ? `${p.campaign.name} on ${p.scenario.name}` : p.scenario.name);

/**
 * The campaign run a simulation was made from (`sim run --from-campaign RUN`: run.json
 * `derivedFrom`), or null for a run made from a scenario alone (or a `derivedFrom` not understood).
 */
export function derivedFromCampaign(p: Provenance): { run: string; startedAt: string | null } | null {
  const d = (p as { derivedFrom?: unknown }).derivedFrom;
  if (d === null || typeof d !== "object") return null;
  const o = d as Record<string, unknown>;
  if (o.kind !== "campaign" || typeof o.run !== "string" || o.run === "") return null;
  return { run: o.run, startedAt: typeof o.startedAt === "string" ? o.startedAt : null };
}

export interface RunInfo {
  /** Stable, file-name-safe identifier (used for page names). */
  id: string;
  dir: string;
  run: Provenance;
  /** summary.json, or null when missing or unreadable (see `problems`). */
  summary: unknown;
  /** Id of the sweep this run is a point of. */
  sweep: string | null;
}

export interface SweepRow {
  point: number;
  seed: number;
  status: string;
  run: string;
  [column: string]: string | number | null;
}

export interface SweepInfo {
  id: string;
  dir: string;
  scenario: string;
  vary: { key: string; values: string[] }[];
  set: string[];
  seeds: number;
  rows: SweepRow[];
}

export interface Discovery {
  runs: RunInfo[];
  sweeps: SweepInfo[];
  /** Directories that look like run records but could not be read, with the reason. */
  problems: string[];
}

const shortHash = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 8);
const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 60);

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"));

function readRun(dir: string, sweep: string | null, problems: string[]): RunInfo | null {
  let raw: unknown;
  try {
    raw = readJson(join(dir, "run.json"));
  } catch (e) {
    problems.push(`${join(dir, "run.json")}: unreadable (${(e as Error).message})`);
    return null;
  }
  const decoded = decodeProvenance(raw);
  if (Either.isLeft(decoded)) {
    problems.push(`${join(dir, "run.json")}: not a run record (${decoded.left.message.split("\n")[0]})`);
    return null;
  }
  let summary: unknown = null;
  const summaryPath = join(dir, "summary.json");
  if (existsSync(summaryPath)) {
    try {
      summary = readJson(summaryPath);
    } catch (e) {
      problems.push(`${summaryPath}: unreadable (${(e as Error).message})`);
    }
  }
  const abs = resolve(dir);
  const name = sweep === null ? basename(abs) : `${basename(dirname(abs))}-${basename(abs)}`;
  return { id: `${slug(name)}-${shortHash(abs)}`, dir: abs, run: { ...(raw as object), ...decoded.right } as Provenance, summary, sweep };
}

function readSweep(dir: string, problems: string[]): SweepInfo | null {
  try {
    const s = readJson(join(dir, "sweep.json")) as Partial<SweepInfo> & { points?: SweepRow[] };
    if (!Array.isArray(s.points) || !Array.isArray(s.vary)) throw new Error("expected points and vary lists");
    const abs = resolve(dir);
    return {
      id: `${slug(basename(abs))}-${shortHash(abs)}`,
      dir: abs,
      scenario: String(s.scenario ?? basename(abs)),
      vary: s.vary,
      set: Array.isArray(s.set) ? s.set : [],
      seeds: Number(s.seeds ?? 1),
      rows: s.points,
    };
  } catch (e) {
    problems.push(`${join(dir, "sweep.json")}: unreadable (${(e as Error).message})`);
    return null;
  }
}

/**
 * Finds every run record and sweep under `dirs` (each may itself be a run or sweep directory).
 * Missing folders are a UsageError; unreadable records are listed in `problems`.
 */
export function discoverRecords(dirs: string[]): Discovery {
  const runs: RunInfo[] = [];
  const sweeps: SweepInfo[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const visit = (dir: string, sweep: string | null, depth: number): void => {
    const abs = resolve(dir);
    if (seen.has(abs) || depth > 8) return;
    seen.add(abs);
    if (existsSync(join(abs, "run.json"))) {
      const r = readRun(abs, sweep, problems);
      if (r !== null) runs.push(r);
      return;
    }
    let inner = sweep;
    if (existsSync(join(abs, "sweep.json"))) {
      const s = readSweep(abs, problems);
      if (s !== null) {
        sweeps.push(s);
        inner = s.id;
      }
    }
    let entries: string[];
    try {
      entries = readdirSync(abs).sort();
    } catch {
      return;
    }
    for (const e of entries) {
      // Hidden folders, dependencies and half-written temporaries are never run records.
      if (e.startsWith(".") || e === "node_modules" || /\.tmp-\d+$/.test(e)) continue;
      const p = join(abs, e);
      const st = lstatSync(p);
      if (st.isDirectory()) visit(p, inner, depth + 1);
    }
  };
  for (const d of dirs) {
    if (!existsSync(d)) throw new UsageError(`${d}: expected a results directory, found nothing at that path`);
    if (!statSync(d).isDirectory()) throw new UsageError(`${d}: expected a results directory, found a file`);
    visit(d, null, 0);
  }
  runs.sort((a, b) => a.run.startedAt.localeCompare(b.run.startedAt) || a.dir.localeCompare(b.dir));
  return { runs, sweeps, problems };
}

/** An Arrow table of a run (`<name>.arrow`), or null if the run has none. */
export function readTable(run: RunInfo, name: string): Table | null {
  const path = join(run.dir, `${name}.arrow`);
  if (!existsSync(path)) return null;
  return tableFromIPC(readFileSync(path));
}

/** A numeric column as Float64Array (nulls as NaN), or null if the table lacks it. */
export function numbers(table: Table, name: string): Float64Array | null {
  const v = table.getChild(name);
  if (v === null) return null;
  const out = new Float64Array(table.numRows);
  let i = 0;
  for (const d of v.data) {
    const vals = d.values as ArrayLike<number | bigint> | undefined;
    for (let j = 0; j < d.length; j++, i++) {
      const valid = d.nullCount === 0 || d.getValid(j);
      const x = valid && vals !== undefined ? vals[j] : undefined;
      out[i] = x === undefined ? NaN : Number(x);
    }
  }
  return out;
}

/** A string column (plain or dictionary-encoded) as strings (nulls as ""), or null if missing. */
export function strings(table: Table, name: string): string[] | null {
  const v = table.getChild(name);
  if (v === null) return null;
  const out: string[] = new Array(table.numRows);
  let i = 0;
  for (const d of v.data) {
    if (d.dictionary !== undefined) {
      // Decode each dictionary once, not once per row.
      const dict = Array.from(d.dictionary, (x) => (x === null || x === undefined ? "" : String(x)));
      const codes = d.values as Int32Array;
      for (let j = 0; j < d.length; j++, i++) out[i] = d.nullCount > 0 && !d.getValid(j) ? "" : (dict[codes[j]!] ?? "");
    } else {
      for (let j = 0; j < d.length; j++, i++) {
        const x = v.get(i);
        out[i] = x === null || x === undefined ? "" : String(x);
      }
    }
  }
  return out;
}

/** Booleans (nulls as false), or null if missing. */
export function booleans(table: Table, name: string): boolean[] | null {
  const v = table.getChild(name);
  if (v === null) return null;
  const out: boolean[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) out[i] = v.get(i) === true;
  return out;
}

/**
 * The rows of a run's `transfers.arrow` (records/transfer-record.ts), null when the run has none,
 * or the reason they could not be read (a column missing or of the wrong type, an unknown state).
 */
export function readTransferRows(run: RunInfo): { rows: TransferRow[] } | { error: string } | null {
  const path = join(run.dir, "transfers.arrow");
  if (!existsSync(path)) return null;
  try {
    return { rows: readTransfers(path) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** A link as planned (`links.json` beside `transfers.arrow`). */
export interface PlannedLink {
  name: string;
  latencySeconds: number;
  bandwidthBitsPerSecond: number;
}

/** The planned links of `links.json`, by name; empty when the run has none or it is unreadable. */
export function readPlannedLinks(run: RunInfo): Map<string, PlannedLink> {
  const out = new Map<string, PlannedLink>();
  const path = join(run.dir, "links.json");
  if (!existsSync(path)) return out;
  try {
    const doc = readJson(path) as { links?: unknown };
    if (!Array.isArray(doc.links)) return out;
    for (const l of doc.links as Record<string, unknown>[]) {
      if (l === null || typeof l !== "object" || typeof l.name !== "string") continue;
      out.set(l.name, { name: l.name, latencySeconds: Number(l.latencySeconds), bandwidthBitsPerSecond: Number(l.bandwidthBitsPerSecond) });
    }
  } catch {
    // An unreadable links.json only leaves the planned values out.
  }
  return out;
}

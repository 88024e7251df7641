/**
 * Loading scenarios: presets by name or YAML files by path, `extends:` (a file merged over a
 * preset), `--set path=value` overrides, then validation into a {@link Scenario}.
 *
 * Order: read the file -> resolve `extends` (recursively; mappings merged key by key, lists and
 * scalars replaced) -> apply each `--set` in turn to the merged document -> decode and check.
 * Every problem is a {@link ScenarioError} naming the file, the path, what was expected and what
 * was found.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Either } from "effect";
import { formatPath, ScenarioError, type ScenarioIssue } from "./errors.js";
import { decodeScenario, TOP_LEVEL_KEYS } from "./schema.js";
import type { Scenario } from "./types.js";
import { formatFound } from "./units.js";
import { parseYaml, readYamlFile } from "./yaml.js";

export { parseYaml } from "./yaml.js";

/** The folder holding the preset scenarios (`<name>.yaml`). */
export const PRESETS_DIR = fileURLToPath(new URL("./presets/", import.meta.url));

export interface LoadOptions {
  /** `path=value` overrides applied in order to the merged document before validation. */
  readonly set?: readonly string[];
}

export interface PresetInfo {
  readonly name: string;
  readonly description: string;
  readonly path: string;
}

const PRESET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The file of a preset, or undefined if `name` is not a preset. */
export function presetPath(name: string): string | undefined {
  if (!PRESET_NAME.test(name) || name.endsWith(".yaml") || name.endsWith(".yml")) return undefined;
  const path = join(PRESETS_DIR, `${name}.yaml`);
  return existsSync(path) ? path : undefined;
}

/** Preset names, sorted. */
export function presetNames(): string[] {
  return readdirSync(PRESETS_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}

/** The presets with their descriptions (after `extends`), sorted by name. */
export function listPresets(): PresetInfo[] {
  return presetNames().map((name) => {
    const path = presetPath(name)!;
    const doc = resolveDocument(name, path, []);
    return { name, description: typeof doc.description === "string" ? doc.description.trim() : "", path };
  });
}

type Doc = Record<string, unknown>;

const isMapping = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v);

const fail = (issue: ScenarioIssue): never => {
  throw new ScenarioError(issue);
};

/** Reads one YAML file into a mapping. `file` is the name used in messages. */
function readMapping(path: string, file: string): Doc {
  const raw = readYamlFile(path, file, "a readable YAML file");
  if (!isMapping(raw)) {
    return fail({
      file,
      path: "",
      expected: "a mapping of scenario fields (name, sites, ...) at the top level",
      found: raw === null || raw === undefined ? "an empty document" : formatFound(raw),
    });
  }
  return raw;
}

/** Deep merge: mappings key by key (recursively), anything else (lists, scalars, null) replaced. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isMapping(base) || !isMapping(over)) return over;
  const out: Doc = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
  return out;
}

const notFound = (file: string, path: string, what: string): never =>
  fail({
    file,
    path,
    expected: `a preset name (${presetNames().join(", ")}) or the path of a YAML file`,
    found: `${formatFound(what)}, which is neither`,
  });

/** Reads a file and everything it extends, merged; `chain` holds the files being resolved (cycles). */
function resolveDocument(file: string, path: string, chain: readonly string[]): Doc {
  const doc = readMapping(path, file);
  if (!("extends" in doc)) return doc;
  const { extends: base, ...rest } = doc;
  if (typeof base !== "string" || base.trim() === "") {
    return fail({ file, path: "extends", expected: "a preset name or the path of a YAML file", found: formatFound(base) });
  }
  let basePath = presetPath(base);
  if (basePath === undefined) {
    const candidate = isAbsolute(base) ? base : resolve(dirname(path), base);
    if (existsSync(candidate) && statSync(candidate).isFile()) basePath = candidate;
  }
  if (basePath === undefined) return notFound(file, "extends", base);
  const full = resolve(basePath);
  if (chain.includes(full) || full === resolve(path)) {
    return fail({ file, path: "extends", expected: "a chain of extends without a cycle", found: `${formatFound(base)}, which extends this file again` });
  }
  const merged = deepMerge(resolveDocument(base, full, [...chain, resolve(path)]), rest);
  return merged as Doc;
}

/** Where a bare name or a path leads: its file and the name used in messages. */
function locate(nameOrPath: string): { path: string; file: string } {
  const preset = presetPath(nameOrPath);
  if (preset !== undefined) return { path: preset, file: nameOrPath };
  if (existsSync(nameOrPath)) return { path: nameOrPath, file: nameOrPath };
  return notFound(nameOrPath, "", nameOrPath);
}

// ---- --set ----

type Segment = string | number;

const SET_FILE = "--set";
const SET_EXAMPLE = 'path=value such as "policies.replicas=3" or "sites[0].disk.capacity=2 PB"';

/** `sites.0.disk.capacity` or `sites[0].disk.capacity` -> ["sites", 0, "disk", "capacity"]; undefined if malformed. */
export function parseSetPath(text: string): Segment[] | undefined {
  if (!/^[^.[\]\s=]+(?:\.[^.[\]\s=]+|\[\d+\])*$/.test(text)) return undefined;
  const out: Segment[] = [];
  for (const m of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    out.push(m[2] !== undefined ? Number(m[2]) : /^\d+$/.test(m[1]!) ? Number(m[1]) : m[1]!);
  }
  return typeof out[0] === "string" ? out : undefined;
}

/** Parses a `--set` value as a YAML scalar or flow collection: `3` is a number, `2 PB` a string, `[a, b]` a list. */
function parseSetValue(text: string, entry: string, path: string): unknown {
  try {
    return parseYaml(text, SET_FILE);
  } catch (e) {
    if (e instanceof ScenarioError) {
      return fail({ file: SET_FILE, path, expected: "a YAML value (a number, a string, [a, b], {k: v})", found: `${formatFound(text)} in ${formatFound(entry)}: ${e.found}` });
    }
    throw e;
  }
}

const SETTABLE = TOP_LEVEL_KEYS.filter((k) => k !== "extends");

/** Applies one `path=value` override to a document (in place). */
export function applySet(doc: Doc, entry: string): void {
  const eq = entry.indexOf("=");
  const segments = eq > 0 ? parseSetPath(entry.slice(0, eq).trim()) : undefined;
  if (segments === undefined) return fail({ file: SET_FILE, path: "", expected: SET_EXAMPLE, found: formatFound(entry) });
  const path = formatPath(segments);
  const top = segments[0] as string;
  if (!(SETTABLE as readonly string[]).includes(top)) {
    return fail({ file: SET_FILE, path, expected: `a path starting with a top-level key (${SETTABLE.join(", ")})`, found: formatFound(top) });
  }
  const value = parseSetValue(entry.slice(eq + 1).trim(), entry, path);
  let node: unknown = doc;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    const here = formatPath(segments.slice(0, i));
    if (Array.isArray(node)) {
      if (typeof seg !== "number") {
        return fail({ file: SET_FILE, path, expected: `an index into the list at ${here}`, found: formatFound(seg) });
      }
      if (seg > node.length) {
        return fail({ file: SET_FILE, path, expected: `an index from 0 to ${node.length} into the list at ${here} (${node.length} appends)`, found: String(seg) });
      }
    } else if (!isMapping(node)) {
      return fail({ file: SET_FILE, path, expected: `a mapping or a list at ${here}`, found: formatFound(node) });
    }
    const container = node as Record<string | number, unknown>;
    if (last) {
      container[seg] = value;
    } else {
      const next = container[seg];
      if (next === undefined || next === null) container[seg] = typeof segments[i + 1] === "number" ? [] : {};
      node = container[seg];
    }
  }
}

/** The merged raw document of a preset or file, with `extends` resolved and `--set` applied, and its name for messages. */
export function loadScenarioDocument(nameOrPath: string, options: LoadOptions = {}): { file: string; document: Doc } {
  const { path, file } = locate(nameOrPath);
  const document = structuredClone(resolveDocument(file, path, []));
  for (const entry of options.set ?? []) applySet(document, entry);
  return { file, document };
}

/**
 * Loads a scenario: a bare name that matches a preset in scenarios/presets loads the preset,
 * anything else is read as a path. Throws a {@link ScenarioError} for any problem.
 */
export function loadScenario(nameOrPath: string, options: LoadOptions = {}): Scenario {
  const { file, document } = loadScenarioDocument(nameOrPath, options);
  return decodeOrThrow(document, file);
}

/** Parses and validates scenario YAML text (no `extends` relative paths beyond presets). */
export function parseScenario(text: string, options: LoadOptions & { file?: string } = {}): Scenario {
  const file = options.file ?? "<scenario>";
  let doc = parseYaml(text, file);
  if (!isMapping(doc)) {
    return fail({ file, path: "", expected: "a mapping of scenario fields (name, sites, ...) at the top level", found: formatFound(doc) });
  }
  if ("extends" in doc) {
    const { extends: base, ...rest } = doc;
    const basePath = typeof base === "string" ? presetPath(base) : undefined;
    if (basePath === undefined) return notFound(file, "extends", String(base));
    doc = deepMerge(resolveDocument(base as string, basePath, []), rest) as Doc;
  }
  const document = structuredClone(doc as Doc);
  for (const entry of options.set ?? []) applySet(document, entry);
  return decodeOrThrow(document, file);
}

function decodeOrThrow(document: Doc, file: string): Scenario {
  return Either.getOrElse(decodeScenario(document, file), (issues) => {
    throw new ScenarioError(issues);
  });
}

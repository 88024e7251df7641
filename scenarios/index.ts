/**
 * Scenarios: the validated {@link Scenario} type (types.ts), the YAML file format and its
 * decoding (schema.ts), human units (units.ts), errors (errors.ts) and loading with presets,
 * `extends` and `--set` (load.ts).
 */
import type { Scenario } from "./types.js";
import { SECONDS } from "./units.js";

export type * from "./types.js";
export { ScenarioError, formatIssue, type ScenarioIssue } from "./errors.js";
export {
  applySet,
  deepMerge,
  listPresets,
  loadScenario,
  loadScenarioDocument,
  parseScenario,
  parseSetPath,
  presetNames,
  presetPath,
  PRESETS_DIR,
  type LoadOptions,
  type PresetInfo,
} from "./load.js";
export {
  decodeScenario,
  encodeScenario,
  greatCircleMetres,
  EARTH_RADIUS_METRES,
  ScenarioFile,
  ScenarioSchema,
  scenarioJsonSchema,
  scenarioJsonSchemaText,
} from "./schema.js";
export * as units from "./units.js";

/** Headline numbers of a scenario, for summaries. */
export interface ScenarioTotals {
  sites: number;
  /** Network paths as written in the file (each stands for two directional links). */
  linkPairs: number;
  telescopes: number;
  diskBytes: number;
  tapeBytes: number;
  cores: number;
  flopsPerSecond: number;
  /** Highest combined SV rate of all telescopes at any time, bytes per week. */
  peakBytesPerWeek: number;
  /** SV volume produced within the run (schedules clipped to [0, duration)), bytes. */
  svBytes: number;
}

/** Adds up a scenario's sites, storage, compute and Science Verification volume. */
export function scenarioTotals(s: Scenario): ScenarioTotals {
  let diskBytes = 0;
  let tapeBytes = 0;
  let cores = 0;
  let flopsPerSecond = 0;
  for (const site of s.sites) {
    diskBytes += site.disk?.capacityBytes ?? 0;
    tapeBytes += site.tape?.capacityBytes ?? 0;
    cores += site.compute.cores;
    flopsPerSecond += site.compute.flopsPerSecond;
  }
  const periods = s.telescopes.flatMap((t) => t.schedule);
  let svBytes = 0;
  for (const p of periods) {
    const from = Math.max(0, p.startSeconds);
    const to = Math.min(s.durationSeconds, p.endSeconds);
    if (to > from) svBytes += (p.bytesPerWeek * (to - from)) / SECONDS.week;
  }
  let peakBytesPerWeek = 0;
  for (const t of new Set(periods.map((p) => p.startSeconds))) {
    const rate = periods.filter((p) => p.startSeconds <= t && t < p.endSeconds).reduce((a, p) => a + p.bytesPerWeek, 0);
    peakBytesPerWeek = Math.max(peakBytesPerWeek, rate);
  }
  return {
    sites: s.sites.length,
    linkPairs: s.links.length / 2,
    telescopes: s.telescopes.length,
    diskBytes,
    tapeBytes,
    cores,
    flopsPerSecond,
    peakBytesPerWeek,
    svBytes,
  };
}

/**
 * A calibration's input from a run record: `transfers.arrow` (records/transfer-record.ts) and the
 * links as planned, from `links.json` (`{ links: [{ name, latencySeconds, bandwidthBitsPerSecond }],
 * transfers?: { streamsPerTransfer, windowBytes, checksumSourceBytesPerSecond,
 * checksumDestinationBytesPerSecond } }`, as `sim run` writes it with output.transferEvents) or,
 * failing that, from run.json's `stack.paths` (the same link entries, as a campaign records its
 * stack's WAN paths).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../../errors/index.js";
import { readTransfers } from "../../records/transfer-table.js";
import { DEFAULT_SETTINGS, type CalibrationInput, type CalibrationLink, type ReplaySettings } from "./replay.js";

export interface LoadedRun {
  dir: string;
  input: CalibrationInput;
  settings: ReplaySettings;
  /** Where the links came from. */
  linksFrom: string;
}

/** A JSON file of a run record; `what` says what it should hold, for the message when it does not. */
export function readJson(path: string, what = "JSON"): unknown {
  if (!existsSync(path)) throw new UsageError(`${path}: expected ${what}, found no such file`);
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UsageError(`${path}: expected ${what}, found unreadable text (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** links.json's (or run.json's `stack.paths`) links, each checked: `SRC->DST`, latency >= 0, bandwidth > 0. */
export function checkLinks(value: unknown, file: string, path: string): CalibrationLink[] {
  if (!Array.isArray(value)) throw new UsageError(`${file}: ${path}: expected a list of links {name, latencySeconds, bandwidthBitsPerSecond}, found ${JSON.stringify(value) ?? "nothing"}`);
  return value.map((l: unknown, i) => {
    const o = l as Record<string, unknown>;
    const ok =
      typeof o === "object" && o !== null && typeof o.name === "string" && /^.+->.+$/.test(o.name) && typeof o.latencySeconds === "number" && o.latencySeconds >= 0 && typeof o.bandwidthBitsPerSecond === "number" && o.bandwidthBitsPerSecond > 0;
    if (!ok) throw new UsageError(`${file}: ${path}[${i}]: expected {name: "SRC->DST", latencySeconds >= 0, bandwidthBitsPerSecond > 0}, found ${JSON.stringify(l)}`);
    return { name: o.name as string, latencySeconds: o.latencySeconds as number, bandwidthBitsPerSecond: o.bandwidthBitsPerSecond as number };
  });
}

/** Reads a run record's transfers and links; every problem is a UsageError naming the file. */
export function loadRun(dir: string): LoadedRun {
  if (!existsSync(dir)) throw new UsageError(`${dir}: expected a run record directory, found nothing at that path`);
  const linksJson = join(dir, "links.json");
  const runJson = join(dir, "run.json");
  let links: CalibrationLink[];
  let linksFrom: string;
  let settings = DEFAULT_SETTINGS;
  if (existsSync(linksJson)) {
    const doc = readJson(linksJson) as Record<string, unknown>;
    links = checkLinks(doc?.links, linksJson, "links");
    linksFrom = linksJson;
    const t = doc.transfers as Partial<ReplaySettings> | undefined;
    if (t !== undefined) settings = { ...DEFAULT_SETTINGS, ...t };
  } else {
    const doc = existsSync(runJson) ? (readJson(runJson) as { stack?: { paths?: unknown } }) : undefined;
    if (doc?.stack?.paths === undefined) {
      throw new UsageError(`${dir}: expected the links as planned in links.json or in run.json (stack.paths), found ${doc === undefined ? "neither file" : "no links.json and no stack.paths in run.json"}`);
    }
    links = checkLinks(doc.stack.paths, runJson, "stack.paths");
    linksFrom = `${runJson} (stack.paths)`;
  }
  return { dir, input: { links, transfers: readTransfers(join(dir, "transfers.arrow")) }, settings, linksFrom };
}

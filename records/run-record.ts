import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { cpus, hostname, totalmem, arch, platform } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tableToIPC, type Table } from "apache-arrow";
import { toolVersion } from "./version.js";

/**
 * One run, simulated or measured, as a directory (see DESIGN.md): `run.json` (provenance and
 * status), `summary.json` (headline metrics) and Arrow IPC tables. `run.json` is written first
 * with status "incomplete" and rewritten at the end, so an interrupted run never looks complete;
 * every file is written to a temporary name and renamed into place.
 */
export type RunStatus = "incomplete" | "complete" | "failed";

export interface RunProvenance {
  schemaVersion: 1;
  kind: "simulation" | "campaign" | "dataset" | "calibration";
  tool: { name: string; version: string };
  git: { commit: string | null; dirty: boolean | null };
  /** The scenario run: for a campaign, the scenario of the stack it actually ran on (its hash is absent when that stack did not record one). */
  scenario: { name: string; sha256?: string };
  /** Campaigns only: the campaign run (its name and the hash of its file's document). */
  campaign?: { name: string; sha256: string };
  /**
   * A simulation made from a measured run (`sim run --from-campaign RUN`): that run's directory
   * name and started-at time, so the dashboard puts the two side by side.
   */
  derivedFrom?: { kind: "campaign"; run: string; startedAt: string };
  seed: number;
  command: string[];
  machine: { hostname: string; platform: string; arch: string; cpus: number; memoryBytes: number; node: string };
  services: { name: string; version: string }[];
  startedAt: string;
  endedAt: string | null;
  status: RunStatus;
  error?: string;
  tables: string[];
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function gitState(): RunProvenance["git"] {
  try {
    const commit = execFileSync("git", ["-C", root, "rev-parse", "HEAD"], { stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
    const dirty =
      execFileSync("git", ["-C", root, "status", "--porcelain", "--untracked-files=no"], {
        stdio: ["ignore", "pipe", "ignore"],
      })
        .toString()
        .trim() !== "";
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** Stable hash of a JSON-serialisable value: keys sorted, so field order does not matter. */
export function canonicalHash(value: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash("sha256").update(JSON.stringify(canon(value))).digest("hex");
}

/** Where a file of a run is written before it is renamed to `path`. */
export const temporaryPath = (path: string): string => `${path}.tmp-${process.pid}`;

/** Writes a file under a temporary name and renames it into place, so it is never seen half-written. */
export function writeAtomically(path: string, data: string | Uint8Array): void {
  const tmp = temporaryPath(path);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export class RunRecord {
  private readonly provenance: RunProvenance;

  private constructor(
    readonly dir: string,
    provenance: RunProvenance,
  ) {
    this.provenance = provenance;
    this.flush();
  }

  /** Creates the run directory (which must not exist yet) and writes run.json as incomplete. */
  static create(
    dir: string,
    info: {
      kind: RunProvenance["kind"];
      scenarioName: string;
      scenario: unknown;
      seed: number;
      command?: string[];
      campaign?: { name: string; document: unknown };
      derivedFrom?: RunProvenance["derivedFrom"];
    },
  ): RunRecord {
    if (existsSync(dir)) throw new Error(`run directory already exists: ${dir}`);
    mkdirSync(dir, { recursive: true });
    return new RunRecord(dir, {
      schemaVersion: 1,
      kind: info.kind,
      tool: { name: "srcnet-testbed", version: toolVersion() },
      git: gitState(),
      scenario: { name: info.scenarioName, sha256: canonicalHash(info.scenario) },
      ...(info.campaign !== undefined ? { campaign: { name: info.campaign.name, sha256: canonicalHash(info.campaign.document) } } : {}),
      ...(info.derivedFrom !== undefined ? { derivedFrom: info.derivedFrom } : {}),
      seed: info.seed,
      command: info.command ?? process.argv.slice(2),
      machine: {
        hostname: hostname(),
        platform: platform(),
        arch: arch(),
        cpus: cpus().length,
        memoryBytes: totalmem(),
        node: process.version,
      },
      services: [],
      startedAt: new Date().toISOString(),
      endedAt: null,
      status: "incomplete",
      tables: [],
    });
  }

  writeSummary(summary: unknown): void {
    writeAtomically(join(this.dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  }

  /** Writes `<name>.arrow` (Arrow IPC file format). */
  writeTable(name: string, table: Table): void {
    writeAtomically(join(this.dir, `${name}.arrow`), tableToIPC(table, "file"));
    this.addTable(name);
  }

  /** Records a table the caller wrote itself as `<name>.arrow` (streamed a batch at a time). */
  addTable(name: string): void {
    if (!this.provenance.tables.includes(name)) this.provenance.tables.push(name);
    this.flush();
  }

  /** The scenario the run turned out to run on (a campaign on a running stack of another scenario). */
  setScenario(scenario: { name: string; sha256?: string }): void {
    this.provenance.scenario = scenario.sha256 !== undefined ? { name: scenario.name, sha256: scenario.sha256 } : { name: scenario.name };
    this.flush();
  }

  /** Versions of the real services the run measured. */
  setServices(services: { name: string; version: string }[]): void {
    this.provenance.services = services;
    this.flush();
  }

  /** Stopped before the end (Ctrl-C): stays "incomplete", with when and why. */
  interrupted(reason: string): void {
    this.provenance.endedAt = new Date().toISOString();
    this.provenance.error = reason;
    this.flush();
  }

  finish(status: Exclude<RunStatus, "incomplete">, error?: string): void {
    this.provenance.status = status;
    this.provenance.endedAt = new Date().toISOString();
    if (error !== undefined) this.provenance.error = error;
    this.flush();
  }

  get status(): RunStatus {
    return this.provenance.status;
  }

  private flush(): void {
    writeAtomically(join(this.dir, "run.json"), JSON.stringify(this.provenance, null, 2) + "\n");
  }
}

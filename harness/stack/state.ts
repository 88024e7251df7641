import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeAtomically } from "../../records/run-record.js";
import type { StackPlan } from "./plan.js";

/**
 * What `stack up` leaves for `status`, `down`, the fault commands and campaigns: endpoints as
 * the host sees them, the containers, and the active faults. Secrets live apart, in a 0600
 * credentials file that nothing else copies.
 */
export interface StackEndpoints {
  postgres: { host: string; port: number };
  rucio: string;
  tap: string;
  dachs: string;
  /** The ingestion service beside DaCHS: `POST /products` publishes a product into ivoa.obscore. */
  ingest: string;
  toxiproxy: string;
  /** The transfer service (FTS3's REST API subset; `GET /srcnet/transfers` lists every transfer). */
  transfer: string;
  /** Per site: `viaClient` goes through the client's WAN path (toxiproxy), `direct` does not. */
  sites: Record<string, { viaClient: string; direct: string }>;
}

export interface ActiveFault {
  id: string;
  kind: "site-down" | "link-cut" | "link-degrade" | "storage-full";
  target: string;
  mode?: "stop" | "pause";
  factor?: number;
  since: string;
}

export interface StackState {
  name: string;
  scenario: string;
  /** Hash of the validated scenario the stack was planned from (records/run-record.ts's canonicalHash); absent in stacks brought up before it was kept. */
  scenarioSha256?: string;
  plan: StackPlan;
  images: Record<string, string>;
  network: string;
  containers: { role: string; name: string; id: string }[];
  endpoints: StackEndpoints;
  credentialsFile: string;
  dataset: string;
  services: { name: string; version: string }[];
  startedAt: string;
  timings: { imagesSeconds: number; startSeconds: number; coldBuild: boolean };
  faults: ActiveFault[];
}

export interface StackCredentials {
  postgres: { user: string; password: string };
  rucio: { account: string; username: string; password: string };
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const defaultStateRoot = () => process.env.TESTBED_STACK_DIR ?? join(root, "results", "stack");

export const stateDir = (name: string, stateRoot = defaultStateRoot()) => join(stateRoot, name);
const stateFile = (dir: string) => join(dir, "stack.json");

export function readState(name: string, stateRoot?: string): StackState | null {
  const f = stateFile(stateDir(name, stateRoot));
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as StackState) : null;
}

export function writeState(state: StackState, stateRoot?: string): void {
  const dir = stateDir(state.name, stateRoot);
  mkdirSync(dir, { recursive: true });
  writeAtomically(stateFile(dir), JSON.stringify(state, null, 2) + "\n");
}

export function removeState(name: string, stateRoot?: string): void {
  const dir = stateDir(name, stateRoot);
  rmSync(stateFile(dir), { force: true });
  rmSync(join(dir, "credentials.json"), { force: true });
}

export function writeCredentials(name: string, creds: StackCredentials, stateRoot?: string): string {
  const dir = stateDir(name, stateRoot);
  mkdirSync(dir, { recursive: true });
  const f = join(dir, "credentials.json");
  writeAtomically(f, JSON.stringify(creds, null, 2) + "\n");
  chmodSync(f, 0o600);
  return f;
}

export const readCredentials = (state: StackState): StackCredentials =>
  JSON.parse(readFileSync(state.credentialsFile, "utf8")) as StackCredentials;

/**
 * Seeded campaign run records for the dashboard tests, written to the campaign contract of
 * records/README.md (no harness exists yet to write real ones). Requests arrive at a constant
 * rate per service with a little jitter (as a constant-arrival-rate executor sends them),
 * with log-normal latencies; two faults change them (named as `testbed stack fault`
 * names them): a degraded WAN path slows WebDAV and Rucio, a DaCHS restart makes SODA requests fail. The summary is computed from
 * the generated requests, as the harness will.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { quantileSorted } from "simple-statistics";
import { draws } from "../../dashboards/regression/random.js";
import type { RunProvenance } from "../../records/run-record.js";

export const SERVICES = {
  tap: { rate: 4, medianSeconds: 0.08, op: "sync-query" },
  soda: { rate: 2, medianSeconds: 0.15, op: "cutout" },
  webdav: { rate: 6, medianSeconds: 0.04, op: "GET" },
  rucio: { rate: 1, medianSeconds: 0.2, op: "add-rule" },
  ingest: { rate: 0.5, medianSeconds: 1.5, op: "register" },
} as const;
export type Service = keyof typeof SERVICES;

export interface CampaignFixture {
  dir: string;
  seed: number;
  commit: string;
  startedAt: Date;
  scenario?: string;
  /** The campaign's name (default "smoke", as the command recorded). */
  campaign?: string;
  durationSeconds?: number;
  /** Latency multipliers per service (a regression is a factor > 1). */
  latencyFactor?: Partial<Record<Service, number>>;
  status?: RunProvenance["status"];
}

export const FAULTS = [
  { t_start_seconds: 120, t_end_seconds: 180, kind: "link-degrade", target: "client->UKSRC" },
  { t_start_seconds: 200, t_end_seconds: 215, kind: "restart", target: "dachs" },
];

export function writeCampaignFixture(f: CampaignFixture): void {
  const { uniform: u, normal } = draws(f.seed);
  const duration = f.durationSeconds ?? 300;
  const rows = { t: [] as number[], service: [] as string[], operation: [] as string[], phase: [] as string[], latency: [] as number[], status: [] as number[], ok: [] as boolean[], bytes: [] as number[] };
  for (const [name, s] of Object.entries(SERVICES) as [Service, (typeof SERVICES)[Service]][]) {
    for (let k = 0; ; k++) {
      const t = (k + u()) / s.rate;
      if (t >= duration) break;
      const slow = (name === "webdav" || name === "rucio") && t >= 120 && t < 180 ? 3 : 1;
      const down = name === "soda" && t >= 200 && t < 215;
      const latency = down ? 0.001 + 0.002 * u() : s.medianSeconds * (f.latencyFactor?.[name] ?? 1) * slow * Math.exp(0.4 * normal());
      rows.t.push(t);
      rows.service.push(name);
      rows.operation.push(s.op);
      rows.phase.push(t < 30 ? "warm-up" : t >= 120 && t < 215 ? "fault" : "steady");
      rows.latency.push(latency);
      rows.status.push(down ? 0 : 200);
      rows.ok.push(!down);
      rows.bytes.push(down ? 0 : Math.round(1e6 * Math.exp(normal())));
    }
  }
  const services: Record<string, unknown> = {};
  for (const name of Object.keys(SERVICES)) {
    const idx = rows.service.flatMap((s, i) => (s === name ? [i] : []));
    const lat = idx.filter((i) => rows.ok[i]).map((i) => rows.latency[i]!).sort((a, b) => a - b);
    const errors = idx.filter((i) => !rows.ok[i]).length;
    services[name] = {
      requests: idx.length,
      errors,
      errorRate: errors / idx.length,
      throughputPerSecond: (idx.length - errors) / duration,
      latencySeconds: { p50: quantileSorted(lat, 0.5), p90: quantileSorted(lat, 0.9), p95: quantileSorted(lat, 0.95), p99: quantileSorted(lat, 0.99) },
    };
  }
  const tapP95 = (services.tap as { latencySeconds: { p95: number } }).latencySeconds.p95;
  const sodaErr = (services.soda as { errorRate: number }).errorRate;
  const thresholds = [
    { metric: "services.tap.latencySeconds.p95", op: "<", limit: 0.25, value: tapP95, pass: tapP95 < 0.25 },
    { metric: "services.soda.errorRate", op: "<=", limit: 0.1, value: sodaErr, pass: sodaErr <= 0.1 },
    { metric: "integrity.lost", op: "==", limit: 0, value: 0, pass: true },
  ];
  const summary = {
    verdict: thresholds.every((t) => t.pass) ? "pass" : "fail",
    thresholds,
    integrity: { files: 200, replicas: 400, verified: 400, lost: 0, corrupted: 0 },
    services,
    durationSeconds: duration,
  };
  const status = f.status ?? "complete";
  const run: RunProvenance = {
    schemaVersion: 1,
    kind: "campaign",
    tool: { name: "srcnet-testbed", version: "0.1.0" },
    git: { commit: f.commit, dirty: false },
    scenario: { name: f.scenario ?? "site-failure", sha256: "0".repeat(64) },
    campaign: { name: f.campaign ?? "smoke", sha256: "1".repeat(64) },
    seed: f.seed,
    command: ["campaign", "run", "smoke", "--target", "local"],
    machine: { hostname: "fixture", platform: "linux", arch: "x64", cpus: 2, memoryBytes: 8e9, node: process.version },
    services: [
      { name: "rucio", version: "35.6.0" },
      { name: "dachs", version: "2.10" },
    ],
    startedAt: f.startedAt.toISOString(),
    endedAt: status === "incomplete" ? null : new Date(f.startedAt.getTime() + duration * 1000).toISOString(),
    status,
    tables: ["requests", "faults"],
  };
  mkdirSync(f.dir, { recursive: true });
  writeFileSync(join(f.dir, "run.json"), JSON.stringify(run, null, 2) + "\n");
  const requests = tableFromArrays({
    t_seconds: Float64Array.from(rows.t),
    service: rows.service,
    operation: rows.operation,
    phase: rows.phase,
    latency_seconds: Float64Array.from(rows.latency),
    status: Int32Array.from(rows.status),
    ok: rows.ok,
    bytes: Float64Array.from(rows.bytes),
  });
  writeFileSync(join(f.dir, "requests.arrow"), tableToIPC(requests, "file"));
  const faults = tableFromArrays({
    t_start_seconds: Float64Array.from(FAULTS.map((x) => x.t_start_seconds)),
    t_end_seconds: Float64Array.from(FAULTS.map((x) => x.t_end_seconds)),
    kind: FAULTS.map((x) => x.kind),
    target: FAULTS.map((x) => x.target),
  });
  writeFileSync(join(f.dir, "faults.arrow"), tableToIPC(faults, "file"));
  // A run that did not complete has no summary.
  if (status === "complete") writeFileSync(join(f.dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
}

/** A series of campaign runs a day apart, one commit each; from `stepAt` on, latencies are multiplied by `factor`. */
export function writeCampaignHistory(root: string, opts: { runs: number; seed0: number; stepAt?: number; factor?: Partial<Record<Service, number>>; start?: Date; scenario?: string }): string[] {
  const start = opts.start ?? new Date("2026-01-01T00:00:00Z");
  return Array.from({ length: opts.runs }, (_, i) => {
    const dir = join(root, `campaign-${String(i).padStart(3, "0")}`);
    writeCampaignFixture({
      dir,
      seed: opts.seed0 + i,
      commit: `${(0xc0ffee00 + i).toString(16)}${"0".repeat(32)}`,
      startedAt: new Date(start.getTime() + i * 86_400_000),
      ...(opts.scenario ? { scenario: opts.scenario } : {}),
      ...(opts.stepAt !== undefined && i >= opts.stepAt ? { latencyFactor: opts.factor ?? {} } : {}),
    });
    return dir;
  });
}

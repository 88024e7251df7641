import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../errors/index.js";

const stamp = () => new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? "—" : Number.isInteger(v) ? String(v) : v.toFixed(digits));

/** The results table printed at the end of a campaign. */
function table(summary: Record<string, unknown>): string {
  const services = summary.services as Record<string, { requests: number; errors: number; errorRate: number; throughputPerSecond: number; latencySeconds: Record<string, number> | null }>;
  const lines = ["service   requests  errors  error rate  ok/s      p50 s   p95 s   p99 s"];
  for (const [name, s] of Object.entries(services)) {
    const l = s.latencySeconds;
    lines.push(
      `${name.padEnd(9)} ${String(s.requests).padStart(8)}  ${String(s.errors).padStart(6)}  ${fmt(s.errorRate, 4).padStart(10)}  ${fmt(s.throughputPerSecond, 2).padStart(6)}  ${fmt(l?.p50).padStart(6)}  ${fmt(l?.p95).padStart(6)}  ${fmt(l?.p99).padStart(6)}`,
    );
  }
  const i = summary.integrity as Record<string, number>;
  lines.push("", `integrity: ${i.files} files, ${i.replicas} replicas: ${i.verified} verified, ${i.lost} lost, ${i.corrupted} corrupted`);
  for (const f of summary.faults as { kind: string; target: string; atSeconds: number; endSeconds: number | null; errorsDuring: number; requestsDuring: number; recoverySeconds: number | null }[]) {
    lines.push(`fault ${f.kind} ${f.target}: ${fmt(f.atSeconds, 1)}–${fmt(f.endSeconds, 1)} s, ${f.errorsDuring} of ${f.requestsDuring} requests failed, recovered ${f.recoverySeconds === null ? "—" : `${fmt(f.recoverySeconds, 1)} s`} after`);
  }
  for (const [svc, k] of Object.entries(summary.knee as Record<string, { found: boolean; offeredPerSecond: number | null; lastGoodPerSecond: number | null; atSeconds: number | null; reason: string | null }>)) {
    lines.push(k.found ? `knee ${svc}: at ${fmt(k.offeredPerSecond, 2)}/s offered (${fmt(k.atSeconds, 0)} s: ${k.reason}); last good ${fmt(k.lastGoodPerSecond, 2)}/s` : `knee ${svc}: not reached (up to ${fmt(k.lastGoodPerSecond, 2)}/s held)`);
  }
  lines.push("");
  for (const t of summary.thresholds as { metric: string; op: string; limit: number; value: number | null; pass: boolean }[]) {
    lines.push(`${t.pass ? "PASS" : "FAIL"}  ${t.metric} ${t.op} ${t.limit}  (${fmt(t.value, 4)})`);
  }
  lines.push(`verdict: ${String(summary.verdict).toUpperCase()}`);
  return lines.join("\n");
}

export function registerCampaign(program: Command): void {
  const campaign = program.command("campaign").description("load-and-fault campaigns against real services (Locust, distributed), with integrity checks and verdicts");

  campaign
    .command("list")
    .description("the campaign presets")
    .action(async () => {
      const { campaignPresetNames, loadCampaign } = await import("../harness/campaigns/load.js");
      for (const n of campaignPresetNames()) process.stdout.write(`${n.padEnd(14)} ${loadCampaign(n).campaign.description}\n`);
    });

  campaign
    .command("validate")
    .description("check a campaign (and a target file) without running it")
    .argument("<campaign>", "preset name or campaign file")
    .option("--target <local|file>", "where the load would go", "local")
    .action(async (name: string, o: { target: string }) => {
      const { loadCampaign } = await import("../harness/campaigns/load.js");
      const { campaign: c } = loadCampaign(name);
      if (o.target !== "local") {
        const { configTarget } = await import("../harness/campaigns/target.js");
        configTarget(o.target);
      }
      process.stdout.write(`${c.name}: ${c.phases.length} phases, ${c.durationSeconds} s of load, ${c.faults.length} faults, ${c.thresholds.length} thresholds: valid\n`);
    });

  campaign
    .command("run")
    .description("run a campaign: exit 0 when every threshold holds, 1 when one fails, 2 on bad input")
    .argument("<campaign>", "preset name (smoke, scalability, site-failure, wan-degrade) or campaign file")
    .option("--target <local|file>", "local: the local stack; or a YAML file with endpoints, credentials and allowHosts", "local")
    .option("--stack <name>", "use this running local stack (default: start one for the campaign and remove it after)")
    .option("--keep-stack", "leave the stack the campaign started running")
    .option("--workers <n>", "load workers the rates and VUs are split among", "1")
    .option("--engine <local|slurm>", "where the workers run: local processes, or one Slurm job of a worker per node", "local")
    .option("--partition <p>", "Slurm partition of the workers' job (--engine slurm)")
    .option("--account <a>", "Slurm account of the workers' job (--engine slurm)")
    .option("--out <dir>", "run record directory to create (default: results/campaigns/<campaign>-<time>)")
    .option("--no-progress", "do not report progress on stderr")
    .action(async (name: string, o: { target: string; stack?: string; keepStack?: boolean; workers: string; engine: string; partition?: string; account?: string; out?: string; progress: boolean }) => {
      const workers = Number(o.workers);
      if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError(`--workers: expected an integer from 1 to 64, found "${o.workers}"`);
      if (o.engine !== "local" && o.engine !== "slurm") throw new UsageError(`--engine: expected local or slurm, found "${o.engine}"`);
      if (o.engine === "local" && (o.partition !== undefined || o.account !== undefined)) throw new UsageError(`--${o.partition !== undefined ? "partition" : "account"}: expected only with --engine slurm, found --engine local`);
      const placement =
        o.engine === "slurm"
          ? { kind: "slurm" as const, ...(o.partition !== undefined ? { partition: o.partition } : {}), ...(o.account !== undefined ? { account: o.account } : {}) }
          : { kind: "local" as const };
      const { loadCampaign } = await import("../harness/campaigns/load.js");
      const { campaign: c, document } = loadCampaign(name);
      const { configTarget } = await import("../harness/campaigns/target.js");
      const target = o.target === "local" ? ("local" as const) : configTarget(o.target);
      const { loadScenario } = await import("../scenarios/load.js");
      const scenario = loadScenario(c.scenario);
      if (target === "local" && c.stack.sites !== null) {
        const { planStack, DEFAULT_OPTIONS } = await import("../harness/stack/plan.js");
        planStack(scenario, { ...DEFAULT_OPTIONS, sites: [...c.stack.sites], ...(c.stack.clientSite !== null ? { clientSite: c.stack.clientSite } : {}) });
      }
      const out = o.out ?? join("results", "campaigns", `${c.name}-${stamp()}`);
      if (existsSync(out)) throw new UsageError(`--out: expected a directory that does not exist yet, found ${out}`);
      const { runCampaign } = await import("../harness/campaigns/run.js");
      const { Effect } = await import("effect");
      const { runEffect } = await import("./stack.js");
      const log = (l: string) => process.stderr.write(`campaign: ${l}\n`);
      const r = await runEffect<{ summary: Record<string, unknown>; verdict: "pass" | "fail"; record: { dir: string } }>(
        Effect.scoped(
          runCampaign({
            campaign: c,
            document,
            scenario,
            target,
            stackName: o.stack ?? null,
            keepStack: o.keepStack ?? false,
            workers,
            placement,
            out,
            command: ["campaign", "run", ...process.argv.slice(4)],
            log,
            ...(o.progress
              ? { progress: (p: { seconds: number; requests: number; errors: number; phase: string | null }) => log(`${p.seconds.toFixed(0)} s of ${c.durationSeconds} s${p.phase ? ` (${p.phase})` : ""}: ${p.requests} requests, ${p.errors} errors`) }
              : {}),
          }),
        ),
      );
      process.stdout.write(`${table(r.summary)}\nrun record: ${r.record.dir}\n`);
      if (r.verdict === "fail") process.exitCode = 1;
    });
}

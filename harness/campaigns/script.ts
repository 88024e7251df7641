/**
 * The k6 side of a campaign as files: the plan (JSON, no secrets) and a generated TypeScript
 * entry script whose `options.scenarios` are the campaign's phases x services, each a k6
 * executor starting when its phase starts, tagged with the phase.
 */
import { fileURLToPath } from "node:url";
import type { Campaign, Load, Service } from "./schema.js";
import { OPERATIONS, SERVICES } from "./schema.js";

const LIB = fileURLToPath(new URL("../k6/lib/main.ts", import.meta.url));

const seconds = (s: number) => `${Math.round(s * 1000)}ms`;

/** The mix a scenario runs: the phase's weights, or every operation of the service equally. */
export function mixOf(service: Service, load: Load): Record<string, number> {
  return Object.keys(load.mix).length > 0 ? { ...load.mix } : Object.fromEntries(OPERATIONS[service].map((op) => [op, 1]));
}

/**
 * k6 takes whole iterations per `timeUnit`: fractional rates (0.2/s) are given per minute, so
 * 0.2/s becomes 12 per 1m.
 */
function perUnit(rates: number[]): { unit: string; scale: number } {
  return rates.every((r) => Number.isInteger(r)) ? { unit: "1s", scale: 1 } : { unit: "1m", scale: 60 };
}

function executor(load: Load, durationSeconds: number): Record<string, unknown> {
  switch (load.executor) {
    case "constant-arrival-rate": {
      const u = perUnit([load.rate]);
      return { executor: load.executor, rate: Math.max(1, Math.round(load.rate * u.scale)), timeUnit: u.unit, duration: seconds(durationSeconds), preAllocatedVUs: load.vus, maxVUs: Math.max(load.vus, load.maxVUs) };
    }
    case "ramping-arrival-rate": {
      const u = perUnit([load.startRate, ...load.stages.map((s) => s.target)]);
      return {
        executor: load.executor,
        startRate: Math.round(load.startRate * u.scale),
        timeUnit: u.unit,
        stages: load.stages.map((s) => ({ target: Math.round(s.target * u.scale), duration: seconds(s.duration) })),
        preAllocatedVUs: load.vus,
        maxVUs: Math.max(load.vus, load.maxVUs),
      };
    }
    case "constant-vus":
      return { executor: load.executor, vus: load.vus, duration: seconds(durationSeconds) };
    case "ramping-vus":
      return { executor: load.executor, startVUs: load.startVUs, stages: load.stages.map((s) => ({ target: Math.round(s.target), duration: seconds(s.duration) })), gracefulRampDown: "0s" };
  }
}

/** k6 options: one scenario per phase and service. */
export function k6Options(c: Campaign): Record<string, unknown> {
  const scenarios: Record<string, unknown> = {};
  for (const p of c.phases) {
    for (const svc of SERVICES) {
      const load = p.load[svc];
      if (load === undefined) continue;
      scenarios[`${p.name.replace(/[^A-Za-z0-9_]/g, "_")}__${svc}`] = {
        ...executor(load, p.durationSeconds),
        exec: svc,
        startTime: seconds(p.startSeconds),
        // An iteration still running when its phase ends gets the request timeout to finish.
        gracefulStop: seconds(c.timeoutSeconds),
        env: { MIX: JSON.stringify(mixOf(svc, load)) },
        tags: { phase: p.name },
      };
    }
  }
  return {
    scenarios,
    setupTimeout: "120s",
    teardownTimeout: "10s",
    // k6's own summary is not used: the harness computes every number from the samples.
    summaryTrendStats: ["p(50)"],
    // The harness reads only its own samples; k6's built-in ones are written too (JSON output has no
    // filter), so they carry no tags: less for k6 to build and write per request.
    systemTags: [],
    userAgent: "srcnet-testbed-campaign",
  };
}

/** The entry script k6 runs: reads the plan and the payloads at init, one exec function per service. */
export function entryScript(c: Campaign, planPath: string): string {
  const used = SERVICES.filter((s) => c.phases.some((p) => p.load[s] !== undefined));
  return [
    `// Generated for campaign "${c.name}": the phases as k6 scenarios. Edit the campaign, not this file.`,
    `import { runService, setupCampaign, type SetupData } from ${JSON.stringify(LIB)};`,
    `import type { K6Plan } from ${JSON.stringify(LIB.replace(/main\.ts$/, "plan.ts"))};`,
    ``,
    `const plan = JSON.parse(open(${JSON.stringify(planPath)})) as K6Plan;`,
    `const payloads: ArrayBuffer[] = plan.pool.map((f) => open(f.path, "b") as ArrayBuffer);`,
    ``,
    `export const options = ${JSON.stringify(k6Options(c), null, 2)};`,
    ``,
    `export function setup(): Promise<SetupData> {`,
    `  return setupCampaign(plan);`,
    `}`,
    ...used.map((s) => `\nexport function ${s}(data: SetupData): void {\n  runService(plan, ${JSON.stringify(s)}, data, payloads);\n}`),
    ``,
  ].join("\n");
}

/**
 * `testbed campaign run`: a campaign against a target, start to verdict.
 *
 *   target (local stack: reused, or started for the campaign and removed after)
 *   -> pool of payloads, files placed on `copies` sites, the workload from the dataset
 *   -> k6 on a generated script, its JSON output streamed into requests/operations tables
 *   -> faults injected on the campaign's clock (origin: k6's setup), undone at the end
 *   -> integrity: every replica written read back and checksum-verified
 *   -> summary.json, thresholds, verdict; run.json complete (or incomplete on Ctrl-C)
 *
 * Every resource (the stack, the work directory holding the secrets file, the k6 process, the
 * active faults) is an effect acquireRelease, so a failure or an interrupt releases it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tableFromArrays } from "apache-arrow";
import { Cause, Data, Effect, Exit, Scope } from "effect";
import { RunRecord } from "../../records/run-record.js";
import { request } from "../clients/http.js";
import type { Scenario } from "../../scenarios/types.js";
import { corruptFile, inject, restartService, undo, type FaultSpec } from "../faults/faults.js";
import type { K6Plan } from "../k6/lib/plan.js";
import { acquireStack, isUp, TEST_SCOPE, type UpOptions } from "../stack/stack.js";
import { removeStack } from "../docker/labels.js";
import { ingestK6Output } from "./k6-output.js";
import { entryScript } from "./script.js";
import { seedFiles, verifyIntegrity, writePool, type IntegrityResult, type WrittenReplica } from "./files.js";
import { summarise, type FaultWindow } from "./summary.js";
import { localTarget, type Target } from "./target.js";
import { siteStorage } from "../stack/storage.js";
import { productTemplate, sodaWorkload, tapWorkload } from "./workload.js";
import type { Campaign, CampaignFault } from "./schema.js";

export class CampaignError extends Data.TaggedError("CampaignError")<{ message: string }> {}

const root = fileURLToPath(new URL("../../", import.meta.url));
export const K6_BIN = process.env.TESTBED_K6 ?? join(root, ".tools", "bin", "k6");

export interface RunOptions {
  campaign: Campaign;
  /** The campaign file's document as read (hashed into the record); the decoded campaign when absent. */
  document?: unknown;
  /** The scenario the campaign declares (a stack started for the campaign is of this scenario). */
  scenario: Scenario;
  /** "local", or a target from a config file. */
  target: "local" | Target;
  /** A running stack to use (local); else one is started for the campaign and removed after. */
  stackName: string | null;
  keepStack: boolean;
  out: string;
  command: string[];
  log: (line: string) => void;
  /** Called every few seconds while the load runs. */
  progress?: (p: { seconds: number; requests: number; errors: number; phase: string | null }) => void;
}

export interface RunResult {
  summary: Record<string, unknown>;
  record: RunRecord;
  verdict: "pass" | "fail";
}

const fail = (message: string) => new CampaignError({ message });
const fromPromise = <A>(what: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (e) => fail(`${what}: ${e instanceof Error ? e.message : String(e)}`) });
const orFail = <A, E extends { message: string }>(what: string, e: Effect.Effect<A, E>) => Effect.mapError(e, (x) => fail(`${what}: ${x.message}`));

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The local stack: the named running one, or a new one living as long as `scope`. */
function localStack(o: RunOptions, scope: Scope.Scope): Effect.Effect<Target, CampaignError> {
  return Effect.gen(function* () {
    if (o.stackName !== null) {
      const state = yield* orFail("checking the stack", isUp(o.stackName));
      if (state === null) return yield* fail(`stack "${o.stackName}" is not up (run \`testbed stack up ${o.campaign.scenario} --name ${o.stackName}\`, or leave out --stack to start one for the campaign)`);
      return localTarget(state);
    }
    const name = `campaign-${o.campaign.name}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 40);
    const st = o.campaign.stack;
    const opts: UpOptions = {
      name,
      ...(st.sites !== null ? { sites: [...st.sites] } : {}),
      ...(st.clientSite !== null ? { clientSite: st.clientSite } : {}),
      bandwidthScale: st.bandwidthScale,
      latencyScale: st.latencyScale,
      storageBytesPerSite: st.storagePerSite,
      images: {},
      datasetRows: st.rows,
      log: o.log,
    };
    o.log(`starting stack ${name} for the campaign`);
    yield* orFail("removing leftovers", removeStack(name));
    if (!o.keepStack) yield* Scope.addFinalizer(scope, removeStack(name).pipe(Effect.ignore));
    const stack = yield* orFail("starting the stack", Scope.extend(acquireStack(o.scenario, opts), scope));
    return localTarget(stack.state);
  });
}

/** The dataset a target's workload is drawn from: the stack's own, else one made for the campaign. */
function datasetFor(target: Target, o: RunOptions, work: string): Effect.Effect<string, CampaignError> {
  if (target.stack !== null) return Effect.succeed(target.stack.dataset);
  return fromPromise("generating the workload's dataset", async () => {
    const { generateDataset } = await import("../../datasets/generate.js");
    const out = join(work, "dataset");
    generateDataset({ scenario: o.scenario, out, rows: o.campaign.stack.rows, scale: 1e-6, payloads: false });
    return out;
  });
}

function faultSpec(f: CampaignFault): FaultSpec | null {
  switch (f.kind) {
    case "site-down":
      return { kind: f.kind, site: f.site, mode: f.mode };
    case "link-cut":
      return { kind: f.kind, from: f.from, to: f.to };
    case "link-degrade":
      return { kind: f.kind, from: f.from, to: f.to, factor: f.factor };
    case "storage-full":
      return { kind: f.kind, site: f.site };
    default:
      return null;
  }
}

const faultTarget = (f: CampaignFault): string =>
  f.kind === "link-cut" || f.kind === "link-degrade" ? `${f.from}->${f.to}` : f.kind === "restart" ? f.service : f.site;

/**
 * The campaign's faults on its clock: each injected `at` seconds after the origin and undone
 * after `for`; their actual times are what the record gets. Returns a handle to stop the timers.
 */
function scheduleFaults(c: Campaign, target: Target, seeded: WrittenReplica[], originMs: number, log: (l: string) => void) {
  const windows: (FaultWindow & { undo: (() => Promise<void>) | null; error?: string })[] = [];
  const timers: NodeJS.Timeout[] = [];
  const stack = target.stack!.name;
  const now = () => (Date.now() - originMs) / 1000;
  const run = <A>(e: Effect.Effect<A, { message: string }>) => Effect.runPromise(Effect.either(e));
  for (const f of c.faults) {
    timers.push(
      setTimeout(async () => {
        const w: (typeof windows)[number] = { kind: f.kind, target: faultTarget(f), atSeconds: now(), endSeconds: null, undo: null };
        windows.push(w);
        const spec = faultSpec(f);
        if (spec !== null) {
          const r = await run(inject(stack, spec));
          if (r._tag === "Left") {
            w.error = r.left.message;
            w.endSeconds = w.atSeconds;
            log(`fault ${w.kind} ${w.target} failed: ${r.left.message}`);
            return;
          }
          // On from when it took effect, not from when the timer fired (timers and k6's clock differ by ms).
          w.atSeconds = now();
          const id = r.right.id;
          w.undo = async () => {
            w.undo = null;
            await run(undo(stack, id));
            w.endSeconds = now();
            log(`fault ${w.kind} ${w.target} undone at ${w.endSeconds.toFixed(1)} s`);
          };
          log(`fault ${w.kind} ${w.target} at ${w.atSeconds.toFixed(1)} s`);
          if ("for" in f && f.for !== null) timers.push(setTimeout(() => void w.undo?.(), Math.max(0, (f.at + f.for) * 1000 - (Date.now() - originMs))));
        } else if (f.kind === "restart") {
          const r = await run(restartService(stack, f.service));
          w.endSeconds = now();
          if (r._tag === "Left") w.error = r.left.message;
          log(`fault restart ${f.service} at ${w.atSeconds.toFixed(1)} s (${r._tag === "Right" ? `${r.right.toFixed(1)} s` : r.left.message})`);
        } else if (f.kind === "corrupt-replica") {
          const victim = seeded.find((s) => s.site === f.site);
          if (victim === undefined) {
            w.error = `no file of the campaign on ${f.site}`;
          } else {
            const r = await run(corruptFile(stack, f.site, victim.path));
            if (r._tag === "Left") w.error = r.left.message;
            w.target = `${f.site}:${victim.path}`;
          }
          w.endSeconds = w.atSeconds;
          log(`fault corrupt-replica ${w.target} at ${w.atSeconds.toFixed(1)} s${w.error ? ` failed: ${w.error}` : ""}`);
        }
      }, Math.max(0, f.at * 1000 - (Date.now() - originMs))),
    );
  }
  let stopped: Promise<void> | null = null;
  return {
    windows,
    /**
     * Stops pending timers and undoes every fault still on; once (the end of the load and the
     * run's finalizer both ask).
     */
    stop: () =>
      (stopped ??= (async () => {
        for (const t of timers) clearTimeout(t);
        await Promise.all(windows.map((w) => w.undo?.()));
        // A fault injected by another path (or whose timer raced the stop) is cleared from the state too.
        await run(undo(stack, null));
      })()),
  };
}

/** k6 as a child process, killed by its PID when the scope closes before it exits. */
function startK6(work: string, runDir: string, secretsFile: string): Effect.Effect<ChildProcess, CampaignError, Scope.Scope> {
  return Effect.acquireRelease(
    Effect.try({
      try: () => {
        if (!existsSync(K6_BIN)) throw new Error(`${K6_BIN} not found (run \`bash scripts/go-tools.sh k6\`)`);
        const log = createWriteStream(join(runDir, "k6.log"));
        const child = spawn(K6_BIN, ["run", "-q", "--summary-mode=disabled", "--out", "json=-", `--secret-source=file=${secretsFile}`, "--no-usage-report", "entry.ts"], {
          cwd: work,
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work, K6_NO_USAGE_REPORT: "true" },
          stdio: ["ignore", "pipe", "pipe"],
        });
        child.stderr!.pipe(log);
        return child;
      },
      catch: (e) => fail(`starting k6: ${e instanceof Error ? e.message : String(e)}`),
    }),
    (child) =>
      Effect.promise(async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        // SIGINT first: k6 stops its scenarios and flushes its output; then SIGKILL.
        child.kill("SIGINT");
        const exited = await Promise.race([new Promise((r) => child.once("exit", () => r(true))), new Promise((r) => setTimeout(() => r(false), 10_000))]);
        if (!exited) child.kill("SIGKILL");
      }),
  );
}

/** The run, inside a scope that owns every resource. */
export function runCampaign(o: RunOptions): Effect.Effect<RunResult, CampaignError, Scope.Scope> {
  return Effect.gen(function* () {
    const c = o.campaign;
    const record = RunRecord.create(o.out, {
      kind: "campaign",
      scenarioName: o.scenario.name,
      scenario: o.scenario,
      seed: c.seed,
      command: o.command,
      campaign: { name: c.name, document: o.document ?? c },
    });
    let faults: ReturnType<typeof scheduleFaults> | null = null;
    let ingestDone: Promise<unknown> | null = null;
    // An interrupt (Ctrl-C) or a failure leaves the record incomplete or failed, never complete.
    yield* Effect.addFinalizer((exit) =>
      Effect.promise(async () => {
        await faults?.stop();
        await ingestDone?.catch(() => {});
        if (Exit.isInterrupted(exit)) record.interrupted("interrupted (Ctrl-C) before the campaign finished");
        else if (Exit.isFailure(exit) && record.status === "incomplete") {
          const e = Cause.squash(exit.cause);
          record.finish("failed", (e instanceof Error ? e.message : String(e)).split("\n")[0]);
        }
      }),
    );
    const scope = yield* Effect.scope;
    const target = o.target === "local" ? yield* localStack(o, scope) : o.target;
    if (c.faults.length > 0 && target.stack === null) return yield* fail(`campaign ${c.name} injects faults, which needs the local stack (--target local)`);
    // A running stack may be of another scenario than the campaign declares: the record names
    // the one the load actually met (its dataset, sites and paths), so it pairs with the right simulations.
    if (target.stack !== null && target.stack.scenario !== o.scenario.name) {
      record.setScenario({ name: target.stack.scenario, ...(target.stack.scenarioSha256 !== undefined ? { sha256: target.stack.scenarioSha256 } : {}) });
      o.log(`stack ${target.stack.name} is of scenario ${target.stack.scenario} (the campaign declares ${o.scenario.name}): recorded as run on ${target.stack.scenario}`);
    }
    record.setServices(target.services);
    if (target.stack !== null) {
      // Files of earlier campaigns stay on a reused stack's sites: say so before they fill one up
      // and its uploads start failing for want of space rather than for anything under test.
      const storage = yield* Effect.either(siteStorage(target.stack));
      if (storage._tag === "Right") {
        for (const s of storage.right) {
          const faulted = target.stack.faults.some((f) => f.kind === "storage-full" && f.target === s.site);
          if (s.usedBytes > s.sizeBytes / 2 && !faulted) {
            o.log(`site ${s.site}: storage ${mib(s.usedBytes)} of ${mib(s.sizeBytes)} used before the load; \`testbed stack clean\` removes what earlier campaigns left`);
          }
        }
      }
    }

    const work = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "srcnet-campaign-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true })),
    );
    const prefix = `c${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
    const { files: pool, payloads } = writePool(join(work, "pool"), c.seed, c.files.count, c.files.size);
    o.log(`placing ${c.files.seeded} files on ${c.copies} sites each`);
    const seeded = yield* orFail(
      "placing the campaign's files",
      seedFiles(target, prefix, pool, payloads, target.endpoints.sites.length > 0 ? c.files.seeded : 0, c.copies),
    );

    const dataset = yield* datasetFor(target, o, work);
    const local = target.kind === "local";
    const tap = tapWorkload(dataset, c.seed, 64).map((q) => (local ? q : { ...q, expectRows: null }));
    const soda = local ? sodaWorkload(dataset, c.seed, 32) : [];
    const template = productTemplate(dataset);
    const plan: K6Plan = {
      allowHosts: target.allowHosts,
      timeoutSeconds: c.timeoutSeconds,
      prefix,
      endpoints: { ...target.endpoints, sites: target.endpoints.sites.map((s) => ({ name: s.name, url: s.url, rse: s.rse })) },
      rucio: { account: target.rucio.account, auth: target.rucio.auth, scope: target.rucio.scope || TEST_SCOPE },
      pool,
      reads: seeded.reads,
      tap,
      catalogueGrows: c.phases.some((p) => p.load.ingest !== undefined) || (yield* productsIngestedBefore(target)) > 0,
      soda,
      copies: c.copies,
      ingest: target.endpoints.ingest === null ? null : { template, didPrefix: target.didPrefix },
    };
    writeFileSync(join(work, "plan.json"), JSON.stringify(plan));
    writeFileSync(join(work, "entry.ts"), entryScript(c, join(work, "plan.json")));
    const secretsFile = join(work, "secrets");
    writeFileSync(secretsFile, Object.entries(target.secrets).map(([k, v]) => `${k}=${v}\n`).join(""), { mode: 0o600 });
    chmodSync(secretsFile, 0o600);

    o.log(`running k6: ${c.phases.length} phase(s), ${c.durationSeconds} s of load`);
    const child = yield* startK6(work, o.out, secretsFile);
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let current = { requests: 0, errors: 0 };
    let origin: number | null = null;
    const ticker = setInterval(() => {
      if (origin === null) return;
      const t = (Date.now() - origin) / 1000;
      const phase = c.phases.find((p) => t >= p.startSeconds && t < p.startSeconds + p.durationSeconds)?.name ?? null;
      o.progress?.({ seconds: t, ...current, phase });
    }, 5000);
    yield* Effect.addFinalizer(() => Effect.sync(() => clearInterval(ticker)));
    const ingest = ingestK6Output(child.stdout!, {
      dir: o.out,
      onStart: (ms) => {
        origin = ms;
        if (target.stack !== null && c.faults.length > 0) faults = scheduleFaults(c, target, seeded.written, ms, o.log);
      },
      onProgress: (requests, errors) => {
        current = { requests, errors: errors ?? current.errors };
      },
    });
    ingestDone = ingest;
    const ingested = yield* fromPromise("reading k6's output", () => ingest);
    const code = yield* Effect.promise(() => exit);
    record.addTable("requests");
    record.addTable("operations");
    yield* Effect.promise(async () => {
      await faults?.stop();
    });
    if (ingested.originEpochMs === null) {
      const tail = readFileSync(join(o.out, "k6.log"), "utf8").trim().split("\n").slice(-5).join("\n");
      return yield* fail(`k6 exited (code ${code}) before the load started:\n${tail}`);
    }

    o.log(`verifying ${seeded.written.length + ingested.writes.length} replicas`);
    const integrity: IntegrityResult = yield* verifyIntegrity(target, pool, [...seeded.written, ...ingested.writes], c.timeoutSeconds * 1000);
    const windows: FaultWindow[] = (faults as ReturnType<typeof scheduleFaults> | null)?.windows.map(({ kind, target: t, atSeconds, endSeconds }) => ({ kind, target: t, atSeconds, endSeconds })) ?? [];
    const { summary, windows: kneeWindows } = summarise(c, ingested, integrity, windows);
    record.writeTable(
      "faults",
      tableFromArrays({
        t_start_seconds: Float64Array.from(windows.map((w) => w.atSeconds)),
        t_end_seconds: Float64Array.from(windows.map((w) => w.endSeconds ?? NaN)),
        kind: windows.map((w) => w.kind),
        target: windows.map((w) => w.target),
      }),
    );
    if (kneeWindows.length > 0) {
      record.writeTable(
        "windows",
        tableFromArrays({
          t_start_seconds: Float64Array.from(kneeWindows.map((w) => w.startSeconds)),
          service: kneeWindows.map((w) => w.service),
          offered_per_second: Float64Array.from(kneeWindows.map((w) => w.offeredPerSecond ?? NaN)),
          achieved_per_second: Float64Array.from(kneeWindows.map((w) => w.achievedPerSecond)),
          p95_seconds: Float64Array.from(kneeWindows.map((w) => w.p95Seconds ?? NaN)),
          error_rate: Float64Array.from(kneeWindows.map((w) => w.errorRate)),
        }),
      );
    }
    record.writeSummary({ ...summary, target: target.name, k6: { exitCode: code, malformedLines: ingested.malformedLines }, integrityProblems: integrity.problems.slice(0, 100) });
    record.finish("complete");
    return { summary, record, verdict: summary.verdict as "pass" | "fail" };
  });
}

/**
 * Products the target's ingestion service already published (by an earlier campaign on the same
 * stack): TAP then answers over more than the dataset, so exact row counts no longer hold.
 */
function productsIngestedBefore(target: Target): Effect.Effect<number> {
  if (target.endpoints.ingest === null) return Effect.succeed(0);
  return request("GET", `${target.endpoints.ingest}/health`, { expect: [200], timeoutMs: 5000 }).pipe(
    Effect.map((r) => Number((JSON.parse(new TextDecoder().decode(r.value)) as { products?: number }).products ?? 0)),
    // Unknown: assume it may have grown rather than fail queries that are right.
    Effect.orElseSucceed(() => 1),
  );
}

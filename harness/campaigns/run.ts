/**
 * `testbed campaign run`: a campaign against a target, start to verdict.
 *
 *   target (local stack: reused, or started for the campaign and removed after)
 *   -> pool of payloads, files placed on `copies` sites, the workload from the dataset
 *   -> the load engine (a Locust master and N workers, harness/load) on the campaign's plan,
 *      every worker's rows streamed through the master into requests/operations tables
 *   -> faults injected on the campaign's clock (origin: when the workers start), undone at the end
 *   -> integrity: every replica written read back and checksum-verified
 *   -> summary.json, thresholds, verdict; run.json complete (or incomplete on Ctrl-C)
 *
 * Every resource (the stack, the work directory holding the secrets file, the load processes,
 * the active faults) is an effect acquireRelease, so a failure or an interrupt releases it.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromArrays } from "apache-arrow";
import { Cause, Data, Effect, Exit, Scope } from "effect";
import { RunRecord, writeAtomically } from "../../records/run-record.js";
import { copyLinks, STACK_TRANSFERS } from "../stack/transfer.js";
import { request } from "../clients/http.js";
import type { Scenario } from "../../scenarios/types.js";
import { acquireStack, isUp, TEST_SCOPE, type UpOptions } from "../stack/stack.js";
import { removeStack } from "../docker/labels.js";
import { scheduleFaults, type FaultClock } from "./fault-clock.js";
import { makePool, seedFiles, verifyIntegrity, type IntegrityResult, type WrittenReplica } from "./files.js";
import { listedReplicas, rucioClient } from "./rucio-files.js";
import { uploadDatasets } from "./datasets.js";
import { scheduleReplication, type ReplicationClock } from "./replication.js";
import { replicationSummary, siteLossSummary } from "./replication-summary.js";
import { fetchTransfers } from "../clients/transfer.js";
import { writeTransfers } from "../../records/transfer-table.js";
import { ingestLoadOutput } from "./load-output.js";
import { loadScenarios, type LoadPlan, type PoolFile } from "./load-plan.js";
import { loadPython, startLoad, type WorkerPlacement } from "./locust.js";
import { summarise, type FaultWindow } from "./summary.js";
import { localTarget, type Target } from "./target.js";
import { siteStorage } from "../stack/storage.js";
import { productTemplate, sodaWorkload, tapWorkload } from "./workload.js";
import type { Campaign } from "./schema.js";

export class CampaignError extends Data.TaggedError("CampaignError")<{ message: string }> {}


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
  /** Load workers, among which every executor's rate and VUs are split. */
  workers: number;
  /** Where the workers run (default: local processes). */
  placement?: WorkerPlacement;
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
const orFail = <A, E extends { message: string }, R>(what: string, e: Effect.Effect<A, E, R>) => Effect.mapError(e, (x) => fail(`${what}: ${x.message}`));

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
    const { files: pool, payloads } = makePool(c.seed, c.files.count, c.files.size);
    o.log(`placing ${c.files.seeded} files on ${c.copies} sites each`);
    const seeded = yield* orFail(
      "placing the campaign's files",
      seedFiles(target, prefix, pool, payloads, target.endpoints.sites.length > 0 ? c.files.seeded : 0, c.copies),
    );

    // Replication: the datasets uploaded through Rucio before the load; rules and site losses on its clock.
    const replicating = c.datasets.length > 0 || c.replication.length > 0 || c.faults.some((f) => f.kind === "site-loss");
    if (replicating && (target.stack === null || target.endpoints.rucio === null)) {
      return yield* fail(`campaign ${c.name} replicates data (datasets, replication or a site-loss), which needs the local stack with Rucio (--target local)`);
    }
    const rucio = target.endpoints.rucio === null ? null : rucioClient(target);
    const expected: PoolFile[] = [...pool];
    const uploaded = replicating ? yield* orFail("uploading the campaign's datasets", uploadDatasets(target, rucio!, prefix, c.seed, c.datasets, expected, o.log)) : [];
    let replication: ReplicationClock | null = null;
    yield* Effect.addFinalizer(() => Effect.sync(() => replication?.stop()));

    const dataset = yield* datasetFor(target, o, work);
    const local = target.kind === "local";
    const tap = tapWorkload(dataset, c.seed, 64).map((q) => (local ? q : { ...q, expectRows: null }));
    const soda = local ? sodaWorkload(dataset, c.seed, 32) : [];
    const template = productTemplate(dataset);
    const plan: LoadPlan = {
      allowHosts: target.allowHosts,
      timeoutSeconds: c.timeoutSeconds,
      prefix,
      endpoints: { ...target.endpoints, sites: target.endpoints.sites.map((s) => ({ name: s.name, url: s.url, rse: s.rse })) },
      rucio: { account: target.rucio.account, auth: target.rucio.auth, scope: target.rucio.scope || TEST_SCOPE },
      poolSeed: c.seed,
      pool,
      reads: seeded.reads,
      tap,
      catalogueGrows: c.phases.some((p) => p.load.ingest !== undefined) || (yield* productsIngestedBefore(target)) > 0,
      soda,
      copies: c.copies,
      ingest: target.endpoints.ingest === null ? null : { template, didPrefix: target.didPrefix },
      scenarios: loadScenarios(c),
    };
    const planFile = join(work, "plan.json");
    writeFileSync(planFile, JSON.stringify(plan));
    // Secrets in a file only the master reads (0600), never on a command line or in the environment.
    const secretsFile = join(work, "secrets.json");
    writeFileSync(secretsFile, JSON.stringify(target.secrets), { mode: 0o600 });
    chmodSync(secretsFile, 0o600);

    const python = yield* Effect.try({ try: loadPython, catch: (e) => fail(`setting up the load engine: ${e instanceof Error ? e.message : String(e)}`) });
    const placement = o.placement ?? { kind: "local" };
    o.log(`running the load: ${c.phases.length} phase(s), ${c.durationSeconds} s, ${o.workers} worker(s)${placement.kind === "slurm" ? " as one Slurm job" : ""}`);
    const logFile = join(o.out, "load.log");
    const load = yield* orFail("the load engine", startLoad({ python, planFile, secretsFile, workers: o.workers, logFile, cwd: work, placement }));
    const child = load.master;
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
    const ingest = ingestLoadOutput(child.stdout!, {
      dir: o.out,
      onStart: (ms) => {
        origin = ms;
        if (target.stack !== null && c.faults.length > 0) faults = scheduleFaults(c, target, seeded.written, ms, o.log);
        if (replicating) replication = scheduleReplication(c, target, rucio!, uploaded, ms, o.log);
      },
      onProgress: (requests, errors) => {
        current = { requests, errors: errors ?? current.errors };
      },
    });
    ingestDone = ingest;
    const ingested = yield* fromPromise("reading the load's output", () => ingest);
    const code = yield* Effect.promise(() => exit);
    record.addTable("requests");
    record.addTable("operations");
    yield* Effect.promise(async () => {
      await faults?.stop();
    });
    if (ingested.originEpochMs === null) {
      const why = ingested.end?.message || readFileSync(logFile, "utf8").trim().split("\n").slice(-5).join("\n");
      return yield* fail(`the load engine exited (code ${code}) before the load started: ${why}`);
    }
    if (ingested.end?.status === "failed") return yield* fail(`the load engine failed: ${ingested.end.message}`);

    const clock = replication as ReplicationClock | null;
    let extra: Record<string, unknown> = {};
    let replicas: WrittenReplica[] = [...seeded.written, ...uploaded.flatMap((d) => d.written), ...ingested.writes];
    const lossWindows: FaultWindow[] = [];
    if (clock !== null) {
      o.log(`waiting up to ${c.settle} s for every rule to be OK and every lost copy re-created`);
      const settled = yield* Effect.promise(() => clock.settle(c.settle));
      if (!settled) o.log(`not settled after ${c.settle} s: the summary says which rules and files are still waiting`);
      clock.stop();
      const rows = yield* orFail("reading the transfer service's log", fetchTransfers(target.stack!.endpoints.transfer, ingested.originEpochMs, (f) => f.includes(`:${prefix}-`)));
      writeTransfers(record, rows, target.endpoints.sites.map((s) => s.name));
      // The links as planned beside them, for `sim run --from-campaign` and `testbed calibrate`.
      writeAtomically(join(o.out, "links.json"), JSON.stringify({ links: copyLinks(target.stack!.plan), transfers: STACK_TRANSFERS }, null, 2) + "\n");
      const states = yield* Effect.promise(() => clock.states());
      const finalStates = states._tag === "Right" ? states.right : new Map<string, Map<string, string>>();
      extra = { replication: replicationSummary(clock.rules, uploaded, rows, clock.losses.map((l) => l.atSeconds)), siteLoss: siteLossSummary(clock.losses, rows, finalStates) };
      for (const l of clock.losses) {
        const end = l.recoveredAt.size === l.recoverable.size ? Math.max(l.atSeconds, ...l.recoveredAt.values()) : null;
        lossWindows.push({ kind: "site-loss", target: l.site, atSeconds: l.atSeconds, endSeconds: end });
      }
      // Integrity covers every replica Rucio lists at the end; what a site loss destroyed counts
      // under siteLoss (recovered, or lost), not as a replica the campaign lost itself.
      const wiped = new Set(clock.losses.map((l) => l.site));
      const listed = yield* orFail("listing the campaign's replicas", listedReplicas(rucio!, target, uploaded, seeded.reads));
      replicas = [...replicas.filter((r) => !wiped.has(r.site)), ...listed];
    }
    o.log(`verifying ${new Set(replicas.map((r) => `${r.site}\u0000${r.path}`)).size} replicas`);
    const integrity: IntegrityResult = yield* verifyIntegrity(target, expected, replicas, c.timeoutSeconds * 1000);
    const windows: FaultWindow[] = [
      ...((faults as FaultClock | null)?.windows.map(({ kind, target: t, atSeconds, endSeconds }) => ({ kind, target: t, atSeconds, endSeconds })) ?? []),
      ...lossWindows,
    ];
    const { summary, windows: kneeWindows } = summarise(c, ingested, integrity, windows, extra);
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
    record.writeSummary({
      ...summary,
      target: target.name,
      workers: ingested.workers,
      load: {
        engine: "locust",
        exitCode: code,
        end: ingested.end?.status ?? "none",
        ...(ingested.end?.message ? { endMessage: ingested.end.message } : {}),
        malformedLines: ingested.malformedLines,
        droppedIterations: ingested.dropped,
      },
      integrityProblems: integrity.problems.slice(0, 100),
    });
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

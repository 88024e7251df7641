import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { Data, Effect, Exit, Scope } from "effect";
import type { StartedTestContainer } from "testcontainers";
import type { Scenario } from "../../scenarios/types.js";
import { canonicalHash } from "../../records/run-record.js";
import { DockerError } from "../docker/exec.js";
import { ensureImages, type ImageName } from "../docker/images.js";
import { LABEL_ROLE, LABEL_STACK, createNetwork, removeContainer, removeNetwork, removeStack, stackContainers } from "../docker/labels.js";
import { planStack, SITE_HTTP_PORT, type StackOptions, type StackPlan } from "./plan.js";
import { shapePaths } from "./shaping.js";
import { TRANSFER_PORT, transferConfig, writeTransferConfig } from "./transfer.js";
import { configureRucio, RucioError } from "../clients/rucio.js";
import {
  readCredentials,
  readState,
  removeState,
  stateDir,
  writeCredentials,
  writeState,
  type StackCredentials,
  type StackEndpoints,
  type StackState,
} from "./state.js";
import { Toxiproxy, ToxiproxyError } from "./toxiproxy.js";

// testcontainers reads these when it loads: Ryuk's image cannot be pulled here (everything is
// removed by label instead), and the default host would be the bridge gateway, not loopback.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";
const tc = () => import("testcontainers");

export class StackError extends Data.TaggedError("StackError")<{ message: string; detail?: string }> {}

export type StackFailure = StackError | DockerError | ToxiproxyError | RucioError;

export interface UpOptions extends StackOptions {
  images: Partial<Record<ImageName, string>>;
  /** Catalogue rows in the stack's dataset (served by TAP; FITS files for SODA). */
  datasetRows: number;
  stateRoot?: string;
  log: (line: string) => void;
}

export interface Stack {
  state: StackState;
  credentials: StackCredentials;
}

const DATASET_SCALE = 1e-6;
/** A scope for files campaigns and tests make up (the dataset's own scope holds its products). */
export const TEST_SCOPE = "tests";

/** n distinct free loopback ports: all held open until every one is chosen, so none repeats. */
const freePorts = (n: number) =>
  Effect.promise(async () => {
    const servers = await Promise.all(
      Array.from({ length: n }, () => new Promise<Server>((resolve) => { const srv = createServer(); srv.listen(0, "127.0.0.1", () => resolve(srv)); })),
    );
    const ports = servers.map((srv) => (srv.address() as { port: number }).port);
    await Promise.all(servers.map((srv) => new Promise((resolve) => srv.close(resolve))));
    return ports;
  });

const fromPromise = <A>(what: string, f: () => Promise<A>) =>
  Effect.tryPromise({
    try: f,
    catch: (e) => new StackError({ message: `${what}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` }),
  });

/**
 * The stack's dataset: generated once per (scenario, rows, scale) and kept beside the state, so
 * a warm `up` reuses it. It goes through the dataset generator's own temp-and-rename.
 */
function ensureDataset(sc: Scenario, rows: number, dir: string, log: (l: string) => void): Effect.Effect<string, StackError> {
  const out = join(dir, `dataset-${canonicalHash({ sc, rows, scale: DATASET_SCALE }).slice(0, 12)}`);
  if (existsSync(join(out, "catalogue.csv"))) return Effect.succeed(out);
  return fromPromise("generating the stack's dataset", async () => {
    log(`generating a ${rows}-row dataset for ${sc.name}`);
    const { generateDataset } = await import("../../datasets/generate.js");
    generateDataset({ scenario: sc, out, rows, scale: DATASET_SCALE, payloads: true });
    return out;
  });
}

/**
 * Starts every container of the plan in `scope`; closing the scope removes them. Each start is
 * an acquireRelease, so a failure or an interrupt half-way removes what was already started.
 */
export function acquireStack(sc: Scenario, opts: UpOptions): Effect.Effect<Stack, StackFailure, Scope.Scope> {
  return Effect.gen(function* () {
    const { GenericContainer, Wait } = yield* fromPromise("loading testcontainers", tc);
    const plan = planStack(sc, opts);
    const t0 = performance.now();
    const { images, built } = yield* ensureImages(opts.images, opts.log);
    const imagesSeconds = (performance.now() - t0) / 1000;
    const coldBuild = built.some((b) => b.buildSeconds > 0);
    const dir = stateDir(plan.name, opts.stateRoot);
    const dataset = yield* ensureDataset(sc, opts.datasetRows, dir, opts.log);

    const t1 = performance.now();
    const network = `srcnet-${plan.name}`;
    yield* Effect.acquireRelease(createNetwork(network, plan.name), () => removeNetwork(network));
    const labels = (role: string) => ({ [LABEL_STACK]: plan.name, [LABEL_ROLE]: role });
    const containers: StackState["containers"] = [];
    const start = (role: string, build: (c: InstanceType<typeof GenericContainer>) => InstanceType<typeof GenericContainer>, image: string) =>
      Effect.acquireRelease(
        fromPromise(`starting ${role} (${image})`, () =>
          build(
            new GenericContainer(image)
              .withName(`srcnet-${plan.name}-${role}`)
              .withLabels(labels(role))
              .withNetworkMode(network)
              .withStartupTimeout(180_000),
          ).start(),
        ).pipe(
          Effect.tap((c) => Effect.sync(() => containers.push({ role, name: c.getName().replace(/^\//, ""), id: c.getId() }))),
          Effect.tap(() => Effect.sync(() => opts.log(`started ${role}`))),
        ),
        // Test services hold nothing worth a graceful stop: kill and remove at once.
        (c) => removeContainer(c.getId()).pipe(Effect.ignore),
      );

    const creds: StackCredentials = {
      postgres: { user: "srcnet", password: randomBytes(12).toString("hex") },
      rucio: { account: "root", username: "root", password: randomBytes(12).toString("hex") },
    };

    // Host ports are chosen here rather than by Docker, so a restarted container (a fault)
    // comes back on the same endpoints.
    const hostPort = new Map<string, number>();
    const bind = (role: string, port: number) => ({ container: port, host: hostPort.get(`${role}:${port}`)! });
    const clientPorts = plan.proxies.filter((p) => p.from === "client").map((p) => p.listenPort);
    const keys = [
      "postgres:5432",
      "toxiproxy:8474",
      ...clientPorts.map((p) => `toxiproxy:${p}`),
      "dachs:8080",
      "dachs:8081",
      "rucio:8080",
      `transfer:${TRANSFER_PORT}`,
      ...plan.sites.map((s) => `${s.host}:${SITE_HTTP_PORT}`),
    ];
    const ports = yield* freePorts(keys.length);
    keys.forEach((k, i) => hostPort.set(k, ports[i]!));
    const dachsPort = hostPort.get("dachs:8080")!;
    const dbUrl = `postgresql+psycopg://${creds.postgres.user}:${creds.postgres.password}@postgres:5432/rucio`;
    const rucioEnv = { RUCIO_DB_URL: dbUrl, RUCIO_ROOT_PASSWORD: creds.rucio.password };
    mkdirSync(dir, { recursive: true });
    const transferConfigFile = writeTransferConfig(dir, transferConfig(plan, sc));
    // Everything starts at once: Rucio waits for PostgreSQL and the judge-evaluator for Rucio's
    // schema by themselves (bounded), so the slowest service sets the start time.
    const [pg, proxy, dachs, storage, rucio, transfer] = yield* Effect.all(
      [
        start(
          "postgres",
          (c) =>
            c
              .withNetworkAliases("postgres")
              .withEnvironment({ POSTGRES_USER: creds.postgres.user, POSTGRES_PASSWORD: creds.postgres.password, POSTGRES_DBS: "rucio" })
              .withExposedPorts(bind("postgres", 5432))
              .withWaitStrategy(Wait.forSuccessfulCommand("pg_isready -q -h 127.0.0.1 -p 5432")),
          images.postgres,
        ),
        start(
          "toxiproxy",
          (c) =>
            c
              .withNetworkAliases("toxiproxy")
              .withExposedPorts(bind("toxiproxy", 8474), ...clientPorts.map((p) => bind("toxiproxy", p)))
              // The paths' shared rates are traffic-control classes in its own namespace (shaping.ts).
              .withAddedCapabilities("NET_ADMIN")
              // Proxy ports listen only once configured: wait for the API alone.
              .withWaitStrategy(Wait.forHttp("/version", 8474)),
          images.toxiproxy,
        ),
        start(
          "dachs",
          (c) =>
            c
              .withNetworkAliases("dachs")
              .withEnvironment({ DACHS_SERVER_URL: `http://127.0.0.1:${dachsPort}`, DACHS_AUTHORITY: "srcnet.testbed" })
              .withBindMounts([{ source: dataset, target: "/data", mode: "ro" }])
              .withExposedPorts(bind("dachs", 8080), bind("dachs", 8081))
              .withWaitStrategy(Wait.forLogMessage("srcnet-dachs: ready")),
          images.dachs,
        ),
        Effect.forEach(
          plan.sites,
          (s) =>
            start(
              s.host,
              (c) =>
                c
                  .withNetworkAliases(s.host)
                  .withEnvironment({ SITE: s.name })
                  .withTmpFs({ "/srv/storage": `rw,size=${s.storageBytes}` })
                  .withExposedPorts(bind(s.host, SITE_HTTP_PORT))
                  .withWaitStrategy(Wait.forLogMessage("srcnet-xrootd: ready")),
              images.xrootd,
            ),
          { concurrency: "unbounded" },
        ),
        start(
          "rucio",
          (c) =>
            c
              .withNetworkAliases("rucio")
              .withEnvironment({ ...rucioEnv, RUCIO_ROLE: "server" })
              .withExposedPorts(bind("rucio", 8080))
              .withWaitStrategy(Wait.forLogMessage("srcnet-rucio: ready")),
          images.rucio,
        ),
        start(
          "transfer",
          (c) =>
            c
              .withNetworkAliases("transfer")
              .withBindMounts([{ source: transferConfigFile, target: "/etc/srcnet-transfer/config.json", mode: "ro" }])
              .withExposedPorts(bind("transfer", TRANSFER_PORT))
              .withWaitStrategy(Wait.forHttp("/srcnet/health", TRANSFER_PORT)),
          images.transfer,
        ),
        start(
          "rucio-judge-evaluator",
          (c) =>
            c
              .withEnvironment({ ...rucioEnv, RUCIO_ROLE: "judge-evaluator" })
              .withWaitStrategy(Wait.forLogMessage("srcnet-rucio: judge-evaluator running")),
          images.rucio,
        ),
        // The conveyor (submitter, poller, finisher: transfers through the transfer service),
        // judge-repairer, necromancer and reaper, at campaign speed, in one container.
        start(
          "rucio-daemons",
          (c) =>
            c
              .withEnvironment({ ...rucioEnv, RUCIO_ROLE: "daemons" })
              .withWaitStrategy(Wait.forLogMessage("srcnet-rucio: daemons running")),
          images.rucio,
        ),
      ],
      { concurrency: "unbounded" },
    );

    const url = (c: StartedTestContainer, port: number) => `http://127.0.0.1:${c.getMappedPort(port)}`;
    const toxi = new Toxiproxy(url(proxy, 8474));
    yield* toxi.ready();
    yield* Effect.forEach(plan.proxies, (p) => toxi.configure(p), { concurrency: 8 });
    const siteAddress = new Map(plan.sites.map((s, i) => [s.name, storage[i]!.getIpAddress(network)]));
    yield* shapePaths(proxy.getId(), plan, (site) => siteAddress.get(site)!);
    const endpoints: StackEndpoints = {
      postgres: { host: "127.0.0.1", port: pg.getMappedPort(5432) },
      rucio: url(rucio, 8080),
      tap: `http://127.0.0.1:${dachsPort}/tap`,
      dachs: `http://127.0.0.1:${dachsPort}`,
      ingest: `http://127.0.0.1:${hostPort.get("dachs:8081")!}`,
      toxiproxy: toxi.apiUrl,
      transfer: url(transfer, TRANSFER_PORT),
      sites: Object.fromEntries(
        plan.sites.map((s, i) => {
          const p = plan.proxies.find((x) => x.from === "client" && x.to === s.name)!;
          return [s.name, { viaClient: `http://127.0.0.1:${proxy.getMappedPort(p.listenPort)}`, direct: url(storage[i]!, SITE_HTTP_PORT) }];
        }),
      ),
    };
    const datasetScope = (JSON.parse(readFileSync(join(dataset, "summary.json"), "utf8")) as { scope: string }).scope;
    yield* configureRucio(endpoints.rucio, creds.rucio, plan, endpoints, [datasetScope, TEST_SCOPE]);
    const startSeconds = (performance.now() - t1) / 1000;

    const state: StackState = {
      name: plan.name,
      scenario: sc.name,
      scenarioSha256: canonicalHash(sc),
      plan,
      images,
      network,
      containers,
      endpoints,
      credentialsFile: writeCredentials(plan.name, creds, opts.stateRoot),
      dataset,
      services: [{ name: "toxiproxy", version: yield* toxi.version() }, ...Object.entries(images).map(([name, version]) => ({ name, version }))],
      startedAt: new Date().toISOString(),
      timings: { imagesSeconds, startSeconds, coldBuild },
      faults: [],
    };
    writeState(state, opts.stateRoot);
    yield* Effect.addFinalizer(() => Effect.sync(() => removeState(plan.name, opts.stateRoot)));
    return { state, credentials: creds };
  });
}

/** True when the recorded stack still has every one of its containers running. */
export function isUp(name: string, stateRoot?: string): Effect.Effect<StackState | null, DockerError> {
  return Effect.gen(function* () {
    const state = readState(name, stateRoot);
    if (state === null) return null;
    const running = new Set((yield* stackContainers(name)).filter((c) => c.State === "running").map((c) => c.Id));
    return state.containers.every((c) => running.has(c.id)) ? state : null;
  });
}

/**
 * `stack up`: returns the running stack when it is already up (idempotent), else removes any
 * leftovers of the same name and starts a fresh one that outlives this process. A failure or
 * an interrupt (Ctrl-C) during start removes everything started so far.
 */
export function up(sc: Scenario, opts: UpOptions): Effect.Effect<{ stack: Stack; reused: boolean }, StackFailure> {
  return Effect.gen(function* () {
    const existing = yield* isUp(opts.name, opts.stateRoot);
    if (existing !== null) {
      const planned = planStack(sc, opts);
      if (canonicalHash(planned) !== canonicalHash(existing.plan)) {
        return yield* new StackError({
          message: `stack "${opts.name}" is up with a different plan (scenario ${existing.scenario}); run \`testbed stack down ${existing.scenario} --name ${opts.name}\` first`,
        });
      }
      return { stack: { state: existing, credentials: readCredentials(existing) }, reused: true };
    }
    yield* removeStack(opts.name);
    const scope = yield* Scope.make();
    const stack = yield* Scope.extend(acquireStack(sc, opts), scope).pipe(
      Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : Scope.close(scope, exit))),
    );
    return { stack, reused: false };
  });
}

/** `stack down`: removes every container and network labelled with the stack, and its state. */
export function down(name: string, stateRoot?: string): Effect.Effect<{ containers: number; networks: number }, DockerError> {
  return removeStack(name).pipe(Effect.tap(() => Effect.sync(() => removeState(name, stateRoot))));
}

/** For tests and campaigns: a stack that lives exactly as long as `use`, removed even on failure. */
export function withStack<A, E>(sc: Scenario, opts: UpOptions, use: (s: Stack) => Effect.Effect<A, E>): Effect.Effect<A, E | StackFailure> {
  return Effect.scoped(
    Effect.gen(function* () {
      yield* Effect.addFinalizer(() => removeStack(opts.name).pipe(Effect.ignore));
      yield* removeStack(opts.name);
      const s = yield* acquireStack(sc, opts);
      return yield* use(s);
    }),
  );
}

export type { StackPlan };

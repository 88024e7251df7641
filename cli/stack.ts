import type { Command } from "commander";
import type { ImageName } from "../harness/docker/images.js";
import { Interrupted, UsageError } from "../errors/index.js";

const collect = (value: string, previous: string[]) => [...previous, value];


function parseNumber(flag: string, text: string, ok: (x: number) => boolean, expected: string): number {
  const x = Number(text);
  if (text.trim() === "" || !Number.isFinite(x) || !ok(x)) throw new UsageError(`${flag}: expected ${expected}, found "${text}"`);
  return x;
}

function parseBytes(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|kB|MB|GB)?\s*$/.exec(text);
  const mult: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1e3, MB: 1e6, GB: 1e9 };
  if (m === null) throw new UsageError(`${flag}: expected a size such as 256MiB, found "${text}"`);
  const bytes = Math.round(Number(m[1]) * mult[m[2] ?? "B"]!);
  if (bytes < 16 * 1024 * 1024) throw new UsageError(`${flag}: expected at least 16MiB, found "${text}"`);
  return bytes;
}

async function parseImages(items: string[]): Promise<Partial<Record<ImageName, string>>> {
  const { IMAGE_NAMES } = await import("../harness/docker/images.js");
  const out: Partial<Record<ImageName, string>> = {};
  for (const it of items) {
    const m = /^([a-z]+)=(\S+)$/.exec(it);
    if (m === null || !(IMAGE_NAMES as readonly string[]).includes(m[1]!)) {
      throw new UsageError(`--image: expected NAME=IMAGE with NAME one of ${IMAGE_NAMES.join(", ")}, found "${it}"`);
    }
    out[m[1] as ImageName] = m[2]!;
  }
  return out;
}

/** Stack names become container and network names. */
const stackName = (name: string | undefined, scenario: string) => {
  const n = (name ?? scenario.replace(/\.ya?ml$/, "").split("/").pop()!).toLowerCase().replace(/[^a-z0-9-]/g, "-");
  if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(n)) throw new UsageError(`--name: expected letters, digits and dashes, found "${name ?? scenario}"`);
  return n;
};

/**
 * Runs an effect to completion with Ctrl-C as an interrupt, so finalizers (container removal)
 * run before the process exits. Failures print their message (and a tool's output tail).
 */
export async function runEffect<A>(program: unknown): Promise<A> {
  const { Effect, Fiber, Exit, Cause } = await import("effect");
  const fiber = Effect.runFork(program as import("effect").Effect.Effect<A, { message: string; detail?: string }>);
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write("testbed: interrupted; removing what was started…\n");
    Effect.runFork(Fiber.interrupt(fiber));
  };
  // `on`, not `once`, until the end: a library's signal-exit hook re-raises the signal (killing
  // the process before the finalizers ran) when it finds itself the only listener left.
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const exit = await Effect.runPromise(Fiber.await(fiber));
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (Exit.isSuccess(exit)) return exit.value;
  if (Cause.isInterruptedOnly(exit.cause)) throw new Interrupted("interrupted; everything started was removed");
  const failure = Cause.failureOption(exit.cause);
  if (failure._tag === "Some") {
    const f = failure.value;
    if (f.detail) process.stderr.write(`${f.detail}\n`);
    throw new Error(f.message);
  }
  const defect = Cause.squash(exit.cause);
  throw defect instanceof Error ? defect : new Error(String(defect));
}

export function registerStack(program: Command): void {
  const stack = program.command("stack").description("a local stack of real SRCNet services (containers), with faults");

  stack
    .command("up")
    .description("build the images if needed and start PostgreSQL, per-site WebDAV, Rucio, DaCHS TAP/SODA and toxiproxy")
    .argument("<scenario>", "preset name or scenario file")
    .option("--set <path=value>", "override a scenario value (repeatable)", collect, [])
    .option("--name <name>", "stack name (default: the scenario's)")
    .option("--sites <list>", "comma-separated sites to stand up (default: all)")
    .option("--client-site <site>", "site the harness stands at (default: the first)")
    .option("--bandwidth-scale <f>", "link bandwidths are multiplied by f", "1e-3")
    .option("--latency-scale <f>", "link latencies are multiplied by f", "1")
    .option("--storage-per-site <size>", "storage area of each site (tmpfs)", "256MiB")
    .option("--rows <n>", "catalogue rows served by TAP", "200")
    .option("--image <name=ref>", "use this image instead of building one (repeatable)", collect, [])
    .action(
      async (
        scenario: string,
        o: { set: string[]; name?: string; sites?: string; clientSite?: string; bandwidthScale: string; latencyScale: string; storagePerSite: string; rows: string; image: string[] },
      ) => {
        const opts = {
          name: stackName(o.name, scenario),
          ...(o.sites !== undefined ? { sites: o.sites.split(",").map((s) => s.trim()).filter((s) => s !== "") } : {}),
          ...(o.clientSite !== undefined ? { clientSite: o.clientSite } : {}),
          bandwidthScale: parseNumber("--bandwidth-scale", o.bandwidthScale, (x) => x > 0, "a number > 0"),
          latencyScale: parseNumber("--latency-scale", o.latencyScale, (x) => x >= 0, "a number >= 0"),
          storageBytesPerSite: parseBytes("--storage-per-site", o.storagePerSite),
          datasetRows: parseNumber("--rows", o.rows, (x) => Number.isInteger(x) && x >= 1 && x <= 1_000_000, "an integer in [1, 1000000]"),
          images: await parseImages(o.image),
          log: (l: string) => process.stderr.write(`stack: ${l}\n`),
        };
        const { loadScenario } = await import("../scenarios/load.js");
        const sc = loadScenario(scenario, { set: o.set });
        const { planStack } = await import("../harness/stack/plan.js");
        planStack(sc, opts); // bad sites or scales are usage errors, before anything starts
        const { up } = await import("../harness/stack/stack.js");
        const t0 = performance.now();
        const { stack: s, reused } = await runEffect<{ stack: { state: import("../harness/stack/state.js").StackState }; reused: boolean }>(up(sc, opts));
        const st = s.state;
        if (reused) process.stdout.write(`stack ${st.name} is already up (since ${st.startedAt})\n`);
        else {
          const t = st.timings;
          process.stdout.write(
            `stack ${st.name} up in ${((performance.now() - t0) / 1000).toFixed(1)} s: images ${t.imagesSeconds.toFixed(1)} s (${t.coldBuild ? "cold build" : "cached"}), containers ${t.startSeconds.toFixed(1)} s (${t.coldBuild ? "after a cold build" : "warm start"})\n`,
          );
        }
        printStatus(st);
      },
    );

  stack
    .command("down")
    .description("remove every container and network of the stack (undoing its faults)")
    .argument("<scenario>", "preset name or scenario file the stack was started with")
    .option("--name <name>", "stack name (default: the scenario's)")
    .action(async (scenario: string, o: { name?: string }) => {
      const name = stackName(o.name, scenario);
      const { down } = await import("../harness/stack/stack.js");
      const r = await runEffect<{ containers: number; networks: number }>(down(name));
      process.stdout.write(`stack ${name} down: removed ${r.containers} containers and ${r.networks} networks\n`);
    });

  stack
    .command("clean")
    .description("remove the files campaigns wrote on the stack's sites (they stay after each run as its evidence)")
    .argument("<scenario>", "preset name or scenario file the stack was started with")
    .option("--name <name>", "stack name (default: the scenario's)")
    .action(async (scenario: string, o: { name?: string }) => {
      const name = stackName(o.name, scenario);
      const { readState } = await import("../harness/stack/state.js");
      const { cleanSites } = await import("../harness/stack/storage.js");
      const st = readState(name);
      if (st === null) throw new UsageError(`stack ${name} is not up (run \`testbed stack up\` first)`);
      const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
      for (const r of await runEffect<{ site: string; freedBytes: number; after: { usedBytes: number; sizeBytes: number } }[]>(cleanSites(st))) {
        process.stdout.write(`${r.site}: freed ${mib(r.freedBytes)}, ${mib(r.after.usedBytes)} of ${mib(r.after.sizeBytes)} used\n`);
      }
    });

  stack
    .command("status")
    .description("list the stack's endpoints, containers, credentials file and active faults")
    .argument("<scenario>", "preset name or scenario file the stack was started with")
    .option("--name <name>", "stack name (default: the scenario's)")
    .option("--json", "print the state as JSON")
    .action(async (scenario: string, o: { name?: string; json?: boolean }) => {
      const name = stackName(o.name, scenario);
      const { readState } = await import("../harness/stack/state.js");
      const { stackContainers } = await import("../harness/docker/labels.js");
      const st = readState(name);
      const live = await runEffect<{ Names: string[]; State: string }[]>(stackContainers(name));
      if (st === null) {
        process.stdout.write(`stack ${name} is not up${live.length > 0 ? ` (${live.length} leftover containers: run \`testbed stack down\`)` : ""}\n`);
        process.exitCode = 1;
        return;
      }
      if (o.json) {
        process.stdout.write(JSON.stringify(st, null, 2) + "\n");
        return;
      }
      const { daemonStatus } = await import("../harness/stack/daemons.js");
      const daemons = await runEffect<{ daemon: string; running: boolean }[]>(daemonStatus(st));
      printStatus(st, new Map(live.map((c) => [c.Names[0]!.replace(/^\//, ""), c.State])), daemons);
    });

  stack
    .command("fault")
    .description("inject a fault: site-down SITE [--mode stop|pause], link-cut FROM TO, link-degrade FROM TO --factor F, storage-full SITE, restart SERVICE")
    .argument("<scenario>", "preset name or scenario file the stack was started with")
    .argument("<kind>", "site-down | link-cut | link-degrade | storage-full | restart")
    .argument("<targets...>", "site, FROM TO (FROM is 'client' or a site), or service (rucio, postgres, dachs, rucio-judge-evaluator)")
    .option("--name <name>", "stack name (default: the scenario's)")
    .option("--mode <mode>", "site-down: pause (connections hang) or stop (refused at once)", "pause")
    .option("--factor <f>", "link-degrade: bandwidth multiplier in (0, 1]")
    .action(async (scenario: string, kind: string, targets: string[], o: { name?: string; mode: string; factor?: string }) => {
      const name = stackName(o.name, scenario);
      const f = await import("../harness/faults/faults.js");
      const need = (n: number) => {
        if (targets.length !== n) throw new UsageError(`stack fault ${kind}: expected ${n} target(s), found ${targets.length}`);
      };
      if (kind === "restart") {
        need(1);
        const roles = ["rucio", "postgres", "dachs", "rucio-judge-evaluator"] as const;
        const role = roles.find((r) => r === targets[0]);
        if (role === undefined) throw new UsageError(`stack fault restart: expected one of ${roles.join(", ")}, found "${targets[0]}"`);
        const s = await runEffect<number>(f.restartService(name, role));
        process.stdout.write(`restarted ${role} in ${s.toFixed(1)} s\n`);
        return;
      }
      let spec: import("../harness/faults/faults.js").FaultSpec;
      switch (kind) {
        case "site-down":
          need(1);
          if (o.mode !== "stop" && o.mode !== "pause") throw new UsageError(`--mode: expected stop or pause, found "${o.mode}"`);
          spec = { kind, site: targets[0]!, mode: o.mode };
          break;
        case "storage-full":
          need(1);
          spec = { kind, site: targets[0]! };
          break;
        case "link-cut":
          need(2);
          spec = { kind, from: targets[0]!, to: targets[1]! };
          break;
        case "link-degrade":
          need(2);
          if (o.factor === undefined) throw new UsageError(`stack fault link-degrade: --factor is required`);
          spec = { kind, from: targets[0]!, to: targets[1]!, factor: parseNumber("--factor", o.factor, (x) => x > 0 && x <= 1, "a number in (0, 1]") };
          break;
        default:
          throw new UsageError(`stack fault: expected site-down, link-cut, link-degrade, storage-full or restart, found "${kind}"`);
      }
      const a = await runEffect<{ id: string }>(f.inject(name, spec));
      process.stdout.write(`fault ${a.id} active (undo: testbed stack undo ${scenario} ${a.id})\n`);
    });

  stack
    .command("undo")
    .description("undo one active fault by id, or all of them")
    .argument("<scenario>", "preset name or scenario file the stack was started with")
    .argument("[fault-id]", "fault id as printed by `stack fault` (default: every active fault)")
    .option("--name <name>", "stack name (default: the scenario's)")
    .action(async (scenario: string, id: string | undefined, o: { name?: string }) => {
      const name = stackName(o.name, scenario);
      const { undo } = await import("../harness/faults/faults.js");
      const done = await runEffect<{ id: string }[]>(undo(name, id ?? null));
      process.stdout.write(done.length === 0 ? "no active faults\n" : done.map((d) => `undone ${d.id}\n`).join(""));
    });
}

function printStatus(st: import("../harness/stack/state.js").StackState, live?: Map<string, string>, daemons?: { daemon: string; running: boolean }[]): void {
  const lines = [
    `stack ${st.name} (scenario ${st.scenario}), started ${st.startedAt}, client at ${st.plan.clientSite}`,
    `  rucio      ${st.endpoints.rucio}`,
    `  tap        ${st.endpoints.tap}`,
    `  postgres   ${st.endpoints.postgres.host}:${st.endpoints.postgres.port}`,
    `  toxiproxy  ${st.endpoints.toxiproxy}`,
    `  transfer   ${st.endpoints.transfer ?? "none (a stack from before the transfer service)"}`,
    ...st.plan.sites.map((s) => {
      const p = st.plan.proxies.find((x) => x.from === "client" && x.to === s.name)!;
      const e = st.endpoints.sites[s.name]!;
      return `  ${s.name.padEnd(10)} ${e.viaClient} (WAN: ${(p.latencySeconds * 1000).toFixed(1)} ms, ${Number.isFinite(p.bandwidthBitsPerSecond) ? `${(p.bandwidthBitsPerSecond / 1e6).toFixed(1)} Mbit/s` : "unlimited"}), direct ${e.direct}`;
    }),
    `  credentials ${st.credentialsFile}`,
    `  dataset     ${st.dataset}`,
    ...(live ? st.containers.map((c) => `  container ${c.name}: ${live.get(c.name) ?? "missing"}`) : []),
    ...(daemons ? [`  rucio daemons: ${daemons.map((d) => `${d.daemon} (${d.running ? "running" : "not running"})`).join(", ")}`] : []),
    st.faults.length === 0 ? "  faults: none" : `  faults: ${st.faults.map((f) => f.id).join(", ")}`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

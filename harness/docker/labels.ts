import Docker from "dockerode";
import { Effect } from "effect";
import { DockerError } from "./exec.js";

/**
 * Everything the stack creates carries these labels, so `down` (from any process) and the leak
 * checks find exactly the project's own containers and networks, and nothing else.
 */
export const LABEL_STACK = "org.srcnet-testbed.stack";
export const LABEL_ROLE = "org.srcnet-testbed.role";

let client: Docker | null = null;
export const dockerApi = () => (client ??= new Docker());

const api = <A>(what: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (e) => new DockerError({ message: `Docker API: ${what}: ${e instanceof Error ? e.message : String(e)}` }) });

const filter = (stack?: string) => ({ label: [stack === undefined ? LABEL_STACK : `${LABEL_STACK}=${stack}`] });

/** Containers of one stack (or of every stack), running or not. */
export const stackContainers = (stack?: string) =>
  api("list containers", () => dockerApi().listContainers({ all: true, filters: filter(stack) }));

export const stackNetworks = (stack?: string) => api("list networks", () => dockerApi().listNetworks({ filters: filter(stack) }));

/** Kills and removes one container (a paused one too); gone already is fine. */
export const removeContainer = (id: string) =>
  api(`remove container ${id.slice(0, 12)}`, () => dockerApi().getContainer(id).remove({ force: true, v: true })).pipe(
    Effect.catchAll((e) => (/no such container|404|is already in progress/i.test(e.message) ? Effect.void : Effect.fail(e))),
  );

/** Removes a stack's containers (forced: paused or stopped ones too) and then its networks. */
export function removeStack(stack: string): Effect.Effect<{ containers: number; networks: number }, DockerError> {
  return Effect.gen(function* () {
    const cs = yield* stackContainers(stack);
    yield* Effect.forEach(cs, (c) => removeContainer(c.Id), { concurrency: 4 });
    const ns = yield* stackNetworks(stack);
    yield* Effect.forEach(ns, (n) => api(`remove network ${n.Name}`, () => dockerApi().getNetwork(n.Id).remove()), { concurrency: 4 });
    return { containers: cs.length, networks: ns.length };
  });
}

export const createNetwork = (name: string, stack: string) =>
  api(`create network ${name}`, () =>
    dockerApi().createNetwork({ Name: name, Driver: "bridge", CheckDuplicate: true, Labels: { [LABEL_STACK]: stack } }),
  );

export const removeNetwork = (name: string) =>
  api(`remove network ${name}`, () => dockerApi().getNetwork(name).remove()).pipe(Effect.catchAll(() => Effect.void));

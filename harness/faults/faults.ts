import { Data, Effect } from "effect";
import { docker } from "../docker/exec.js";
import { CLIENT, proxyName, type PlannedProxy } from "../stack/plan.js";
import { setPathRate } from "../stack/shaping.js";
import { readState, writeState, type ActiveFault, type StackState } from "../stack/state.js";
import { Toxiproxy } from "../stack/toxiproxy.js";

/**
 * Fault primitives on a running stack. Each `inject` records the fault in the stack's state and
 * returns its undo, so a campaign can scope a fault (`withFault`) and `clearFaults` (run by
 * `stack down` and at the end of every campaign) can undo whatever is still active.
 *
 * - site-down: the site's storage container is paused (its data survives, as a real site's would).
 *   mode "pause": connections hang until clients time out (a site gone silent); mode "stop": the
 *   site's paths are closed as well, so connections are refused at once (a site that is down and
 *   says so). A stopped container would lose its storage (a tmpfs), which is another fault.
 * - link-cut / link-degrade: a path of the plan (client->SITE or A->B) disabled in toxiproxy, or
 *   its shared rate (the kernel's traffic control in toxiproxy's container) multiplied by `factor`.
 * - storage-full: the site's storage area (a tmpfs of the planned size) filled with ballast, so
 *   writes fail with a real ENOSPC.
 * - restart: a service container (rucio, postgres, dachs) restarted; its data persists.
 */
export class FaultError extends Data.TaggedError("FaultError")<{ message: string }> {}

export type FaultSpec =
  | { kind: "site-down"; site: string; mode: "stop" | "pause" }
  | { kind: "link-cut"; from: string; to: string }
  | { kind: "link-degrade"; from: string; to: string; factor: number }
  | { kind: "storage-full"; site: string };

const container = (state: StackState, role: string) => {
  const c = state.containers.find((x) => x.role === role);
  return c === undefined
    ? Effect.fail(new FaultError({ message: `stack ${state.name} has no ${role} container (roles: ${state.containers.map((x) => x.role).join(", ")})` }))
    : Effect.succeed(c);
};

const siteRole = (state: StackState, site: string) => {
  const s = state.plan.sites.find((x) => x.name === site);
  return s === undefined
    ? Effect.fail(new FaultError({ message: `stack ${state.name} has no site "${site}" (sites: ${state.plan.sites.map((x) => x.name).join(", ")})` }))
    : Effect.succeed(s.host);
};

const path = (state: StackState, from: string, to: string) => {
  const p = state.plan.proxies.find((x) => x.name === proxyName(from, to));
  return p === undefined
    ? Effect.fail(new FaultError({ message: `stack ${state.name} has no path ${proxyName(from, to)} (from is "${CLIENT}" or a site)` }))
    : Effect.succeed(p);
};

const targetOf = (f: FaultSpec) => (f.kind === "link-cut" || f.kind === "link-degrade" ? proxyName(f.from, f.to) : f.site);

const dockerFault = (args: string[]) => docker(args).pipe(Effect.mapError((e) => new FaultError({ message: e.message })));
const toxiFault = <A>(e: Effect.Effect<A, { message: string }>) => e.pipe(Effect.mapError((x) => new FaultError({ message: x.message })));

/** Applies a fault; the returned effect undoes exactly it. */
function apply(state: StackState, f: FaultSpec): Effect.Effect<Effect.Effect<void, FaultError>, FaultError> {
  const toxi = new Toxiproxy(state.endpoints.toxiproxy);
  return Effect.gen(function* () {
    const undoIt = yield* undoOf(state, f);
    switch (f.kind) {
      case "site-down": {
        const c = yield* container(state, yield* siteRole(state, f.site));
        yield* dockerFault(["pause", c.id]);
        if (f.mode === "stop") {
          yield* Effect.forEach(state.plan.proxies.filter((p) => p.to === f.site), (p) => toxiFault(toxi.setEnabled(p.name, false)));
        }
        break;
      }
      case "link-cut":
        yield* toxiFault(toxi.setEnabled((yield* path(state, f.from, f.to)).name, false));
        break;
      case "link-degrade": {
        if (!(f.factor > 0 && f.factor <= 1)) return yield* new FaultError({ message: `link-degrade: factor must be in (0, 1], found ${f.factor}` });
        const p = yield* path(state, f.from, f.to);
        yield* setRate(state, p, plannedRate(state, p.bandwidthBitsPerSecond) * f.factor);
        break;
      }
      case "storage-full": {
        const c = yield* container(state, yield* siteRole(state, f.site));
        // dd stops at ENOSPC and exits non-zero: that is the point.
        yield* dockerFault(["exec", c.id, "sh", "-c", "dd if=/dev/zero of=/srv/storage/.ballast bs=1M 2>/dev/null; sync; true"]);
        break;
      }
    }
    return undoIt;
  });
}

/** A path's shared rate set (degraded), or its planned one given back when no rate is given. */
const setRate = (state: StackState, p: PlannedProxy, bitsPerSecond?: number) =>
  Effect.flatMap(container(state, "toxiproxy"), (c) => setPathRate(c.id, state.plan, p.name, bitsPerSecond).pipe(Effect.mapError((e) => new FaultError({ message: e.message }))));

/** An unlimited (LAN) path is degraded from 10 Gbit/s, scaled like the rest. */
const plannedRate = (state: StackState, bitsPerSecond: number) =>
  Number.isFinite(bitsPerSecond) ? bitsPerSecond : 10e9 * state.plan.options.bandwidthScale;

/** Injects a fault on the named stack and records it; returns its id. */
export function inject(stack: string, f: FaultSpec, stateRoot?: string): Effect.Effect<ActiveFault, FaultError> {
  return Effect.gen(function* () {
    const state = readState(stack, stateRoot);
    if (state === null) return yield* new FaultError({ message: `stack "${stack}" is not up (run \`testbed stack up\` first)` });
    const target = targetOf(f);
    if (state.faults.some((x) => x.kind === f.kind && x.target === target)) {
      return yield* new FaultError({ message: `${f.kind} on ${target} is already active` });
    }
    yield* apply(state, f);
    const active: ActiveFault = {
      id: `${f.kind}:${target}`,
      kind: f.kind,
      target,
      ...(f.kind === "site-down" ? { mode: f.mode } : {}),
      ...(f.kind === "link-degrade" ? { factor: f.factor } : {}),
      since: new Date().toISOString(),
    };
    // Re-read: another command may have changed the state meanwhile.
    const now = readState(stack, stateRoot) ?? state;
    writeState({ ...now, faults: [...now.faults, active] }, stateRoot);
    return active;
  });
}

const specOf = (a: ActiveFault): FaultSpec => {
  const [from, to] = a.target.split("->") as [string, string];
  switch (a.kind) {
    case "site-down":
      return { kind: a.kind, site: a.target, mode: a.mode ?? "pause" };
    case "storage-full":
      return { kind: a.kind, site: a.target };
    case "link-cut":
      return { kind: a.kind, from, to };
    case "link-degrade":
      return { kind: a.kind, from, to, factor: a.factor ?? 1 };
  }
};

/** Undoes one active fault by id (`kind:target`), or every one when id is null. */
export function undo(stack: string, id: string | null, stateRoot?: string): Effect.Effect<ActiveFault[], FaultError> {
  return Effect.gen(function* () {
    const state = readState(stack, stateRoot);
    if (state === null) return [];
    const chosen = state.faults.filter((f) => id === null || f.id === id);
    if (id !== null && chosen.length === 0) {
      return yield* new FaultError({ message: `no active fault ${id} on stack ${stack} (active: ${state.faults.map((f) => f.id).join(", ") || "none"})` });
    }
    for (const a of chosen) {
      const undoIt = yield* undoOf(state, specOf(a));
      yield* undoIt;
      const now = readState(stack, stateRoot) ?? state;
      writeState({ ...now, faults: now.faults.filter((f) => f.id !== a.id) }, stateRoot);
    }
    return chosen;
  });
}

/** The undo of a fault, resolved against the stack (also for faults injected by another process). */
function undoOf(state: StackState, f: FaultSpec): Effect.Effect<Effect.Effect<void, FaultError>, FaultError> {
  const toxi = new Toxiproxy(state.endpoints.toxiproxy);
  switch (f.kind) {
    case "site-down":
      return Effect.gen(function* () {
        const c = yield* container(state, yield* siteRole(state, f.site));
        const inbound = state.plan.proxies.filter((p) => p.to === f.site);
        return Effect.gen(function* () {
          yield* dockerFault(["unpause", c.id]);
          if (f.mode === "stop") yield* Effect.forEach(inbound, (p) => toxiFault(toxi.setEnabled(p.name, true)));
        });
      });
    case "link-cut":
      return Effect.map(path(state, f.from, f.to), (p) => toxiFault(toxi.setEnabled(p.name, true)));
    case "link-degrade":
      return Effect.map(path(state, f.from, f.to), (p) => setRate(state, p));
    case "storage-full":
      return Effect.map(
        Effect.flatMap(siteRole(state, f.site), (r) => container(state, r)),
        (c) => dockerFault(["exec", c.id, "rm", "-f", "/srv/storage/.ballast"]).pipe(Effect.asVoid),
      );
  }
}

/** A fault that lasts as long as `use` (undone even when it fails or is interrupted). */
export function withFault<A, E>(stack: string, f: FaultSpec, use: Effect.Effect<A, E>, stateRoot?: string): Effect.Effect<A, E | FaultError> {
  return Effect.acquireUseRelease(
    inject(stack, f, stateRoot),
    () => use,
    (a) => undo(stack, a.id, stateRoot).pipe(Effect.ignore),
  );
}

/** Restarts a service container; data in its writable layer persists. Returns the seconds it took. */
export function restartService(stack: string, role: "rucio" | "postgres" | "dachs" | "rucio-judge-evaluator", stateRoot?: string): Effect.Effect<number, FaultError> {
  return Effect.gen(function* () {
    const state = readState(stack, stateRoot);
    if (state === null) return yield* new FaultError({ message: `stack "${stack}" is not up` });
    const c = yield* container(state, role);
    const t0 = performance.now();
    yield* dockerFault(["restart", "-t", "5", c.id]);
    return (performance.now() - t0) / 1000;
  });
}

/**
 * Bit rot: one byte of a stored file (`path` as served, e.g. `/rucio/tests/ab/cd/f1`) on a site
 * changed in place, so only a checksum can tell. Not undoable: the integrity check must find it.
 */
export function corruptFile(stack: string, site: string, path: string, offset = 100, stateRoot?: string): Effect.Effect<void, FaultError> {
  return Effect.gen(function* () {
    const state = readState(stack, stateRoot);
    if (state === null) return yield* new FaultError({ message: `stack "${stack}" is not up` });
    if (!/^\/[A-Za-z0-9._\/-]+$/.test(path) || path.includes("..")) return yield* new FaultError({ message: `corrupt-replica: not a storage path: ${path}` });
    const c = yield* container(state, yield* siteRole(state, site));
    // Read the byte, write it back plus one (mod 256): always a different byte.
    const script =
      `f="/srv/storage${path}"; [ -f "$f" ] || { echo "no such file: $f" >&2; exit 1; }; ` +
      `b=$(dd if="$f" bs=1 skip=${offset} count=1 2>/dev/null | od -An -tu1 | tr -d ' '); [ -n "$b" ] || { echo "file shorter than ${offset + 1} bytes" >&2; exit 1; }; ` +
      `printf "\\\\$(printf %o $(( (b + 1) % 256 )))" | dd of="$f" bs=1 seek=${offset} conv=notrunc 2>/dev/null`;
    yield* dockerFault(["exec", c.id, "sh", "-c", script]);
  });
}

/**
 * A site's storage lost: every file on it removed (the site stays up, empty, as after a disk
 * array is replaced). Not undoable: Rucio must re-create what had another copy.
 */
export function wipeSite(stack: string, site: string, stateRoot?: string): Effect.Effect<void, FaultError> {
  return Effect.gen(function* () {
    const state = readState(stack, stateRoot);
    if (state === null) return yield* new FaultError({ message: `stack "${stack}" is not up` });
    const c = yield* container(state, yield* siteRole(state, site));
    // The health file stays: the site's server is up, only its data is gone. The empty RSE root is
    // made again, as a site's admins would after replacing the disks (Rucio's deletion checks it).
    yield* dockerFault([
      "exec", c.id, "sh", "-c",
      "find /srv/storage -mindepth 1 -maxdepth 1 ! -name .well-known -exec rm -rf {} + && install -d -o xrootd -g xrootd /srv/storage/rucio",
    ]);
  });
}

import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Effect } from "effect";
import { DockerError, docker, run, runLogged } from "./exec.js";

/**
 * The stack's images, built here because no registry is reachable: a Debian base made with
 * debootstrap and `docker import`, then one `docker build` per service from a folder under
 * harness/stack/images/. Each tag is a hash of everything that goes into the image, so an image
 * is rebuilt exactly when its recipe changes, and a warm start finds every tag present.
 * Image names are configuration: `--image postgres=registry/postgres:15` uses that image instead
 * (it must keep the same contract: see harness/stack/images/README.md).
 */
export type ImageName = "postgres" | "xrootd" | "toxiproxy" | "rucio" | "dachs" | "transfer";
export const IMAGE_NAMES: readonly ImageName[] = ["postgres", "xrootd", "toxiproxy", "rucio", "dachs", "transfer"];

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const recipes = join(root, "harness", "stack", "images");
const work = join(root, ".tools", "images");
const REPO = "srcnet-testbed";

const BASE_RECIPE = {
  suite: "bookworm",
  variant: "minbase",
  include: ["ca-certificates"],
  mirror: "http://deb.debian.org/debian",
  // Bump to force a rebuild of every image.
  revision: 1,
};

/**
 * Files and folders copied into a build context beside the recipe folder: tools built on the host,
 * and the project's own service code (the transfer service lives with its tests in harness/transfer).
 */
const EXTRA_FILES: Partial<Record<ImageName, { from: string; as: string; goTool?: string }[]>> = {
  toxiproxy: [{ from: join(root, ".tools", "bin", "toxiproxy"), as: "toxiproxy", goTool: "toxiproxy" }],
  transfer: [
    { from: join(root, "harness", "transfer", "srcnet_fts"), as: "srcnet_fts" },
    { from: join(root, "harness", "transfer", "optimizer.py"), as: "optimizer.py" },
  ],
};

function hashDir(h: ReturnType<typeof createHash>, dir: string): void {
  // Python's byte-code caches are not part of a recipe.
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true })
      .filter((e) => e.name !== "__pycache__")
      .flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]))
      .sort();
  for (const f of walk(dir)) {
    h.update(relative(dir, f)).update("\0");
    h.update(String(statSync(f).mode & 0o111)).update("\0");
    h.update(readFileSync(f)).update("\0");
  }
}

/**
 * CA certificates the host added locally (/usr/local/share/ca-certificates, for example a
 * TLS-intercepting egress proxy's): the images must trust what the host trusts, or package
 * downloads over HTTPS fail inside `docker build`.
 */
const LOCAL_CA_DIR = "/usr/local/share/ca-certificates";
const localCaCerts = (): string[] =>
  existsSync(LOCAL_CA_DIR)
    ? readdirSync(LOCAL_CA_DIR, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".crt")).sort()
    : [];

export const baseTag = (): string => {
  const h = createHash("sha256").update(JSON.stringify(BASE_RECIPE));
  for (const f of localCaCerts()) h.update(f).update(readFileSync(join(LOCAL_CA_DIR, f)));
  return `${REPO}/base:${h.digest("hex").slice(0, 16)}`;
};

export function imageTag(name: ImageName): string {
  const h = createHash("sha256").update(baseTag()).update("\0");
  hashDir(h, join(recipes, name));
  for (const x of EXTRA_FILES[name] ?? []) {
    h.update(x.as).update("\0");
    const from = realpathSync(x.from);
    if (statSync(from).isDirectory()) hashDir(h, from);
    else h.update(readFileSync(from));
  }
  return `${REPO}/${name}:${h.digest("hex").slice(0, 16)}`;
}

const imageExists = (tag: string) =>
  docker(["image", "inspect", "--format", "{{.Id}}", tag]).pipe(
    Effect.as(true),
    Effect.catchAll(() => Effect.succeed(false)),
  );

export interface BuiltImage {
  name: string;
  tag: string;
  /** Seconds spent building (0 when the tag was already present). */
  buildSeconds: number;
}

const ensureGoTool = (tool: string, path: string) =>
  existsSync(path) ? Effect.void : run("bash", [join(root, "scripts", "go-tools.sh"), tool], { cwd: root }).pipe(Effect.asVoid);

/** The base image: debootstrap (about a minute) into a scratch folder, then `docker import`. */
export function ensureBase(log: (line: string) => void): Effect.Effect<BuiltImage, DockerError> {
  const tag = baseTag();
  return Effect.gen(function* () {
    if (yield* imageExists(tag)) return { name: "base", tag, buildSeconds: 0 };
    const t0 = performance.now();
    log(`building ${tag} with debootstrap (about a minute)`);
    mkdirSync(work, { recursive: true });
    const rootfs = join(work, `rootfs-${process.pid}`);
    const logFile = join(work, "base.log");
    yield* Effect.acquireUseRelease(
      Effect.sync(() => rmSync(rootfs, { recursive: true, force: true })),
      () =>
        Effect.gen(function* () {
          yield* runLogged(
            "debootstrap",
            [`--variant=${BASE_RECIPE.variant}`, `--include=${BASE_RECIPE.include.join(",")}`, BASE_RECIPE.suite, rootfs, BASE_RECIPE.mirror],
            logFile,
          );
          const certs = localCaCerts();
          if (certs.length > 0) {
            const dest = join(rootfs, "usr", "local", "share", "ca-certificates");
            for (const f of certs) cpSync(join(LOCAL_CA_DIR, f), join(dest, f));
            yield* runLogged("chroot", [rootfs, "update-ca-certificates"], logFile);
          }
          yield* run("bash", ["-c", `tar -C '${rootfs}' -c . | docker import --change 'CMD ["/bin/bash"]' - '${tag}'`]);
        }),
      () => Effect.sync(() => rmSync(rootfs, { recursive: true, force: true })),
    );
    return { name: "base", tag, buildSeconds: (performance.now() - t0) / 1000 };
  });
}

/** One service image, built FROM the base when its tag is missing. */
export function ensureImage(name: ImageName, base: string, log: (line: string) => void): Effect.Effect<BuiltImage, DockerError> {
  return Effect.gen(function* () {
    for (const x of EXTRA_FILES[name] ?? []) if (x.goTool !== undefined) yield* ensureGoTool(x.goTool, x.from);
    const tag = imageTag(name);
    if (yield* imageExists(tag)) return { name, tag, buildSeconds: 0 };
    const t0 = performance.now();
    log(`building ${tag}`);
    mkdirSync(work, { recursive: true });
    const ctx = join(work, `ctx-${name}-${process.pid}`);
    yield* Effect.acquireUseRelease(
      Effect.sync(() => {
        rmSync(ctx, { recursive: true, force: true });
        cpSync(join(recipes, name), ctx, { recursive: true });
        for (const x of EXTRA_FILES[name] ?? []) {
          cpSync(realpathSync(x.from), join(ctx, x.as), { recursive: true, filter: (f) => !f.includes("__pycache__") });
        }
      }),
      () => runLogged("docker", ["build", "--build-arg", `BASE=${base}`, "-t", tag, ctx], join(work, `${name}.log`)),
      () => Effect.sync(() => rmSync(ctx, { recursive: true, force: true })),
    );
    log(`built ${tag} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return { name, tag, buildSeconds: (performance.now() - t0) / 1000 };
  });
}

/**
 * Every image the stack needs, unless overridden by name. Builds run two at a time: they mostly
 * wait on package downloads. Old tags are left for the user to prune (`docker image prune`).
 */
export function ensureImages(
  overrides: Partial<Record<ImageName, string>>,
  log: (line: string) => void,
): Effect.Effect<{ images: Record<ImageName, string>; built: BuiltImage[] }, DockerError> {
  return Effect.gen(function* () {
    // Longest builds first (DaCHS, then Rucio), so the two lanes finish together.
    const order: ImageName[] = ["dachs", "rucio", "postgres", "transfer", "xrootd", "toxiproxy"];
    const wanted = order.filter((n) => overrides[n] === undefined);
    const base = wanted.length > 0 ? yield* ensureBase(log) : null;
    const built = yield* Effect.forEach(wanted, (n) => ensureImage(n, base!.tag, log), { concurrency: 2 });
    const images = Object.fromEntries(IMAGE_NAMES.map((n) => [n, overrides[n] ?? built.find((b) => b.name === n)!.tag])) as Record<ImageName, string>;
    return { images, built: base ? [base, ...built] : built };
  });
}

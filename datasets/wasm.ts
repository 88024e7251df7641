/**
 * The WebAssembly side of the generator: its modules (text-columns.wat, uniforms.wat) compiled
 * once per machine with wabt's wat2wasm into .tools/wasm/, keyed by the source's hash; and an
 * arena in a shared WebAssembly memory where batches live, so that the text module, this thread
 * and the fill thread all see the same bytes.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const CACHE = join(HERE, "..", ".tools", "wasm");

/** The text-column functions (see text-columns.wat for what each writes). */
export interface TextExports {
  names(n: number, tel: number, telWidth: number, type: number, typeWidth: number, serial: number, ids: number, suffixes: number, out: number, offs: number): void;
  obsIds(n: number, names: number, nameOffs: number, type: number, typeWidth: number, suffixes: number, out: number, offs: number): void;
  prefixed(n: number, names: number, nameOffs: number, prefix: number, prefixLen: number, out: number, offs: number): void;
  regions(n: number, ra: number, dec: number, fov: number, head: number, headLen: number, out: number, offs: number): void;
  targets(n: number, field: number, ra: number, dec: number, fieldNames: number, out: number, offs: number): void;
}

const compiled = new Map<string, WebAssembly.Module>();

/** The compiled module datasets/<name>.wat (compiling it on first use on this machine). */
export function wasmModule(name: "text-columns" | "uniforms"): WebAssembly.Module {
  const done = compiled.get(name);
  if (done) return done;
  const source = join(HERE, `${name}.wat`);
  const wat2wasm = createRequire(import.meta.url).resolve("wabt/bin/wat2wasm");
  const version = JSON.parse(readFileSync(join(dirname(wat2wasm), "..", "package.json"), "utf8")).version as string;
  const hash = createHash("sha256").update(readFileSync(source)).update(version).digest("hex").slice(0, 16);
  const path = join(CACHE, `${name}-${hash}.wasm`);
  if (!existsSync(path)) {
    mkdirSync(CACHE, { recursive: true });
    const partial = `${path}.partial-${process.pid}`;
    execFileSync(process.execPath, [wat2wasm, source, "--enable-threads", "-o", partial], { stdio: ["ignore", "ignore", "pipe"] });
    renameSync(partial, path);
  }
  const module = new WebAssembly.Module(readFileSync(path));
  compiled.set(name, module);
  return module;
}

/** The text-column module. */
export const textModule = () => wasmModule("text-columns");

export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): TextExports {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as TextExports;
}

const PAGE = 65536;
/** Bytes left free after every allocation: the module's copies read and write up to 15 bytes past a value. */
export const SLACK = 16;

/**
 * Bump allocation in a shared, growable WebAssembly memory. Growing a shared memory never moves
 * it, so views made earlier stay valid; only this thread allocates (the fill thread is given
 * offsets).
 */
export class Arena {
  readonly memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  private top = 8;

  /** Offset of `bytes` new bytes, 16-byte aligned, with {@link SLACK} after them. */
  alloc(bytes: number): number {
    const at = Math.ceil(this.top / 16) * 16;
    this.top = at + bytes + SLACK;
    const have = this.memory.buffer.byteLength;
    if (this.top > have) this.memory.grow(Math.ceil((this.top - have) / PAGE));
    return at;
  }

  /** The memory's current buffer (views made from it cover everything allocated so far). */
  get buffer(): SharedArrayBuffer {
    return this.memory.buffer as unknown as SharedArrayBuffer;
  }

  /** Bytes put in the memory at a new offset (returned). */
  put(bytes: Uint8Array): number {
    const at = this.alloc(bytes.length);
    new Uint8Array(this.buffer, at, bytes.length).set(bytes);
    return at;
  }
}

/**
 * Files written synchronously in large pieces, either by this thread or by a writer thread: where
 * streamed tables (table-file.ts) and the dataset generator's catalogue files put their bytes.
 *
 * Writer thread: writing into the page cache costs the kernel about as much per byte as
 * generating a catalogue row costs the dataset generator (1-3 ns/byte on the benchmark machine,
 * ~400 bytes a row), so the write() calls go to a worker that drains a shared ring buffer while
 * this thread makes the next batch. The bytes and their order are the same either way: one writer
 * per file, taking the ring in order. The caller stays synchronous; it blocks (Atomics.wait) only
 * when the ring is full.
 */
import { closeSync, openSync, writeSync, writevSync } from "node:fs";
import { Worker } from "node:worker_threads";

/** Writes all of buf at the file's position (writeSync may write less than asked). */
export function writeFully(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

export interface OutputOptions {
  /** Write from a worker thread (default false). */
  thread?: boolean;
  /** Ring size for the writer thread, bytes (a power of two). */
  ringBytes?: number;
}

/** A file opened for writing ("wx": it must not exist), written in order. */
export interface Output {
  /** Adds bytes to the file; the caller must not change them until its next flush() or close(). */
  write(bytes: Uint8Array): void;
  /** Gives up the chunks written so far (after which the caller may reuse their memory). */
  flush(): void;
  /** Writes what is left and closes the file. */
  close(): void;
  /** Closes the file without waiting for what is left (after a failure). */
  abort(): void;
}

export function openOutput(path: string, opts: OutputOptions = {}): Output {
  return opts.thread ? new ThreadedOutput(path, opts.ringBytes ?? 1 << 24) : new FileOutput(path);
}

/**
 * Chunks kept by reference and written together by one writev() at flush(): an Arrow record
 * batch is some sixty buffers that are views of the batch's arrays, and copying them into a
 * buffer first cost as much as the writing itself.
 */
export class FileOutput implements Output {
  private readonly fd: number;
  private pending: Uint8Array[] = [];

  constructor(path: string) {
    this.fd = openSync(path, "wx");
  }

  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pending.push(bytes);
    // (Linux takes at most 1024 pieces a call)
    if (this.pending.length === 512) this.flush();
  }

  flush(): void {
    const chunks = this.pending;
    if (chunks.length === 0) return;
    this.pending = [];
    let written = writevSync(this.fd, chunks);
    // A short write (rare: a signal, a full disk) goes on chunk by chunk from where it stopped.
    for (const c of chunks) {
      if (written >= c.length) written -= c.length;
      else {
        writeFully(this.fd, c.subarray(written));
        written = 0;
      }
    }
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  abort(): void {
    closeSync(this.fd);
  }
}

// Control words shared with the writer (Int32Array indices). Positions count bytes modulo 2^32;
// the ring size is a power of two, so a position's offset in the ring is `pos & (size - 1)`.
const PUBLISHED = 0; // bytes put in the ring by this thread
const CONSUMED = 1; // bytes written to the file by the writer
const STATE = 2; // RUNNING, CLOSING (no more bytes), DONE (all written), FAILED
const ASLEEP = 3; // 1 while the writer waits for bytes: only then is a wake (a syscall) needed
const RUNNING = 0;
const CLOSING = 1;
const DONE = 2;
const FAILED = 3;
const ERROR_BYTES = 1024;
/** Wake the writer once this many bytes are waiting (fewer, larger write() calls). */
const NOTIFY_BYTES = 1 << 20;

/** The writer: plain JavaScript, so it runs the same under node, tsx and vitest. */
const WRITER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const { fd, ring, control, error } = workerData;
const ctl = new Int32Array(control);
const buf = new Uint8Array(ring);
const mask = buf.length - 1;
let consumed = 0;
try {
  for (;;) {
    const published = Atomics.load(ctl, ${PUBLISHED});
    if (published === consumed) {
      if (Atomics.load(ctl, ${STATE}) === ${CLOSING} && Atomics.load(ctl, ${PUBLISHED}) === consumed) break;
      Atomics.store(ctl, ${ASLEEP}, 1);
      if (Atomics.load(ctl, ${PUBLISHED}) === published) Atomics.wait(ctl, ${PUBLISHED}, published, 100);
      Atomics.store(ctl, ${ASLEEP}, 0);
      continue;
    }
    const at = consumed & mask;
    const n = Math.min((published - consumed) >>> 0, buf.length - at);
    let off = 0;
    while (off < n) off += writeSync(fd, buf, at + off, n - off);
    consumed = (consumed + n) | 0;
    Atomics.store(ctl, ${CONSUMED}, consumed);
    Atomics.notify(ctl, ${CONSUMED});
  }
  Atomics.store(ctl, ${STATE}, ${DONE});
} catch (e) {
  const msg = new TextEncoder().encode(String(e && e.message || e)).subarray(0, ${ERROR_BYTES});
  new Uint8Array(error).set(msg);
  Atomics.store(ctl, ${STATE}, ${FAILED});
}
Atomics.notify(ctl, ${CONSUMED});
`;

/** Bytes copied into a shared ring; a worker thread writes them to the file. */
export class ThreadedOutput implements Output {
  private readonly fd: number;
  private readonly ring: Uint8Array;
  private readonly ctl: Int32Array;
  private readonly error: Uint8Array;
  private readonly worker: Worker;
  private published = 0;
  private notified = 0;

  constructor(path: string, ringBytes: number) {
    if (ringBytes <= 0 || (ringBytes & (ringBytes - 1)) !== 0) throw new Error(`ring size must be a power of two, got ${ringBytes}`);
    this.fd = openSync(path, "wx");
    const ring = new SharedArrayBuffer(ringBytes);
    const control = new SharedArrayBuffer(16);
    const error = new SharedArrayBuffer(ERROR_BYTES);
    this.ring = new Uint8Array(ring);
    this.ctl = new Int32Array(control);
    this.error = new Uint8Array(error);
    this.worker = new Worker(WRITER_SOURCE, { eval: true, workerData: { fd: this.fd, ring, control, error } });
    this.worker.unref();
  }

  write(bytes: Uint8Array): void {
    const size = this.ring.length;
    const mask = size - 1;
    let from = 0;
    while (from < bytes.length) {
      let free = size - ((this.published - Atomics.load(this.ctl, CONSUMED)) >>> 0);
      while (free === 0) {
        this.wake();
        const consumed = Atomics.load(this.ctl, CONSUMED);
        if (((this.published - consumed) >>> 0) === size) Atomics.wait(this.ctl, CONSUMED, consumed, 1000);
        this.check();
        free = size - ((this.published - Atomics.load(this.ctl, CONSUMED)) >>> 0);
      }
      const at = this.published & mask;
      const n = Math.min(bytes.length - from, free, size - at);
      this.ring.set(from === 0 && n === bytes.length ? bytes : bytes.subarray(from, from + n), at);
      from += n;
      this.published = (this.published + n) | 0;
      Atomics.store(this.ctl, PUBLISHED, this.published);
    }
    if (((this.published - this.notified) >>> 0) >= NOTIFY_BYTES && Atomics.load(this.ctl, ASLEEP) === 1) this.wake();
  }

  /** The bytes are already in the ring: nothing is kept. */
  flush(): void {}

  private wake(): void {
    this.notified = this.published;
    Atomics.notify(this.ctl, PUBLISHED);
  }

  private check(): void {
    if (Atomics.load(this.ctl, STATE) !== FAILED) return;
    const end = this.error.indexOf(0);
    throw new Error(`writing failed: ${new TextDecoder().decode(this.error.subarray(0, end < 0 ? this.error.length : end))}`);
  }

  /** Waits until every byte is in the file, then closes it. */
  close(): void {
    Atomics.store(this.ctl, STATE, CLOSING);
    this.wake();
    for (;;) {
      const state = Atomics.load(this.ctl, STATE);
      if (state === DONE || state === FAILED) break;
      Atomics.wait(this.ctl, CONSUMED, Atomics.load(this.ctl, CONSUMED), 100);
    }
    void this.worker.terminate();
    closeSync(this.fd);
    this.check();
  }

  abort(): void {
    void this.worker.terminate();
    closeSync(this.fd);
  }
}

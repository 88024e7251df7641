import { randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileOutput, openOutput, ThreadedOutput, writeFully, type Output } from "../../records/output.js";

/**
 * The file outputs: the bytes on disk are the bytes given, in order, whether this thread writes
 * them (writev of kept chunks) or a writer thread drains a ring; checked against the
 * concatenation of the input (Buffer.concat).
 */
const tmp = mkdtempSync(join(tmpdir(), "records-output-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let seq = 0;
const path = () => join(tmp, `f${seq++}`);

/**
 * Chunks as the writers see them: many tiny ones (past the 512 writev pieces at a time), empty
 * ones, some larger than a small ring, with flushes in between.
 */
function chunks(): (Uint8Array | "flush")[] {
  const out: (Uint8Array | "flush")[] = [];
  for (let i = 0; i < 3000; i++) {
    const r = Math.random();
    const n = r < 0.6 ? Math.floor(Math.random() * 40) : r < 0.95 ? Math.floor(Math.random() * 5000) : Math.floor(Math.random() * 200_000);
    out.push(randomBytes(n));
    if (Math.random() < 0.01) out.push("flush");
  }
  return out;
}

function write(out: Output, input: (Uint8Array | "flush")[]): void {
  for (const c of input) {
    if (c === "flush") out.flush();
    else out.write(c);
  }
  out.close();
}

describe("file outputs", () => {
  const input = chunks();
  const expected = Buffer.concat(input.filter((c): c is Uint8Array => c !== "flush"));

  it("FileOutput and ThreadedOutput (small and large rings) write exactly the bytes given", () => {
    const files = [
      [path(), (p: string) => new FileOutput(p)],
      [path(), (p: string) => new ThreadedOutput(p, 4096)],
      [path(), (p: string) => new ThreadedOutput(p, 1 << 16)],
      [path(), (p: string) => openOutput(p, { thread: true })],
      [path(), (p: string) => openOutput(p)],
    ] as const;
    for (const [p, open] of files) {
      write(open(p), input);
      const got = readFileSync(p);
      expect(got.length, p).toBe(expected.length);
      expect(got.equals(expected), p).toBe(true);
    }
  });

  it("refuse a file that exists, and a ring whose size is not a power of two", () => {
    const p = path();
    writeFileSync(p, "x");
    expect(() => new FileOutput(p)).toThrow(/EEXIST/);
    expect(() => new ThreadedOutput(p, 1 << 12)).toThrow(/EEXIST/);
    expect(() => new ThreadedOutput(path(), 3000)).toThrow(/power of two/);
    expect(readFileSync(p, "utf8")).toBe("x");
  });

  it("abort closes the file without waiting for what is left (at most the bytes given are in it)", () => {
    for (const [p, out] of [path(), path()].map((p, k) => [p, k === 0 ? new FileOutput(p) : new ThreadedOutput(p, 4096)] as const)) {
      const bytes = randomBytes(1000);
      out.write(bytes);
      expect(() => out.abort()).not.toThrow();
      const got = readFileSync(p);
      expect(bytes.subarray(0, got.length).equals(got)).toBe(true);
    }
  });

  it("writeFully writes the whole buffer", () => {
    const p = path();
    const buf = randomBytes(5 << 20);
    const fd = openSync(p, "wx");
    writeFully(fd, buf.subarray(0, 17));
    writeFully(fd, buf.subarray(17));
    closeSync(fd);
    expect(readFileSync(p).equals(buf)).toBe(true);
  });
});

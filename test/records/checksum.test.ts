import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Adler32, Checksums } from "../../records/checksum.js";

/**
 * Adler-32 and MD5 as replicas are verified by, against Python's zlib.adler32 and hashlib.md5
 * (what Rucio computes them with) and node's crypto MD5, on random buffers and on the sizes
 * where the Adler-32 sums are reduced.
 */
const tmp = mkdtempSync(join(tmpdir(), "records-checksum-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PYTHON = `
import hashlib, json, sys, zlib
out = []
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    out.append(["%08x" % zlib.adler32(data), hashlib.md5(data).hexdigest()])
print(json.dumps(out))
`;

// Sizes around the reduction interval (5552) and the modulus (65521), random ones, and the worst
// case for the sums' growth: long runs of 0xff.
const buffers: Uint8Array[] = [
  new Uint8Array(0),
  Uint8Array.of(0),
  Uint8Array.of(255),
  ...[5551, 5552, 5553, 65520, 65521, 65522, 1 << 20].map((n) => randomBytes(n)),
  ...Array.from({ length: 12 }, () => randomBytes(Math.floor(Math.random() * 300_000))),
  new Uint8Array(3 << 20).fill(255),
  new Uint8Array(5553 * 7).fill(255),
];

function python(): [string, string][] {
  const paths = buffers.map((b, i) => {
    const p = join(tmp, `b${i}`);
    writeFileSync(p, b);
    return p;
  });
  return JSON.parse(execFileSync("/usr/bin/python3", ["-c", PYTHON, ...paths], { encoding: "utf8" })) as [string, string][];
}

/** Pieces of random lengths (some empty) covering buf in order. */
function pieces(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < buf.length; ) {
    const n = Math.floor(Math.random() * Math.random() * 20_000);
    out.push(buf.subarray(at, at + n));
    at += n;
  }
  out.push(buf.subarray(buf.length));
  return out;
}

describe("checksums", () => {
  const expected = python();
  const nodeMd5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

  it("Checksums.of equals Python's zlib.adler32 and hashlib.md5, and node's MD5", () => {
    buffers.forEach((b, i) => {
      const got = Checksums.of(b);
      expect(got, `buffer ${i} (${b.length} bytes)`).toEqual({ bytes: b.length, adler32: expected[i]![0], md5: expected[i]![1] });
      expect(got.md5).toBe(nodeMd5(b));
    });
  });

  it("gives the same sums when the bytes come in pieces", () => {
    buffers.forEach((b, i) => {
      const c = new Checksums();
      const a = new Adler32();
      for (const p of pieces(b)) {
        c.update(p);
        a.update(p);
      }
      expect({ bytes: c.bytes, ...c.digest() }, `buffer ${i}`).toEqual({ bytes: b.length, adler32: expected[i]![0], md5: expected[i]![1] });
      expect(a.hex()).toBe(expected[i]![0]);
    });
  });

  it("Adler-32 of strings whose sums are published", () => {
    const hex = (s: string) => {
      const a = new Adler32();
      a.update(new TextEncoder().encode(s));
      return a.hex();
    };
    expect(hex("")).toBe("00000001");
    expect(hex("Wikipedia")).toBe("11e60398");
    expect(hex("abc")).toBe("024d0127");
  });
});

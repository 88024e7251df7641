/**
 * Checksums as Rucio keeps them for a file (Adler-32 and MD5, lower-case hex): what a run's
 * files and replicas are verified by, wherever their bytes came from.
 */
import { createHash, type Hash } from "node:crypto";

/**
 * Adler-32 (RFC 1950), streaming. Ten lines of arithmetic, so no package: sums are reduced
 * modulo 65521 every NMAX bytes (zlib's bound for 32-bit sums; doubles stay exact well past it).
 */
export class Adler32 {
  private a = 1;
  private b = 0;

  update(buf: Uint8Array): void {
    let a = this.a;
    let b = this.b;
    const NMAX = 5552;
    for (let i = 0; i < buf.length; ) {
      const end = Math.min(buf.length, i + NMAX);
      for (; i < end; i++) {
        a += buf[i]!;
        b += a;
      }
      a %= 65521;
      b %= 65521;
    }
    this.a = a;
    this.b = b;
  }

  /** Eight lower-case hex digits, as Rucio stores them. */
  hex(): string {
    return (((this.b << 16) | this.a) >>> 0).toString(16).padStart(8, "0");
  }
}

/** Adler-32 and MD5 of bytes written in pieces. */
export class Checksums {
  private readonly adler = new Adler32();
  private readonly md5: Hash = createHash("md5");
  bytes = 0;

  update(buf: Uint8Array): void {
    this.adler.update(buf);
    this.md5.update(buf);
    this.bytes += buf.length;
  }

  digest(): { adler32: string; md5: string } {
    return { adler32: this.adler.hex(), md5: this.md5.digest("hex") };
  }

  /** Size and checksums of bytes held whole. */
  static of(buf: Uint8Array): { bytes: number; adler32: string; md5: string } {
    const c = new Checksums();
    c.update(buf);
    return { bytes: c.bytes, ...c.digest() };
  }
}

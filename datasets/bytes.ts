/**
 * Catalogue rows as text bytes for VOTable and CSV: numbers formatted straight into byte arrays.
 * Building a JavaScript string per cell and encoding it was most of the cost of a text row.
 */

/** Copies src into out at pos; returns the new position. Short copies by hand: set() costs a call. */
export function putBytes(src: Uint8Array, out: Uint8Array, pos: number): number {
  const n = src.length;
  if (n > 32) out.set(src, pos);
  else for (let k = 0; k < n; k++) out[pos + k] = src[k]!;
  return pos + n;
}

/** "00".."99" as ASCII pairs: two digits per division. */
const PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i & 1 ? (i >> 1) % 10 : ((i >> 1) / 10) | 0));
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * v (an integer in [0, 10^width), width <= 9) as exactly `width` digits, zero-padded. Int32
 * arithmetic only: `%` or division on a double is a C call in V8, and was most of the cost.
 */
function putPadded(v: number, width: number, out: Uint8Array, pos: number): number {
  let k = pos + width;
  let w = width;
  let x = v | 0;
  while (w >= 2) {
    const q = (x / 100) | 0;
    const r = (x - q * 100) << 1;
    out[--k] = PAIRS[r + 1]!;
    out[--k] = PAIRS[r]!;
    x = q;
    w -= 2;
  }
  if (w === 1) out[--k] = 48 + x;
  return pos + width;
}

/** Decimal digits of an integer in [0, 2^31). */
function digitCount(v: number): number {
  if (v < 100_000) return v < 100 ? (v < 10 ? 1 : 2) : v < 1000 ? 3 : v < 10_000 ? 4 : 5;
  return v < 10_000_000 ? (v < 1_000_000 ? 6 : 7) : v < 100_000_000 ? 8 : v < 1_000_000_000 ? 9 : 10;
}

/** Non-negative integer (< 2^53) in decimal, as String(x) prints it. */
function putUint(x: number, out: Uint8Array, pos: number): number {
  if (x < 1_000_000_000) return putPadded(x, digitCount(x | 0), out, pos);
  // Up to 16 digits: the high part (< 2^53 / 10^9 < 10^8), then 9 zero-padded low digits.
  const hi = Math.floor(x / 1e9);
  pos = putPadded(hi, digitCount(hi | 0), out, pos);
  return putPadded(x - hi * 1e9, 9, out, pos);
}

/** ASCII characters of a string (e.g. a number's String() form) into out; returns the new position. */
function putAscii(s: string, out: Uint8Array, pos: number): number {
  for (let k = 0; k < s.length; k++) out[pos + k] = s.charCodeAt(k);
  return pos + s.length;
}

/**
 * A double as String(x) prints it, into out (room for 32 bytes). Integers and numbers that are
 * exactly a decimal with at most 6 places (and at most 15 significant digits) are written by hand:
 * such a decimal is then the only shortest form that reads back as x, which is what String()
 * prints. Others go through String(), which costs about half a microsecond here.
 */
export function putNumber(x: number, out: Uint8Array, pos: number): number {
  if (Number.isSafeInteger(x)) {
    if (x < 0) {
      out[pos++] = 45;
      x = -x;
    }
    return putUint(x, out, pos);
  }
  const a = x < 0 ? -x : x;
  if (a >= 1e-6 && a < 1e9) {
    const n = Math.round(a * 1e6);
    if (n / 1e6 === a) {
      if (x < 0) out[pos++] = 45;
      const ip = Math.floor(n / 1e6);
      pos = putUint(ip, out, pos);
      let frac = n - ip * 1e6;
      let width = 6;
      while (frac % 10 === 0) {
        frac /= 10;
        width--;
      }
      out[pos++] = 46;
      return putPadded(frac, width, out, pos);
    }
  }
  return putAscii(String(x), out, pos);
}

/**
 * Minimal FITS writer for the payloads: one primary HDU, BITPIX -32, 2-D images and 3-D cubes
 * with a celestial SIN projection (and a FREQ axis for cubes). Written by hand rather than with
 * an npm package: the maintained JavaScript FITS libraries (e.g. astrojs/fitsjs) only read, and
 * the format needed here is small — 80-character cards in 2880-byte blocks, big-endian data
 * padded to 2880 bytes (FITS Standard 4.0, sections 3-5; WCS Paper II for SIN).
 */
import type { Checksums } from "../records/checksum.js";
import { writeFully } from "../records/output.js";

export const BLOCK = 2880;

type CardValue = string | number | boolean;
const INTEGER_KEYS = /^(BITPIX|NAXIS\d*|WCSAXES)$/;

/** A FITS real: always with a decimal point or exponent, upper-case E. */
function real(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return `${x}.0`;
  return x.toExponential(15).toUpperCase();
}

function card(key: string, value: CardValue, comment = ""): string {
  let v: string;
  if (typeof value === "boolean") v = (value ? "T" : "F").padStart(20);
  else if (typeof value === "number") v = (INTEGER_KEYS.test(key) ? String(value) : real(value)).padStart(20);
  else v = `'${value.replace(/'/g, "''").padEnd(8)}'`.padEnd(20);
  const c = `${key.padEnd(8)}= ${v}${comment ? ` / ${comment}` : ""}`;
  return c.slice(0, 80).padEnd(80);
}

export interface FitsImage {
  nx: number;
  ny: number;
  /** Channels (3-D cube) or 0 for a 2-D image. */
  nchan: number;
  ra: number;
  dec: number;
  /** Side of the square field, degrees: NAXIS x |CDELT| = fov. */
  fovDegrees: number;
  /** Cubes: frequency span covered by the channels' edges, Hz. */
  freqLoHz: number;
  freqHiHz: number;
  beamDegrees: number;
  object: string;
  telescope: string;
  instrument: string;
  obsId: string;
  mjdObs: number;
  seed: number;
}

export function fitsHeader(img: FitsImage): Uint8Array {
  const cube = img.nchan > 0;
  const cards = [
    card("SIMPLE", true, "conforms to FITS standard"),
    card("BITPIX", -32, "IEEE single precision"),
    card("NAXIS", cube ? 3 : 2),
    card("NAXIS1", img.nx),
    card("NAXIS2", img.ny),
    ...(cube ? [card("NAXIS3", img.nchan)] : []),
    card("WCSAXES", cube ? 3 : 2),
    card("CTYPE1", "RA---SIN"),
    card("CTYPE2", "DEC--SIN"),
    card("CRVAL1", img.ra, "deg"),
    card("CRVAL2", img.dec, "deg"),
    card("CRPIX1", (img.nx + 1) / 2),
    card("CRPIX2", (img.ny + 1) / 2),
    card("CDELT1", -img.fovDegrees / img.nx, "deg"),
    card("CDELT2", img.fovDegrees / img.ny, "deg"),
    card("CUNIT1", "deg"),
    card("CUNIT2", "deg"),
    ...(cube
      ? [
          card("CTYPE3", "FREQ"),
          card("CRVAL3", img.freqLoHz + (img.freqHiHz - img.freqLoHz) / img.nchan / 2, "Hz, centre of channel 1"),
          card("CRPIX3", 1),
          card("CDELT3", (img.freqHiHz - img.freqLoHz) / img.nchan, "Hz"),
          card("CUNIT3", "Hz"),
          card("SPECSYS", "TOPOCENT"),
        ]
      : []),
    card("RADESYS", "ICRS"),
    card("BUNIT", "Jy/beam"),
    card("BMAJ", img.beamDegrees, "deg"),
    card("BMIN", img.beamDegrees, "deg"),
    card("BPA", 0),
    card("OBJECT", img.object),
    card("TELESCOP", img.telescope),
    card("INSTRUME", img.instrument),
    card("OBS_ID", img.obsId),
    card("MJD-OBS", img.mjdObs, "start of observation, MJD"),
    card("DATE-OBS", new Date(Math.round((img.mjdObs - 40_587) * 86_400_000)).toISOString().slice(0, 23), "start of observation, UTC"),
    card("ORIGIN", "SRCNet testbed synthetic data"),
    "END".padEnd(80),
  ];
  const text = cards.join("");
  const out = new Uint8Array(Math.ceil(text.length / BLOCK) * BLOCK).fill(0x20);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0x7f;
  return out;
}

export function writeAll(fd: number, buf: Uint8Array, sums: Checksums): void {
  sums.update(buf);
  writeFully(fd, buf);
}

/** Writes the file to `fd`: seeded noise plus a point source at the centre, one plane at a time. */
export function writeFits(fd: number, img: FitsImage, sums: Checksums): void {
  const header = fitsHeader(img);
  writeAll(fd, header, sums);
  let x = img.seed >>> 0 || 1;
  const plane = img.nx * img.ny;
  const buf = new Uint8Array(plane * 4);
  const view = new DataView(buf.buffer);
  const cx = (img.nx - 1) / 2;
  const cy = (img.ny - 1) / 2;
  const sigmaPix = Math.max(1, (img.beamDegrees / (img.fovDegrees / img.nx)) / 2.355);
  let dataBytes = 0;
  for (let k = 0; k < Math.max(1, img.nchan); k++) {
    for (let j = 0; j < img.ny; j++) {
      for (let i = 0; i < img.nx; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        const noise = ((x >>> 0) / 4294967296 - 0.5) * 2e-4;
        const r2 = ((i - cx) ** 2 + (j - cy) ** 2) / (2 * sigmaPix * sigmaPix);
        view.setFloat32((j * img.nx + i) * 4, noise + (r2 < 30 ? 0.01 * Math.exp(-r2) : 0), false);
      }
    }
    writeAll(fd, buf, sums);
    dataBytes += buf.length;
  }
  const pad = (BLOCK - (dataBytes % BLOCK)) % BLOCK;
  if (pad > 0) writeAll(fd, new Uint8Array(pad), sums);
}

/** Writes `bytes` seeded pseudo-random bytes (an opaque stand-in for a measurement set or catalogue). */
export function writeBlob(fd: number, bytes: number, seed: number, sums: Checksums): void {
  let x = seed >>> 0 || 1;
  const chunk = new Uint8Array(Math.min(bytes, 1 << 20));
  const view = new DataView(chunk.buffer);
  for (let left = bytes; left > 0; ) {
    const n = Math.min(left, chunk.length);
    for (let o = 0; o < n; o += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      if (o + 4 <= n) view.setUint32(o, x >>> 0, true);
      else for (let b = 0; o + b < n; b++) chunk[o + b] = (x >>> (8 * b)) & 0xff;
    }
    writeAll(fd, n === chunk.length ? chunk : chunk.subarray(0, n), sums);
    left -= n;
  }
}

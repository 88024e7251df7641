/**
 * SODA load: circular cutouts of the dataset's FITS images and cubes (`dlget?ID=…&CIRCLE=…`).
 * A cutout is ok when it is a FITS file whose image spans about the requested circle: the plan
 * does not carry the product's size, so "a real cut" is judged from the cutout's own header
 * (NAXISn x |CDELTn| against the circle's diameter), which a whole-product answer fails unless
 * the product is barely larger than the circle.
 */
import http from "k6/http";
import type { Cutout, K6Plan } from "./plan.ts";
import { hostAllowed, params, refused, timed } from "./http.ts";
import { bodyBytes, recordRequest } from "./record.ts";

const FITS_BLOCK = 2880;
const CARD = 80;
/** Header blocks read at most (a cutout's header is one or two). */
const MAX_HEADER_BLOCKS = 8;

/** The primary header's cards as keyword -> value text, or null when the bytes are not FITS. */
export function fitsHeader(body: ArrayBuffer): Map<string, string> | null {
  const bytes = new Uint8Array(body);
  if (bytes.length < FITS_BLOCK || bytes.length % FITS_BLOCK !== 0) return null;
  const card = (i: number) => String.fromCharCode(...bytes.subarray(i * CARD, (i + 1) * CARD));
  if (!card(0).startsWith("SIMPLE  =")) return null;
  const cards = new Map<string, string>();
  const max = Math.min(bytes.length, MAX_HEADER_BLOCKS * FITS_BLOCK) / CARD;
  for (let i = 0; i < max; i++) {
    const c = card(i);
    const key = c.slice(0, 8).trim();
    if (key === "END") return cards;
    if (c.slice(8, 10) === "= ") cards.set(key, c.slice(10).replace(/\/.*$/, "").trim());
  }
  return null;
}

/**
 * The cutout is a FITS image (SIMPLE = T, two or more axes) no wider than the circle asked for,
 * allowing for pixel rounding and the projection (1.5 x the diameter plus two pixels).
 */
export function cutoutOk(body: unknown, radiusDeg: number): boolean {
  if (!(body instanceof ArrayBuffer)) return false;
  const h = fitsHeader(body);
  if (h === null || h.get("SIMPLE") !== "T") return false;
  const naxis = Number(h.get("NAXIS"));
  if (!(naxis >= 2)) return false;
  for (const i of [1, 2]) {
    const n = Number(h.get(`NAXIS${i}`));
    if (!(n > 0)) return false;
    const step = Math.abs(Number(h.get(`CDELT${i}`) ?? h.get(`CD${i}_${i}`)));
    if (Number.isFinite(step) && step > 0 && n * step > 1.5 * 2 * radiusDeg + 2 * step) return false;
  }
  return true;
}

/** One cutout; true when the service returned a proper one. */
export function sodaCutout(plan: K6Plan, c: Cutout): boolean {
  const url = `${plan.endpoints.soda}?ID=${encodeURIComponent(c.id)}&CIRCLE=${encodeURIComponent(`${c.ra} ${c.dec} ${c.radiusDeg}`)}`;
  if (plan.endpoints.soda === null || !hostAllowed(plan, url)) {
    recordRequest("soda", "cutout", refused, 0, false, 0);
    return false;
  }
  const { value: res, ms } = timed(() => http.get(url, { ...params(plan), responseType: "binary" }));
  const ok = res.status === 200 && cutoutOk(res.body, c.radiusDeg);
  recordRequest("soda", "cutout", res, ms, ok, bodyBytes(res.body));
  return ok;
}

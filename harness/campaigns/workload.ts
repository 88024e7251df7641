/**
 * The TAP and SODA workload of a campaign, drawn from the synthetic dataset the stack serves
 * (`testbed datasets generate`): ADQL an astronomer would send to ObsCore, and cutouts of the
 * FITS products. Deterministic from the seed. Wherever the answer follows from catalogue.csv
 * alone, the query carries the exact row count, computed here independently of DaCHS, so the
 * load workers can check content as well as status.
 *
 * How the counts stay exact against a real database:
 * - cones: DaCHS runs CONTAINS(POINT, CIRCLE) as q3c_join (great-circle distance); radii are
 *   chosen so that no catalogue position lies within EDGE_DEG of the circle's edge;
 * - thresholds lie in the middle of a gap between consecutive catalogue values. ivoa.obscore
 *   casts s_fov, s_resolution, em_min, em_max and em_res_power to `real`, so for those columns
 *   the gap is between values and their float32 roundings together, wide enough that float32
 *   or float64 comparison gives the same answer;
 * - results stay below DaCHS's default MAXREC (20000): TOP caps any query that could exceed
 *   SYNC_TOP (ASYNC_TOP for async), and the expected count is then the cap.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { RandomStreams, type RandomStream } from "../../sim/kernel/random.js";
import type { Cutout, TapQuery, TapQueryKind } from "./load-plan.js";

/** Most rows a sync query may return (DaCHS's default MAXREC is 20000). */
export const SYNC_TOP = 1000;
export const ASYNC_TOP = 5000;
/** No catalogue position lies closer than this (degrees) to a cone's or crossmatch's edge. */
export const EDGE_DEG = 1e-6;
/** Share of each kind in a TAP workload. */
export const TAP_MIX: Record<TapQueryKind, number> = { cone: 0.4, range: 0.3, join: 0.2, async: 0.1 };

// ------------------------------------------------------------------------------------ catalogue

/**
 * RFC 4180 CSV (as the dataset's writer quotes it and DaCHS's csvGrammar, Python's csv module,
 * reads it): quoted fields may hold commas, doubled quotes and line breaks; CRLF or LF rows.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field.length === 0) quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      if (ch === "\r" && text[i + 1] === "\n") i++;
    } else field += ch;
    i++;
  }
  if (quoted) throw new Error("CSV ends inside a quoted field");
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** The catalogue columns the workload uses; an empty CSV cell is null. */
interface Product {
  type: string;
  calib: number | null;
  collection: string;
  did: string;
  target: string;
  ra: number | null;
  dec: number | null;
  fov: number | null;
  resolution: number | null;
  tMin: number | null;
  tMax: number | null;
  exptime: number | null;
  emMin: number | null;
  emMax: number | null;
  instrument: string;
  proposal: string;
  pi: string;
  /** `<scope>:<name>` of the payload under files/, when present there. */
  file: string | null;
}

interface Catalogue {
  rows: Product[];
  /** The first row, every column as written (empty cells null). */
  first: Record<string, string | null>;
  /** Every payload file as `<scope>:<name>` (srcnet.files has one row per file). */
  files: Set<string>;
}

/** The DID's `<scope>:<name>`, as the DaCHS import takes it (q.rd's didPattern). */
const DID_FILE = /\?([A-Za-z0-9._-]+):([A-Za-z0-9._-]+)$/;

function listFiles(datasetDir: string): Set<string> {
  const files = new Set<string>();
  const root = join(datasetDir, "files");
  let scopes: string[];
  try {
    scopes = readdirSync(root);
  } catch {
    return files; // a --no-payloads dataset
  }
  for (const scope of scopes) {
    const dir = join(root, scope);
    if (!statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir)) if (statSync(join(dir, name)).isFile()) files.add(`${scope}:${name}`);
  }
  return files;
}

const catalogues = new Map<string, Catalogue>();

function readCatalogue(datasetDir: string): Catalogue {
  const cached = catalogues.get(datasetDir);
  if (cached !== undefined) return cached;
  const table = parseCsv(readFileSync(join(datasetDir, "catalogue.csv"), "utf8"));
  const header = table[0];
  if (header === undefined) throw new Error(`${datasetDir}/catalogue.csv is empty`);
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${datasetDir}/catalogue.csv has no column ${name}`);
    return i;
  };
  const c = {
    type: col("dataproduct_type"), calib: col("calib_level"), collection: col("obs_collection"), did: col("obs_publisher_did"),
    target: col("target_name"), ra: col("s_ra"), dec: col("s_dec"), fov: col("s_fov"), resolution: col("s_resolution"),
    tMin: col("t_min"), tMax: col("t_max"), exptime: col("t_exptime"), emMin: col("em_min"), emMax: col("em_max"),
    instrument: col("instrument_name"), proposal: col("proposal_id"), pi: col("pi_name"),
  };
  const files = listFiles(datasetDir);
  const num = (s: string | undefined) => (s === undefined || s === "" ? null : Number(s));
  const rows: Product[] = [];
  for (let r = 1; r < table.length; r++) {
    const t = table[r]!;
    if (t.length === 1 && t[0] === "") continue;
    const did = t[c.did] ?? "";
    const m = DID_FILE.exec(did);
    const file = m !== null && files.has(`${m[1]}:${m[2]}`) ? `${m[1]}:${m[2]}` : null;
    rows.push({
      type: t[c.type] ?? "", calib: num(t[c.calib]), collection: t[c.collection] ?? "", did, target: t[c.target] ?? "",
      ra: num(t[c.ra]), dec: num(t[c.dec]), fov: num(t[c.fov]), resolution: num(t[c.resolution]),
      tMin: num(t[c.tMin]), tMax: num(t[c.tMax]), exptime: num(t[c.exptime]), emMin: num(t[c.emMin]), emMax: num(t[c.emMax]),
      instrument: t[c.instrument] ?? "", proposal: t[c.proposal] ?? "", pi: t[c.pi] ?? "", file,
    });
  }
  if (rows.length === 0) throw new Error(`${datasetDir}/catalogue.csv has no rows`);
  const firstRow = table[1]!;
  const first = Object.fromEntries(header.map((name, i) => [name, firstRow[i] === "" || firstRow[i] === undefined ? null : firstRow[i]!]));
  const cat = { rows, files, first };
  catalogues.set(datasetDir, cat);
  return cat;
}

// -------------------------------------------------------------------------------------- helpers

const RAD = Math.PI / 180;

/** Great-circle distance in degrees (Vincenty's formula: accurate at every separation). */
export function separationDeg(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const d = (ra2 - ra1) * RAD;
  const s1 = Math.sin(dec1 * RAD), c1 = Math.cos(dec1 * RAD), s2 = Math.sin(dec2 * RAD), c2 = Math.cos(dec2 * RAD);
  const x = c2 * Math.sin(d);
  const y = c1 * s2 - s1 * c2 * Math.cos(d);
  return Math.atan2(Math.hypot(x, y), s1 * s2 + c1 * c2 * Math.cos(d)) / RAD;
}

/** An ADQL string literal. */
const str = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A number literal and the value the database parses from it. */
interface Literal {
  text: string;
  value: number;
}

/** The shortest decimal strictly inside the middle half of (lo, hi). */
function literalIn(lo: number, hi: number): Literal {
  const a = lo + (hi - lo) / 4, b = hi - (hi - lo) / 4;
  for (let p = 2; p <= 17; p++) {
    const text = String(Number(((lo + hi) / 2).toPrecision(p)));
    const value = Number(text);
    if (value >= a && value <= b) return { text, value };
  }
  const value = (lo + hi) / 2;
  return { text: String(value), value };
}

/**
 * A threshold between two consecutive distinct candidates (see {@link candidates}) near
 * quantile q. For a `real` column the gap must be wide enough (1e-6 relative, some 16 float32
 * steps) that comparing in float32 or float64 gives the same answer; a double column needs only
 * room for a literal. Below every value when there is no such gap.
 */
function threshold(sorted: number[], q: number, real: boolean): Literal {
  if (sorted.length === 0) return { text: "0", value: 0 };
  const m = sorted.length;
  const start = Math.min(m - 2, Math.max(0, Math.floor(q * (m - 1))));
  const rel = real ? 1e-6 : 1e-12;
  const wide = (j: number) => sorted[j + 1]! - sorted[j]! > rel * Math.max(Math.abs(sorted[j]!), Math.abs(sorted[j + 1]!), 1e-300);
  for (let k = 0; k < m; k++) {
    for (const j of [start + k, start - k]) if (j >= 0 && j < m - 1 && wide(j)) return literalIn(sorted[j]!, sorted[j + 1]!);
  }
  const lo = sorted[0]!;
  return literalIn(lo - Math.max(1, Math.abs(lo)), lo - Math.max(1, Math.abs(lo)) / 2);
}

/** Sorted distinct values of a column, with their float32 roundings when the column is real. */
function candidates(rows: readonly Product[], get: (p: Product) => number | null, real: boolean): number[] {
  const s = new Set<number>();
  for (const p of rows) {
    const v = get(p);
    if (v === null || !Number.isFinite(v)) continue;
    s.add(v);
    if (real) s.add(Math.fround(v));
  }
  return [...s].sort((a, b) => a - b);
}

const distinct = <T>(xs: Iterable<T>) => [...new Set(xs)];
const pick = <T>(r: RandomStream, xs: readonly T[]): T => xs[r.integer(xs.length)]!;
/** A query whose result is capped by TOP only when it would exceed `cap` rows. */
const capped = (adql: (top: string) => string, count: number, cap: number): Omit<TapQuery, "kind"> => ({
  adql: adql(count > cap ? `TOP ${cap} ` : ""),
  expectRows: Math.min(count, cap),
});

/** Comparisons as SQL does them: NULL compares false. */
const gt = (v: number | null, t: number) => v !== null && v > t;
const lt = (v: number | null, t: number) => v !== null && v < t;
const ge = (v: number | null, t: number) => v !== null && v >= t;
const le = (v: number | null, t: number) => v !== null && v <= t;

const point = (a = "") => `POINT('ICRS', ${a}s_ra, ${a}s_dec)`;

// ----------------------------------------------------------------------------------------- cones

/** Distances under the radius as written; the edge guard is checked outright, not assumed. */
function countInside(sortedDist: readonly number[], radius: number): number {
  let n = 0;
  for (const d of sortedDist) {
    if (Math.abs(d - radius) <= EDGE_DEG) throw new Error(`a position lies within ${EDGE_DEG} deg of a circle's edge`);
    if (d < radius) n++;
  }
  return n;
}

const CONE_COLUMNS = "obs_publisher_did, obs_collection, dataproduct_type, target_name, s_ra, s_dec, s_fov, t_min, t_max, em_min, em_max, access_url, access_format";
/** Largest cone radius (degrees), about SKA-Low's field of view. */
const CONE_MAX_DEG = 3;

/**
 * A radius interval holding `count` of the sorted distances strictly inside, no distance within
 * EDGE_DEG of its ends; the one whose count is nearest `target`.
 */
function radiusFor(dist: number[], target: number, maxDeg: number): { lo: number; hi: number; count: number } | null {
  const intervals: { lo: number; hi: number; count: number }[] = [];
  const bounds = [0, ...dist, maxDeg];
  for (let j = 0; j + 1 < bounds.length; j++) {
    const lo = j === 0 ? 0 : bounds[j]! + EDGE_DEG;
    const hi = bounds[j + 1]! - EDGE_DEG;
    // The first interval, from 0, is a cone that catches nothing; ties leave no interval.
    if (hi - lo > 4 * EDGE_DEG) intervals.push({ lo, hi, count: j });
  }
  let best: (typeof intervals)[number] | null = null;
  for (const iv of intervals) if (best === null || Math.abs(iv.count - target) < Math.abs(best.count - target)) best = iv;
  return best;
}

function coneQuery(cat: Catalogue, r: RandomStream, s: Sorted): TapQuery {
  const positioned = s.positioned();
  for (let attempt = 0; ; attempt++) {
    const at = pick(r, positioned);
    // Searches around a known target, not exactly on a catalogue position.
    const off = r.uniform() * 0.5;
    const pa = r.uniform() * 2 * Math.PI;
    const dec0 = Math.max(-89.5, Math.min(89.5, at.dec! + off * Math.cos(pa)));
    const ra0 = (((at.ra! + (off * Math.sin(pa)) / Math.cos(dec0 * RAD)) % 360) + 360) % 360;
    const ra = Number(ra0.toFixed(6)), dec = Number(dec0.toFixed(6));
    const filter = r.uniform() < 0.3 ? pick(r, [["image"], ["cube"], ["image", "cube"]]) : null;
    const inFilter = (p: Product) => filter === null || filter.includes(p.type);
    const dist: number[] = [];
    for (const p of positioned) {
      if (!inFilter(p) || Math.abs(p.dec! - dec) > CONE_MAX_DEG) continue;
      const d = separationDeg(ra, dec, p.ra!, p.dec!);
      if (d < CONE_MAX_DEG) dist.push(d);
    }
    dist.sort((a, b) => a - b);
    const iv = radiusFor(dist, r.integer(41), CONE_MAX_DEG);
    if (iv === null && attempt < 20) continue;
    const rad = iv === null ? literalIn(CONE_MAX_DEG / 2, CONE_MAX_DEG) : literalIn(iv.lo, iv.hi);
    // Counted again with the radius as written, and the edge guard checked outright.
    const inside = countInside(dist, rad.value);
    const where = `1=CONTAINS(${point()}, CIRCLE('ICRS', ${ra}, ${dec}, ${rad.text}))${
      filter === null ? "" : filter.length === 1 ? ` AND dataproduct_type = ${str(filter[0]!)}` : ` AND dataproduct_type IN (${filter.map(str).join(", ")})`
    }`;
    const byDistance = r.uniform() < 0.5;
    const q = capped(
      (top) =>
        byDistance
          ? `SELECT ${top}${CONE_COLUMNS}, DISTANCE(${point()}, POINT('ICRS', ${ra}, ${dec})) AS dist FROM ivoa.obscore WHERE ${where} ORDER BY dist`
          : `SELECT ${top}${CONE_COLUMNS} FROM ivoa.obscore WHERE ${where}`,
      inside,
      SYNC_TOP,
    );
    return { kind: "cone", ...q };
  }
}

// ---------------------------------------------------------------------------------------- ranges

/** Sorted-candidate cache: thresholds over a 1M-row catalogue would otherwise sort per query. */
class Sorted {
  private readonly cache = new Map<string, number[]>();
  constructor(private readonly cat: Catalogue) {}
  get(key: string, rows: () => readonly Product[], get: (p: Product) => number | null, real: boolean): number[] {
    let s = this.cache.get(key);
    if (s === undefined) {
      s = candidates(rows(), get, real);
      this.cache.set(key, s);
    }
    return s;
  }
  all(column: string, get: (p: Product) => number | null, real: boolean): number[] {
    return this.get(column, () => this.cat.rows, get, real);
  }
  /** em_min and em_max values together: a wavelength threshold must avoid both. */
  em(): number[] {
    let s = this.cache.get("em_min|em_max");
    if (s === undefined) {
      s = [...new Set([...this.all("em_min", (p) => p.emMin, true), ...this.all("em_max", (p) => p.emMax, true)])].sort((a, b) => a - b);
      this.cache.set("em_min|em_max", s);
    }
    return s;
  }
  private withPosition: Product[] | null = null;
  positioned(): Product[] {
    return (this.withPosition ??= this.cat.rows.filter((p) => p.ra !== null && p.dec !== null));
  }
}

type Template = (cat: Catalogue, r: RandomStream, s: Sorted) => Omit<TapQuery, "kind">;

const count = (rows: readonly Product[], f: (p: Product) => boolean) => {
  let n = 0;
  for (const p of rows) if (f(p)) n++;
  return n;
};

const RANGE: Template[] = [
  // Observations entirely inside a time window.
  (cat, r, s) => {
    const q0 = r.uniform() * 0.9;
    const a = threshold(s.all("t_min", (p) => p.tMin, false), q0, false);
    const b = threshold(s.all("t_max", (p) => p.tMax, false), q0 + 0.01 + r.uniform() * 0.2, false);
    const n = count(cat.rows, (p) => ge(p.tMin, a.value) && le(p.tMax, b.value));
    return capped(
      (top) => `SELECT ${top}obs_publisher_did, obs_id, dataproduct_type, target_name, t_min, t_max, t_exptime, em_min, em_max FROM ivoa.obscore WHERE t_min >= ${a.text} AND t_max <= ${b.text} ORDER BY t_min`,
      n,
      SYNC_TOP,
    );
  },
  // Images and cubes whose band covers a wavelength (a line at some redshift).
  (cat, r, s) => {
    const lam = threshold(s.em(), r.uniform(), true);
    const n = count(cat.rows, (p) => (p.type === "image" || p.type === "cube") && le(p.emMin, lam.value) && ge(p.emMax, lam.value));
    return capped(
      (top) => `SELECT ${top}obs_publisher_did, dataproduct_type, target_name, s_ra, s_dec, em_min, em_max, em_res_power, access_url FROM ivoa.obscore WHERE em_min <= ${lam.text} AND em_max >= ${lam.text} AND dataproduct_type IN ('image', 'cube')`,
      n,
      SYNC_TOP,
    );
  },
  // A collection's calibrated products with a large enough field of view.
  (cat, r, s) => {
    const coll = pick(r, distinct(cat.rows.map((p) => p.collection)));
    const level = pick(r, distinct(cat.rows.filter((p) => p.calib !== null).map((p) => p.calib!)).sort());
    const sub = () => cat.rows.filter((p) => p.collection === coll && ge(p.calib, level));
    const fov = threshold(s.get(`s_fov|${coll}|${level}`, sub, (p) => p.fov, true), 0.3 + r.uniform() * 0.7, true);
    const n = count(cat.rows, (p) => p.collection === coll && ge(p.calib, level) && gt(p.fov, fov.value));
    return capped(
      (top) => `SELECT ${top}obs_publisher_did, obs_collection, calib_level, dataproduct_type, s_ra, s_dec, s_fov, s_resolution FROM ivoa.obscore WHERE obs_collection = ${str(coll)} AND calib_level >= ${level} AND s_fov > ${fov.text}`,
      n,
      SYNC_TOP,
    );
  },
  // Long exposures with one receiver band.
  (cat, r, s) => {
    const instr = pick(r, distinct(cat.rows.map((p) => p.instrument)));
    const sub = () => cat.rows.filter((p) => p.instrument === instr);
    const e = threshold(s.get(`t_exptime|${instr}`, sub, (p) => p.exptime, false), 0.4 + r.uniform() * 0.6, false);
    const n = count(cat.rows, (p) => p.instrument === instr && gt(p.exptime, e.value));
    return capped(
      (top) => `SELECT ${top}obs_publisher_did, obs_id, instrument_name, t_min, t_exptime, em_min, em_max FROM ivoa.obscore WHERE instrument_name = ${str(instr)} AND t_exptime > ${e.text}`,
      n,
      SYNC_TOP,
    );
  },
  // Sharp images or cubes: resolution better than a limit.
  (cat, r, s) => {
    const type = pick(r, ["image", "cube"]);
    const sub = () => cat.rows.filter((p) => p.type === type);
    const res = threshold(s.get(`s_resolution|${type}`, sub, (p) => p.resolution, true), r.uniform() * 0.6, true);
    const n = count(cat.rows, (p) => p.type === type && lt(p.resolution, res.value));
    return capped(
      (top) => `SELECT ${top}obs_publisher_did, target_name, s_ra, s_dec, s_resolution, s_fov, em_min, em_max FROM ivoa.obscore WHERE dataproduct_type = ${str(type)} AND s_resolution < ${res.text}`,
      n,
      SYNC_TOP,
    );
  },
  // Everything of one proposal, in time order.
  (cat, r) => {
    const prop = pick(r, cat.rows).proposal;
    const n = count(cat.rows, (p) => p.proposal === prop);
    return capped(
      (top) => `SELECT ${top}obs_publisher_did, obs_id, dataproduct_type, calib_level, target_name, t_min, t_max, access_url, access_estsize FROM ivoa.obscore WHERE proposal_id = ${str(prop)} ORDER BY t_min`,
      n,
      SYNC_TOP,
    );
  },
];

// ----------------------------------------------------------------------------- joins, aggregates

/** Rows per distinct key (GROUP BY): one result row per key. */
const groups = (rows: readonly Product[], key: (p: Product) => string) => new Set(rows.map(key)).size;

/** The catalogue's DID prefix (`ivo://…?`) of a product, for joining srcnet.files by scope and name. */
const didPrefix = (did: string) => did.slice(0, did.indexOf("?") + 1);

const JOIN: Template[] = [
  // Products with their payload file's size and shape (srcnet.files) by DID.
  (cat, r, s) => {
    const prefix = didPrefix(pick(r, cat.rows).did);
    const type = pick(r, ["image", "cube", "visibility", "measurements"]);
    const a = threshold(s.all("t_min", (p) => p.tMin, false), r.uniform() * 0.9, false);
    const n = count(cat.rows, (p) => p.type === type && ge(p.tMin, a.value) && p.file !== null && p.did === prefix + p.file);
    return capped(
      (top) =>
        `SELECT ${top}o.obs_publisher_did, o.target_name, o.s_ra, o.s_dec, o.s_fov, o.access_estsize, f.accsize, f.mime, f.naxis1, f.naxis2, f.naxis3 FROM ivoa.obscore AS o JOIN srcnet.files AS f ON o.obs_publisher_did = ${str(prefix)} || f.scope || ':' || f.name WHERE o.dataproduct_type = ${str(type)} AND o.t_min >= ${a.text}`,
      n,
      SYNC_TOP,
    );
  },
  // Bytes on disk per product type (join and aggregate).
  (cat, r) => {
    const prefix = didPrefix(pick(r, cat.rows).did);
    const n = groups(cat.rows.filter((p) => p.file !== null && p.did === prefix + p.file), (p) => p.type);
    return capped(
      (top) =>
        `SELECT ${top}o.dataproduct_type, COUNT(*) AS n, CAST(SUM(f.accsize) AS BIGINT) AS bytes_on_disk, CAST(SUM(o.access_estsize) AS BIGINT) AS kbytes FROM ivoa.obscore AS o JOIN srcnet.files AS f ON o.obs_publisher_did = ${str(prefix)} || f.scope || ':' || f.name GROUP BY o.dataproduct_type`,
      n,
      SYNC_TOP,
    );
  },
  // What the archive holds per product type.
  (cat) => {
    const n = groups(cat.rows, (p) => p.type);
    return capped(
      (top) => `SELECT ${top}dataproduct_type, COUNT(*) AS n, AVG(s_fov) AS mean_fov, MIN(t_min) AS first_obs, MAX(t_max) AS last_obs FROM ivoa.obscore GROUP BY dataproduct_type`,
      n,
      SYNC_TOP,
    );
  },
  // Recent observations per telescope and band.
  (cat, r, s) => {
    const a = threshold(s.all("t_min", (p) => p.tMin, false), r.uniform() * 0.8, false);
    const n = groups(cat.rows.filter((p) => ge(p.tMin, a.value)), (p) => `${p.collection}\0${p.instrument}`);
    return capped(
      (top) =>
        `SELECT ${top}obs_collection, instrument_name, COUNT(*) AS n, SUM(t_exptime) AS exposure, MIN(em_min) AS em_lo, MAX(em_max) AS em_hi FROM ivoa.obscore WHERE t_min >= ${a.text} GROUP BY obs_collection, instrument_name`,
      n,
      SYNC_TOP,
    );
  },
  // Volume per proposal for one product type, largest first.
  (cat, r) => {
    const type = pick(r, ["image", "cube", "visibility", "measurements"]);
    const n = groups(cat.rows.filter((p) => p.type === type), (p) => `${p.proposal}\0${p.pi}`);
    return capped(
      (top) =>
        `SELECT ${top}proposal_id, pi_name, COUNT(*) AS n, CAST(SUM(access_estsize) AS BIGINT) AS kbytes FROM ivoa.obscore WHERE dataproduct_type = ${str(type)} GROUP BY proposal_id, pi_name ORDER BY kbytes DESC`,
      n,
      SYNC_TOP,
    );
  },
];

// ------------------------------------------------------------------------------------------ async

/** Most images taken as the left side of a crossmatch (keeps the pair count cheap to compute). */
const XMATCH_LEFT = 200;

const ASYNC: Template[] = [
  // Every column of everything overlapping a spectral window, in time order.
  (cat, r, s) => {
    const em = s.em();
    const q0 = r.uniform() * 0.8;
    const lo = threshold(em, q0, true);
    const hi = threshold(em, q0 + 0.05 + r.uniform() * 0.3, true);
    const n = count(cat.rows, (p) => gt(p.emMax, lo.value) && lt(p.emMin, hi.value));
    return capped((top) => `SELECT ${top}* FROM ivoa.obscore WHERE em_max > ${lo.text} AND em_min < ${hi.text} ORDER BY t_min`, n, ASYNC_TOP);
  },
  // Crossmatch: cubes near images taken in a time window (a spatial self-join).
  (cat, r, s) => {
    const images = s.positioned().filter((p) => p.type === "image" && p.tMin !== null);
    const cubes = s.positioned().filter((p) => p.type === "cube");
    const times = s.get("t_min|image", () => images, (p) => p.tMin, false);
    const maxDeg = 2;
    for (let attempt = 0; ; attempt++) {
      const q0 = r.uniform() * 0.8;
      const t1 = threshold(times, q0, false);
      const t2 = threshold(times, q0 + Math.min(1, XMATCH_LEFT / Math.max(1, times.length)) * (0.2 + 0.8 * r.uniform()), false);
      const left = images.filter((p) => ge(p.tMin, t1.value) && le(p.tMin, t2.value));
      const dist: number[] = [];
      for (const a of left) {
        for (const b of cubes) {
          if (Math.abs(a.dec! - b.dec!) > maxDeg) continue;
          const d = separationDeg(a.ra!, a.dec!, b.ra!, b.dec!);
          if (d < maxDeg) dist.push(d);
        }
      }
      dist.sort((x, y) => x - y);
      // Aim at a radius, not a count: pairs within 0.1..1.5 deg.
      const want = 0.1 + 1.4 * r.uniform();
      const iv = radiusFor(dist, dist.filter((d) => d < want).length, maxDeg);
      if (iv === null && attempt < 20) continue;
      if (iv === null) throw new Error("no crossmatch radius keeps every pair away from the edge");
      const rad = literalIn(iv.lo, iv.hi);
      return capped(
        (top) =>
          `SELECT ${top}a.obs_publisher_did, a.target_name, b.obs_publisher_did AS cube_did, b.em_min AS cube_em_min, b.em_max AS cube_em_max, DISTANCE(${point("a.")}, ${point("b.")}) AS sep FROM ivoa.obscore AS a JOIN ivoa.obscore AS b ON 1=CONTAINS(${point("b.")}, CIRCLE('ICRS', a.s_ra, a.s_dec, ${rad.text})) WHERE a.dataproduct_type = 'image' AND b.dataproduct_type = 'cube' AND a.t_min >= ${t1.text} AND a.t_min <= ${t2.text}`,
        countInside(dist, rad.value),
        ASYNC_TOP,
      );
    }
  },
  // A summary of the whole archive.
  (cat) => {
    const n = groups(cat.rows, (p) => `${p.collection}\0${p.instrument}\0${p.type}\0${p.calib}`);
    return capped(
      (top) =>
        `SELECT ${top}obs_collection, instrument_name, dataproduct_type, calib_level, COUNT(*) AS n, AVG(t_exptime) AS mean_exptime, MIN(em_min) AS em_lo, MAX(em_max) AS em_hi, AVG(s_resolution) AS mean_resolution, CAST(SUM(access_estsize) AS BIGINT) AS kbytes FROM ivoa.obscore GROUP BY obs_collection, instrument_name, dataproduct_type, calib_level`,
      n,
      ASYNC_TOP,
    );
  },
];

// ------------------------------------------------------------------------------------ workloads

/** How many of each kind in n queries: TAP_MIX by largest remainder, then every kind once if n >= 4. */
export function tapMixCounts(n: number): Record<TapQueryKind, number> {
  const kinds = Object.keys(TAP_MIX) as TapQueryKind[];
  const exact = kinds.map((k) => n * TAP_MIX[k]);
  const counts = exact.map((x) => Math.floor(x));
  let left = n - counts.reduce((a, b) => a + b, 0);
  const byRemainder = kinds.map((_, i) => i).sort((a, b) => exact[b]! - counts[b]! - (exact[a]! - counts[a]!) || a - b);
  for (const i of byRemainder) if (left-- > 0) counts[i]!++;
  // A small workload still exercises every kind: taken from the largest share.
  for (let i = 0; i < kinds.length && n >= kinds.length; i++) {
    if (counts[i]! > 0) continue;
    const from = counts.indexOf(Math.max(...counts));
    counts[from]!--;
    counts[i]!++;
  }
  return Object.fromEntries(kinds.map((k, i) => [k, counts[i]!])) as Record<TapQueryKind, number>;
}

/**
 * n TAP queries over the dataset in `datasetDir` (its catalogue.csv and files/), mixed as
 * TAP_MIX and shuffled; the same (dataset, seed, n) always gives the same queries.
 */
export function tapWorkload(datasetDir: string, seed: number, n: number): TapQuery[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`query count must be a non-negative integer, got ${n}`);
  const cat = readCatalogue(datasetDir);
  const streams = new RandomStreams(seed);
  const sorted = new Sorted(cat);
  const counts = tapMixCounts(n);
  const kinds: TapQueryKind[] = (Object.keys(counts) as TapQueryKind[]).flatMap((k) => Array<TapQueryKind>(counts[k]).fill(k));
  const order = streams.stream("workload/tap/order");
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = order.integer(i + 1);
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  // One stream per kind: changing the share of one kind leaves the others' queries as they were.
  const templates: Record<Exclude<TapQueryKind, "cone">, Template[]> = { range: RANGE, join: JOIN, async: ASYNC };
  return kinds.map((kind) => {
    const r = streams.stream(`workload/tap/${kind}`);
    if (kind === "cone") return coneQuery(cat, r, sorted);
    return { kind, ...pick(r, templates[kind])(cat, r, sorted) };
  });
}

/**
 * A catalogue row of the dataset as the ingestion service takes it: the template of an ingested
 * product's metadata (the campaign replaces its identifying fields).
 */
export function productTemplate(datasetDir: string): Record<string, string | null> {
  return { ...readCatalogue(datasetDir).first };
}

/**
 * n SODA cutouts of products with a FITS payload under files/: centred on the product, radius
 * 25–80 % of its half field of view (the image spans s_fov), so the cutout is a real cut and
 * still holds a few pixels of the smallest (16 x 16) images.
 */
export function sodaWorkload(datasetDir: string, seed: number, n: number): Cutout[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`cutout count must be a non-negative integer, got ${n}`);
  const cat = readCatalogue(datasetDir);
  const fits = cat.rows.filter((p) => p.file !== null && p.file.endsWith(".fits") && p.ra !== null && p.dec !== null && p.fov !== null && p.fov > 0);
  if (n > 0 && fits.length === 0) throw new Error(`${datasetDir} has no FITS payloads to cut out (generated with --no-payloads?)`);
  const r = new RandomStreams(seed).stream("workload/soda");
  return Array.from({ length: n }, () => {
    const p = pick(r, fits);
    return { id: p.did, ra: p.ra!, dec: p.dec!, radiusDeg: Number(((p.fov! / 2) * r.between(0.25, 0.8)).toPrecision(6)) };
  });
}

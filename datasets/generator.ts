/**
 * Catalogue rows from a scenario, in product-creation order, a batch at a time (memory stays
 * bounded whatever the row count). Products appear as in the simulator's `produce()`
 * (sim/srcnet/model.ts): each Science Verification period emits products back to back, each
 * once its bytes have accumulated at the period's volume rate, so the volume of every period is
 * exact; types and sizes come from the same {@link ProductSampler} and the same "products"
 * random stream, drawn in the same event order (time, then insertion order). Every other
 * choice (sky position, band, exposure, names) draws from its own named substream.
 */
import { en, Faker } from "@faker-js/faker";
import type { ProductType, Scenario } from "../scenarios/types.js";
import { RandomStreams, type RandomStream } from "../sim/kernel/random.js";
import { ProductSampler } from "../sim/srcnet/sizes.js";
import { OBSCORE_COLUMNS } from "./columns.js";
import { profileOf, SPEED_OF_LIGHT, type TelescopeProfile } from "./sky.js";

/** Number of revisited Science Verification fields per telescope, and the share of products on them. */
export const FIELDS_PER_TELESCOPE = 300;
export const PROPOSALS_PER_TELESCOPE = 40;
export const ON_FIELD_FRACTION = 0.85;

const DEG = 180 / Math.PI;

/** Per product type: ObsCore vocabulary, file naming, observable. */
export const TYPE_INFO: Record<ProductType, { dataproduct: string; calib: number; suffix: string; format: string; oUcd: string; fits: boolean }> = {
  visibilities: { dataproduct: "visibility", calib: 2, suffix: ".vis.ms.tar", format: "application/x-tar", oUcd: "stat.fourier", fits: false },
  "image-cube": { dataproduct: "cube", calib: 3, suffix: ".cube.fits", format: "application/fits", oUcd: "phot.flux.density", fits: true },
  image: { dataproduct: "image", calib: 3, suffix: ".image.fits", format: "application/fits", oUcd: "phot.flux.density", fits: true },
  // ObsCore 1.1 has no "catalogue" product type: tables of measured sources are "measurements".
  catalogue: { dataproduct: "measurements", calib: 4, suffix: ".cat.bin", format: "application/octet-stream", oUcd: "phot.flux.density", fits: false },
};

/** Extra per-row numbers the payload writer needs (not catalogue columns). */
export const EXTRA_NUMBERS = ["bytes", "created", "freq_lo", "freq_hi", "telescope", "type", "site", "payload_bytes", "serial"] as const;
export const EXTRA_STRINGS = ["adler32", "md5"] as const;

/**
 * Text columns with few distinct values: the batch holds an index into the column's pool
 * (NaN: null), written to Arrow as dictionary-encoded strings.
 */
export const POOLED_COLUMNS = [
  "dataproduct_type",
  "obs_collection",
  "access_format",
  "o_ucd",
  "pol_states",
  "facility_name",
  "instrument_name",
  "proposal_id",
  "pi_name",
  "product_type",
  "first_site",
  "scope",
  "telescope_name",
] as const;
export type PooledName = (typeof POOLED_COLUMNS)[number];

export interface Pooled {
  pool: string[];
  index: Float64Array;
}

/**
 * A text column written straight to UTF-8 bytes from the row's numbers (no JavaScript string
 * per row: building and encoding those strings was most of the cost of a row).
 */
export interface ByteColumn {
  /** Upper bound on one value's bytes. */
  maxBytes: number;
  /** Writes row i at out[pos...]; returns the new position. */
  write(i: number, out: Uint8Array, pos: number): number;
  /** Row i as a string (same bytes), for the text formats and file names. */
  text(i: number): string;
}

/** Columns built by {@link CatalogueGenerator.byteColumns} rather than stored as strings. */
export const BYTE_COLUMNS = ["obs_id", "obs_publisher_did", "access_url", "s_region", "name", "did", "path"] as const;

const ascii = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0) & 0x7f);

function putBytes(src: Uint8Array, out: Uint8Array, pos: number): number {
  const n = src.length;
  if (n > 24) out.set(src, pos);
  else for (let k = 0; k < n; k++) out[pos + k] = src[k]!;
  return pos + n;
}

function copyRange(src: Uint8Array, from: number, to: number, out: Uint8Array, pos: number): number {
  for (let k = from; k < to; k++) out[pos++] = src[k]!;
  return pos;
}

/** Non-negative integer (< 2^53) in decimal. */
function putInt(x: number, out: Uint8Array, pos: number): number {
  if (x < 10) {
    out[pos] = 48 + x;
    return pos + 1;
  }
  if (x < 2 ** 31) {
    let digits = 1;
    for (let y = x; y >= 10; y = (y / 10) | 0) digits++;
    for (let k = digits - 1, y = x; k >= 0; k--, y = (y / 10) | 0) out[pos + k] = 48 + (y % 10);
    return pos + digits;
  }
  let digits = 0;
  for (let y = x; y >= 1; y = Math.floor(y / 10)) digits++;
  for (let k = digits - 1, y = x; k >= 0; k--, y = Math.floor(y / 10)) out[pos + k] = 48 + (y % 10);
  return pos + digits;
}

/** x with a fixed number of decimals (x rounded to them). */
function putFixed(x: number, decimals: number, out: Uint8Array, pos: number): number {
  if (x < 0) {
    out[pos++] = 45;
    x = -x;
  }
  const scale = 10 ** decimals;
  const n = Math.round(x * scale);
  const frac = n % scale;
  pos = putInt((n - frac) / scale, out, pos);
  out[pos++] = 46;
  for (let k = decimals - 1, y = frac; k >= 0; k--, y = Math.floor(y / 10)) out[pos + k] = 48 + (y % 10);
  return pos + decimals;
}

/** A batch of rows as columns: numbers (NaN is null) and strings. */
export class Batch {
  n = 0;
  /** Incremented at every fill, so that per-batch caches know when to rebuild. */
  version = 0;
  readonly f: Record<string, Float64Array>;
  readonly s: Record<string, (string | null)[]>;
  constructor(readonly capacity: number) {
    // Built with Object.fromEntries so that V8 keeps fast properties (a loop of keyed stores
    // can leave the objects in slow dictionary mode, which costs microseconds per row).
    const numbers = [...OBSCORE_COLUMNS.filter((c) => c.kind !== "char").map((c) => c.name), ...EXTRA_NUMBERS, ...POOLED_COLUMNS];
    const special = new Set<string>([...BYTE_COLUMNS, ...POOLED_COLUMNS]);
    const strings = [...OBSCORE_COLUMNS.filter((c) => c.kind === "char" && !special.has(c.name)).map((c) => c.name), ...EXTRA_STRINGS];
    this.f = Object.fromEntries(numbers.map((k) => [k, new Float64Array(capacity)]));
    this.s = Object.fromEntries(strings.map((k) => [k, new Array<string | null>(capacity).fill(null)]));
  }
}

interface Field {
  ra: number;
  dec: number;
  name: string;
  proposal: number;
}

interface TelescopeState {
  name: string;
  profile: TelescopeProfile;
  sampler: ProductSampler;
  sky: RandomStream;
  fields: Field[];
  proposals: { id: string; pi: string }[];
  bandCumulative: number[];
  ingestCumulative: number[];
  ingestSites: string[];
  collection: string;
  count: number;
}

interface ProductionEvent {
  time: number;
  seq: number;
  started: boolean;
  ti: number;
  bytesPerSecond: number;
  end: number;
  type: number;
  size: number;
}

const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const pad2 = (x: number) => (x < 10 ? `0${x}` : `${x}`);

/** IAU-style "Jhhmmss+ddmmss" name of a position. */
export function jName(ra: number, dec: number): string {
  const h = (ra / 15) * 3600;
  const hs = Math.floor(h);
  const d = Math.abs(dec) * 3600;
  const ds = Math.floor(d);
  return `J${pad2(Math.floor(hs / 3600))}${pad2(Math.floor(hs / 60) % 60)}${pad2(hs % 60)}${dec < 0 ? "-" : "+"}${pad2(Math.floor(ds / 3600))}${pad2(Math.floor(ds / 60) % 60)}${pad2(ds % 60)}`;
}

function cumulative(weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  return weights.map((w) => (acc += w / total));
}

function pick(cum: number[], u: number): number {
  for (let i = 0; i < cum.length - 1; i++) if (u < cum[i]!) return i;
  return cum.length - 1;
}

/** Observable sky position: RA uniform, declination uniform on the sphere up to the telescope's limit. */
function skyPosition(r: RandomStream, p: TelescopeProfile): { ra: number; dec: number } {
  const ra = r.between(0, 360);
  const dec = Math.asin(r.between(-1, Math.sin(p.maxDecDegrees / DEG))) * DEG;
  return { ra: round6(ra), dec: round6(dec) };
}

export interface GeneratorOptions {
  /** Stop after this many rows (default: when the scenario's duration ends). */
  maxRows?: number;
}

export class CatalogueGenerator {
  readonly scope: string;
  readonly telescopes: TelescopeState[];
  private readonly events: ProductionEvent[] = [];
  private seq = 0;
  private readonly rProducts: RandomStream;
  private readonly rPlacement: RandomStream;
  private readonly mjd0: number;
  private readonly maxRows: number;
  rows = 0;
  /** The pool of each pooled text column. */
  readonly pools: Record<PooledName, string[]>;
  private readonly bandOffset: number[];
  private readonly siteIndex: number[][];
  private readonly typeIndex: number[][];
  private readonly formatIndex: Record<ProductType, number>;
  private readonly ucdIndex: Record<ProductType, number>;

  constructor(
    readonly sc: Scenario,
    opts: GeneratorOptions = {},
  ) {
    const streams = new RandomStreams(sc.seed);
    this.rProducts = streams.stream("products");
    this.rPlacement = streams.stream("dataset/placement");
    this.maxRows = opts.maxRows ?? Infinity;
    const start = Date.parse(sc.startDate);
    this.mjd0 = (Number.isFinite(start) ? start : 0) / 86_400_000 + 40_587;
    this.scope = `sv${sc.startDate.slice(0, 4).replace(/\D/g, "") || "0"}`;
    this.telescopes = sc.telescopes.map((t) => {
      const profile = profileOf(t);
      const rNames = streams.stream(`dataset/names/${t.name}`);
      const faker = new Faker({ locale: [en] });
      faker.seed(rNames.integer(2 ** 31));
      const proposals = Array.from({ length: PROPOSALS_PER_TELESCOPE }, (_, i) => ({
        id: `${this.scope.toUpperCase()}-${profile.code.toUpperCase()}-${String(i + 1).padStart(3, "0")}`,
        pi: faker.person.fullName(),
      }));
      const rFields = streams.stream(`dataset/fields/${t.name}`);
      const fields = Array.from({ length: FIELDS_PER_TELESCOPE }, (_, i) => {
        const { ra, dec } = skyPosition(rFields, profile);
        const name = `${cap(faker.word.adjective())} ${cap(faker.word.noun())} Field`;
        return { ra, dec, name, proposal: i % PROPOSALS_PER_TELESCOPE };
      });
      return {
        name: t.name,
        profile,
        sampler: new ProductSampler(t.productMix),
        sky: streams.stream(`dataset/sky/${t.name}`),
        fields,
        proposals,
        bandCumulative: cumulative(profile.bands.map((b) => b.weight)),
        ingestCumulative: cumulative(t.ingest.map((e) => e.weight)),
        ingestSites: t.ingest.map((e) => e.site),
        collection: `${profile.facility} SV`,
        count: 0,
      };
    });
    const types = Object.keys(TYPE_INFO) as ProductType[];
    const formats = [...new Set(types.map((k) => TYPE_INFO[k].format))];
    const ucds = [...new Set(types.map((k) => TYPE_INFO[k].oUcd))];
    this.formatIndex = Object.fromEntries(types.map((k) => [k, formats.indexOf(TYPE_INFO[k].format)])) as Record<ProductType, number>;
    this.ucdIndex = Object.fromEntries(types.map((k) => [k, ucds.indexOf(TYPE_INFO[k].oUcd)])) as Record<ProductType, number>;
    const siteNames = sc.sites.map((x) => x.name);
    this.siteIndex = this.telescopes.map((t) => t.ingestSites.map((x) => siteNames.indexOf(x)));
    this.typeIndex = sc.telescopes.map((t) => t.productMix.map((m) => types.indexOf(m.type)));
    this.bandOffset = [];
    let off = 0;
    for (const t of this.telescopes) {
      this.bandOffset.push(off);
      off += t.profile.bands.length;
    }
    this.pools = {
      dataproduct_type: types.map((k) => TYPE_INFO[k].dataproduct),
      obs_collection: this.telescopes.map((t) => t.collection),
      access_format: formats,
      o_ucd: ucds,
      pol_states: ["/I/", "/XX/XY/YX/YY/"],
      facility_name: this.telescopes.map((t) => t.profile.facility),
      instrument_name: this.telescopes.flatMap((t) => t.profile.bands.map((b) => b.name)),
      proposal_id: this.telescopes.flatMap((t) => t.proposals.map((x) => x.id)),
      pi_name: this.telescopes.flatMap((t) => t.proposals.map((x) => x.pi)),
      product_type: types,
      first_site: siteNames,
      scope: [this.scope],
      telescope_name: this.telescopes.map((t) => t.name),
    };
    sc.telescopes.forEach((t, ti) => {
      for (const period of t.schedule) {
        if (period.startSeconds >= sc.durationSeconds || period.bytesPerWeek <= 0) continue;
        this.events.push({
          time: period.startSeconds,
          seq: this.seq++,
          started: false,
          ti,
          bytesPerSecond: period.bytesPerWeek / 604_800,
          end: Math.min(period.endSeconds, sc.durationSeconds),
          type: 0,
          size: 0,
        });
      }
    });
  }

  /** Expected number of rows (for progress): each period's volume over the mean product size. */
  estimatedRows(): number {
    let n = 0;
    for (const e of this.events) n += ((e.end - e.time) * e.bytesPerSecond) / this.telescopes[e.ti]!.sampler.meanBytes;
    return Math.min(this.maxRows, Math.max(1, Math.round(n)));
  }

  /** Draws a period's next product; false when it would appear after the period's end. */
  private draw(e: ProductionEvent): boolean {
    const sampler = this.telescopes[e.ti]!.sampler;
    e.type = sampler.type(this.rProducts);
    e.size = sampler.size(this.rProducts, e.type);
    const at = e.time + e.size / e.bytesPerSecond;
    if (!(at < e.end)) return false;
    e.time = at;
    e.seq = this.seq++;
    e.started = true;
    return true;
  }

  /** The next product in creation order, or null when none is left. */
  private nextProduct(): ProductionEvent | null {
    for (;;) {
      let best = -1;
      for (let i = 0; i < this.events.length; i++) {
        const e = this.events[i]!;
        const b = best < 0 ? null : this.events[best]!;
        if (b === null || e.time < b.time || (e.time === b.time && e.seq < b.seq)) best = i;
      }
      if (best < 0) return null;
      const e = this.events[best]!;
      if (!e.started) {
        if (!this.draw(e)) this.events.splice(best, 1);
        continue;
      }
      return e;
    }
  }

  /**
   * The byte-built text columns of a batch: identifiers from (telescope, serial, type) —
   * obs_id "<scope>-<low|mid>-<serial>", name = obs_id + type suffix, did "<scope>:<name>", path
   * "files/<scope>/<name>", access_url and obs_publisher_did — and s_region
   * "CIRCLE ICRS <ra> <dec> <s_fov / 2>" (6, 6 and 7 decimals).
   */
  /** The pooled text columns of a batch. */
  pooledColumns(b: Batch): Record<PooledName, Pooled> {
    return Object.fromEntries(POOLED_COLUMNS.map((k) => [k, { pool: this.pools[k], index: b.f[k]! }])) as Record<PooledName, Pooled>;
  }

  byteColumns(b: Batch): Record<(typeof BYTE_COLUMNS)[number], ByteColumn> {
    const ids = this.telescopes.map((t) => ascii(`${this.scope}-${t.profile.code}-`));
    const suffixes = this.sc.telescopes.map((t) => t.productMix.map((m) => ascii(TYPE_INFO[m.type].suffix)));
    const maxSuffix = Math.max(0, ...suffixes.flat().map((x) => x.length));
    const maxId = Math.max(0, ...ids.map((x) => x.length)) + 16;
    const { serial, telescope, type, s_ra, s_dec, s_fov } = b.f;
    const scratch = Buffer.alloc(1024);
    // The names of the batch's rows ("<scope>-<code>-<serial><suffix>"), built once per batch
    // and copied into each identifier column.
    let version = -1;
    let names = new Uint8Array(0);
    const start = new Int32Array(b.capacity + 1);
    const idEnd = new Int32Array(b.capacity);
    const buildNames = () => {
      if (version === b.version) return;
      version = b.version;
      if (names.length < b.capacity * (maxId + maxSuffix)) names = new Uint8Array(b.capacity * (maxId + maxSuffix));
      let pos = 0;
      for (let i = 0; i < b.n; i++) {
        const ti = telescope![i]!;
        start[i] = pos;
        pos = putBytes(ids[ti]!, names, pos);
        pos = putInt(serial![i]!, names, pos);
        idEnd[i] = pos;
        pos = putBytes(suffixes[ti]![type![i]!]!, names, pos);
      }
      start[b.n] = pos;
    };
    const ident = (prefix: string, suffix: boolean): ByteColumn => {
      const pre = ascii(prefix);
      const np = pre.length;
      const col: ByteColumn = {
        maxBytes: np + maxId + (suffix ? maxSuffix : 0),
        write: (i, out, pos) => {
          buildNames();
          pos = copyRange(pre, 0, np, out, pos);
          return copyRange(names, start[i]!, suffix ? start[i + 1]! : idEnd[i]!, out, pos);
        },
        text: (i) => scratch.toString("latin1", 0, col.write(i, scratch, 0)),
      };
      return col;
    };
    const region = ascii("CIRCLE ICRS ");
    const sRegion: ByteColumn = {
      maxBytes: region.length + 3 * 24,
      write: (i, out, pos) => {
        pos = putBytes(region, out, pos);
        pos = putFixed(s_ra![i]!, 6, out, pos);
        out[pos++] = 32;
        pos = putFixed(s_dec![i]!, 6, out, pos);
        out[pos++] = 32;
        return putFixed(s_fov![i]! / 2, 7, out, pos);
      },
      text: (i) => scratch.toString("latin1", 0, sRegion.write(i, scratch, 0)),
    };
    return {
      obs_id: ident("", false),
      name: ident("", true),
      did: ident(`${this.scope}:`, true),
      path: ident(`files/${this.scope}/`, true),
      access_url: ident(`https://srcnet.skao.int/data/${this.scope}/`, true),
      obs_publisher_did: ident(`ivo://skao.int/srcnet~?${this.scope}:`, true),
      s_region: sRegion,
    };
  }

  /** Fills the batch with the next rows; returns how many (0: done). */
  fill(batch: Batch): number {
    batch.n = 0;
    batch.version++;
    while (batch.n < batch.capacity && this.rows < this.maxRows) {
      const e = this.nextProduct();
      if (e === null) break;
      this.writeRow(batch, batch.n++, e.ti, e.type, e.size, e.time);
      this.rows++;
      const idx = this.events.indexOf(e);
      if (!this.draw(e)) this.events.splice(idx, 1);
    }
    return batch.n;
  }

  private writeRow(b: Batch, i: number, ti: number, typeIndex: number, size: number, time: number): void {
    const t = this.telescopes[ti]!;
    const p = t.profile;
    const r = t.sky;
    const f = b.f;
    const s = b.s;
    const type = this.sc.telescopes[ti]!.productMix[typeIndex]!.type;
    const serial = ++t.count;
    const site = pick(t.ingestCumulative, this.rPlacement.uniform());

    // Sky position: most products on the revisited fields.
    let ra: number, dec: number, target: string, proposal: number;
    if (r.uniform() < ON_FIELD_FRACTION) {
      const fld = t.fields[r.integer(t.fields.length)]!;
      ra = fld.ra;
      dec = fld.dec;
      target = fld.name;
      proposal = fld.proposal;
    } else {
      ({ ra, dec } = skyPosition(r, p));
      target = jName(ra, dec);
      proposal = r.integer(t.proposals.length);
    }

    // Spectral window inside one band; continuum products and visibilities are wider than cubes.
    const bandIndex = pick(t.bandCumulative, r.uniform());
    const band = p.bands[bandIndex]!;
    const bandWidth = band.maxHz - band.minHz;
    const frac = type === "visibilities" ? r.between(0.3, 1) : type === "image-cube" ? r.between(0.05, 0.4) : r.between(0.1, 0.6);
    const bw = Math.round(bandWidth * frac);
    const lo = Math.round(band.minHz + r.uniform() * (bandWidth - bw));
    const hi = lo + bw;
    const fc = (lo + hi) / 2;
    const lambda = SPEED_OF_LIGHT / fc;
    const fov = round6((lambda / p.apertureMetres) * DEG);
    const resolution = ((lambda / (p.maxBaselineMetres * r.between(0.3, 1))) * DEG * 3600);
    // Observation length: log-normal, median 4 h, within [0.5 h, 12 h] (assumption for SV).
    const hours = Math.min(12, Math.max(0.5, r.lognormal(Math.log(4), 0.5)));
    const exptime = Math.round(hours * 3600);

    let sxel = NaN;
    let emXel = 1;
    let tRes = exptime;
    let tXel = 1;
    let pol = 0; // index in pools.pol_states; NaN: null
    let polXel = 1;
    if (type === "visibilities") {
      emXel = Math.max(1, Math.round(bw / p.channelHz));
      tRes = p.integrationSeconds;
      tXel = Math.max(1, Math.round(exptime / p.integrationSeconds));
      pol = 1;
      polXel = 4;
    } else if (type === "image-cube") {
      emXel = Math.round(Math.min(16_384, Math.max(16, r.lognormal(Math.log(1024), 0.8))));
      sxel = Math.max(1, Math.round(Math.sqrt(size / 4 / emXel)));
    } else if (type === "image") {
      sxel = Math.max(1, Math.round(Math.sqrt(size / 4)));
    } else {
      pol = NaN;
      polXel = NaN;
    }

    const tMax = this.mjd0 + time / 86_400;
    const ty = this.typeIndex[ti]![typeIndex]!;
    f.dataproduct_type![i] = ty;
    f.calib_level![i] = TYPE_INFO[type].calib;
    f.obs_collection![i] = ti;
    f.access_format![i] = this.formatIndex[type];
    f.access_estsize![i] = Math.ceil(size / 1000);
    s.target_name![i] = target;
    f.s_ra![i] = ra;
    f.s_dec![i] = dec;
    f.s_fov![i] = fov;
    f.s_resolution![i] = resolution;
    f.s_xel1![i] = sxel;
    f.s_xel2![i] = sxel;
    f.t_min![i] = tMax - exptime / 86_400;
    f.t_max![i] = tMax;
    f.t_exptime![i] = exptime;
    f.t_resolution![i] = tRes;
    f.t_xel![i] = tXel;
    f.em_min![i] = SPEED_OF_LIGHT / hi;
    f.em_max![i] = SPEED_OF_LIGHT / lo;
    f.em_res_power![i] = fc / (bw / emXel);
    f.em_xel![i] = emXel;
    f.o_ucd![i] = this.ucdIndex[type];
    f.pol_states![i] = pol;
    f.pol_xel![i] = polXel;
    f.facility_name![i] = ti;
    f.instrument_name![i] = this.bandOffset[ti]! + bandIndex;
    f.proposal_id![i] = ti * PROPOSALS_PER_TELESCOPE + proposal;
    f.pi_name![i] = ti * PROPOSALS_PER_TELESCOPE + proposal;
    f.product_type![i] = ty;
    f.first_site![i] = this.siteIndex[ti]![site]!;

    f.bytes![i] = size;
    f.created![i] = time;
    f.freq_lo![i] = lo;
    f.freq_hi![i] = hi;
    f.telescope![i] = ti;
    f.type![i] = typeIndex;
    f.site![i] = site;
    f.payload_bytes![i] = 0;
    f.serial![i] = serial;
    f.scope![i] = 0;
    f.telescope_name![i] = ti;
    s.adler32![i] = null;
    s.md5![i] = null;
  }
}

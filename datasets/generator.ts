/**
 * Catalogue rows from a scenario, in product-creation order, a batch at a time (memory stays
 * bounded whatever the row count). Products appear as in the simulator's `produce()`
 * (sim/srcnet/model.ts): each Science Verification period emits products back to back, each
 * once its bytes have accumulated at the period's volume rate, so the volume of every period is
 * exact; types and sizes come from the same {@link ProductSampler} and the same "products"
 * random stream, drawn in the same event order (time, then insertion order). Every other
 * choice (sky position, band, exposure, names) draws from its own named substream.
 */
import type { ProductType, Scenario } from "../scenarios/types.js";
import { RandomStreams, type RandomStream } from "../sim/kernel/random.js";
import { ProductSampler } from "../sim/srcnet/sizes.js";
import { TextColumn } from "../records/text-column.js";
import { OBSCORE_COLUMNS } from "./columns.js";
import type { TelescopeNames } from "./names.js";
import { profileOf, SPEED_OF_LIGHT, type TelescopeProfile } from "./sky.js";
import { Uniforms } from "./uniforms.js";
import type { Arena } from "./wasm.js";

/** Number of revisited Science Verification fields per telescope, and the share of products on them. */
export const FIELDS_PER_TELESCOPE = 300;
export const PROPOSALS_PER_TELESCOPE = 40;
export const ON_FIELD_FRACTION = 0.85;

const DEG = 180 / Math.PI;
const LOG_4_HOURS = Math.log(4);
const LOG_1024_CHANNELS = Math.log(1024);

/** Per product type: ObsCore vocabulary, file naming, observable. */
export const TYPE_INFO: Record<ProductType, { dataproduct: string; calib: number; suffix: string; format: string; oUcd: string; fits: boolean }> = {
  visibilities: { dataproduct: "visibility", calib: 2, suffix: ".vis.ms.tar", format: "application/x-tar", oUcd: "stat.fourier", fits: false },
  "image-cube": { dataproduct: "cube", calib: 3, suffix: ".cube.fits", format: "application/fits", oUcd: "phot.flux.density", fits: true },
  image: { dataproduct: "image", calib: 3, suffix: ".image.fits", format: "application/fits", oUcd: "phot.flux.density", fits: true },
  // ObsCore 1.1 has no "catalogue" product type: tables of measured sources are "measurements".
  catalogue: { dataproduct: "measurements", calib: 4, suffix: ".cat.bin", format: "application/octet-stream", oUcd: "phot.flux.density", fits: false },
};

/**
 * Text columns with few distinct values: the batch holds an index into the column's pool
 * (-1: null), written to Arrow as dictionary-encoded strings.
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

/** Pooled columns whose index is always another's: they share its index array. */
const SAME_INDEX: Partial<Record<PooledName, PooledName>> = {
  product_type: "dataproduct_type",
  facility_name: "obs_collection",
  telescope_name: "obs_collection",
  pi_name: "proposal_id",
};

/** Text columns built per batch as bytes (see text-columns.ts), and the payload checksums. */
export const TEXT_COLUMNS = ["obs_id", "obs_publisher_did", "access_url", "target_name", "s_region", "name", "did", "path", "adler32", "md5"] as const;
export type TextName = (typeof TEXT_COLUMNS)[number];

/** The only number columns fill() leaves null (NaN); every other number is always set. */
export const NULLABLE_NUMBERS: ReadonlySet<string> = new Set(["s_xel1", "s_xel2", "pol_xel"]);

/** Number columns always equal to another (square images): they share its array. */
const SAME_NUMBER: Readonly<Record<string, string>> = { s_xel2: "s_xel1" };

/** Extra per-row numbers (not catalogue columns): the manifest's and the payload writer's. */
export const EXTRA_NUMBERS = ["bytes", "created", "freq_lo", "freq_hi", "payload_bytes", "serial"] as const;

/** Index array of a pooled column: as narrow as its pool allows (Arrow takes it as it is). */
export type IndexArray = Int8Array | Int16Array | Int32Array;

/** A pooled column of a batch: row i is pool[index[i]], or null when index[i] is -1. */
export interface Pooled {
  pool: string[];
  index: IndexArray;
}

/**
 * Where a batch lives in memory that the text module and the fill thread also see (an
 * {@link Arena}'s): its numbers and indices ({@link Batch.sharedBytes} bytes from `offset`), and
 * per text column built by the module, its data, its Arrow offsets and its most bytes a row.
 */
export interface BatchLayout {
  offset: number;
  text: Partial<Record<TextName, { data: number; offsets: number; bytesPerRow: number }>>;
}

/** A batch of rows as columns: numbers (NaN is null), pooled indices, text built as bytes. */
export class Batch {
  n = 0;
  readonly f: Record<string, Float64Array>;
  readonly k: Record<PooledName, IndexArray>;
  /** Text columns: those of the layout, and (unless made with `text: false`) every other one growable. */
  readonly t: Record<TextName, TextColumn>;
  /** Target of each row: index into the generator's field names, or -1 for a position name. */
  readonly field: Int32Array;

  /**
   * `pools`: the generator's pools, whose sizes set the width of each index array. `memory`:
   * the buffer and layout to use (the same layout on every thread); without it, the batch has
   * its own memory.
   */
  constructor(
    readonly capacity: number,
    pools: Record<PooledName, readonly string[]>,
    opts: { memory?: { buffer: ArrayBufferLike; layout: BatchLayout }; text?: boolean } = {},
  ) {
    // Every array in one buffer, 8-byte aligned, in a fixed order (the layout sharedBytes counts).
    const memory = opts.memory?.buffer ?? new ArrayBuffer(Batch.sharedBytes(capacity, pools));
    let offset = opts.memory?.layout.offset ?? 0;
    const take = <T>(Type: new (buffer: ArrayBufferLike, offset: number, length: number) => T, bytesPerElement: number): T => {
      const a = new Type(memory, offset, capacity);
      offset += Math.ceil((capacity * bytesPerElement) / 8) * 8;
      return a;
    };
    // Built with Object.fromEntries so that V8 keeps fast properties.
    const numbers = new Map(numberColumns().map((k) => [k, take(Float64Array, 8)]));
    this.f = Object.fromEntries([...numbers.keys(), ...Object.keys(SAME_NUMBER)].map((k) => [k, numbers.get(SAME_NUMBER[k] ?? k)!]));
    const own = new Map<PooledName, IndexArray>();
    for (const [k, w] of indexWidths(pools)) own.set(k, w === 1 ? take(Int8Array, 1) : w === 2 ? take(Int16Array, 2) : take(Int32Array, 4));
    this.k = Object.fromEntries(POOLED_COLUMNS.map((k) => [k, own.get(SAME_INDEX[k] ?? k)!])) as Record<PooledName, IndexArray>;
    this.field = take(Int32Array, 4);
    const text = opts.text ?? true;
    const fixed = opts.memory?.layout.text ?? {};
    this.t = Object.fromEntries(
      TEXT_COLUMNS.flatMap((k) => {
        const at = fixed[k];
        return at ? [[k, new TextColumn(capacity, at.bytesPerRow, { buffer: memory, ...at })]] : text ? [[k, new TextColumn(capacity, 48)]] : [];
      }),
    ) as Record<TextName, TextColumn>;
    // Identifiers, regions and hex checksums are letters, digits and "-.:/~? ": nothing to
    // escape in XML or CSV. Target names come from faker and are checked.
    for (const [k, col] of Object.entries(this.t)) col.plain = k !== "target_name";
  }

  /** Bytes of a batch's numbers and indices. */
  static sharedBytes(capacity: number, pools: Record<PooledName, readonly string[]>): number {
    const round = (bytes: number) => Math.ceil(bytes / 8) * 8;
    let bytes = numberColumns().length * round(capacity * 8) + round(capacity * 4);
    for (const w of indexWidths(pools).values()) bytes += round(capacity * w);
    return bytes;
  }

  /** A layout in the arena, with the given text columns and their most bytes a row. */
  static allocate(arena: Arena, capacity: number, pools: Record<PooledName, readonly string[]>, text: Partial<Record<TextName, number>>): BatchLayout {
    return {
      offset: arena.alloc(Batch.sharedBytes(capacity, pools)),
      text: Object.fromEntries(
        Object.entries(text).map(([k, bytesPerRow]) => [k, { data: arena.alloc(capacity * bytesPerRow!), offsets: arena.alloc(4 * (capacity + 1)), bytesPerRow: bytesPerRow! }]),
      ),
    };
  }
}

/** Number columns with their own array. */
function numberColumns(): string[] {
  const pooled = new Set<string>(POOLED_COLUMNS);
  const text = new Set<string>(TEXT_COLUMNS);
  return [...OBSCORE_COLUMNS.filter((c) => !pooled.has(c.name) && !text.has(c.name) && !(c.name in SAME_NUMBER)).map((c) => c.name), ...EXTRA_NUMBERS];
}

/** Bytes per index of each index array (columns sharing one take the widest). */
function indexWidths(pools: Record<PooledName, readonly string[]>): Map<PooledName, 1 | 2 | 4> {
  const size = new Map<PooledName, number>();
  for (const k of POOLED_COLUMNS) {
    const owner = SAME_INDEX[k] ?? k;
    size.set(owner, Math.max(size.get(owner) ?? 0, pools[k].length));
  }
  return new Map([...size].map(([k, n]) => [k, n <= 127 ? 1 : n <= 32767 ? 2 : 4]));
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
  sky: Uniforms;
  /** sin of the highest observable declination. */
  sinMaxDec: number;
  fields: Field[];
  /** Index of the telescope's first field in {@link CatalogueGenerator.fieldNames}. */
  fieldBase: number;
  proposals: { id: string; pi: string }[];
  bandCumulative: number[];
  ingestCumulative: number[];
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

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const pad2 = (x: number) => (x < 10 ? `0${x}` : `${x}`);

/** IAU-style "Jhhmmss+ddmmss" name of a position (text-columns.wat writes the same as bytes). */
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

/** Product types in pool order (the index of a type in every per-type table). */
export const PRODUCT_TYPES = Object.keys(TYPE_INFO) as ProductType[];
const VISIBILITIES = PRODUCT_TYPES.indexOf("visibilities");
const CUBE = PRODUCT_TYPES.indexOf("image-cube");
const IMAGE = PRODUCT_TYPES.indexOf("image");

export interface GeneratorOptions {
  /** Stop after this many rows (default: when the scenario's duration ends). */
  maxRows?: number;
}

export class CatalogueGenerator {
  readonly scope: string;
  readonly telescopes: TelescopeState[];
  private readonly events: ProductionEvent[] = [];
  private seq = 0;
  /** The simulator's "products" stream (buffered: the same draws, see uniforms.ts). */
  private readonly rProducts: RandomStream;
  private readonly rPlacement: Uniforms;
  private readonly mjd0: number;
  private readonly maxRows: number;
  rows = 0;
  /** The pool of each pooled text column. */
  readonly pools: Record<PooledName, string[]>;
  /** Names of every telescope's revisited fields (target_name of rows on them). */
  readonly fieldNames: string[];
  private readonly bandOffset: number[];
  private readonly siteIndex: number[][];
  /** Per telescope and mix entry: index in {@link PRODUCT_TYPES}. */
  private readonly typeIndex: number[][];
  private readonly formatIndex: number[];
  private readonly ucdIndex: number[];
  private readonly calib: number[];

  /** `names`: {@link makeNames} of the scenario (made once, shared with a fill thread). */
  constructor(
    readonly sc: Scenario,
    names: TelescopeNames[],
    opts: GeneratorOptions = {},
  ) {
    const streams = new RandomStreams(sc.seed);
    // ProductSampler takes a RandomStream; Uniforms gives the same uniform() and lognormal().
    this.rProducts = new Uniforms(streams.stream("products")) as unknown as RandomStream;
    this.rPlacement = new Uniforms(streams.stream("dataset/placement"));
    this.maxRows = opts.maxRows ?? Infinity;
    const start = Date.parse(sc.startDate);
    this.mjd0 = (Number.isFinite(start) ? start : 0) / 86_400_000 + 40_587;
    this.scope = `sv${sc.startDate.slice(0, 4).replace(/\D/g, "") || "0"}`;
    let fieldBase = 0;
    this.telescopes = sc.telescopes.map((t, ti) => {
      const profile = profileOf(t);
      const proposals = Array.from({ length: PROPOSALS_PER_TELESCOPE }, (_, i) => ({
        id: `${this.scope.toUpperCase()}-${profile.code.toUpperCase()}-${String(i + 1).padStart(3, "0")}`,
        pi: names[ti]!.pis[i]!,
      }));
      const rFields = streams.stream(`dataset/fields/${t.name}`);
      const fields = Array.from({ length: FIELDS_PER_TELESCOPE }, (_, i) => {
        const { ra, dec } = skyPosition(rFields, profile);
        return { ra, dec, name: names[ti]!.fields[i]!, proposal: i % PROPOSALS_PER_TELESCOPE };
      });
      const state: TelescopeState = {
        name: t.name,
        profile,
        sampler: new ProductSampler(t.productMix),
        sky: new Uniforms(streams.stream(`dataset/sky/${t.name}`)),
        sinMaxDec: Math.sin(profile.maxDecDegrees / DEG),
        fields,
        fieldBase,
        proposals,
        bandCumulative: cumulative(profile.bands.map((b) => b.weight)),
        ingestCumulative: cumulative(t.ingest.map((e) => e.weight)),
        collection: `${profile.facility} SV`,
        count: 0,
      };
      fieldBase += fields.length;
      return state;
    });
    this.fieldNames = this.telescopes.flatMap((t) => t.fields.map((f) => f.name));
    const types = PRODUCT_TYPES;
    const formats = [...new Set(types.map((k) => TYPE_INFO[k].format))];
    const ucds = [...new Set(types.map((k) => TYPE_INFO[k].oUcd))];
    this.formatIndex = types.map((k) => formats.indexOf(TYPE_INFO[k].format));
    this.ucdIndex = types.map((k) => ucds.indexOf(TYPE_INFO[k].oUcd));
    this.calib = types.map((k) => TYPE_INFO[k].calib);
    const siteNames = sc.sites.map((x) => x.name);
    this.siteIndex = sc.telescopes.map((t) => t.ingest.map((e) => siteNames.indexOf(e.site)));
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
      product_type: [...types],
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

  /** Index in `events` of the next product in creation order, or -1 when none is left. */
  private nextProduct(): number {
    const events = this.events;
    for (;;) {
      let best = -1;
      let bt = Infinity;
      let bs = Infinity;
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        if (best < 0 || e.time < bt || (e.time === bt && e.seq < bs)) {
          best = i;
          bt = e.time;
          bs = e.seq;
        }
      }
      if (best < 0) return -1;
      const e = events[best]!;
      if (!e.started) {
        if (!this.draw(e)) events.splice(best, 1);
        continue;
      }
      return best;
    }
  }

  /**
   * Fills the batch with the next rows' numbers and pooled indices; returns how many (0: done).
   * Text columns are built afterwards from these ({@link TextBuilder}). One loop with every
   * column array in a local: this runs ten million times for the benchmark.
   */
  fill(b: Batch): number {
    b.n = 0;
    const f = b.f;
    const k = b.k;
    const calibLevel = f.calib_level!, estsize = f.access_estsize!, sRa = f.s_ra!, sDec = f.s_dec!, sFov = f.s_fov!;
    const sRes = f.s_resolution!, sXel = f.s_xel1!, tMin = f.t_min!, tMaxA = f.t_max!;
    const tExp = f.t_exptime!, tResA = f.t_resolution!, tXelA = f.t_xel!, emMin = f.em_min!, emMax = f.em_max!;
    const emRes = f.em_res_power!, emXelA = f.em_xel!, polXelA = f.pol_xel!;
    const bytesA = f.bytes!, created = f.created!, freqLo = f.freq_lo!, freqHi = f.freq_hi!, payload = f.payload_bytes!, serialA = f.serial!;
    const kType = k.dataproduct_type, kTel = k.obs_collection, kFormat = k.access_format, kUcd = k.o_ucd, kPol = k.pol_states;
    const kInstr = k.instrument_name, kProposal = k.proposal_id, kSite = k.first_site;
    const fieldA = b.field;
    const events = this.events;
    let i = 0;
    while (i < b.capacity && this.rows < this.maxRows) {
      const ei = this.nextProduct();
      if (ei < 0) break;
      const e = events[ei]!;
      const ti = e.ti;
      const size = e.size;
      const t = this.telescopes[ti]!;
      const p = t.profile;
      const r = t.sky;
      const ty = this.typeIndex[ti]![e.type]!;
      const serial = ++t.count;
      const site = pick(t.ingestCumulative, this.rPlacement.uniform());

      // Sky position: most products on the revisited fields.
      let ra: number, dec: number, proposal: number;
      // between(a, b) and integer(n) written out (a + (b - a) u, floor(u n)): the same values,
      // and small enough for V8 to inline every draw into this loop.
      if (r.uniform() < ON_FIELD_FRACTION) {
        const fi = Math.floor(r.uniform() * t.fields.length);
        const fld = t.fields[fi]!;
        ra = fld.ra;
        dec = fld.dec;
        proposal = fld.proposal;
        fieldA[i] = t.fieldBase + fi;
      } else {
        ra = round6(360 * r.uniform());
        dec = round6(Math.asin(-1 + (t.sinMaxDec + 1) * r.uniform()) * DEG);
        proposal = Math.floor(r.uniform() * t.proposals.length);
        fieldA[i] = -1;
      }

      // Spectral window inside one band; continuum products and visibilities are wider than cubes.
      const bandIndex = pick(t.bandCumulative, r.uniform());
      const band = p.bands[bandIndex]!;
      const bandWidth = band.maxHz - band.minHz;
      const u = r.uniform();
      const frac = ty === VISIBILITIES ? 0.3 + (1 - 0.3) * u : ty === CUBE ? 0.05 + (0.4 - 0.05) * u : 0.1 + (0.6 - 0.1) * u;
      const bw = Math.round(bandWidth * frac);
      const lo = Math.round(band.minHz + r.uniform() * (bandWidth - bw));
      const hi = lo + bw;
      const fc = (lo + hi) / 2;
      const lambda = SPEED_OF_LIGHT / fc;
      const fov = round6((lambda / p.apertureMetres) * DEG);
      const resolution = (lambda / (p.maxBaselineMetres * (0.3 + (1 - 0.3) * r.uniform()))) * DEG * 3600;
      // Observation length: log-normal, median 4 h, within [0.5 h, 12 h] (assumption for SV).
      const hours = Math.min(12, Math.max(0.5, r.lognormal(LOG_4_HOURS, 0.5)));
      const exptime = Math.round(hours * 3600);

      let sxel = NaN;
      let emXel = 1;
      let tRes = exptime;
      let tXel = 1;
      let pol = 0; // index in pools.pol_states; -1: null
      let polXel = 1;
      if (ty === VISIBILITIES) {
        emXel = Math.max(1, Math.round(bw / p.channelHz));
        tRes = p.integrationSeconds;
        tXel = Math.max(1, Math.round(exptime / p.integrationSeconds));
        pol = 1;
        polXel = 4;
      } else if (ty === CUBE) {
        emXel = Math.round(Math.min(16_384, Math.max(16, r.lognormal(LOG_1024_CHANNELS, 0.8))));
        sxel = Math.max(1, Math.round(Math.sqrt(size / 4 / emXel)));
      } else if (ty === IMAGE) {
        sxel = Math.max(1, Math.round(Math.sqrt(size / 4)));
      } else {
        pol = -1;
        polXel = NaN;
      }

      const tMax = this.mjd0 + e.time / 86_400;
      kType[i] = ty;
      calibLevel[i] = this.calib[ty]!;
      kTel[i] = ti;
      kFormat[i] = this.formatIndex[ty]!;
      estsize[i] = Math.ceil(size / 1000);
      sRa[i] = ra;
      sDec[i] = dec;
      sFov[i] = fov;
      sRes[i] = resolution;
      sXel[i] = sxel; // s_xel2 too (the same array)
      tMin[i] = tMax - exptime / 86_400;
      tMaxA[i] = tMax;
      tExp[i] = exptime;
      tResA[i] = tRes;
      tXelA[i] = tXel;
      emMin[i] = SPEED_OF_LIGHT / hi;
      emMax[i] = SPEED_OF_LIGHT / lo;
      emRes[i] = fc / (bw / emXel);
      emXelA[i] = emXel;
      kUcd[i] = this.ucdIndex[ty]!;
      kPol[i] = pol;
      polXelA[i] = polXel;
      kInstr[i] = this.bandOffset[ti]! + bandIndex;
      kProposal[i] = ti * PROPOSALS_PER_TELESCOPE + proposal;
      kSite[i] = this.siteIndex[ti]![site]!;
      bytesA[i] = size;
      created[i] = e.time;
      freqLo[i] = lo;
      freqHi[i] = hi;
      payload[i] = 0;
      serialA[i] = serial;
      // b.n set here, not after the loop: V8 compiles this loop on its first call (OSR), when
      // code after the loop has never run, and would leave the optimized code there every batch.
      b.n = ++i;
      this.rows++;
      if (!this.draw(e)) events.splice(ei, 1);
    }
    return i;
  }
}

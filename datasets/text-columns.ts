/**
 * The per-row text columns of a batch, written as bytes from the row's numbers, one column
 * at a time: identifiers from (telescope, serial, type) — obs_id "<scope>-<low|mid>-<serial>",
 * name = obs_id + type suffix, did "<scope>:<name>", path "files/<scope>/<name>", access_url
 * and obs_publisher_did — s_region "CIRCLE ICRS <ra> <dec> <s_fov / 2>" (6, 6 and 7 decimals)
 * and target_name (the field's name, or "Jhhmmss+ddmmss" off the revisited fields).
 */
import { copyWords, put2, putFixed, putScaled, putUint, putWords, utf8, Words, type TextColumn } from "./bytes.js";
import { PRODUCT_TYPES, TYPE_INFO, type Batch, type CatalogueGenerator, type TextName } from "./generator.js";

/** Columns built from the row's numbers; the others are a constant prefix + name. */
export const FROM_NUMBERS = ["name", "obs_id", "s_region", "target_name"] as const;
/**
 * Columns a fill thread builds as soon as it has filled a batch (the rest are built by the
 * thread that writes): this split evens out the two threads' work.
 */
export const IN_FILL_THREAD = ["name", "obs_id"] as const;
type Prefixed = "did" | "path" | "access_url" | "obs_publisher_did";
const PREFIXED: readonly Prefixed[] = ["did", "path", "access_url", "obs_publisher_did"];

/** The columns to build for `wanted`: with name, which obs_id and the prefixed ones copy. */
export function withDependencies(wanted: Iterable<TextName>): Set<TextName> {
  const cols = new Set(wanted);
  if (cols.has("obs_id") || PREFIXED.some((c) => cols.has(c))) cols.add("name");
  return cols;
}

const REGION = new Words(utf8("CIRCLE ICRS "));
/** Longest putUint output (2^53 has 16 digits). */
const MAX_DIGITS = 16;

export class TextBuilder {
  /** "<scope>-<code>-" per telescope. */
  private readonly idPrefix: Words[];
  /** File suffix per product type. */
  private readonly suffix: Words[];
  private readonly maxName: number;
  private readonly maxId: number;
  private readonly prefixes: Record<Prefixed, Words>;
  /** Every field name, back to back, with their offsets. */
  private readonly fieldBytes: DataView;
  private readonly fieldOffsets: Int32Array;
  private readonly maxField: number;
  /** "CIRCLE ICRS <ra> <dec> " of each field: on a revisited field only the radius is formatted. */
  private readonly fieldRegions: Words[];

  constructor(gen: CatalogueGenerator) {
    const scope = gen.scope;
    this.idPrefix = gen.telescopes.map((t) => new Words(utf8(`${scope}-${t.profile.code}-`)));
    this.suffix = PRODUCT_TYPES.map((k) => new Words(utf8(TYPE_INFO[k].suffix)));
    this.maxId = Math.max(...this.idPrefix.map((w) => w.length)) + MAX_DIGITS;
    this.maxName = this.maxId + Math.max(...this.suffix.map((w) => w.length));
    this.prefixes = {
      did: new Words(utf8(`${scope}:`)),
      path: new Words(utf8(`files/${scope}/`)),
      access_url: new Words(utf8(`https://srcnet.skao.int/data/${scope}/`)),
      obs_publisher_did: new Words(utf8(`ivo://skao.int/srcnet~?${scope}:`)),
    };
    const names = gen.fieldNames.map(utf8);
    this.fieldOffsets = new Int32Array(names.length + 1);
    const all = new Uint8Array(names.reduce((s, x) => s + x.length, 0) + 8);
    names.forEach((x, i) => {
      all.set(x, this.fieldOffsets[i]!);
      this.fieldOffsets[i + 1] = this.fieldOffsets[i]! + x.length;
    });
    this.fieldBytes = new DataView(all.buffer);
    this.maxField = Math.max(15, ...names.map((x) => x.length));
    const scratch = new Uint8Array(REGION.length + 64);
    this.fieldRegions = gen.telescopes.flatMap((t) =>
      t.fields.map((f) => {
        let pos = putWords(REGION, new DataView(scratch.buffer), 0);
        pos = putFixed(f.ra, 6, scratch, pos);
        scratch[pos++] = 32;
        pos = putFixed(f.dec, 6, scratch, pos);
        scratch[pos++] = 32;
        return new Words(scratch.slice(0, pos));
      }),
    );
  }

  /** Most bytes a row takes in each column built from numbers (sizes of shared columns). */
  maxBytes(): Record<(typeof FROM_NUMBERS)[number], number> {
    return { name: this.maxName, obs_id: this.maxId, s_region: REGION.length + 3 * 26, target_name: this.maxField };
  }

  /** Builds the given columns for the batch's rows (name always: the identifiers copy it). */
  build(b: Batch, columns: ReadonlySet<TextName>): void {
    const t = b.t;
    if (columns.has("name")) this.names(b, t.name);
    if (columns.has("obs_id")) this.obsIds(b, t.obs_id);
    for (const c of PREFIXED) if (columns.has(c)) this.prefixed(b, t[c], this.prefixes[c]);
    if (columns.has("s_region")) this.regions(b, t.s_region);
    if (columns.has("target_name")) this.targets(b, t.target_name);
  }

  private names(b: Batch, col: TextColumn): void {
    const n = b.n;
    const tel = b.k.obs_collection;
    const type = b.k.product_type;
    const serial = b.f.serial!;
    const out = col.reserve(0, n * this.maxName);
    const view = col.view;
    const offsets = col.offsets;
    let pos = 0;
    offsets[0] = 0;
    for (let i = 0; i < n; i++) {
      pos = putWords(this.idPrefix[tel[i]!]!, view, pos);
      pos = putUint(serial[i]!, out, pos);
      pos = putWords(this.suffix[type[i]!]!, view, pos);
      offsets[i + 1] = pos;
    }
    col.n = n;
    col.nulls = 0;
  }

  /** The name without its type suffix. */
  private obsIds(b: Batch, col: TextColumn): void {
    const n = b.n;
    const names = b.t.name;
    const from = names.offsets;
    const type = b.k.product_type;
    const suffix = this.suffix;
    col.reserve(0, n * this.maxId);
    const src = names.view;
    const view = col.view;
    const offsets = col.offsets;
    let pos = 0;
    offsets[0] = 0;
    for (let i = 0; i < n; i++) {
      pos = copyWords(src, from[i]!, from[i + 1]! - suffix[type[i]!]!.length, view, pos);
      offsets[i + 1] = pos;
    }
    col.n = n;
    col.nulls = 0;
  }

  /** prefix + name. */
  private prefixed(b: Batch, col: TextColumn, prefix: Words): void {
    const n = b.n;
    const names = b.t.name;
    const from = names.offsets;
    col.reserve(0, from[n]! + n * prefix.length);
    const src = names.view;
    const view = col.view;
    const offsets = col.offsets;
    let pos = 0;
    offsets[0] = 0;
    for (let i = 0; i < n; i++) {
      pos = putWords(prefix, view, pos);
      pos = copyWords(src, from[i]!, from[i + 1]!, view, pos);
      offsets[i + 1] = pos;
    }
    col.n = n;
    col.nulls = 0;
  }

  private regions(b: Batch, col: TextColumn): void {
    const n = b.n;
    const ra = b.f.s_ra!;
    const dec = b.f.s_dec!;
    const fov = b.f.s_fov!;
    const field = b.field;
    const fieldRegions = this.fieldRegions;
    // Each number: sign, up to 16 integer digits, point, 7 decimals.
    const out = col.reserve(0, n * (REGION.length + 3 * 26));
    const view = col.view;
    const offsets = col.offsets;
    let pos = 0;
    offsets[0] = 0;
    // Rounded here and formatted as integers when they fit in 31 bits (always, for real skies):
    // the same digits as putFixed, without a boxed double per call.
    for (let i = 0; i < n; i++) {
      const fi = field[i]!;
      if (fi >= 0) pos = putWords(fieldRegions[fi]!, view, pos);
      else {
        pos = putWords(REGION, view, pos);
        pos = putCoordinate(ra[i]!, 6, 1e6, out, pos);
        out[pos++] = 32;
        pos = putCoordinate(dec[i]!, 6, 1e6, out, pos);
        out[pos++] = 32;
      }
      // the radius, rounded here: a double passed to a call that is not inlined gets boxed
      const radius = Math.round((fov[i]! / 2) * 1e7);
      pos = radius < 2147483648 ? putScaled(radius | 0, 7, out, pos) : putFixed(fov[i]! / 2, 7, out, pos);
      offsets[i + 1] = pos;
    }
    col.n = n;
    col.nulls = 0;
  }

  private targets(b: Batch, col: TextColumn): void {
    const n = b.n;
    const field = b.field;
    const ra = b.f.s_ra!;
    const dec = b.f.s_dec!;
    const names = this.fieldBytes;
    const from = this.fieldOffsets;
    const out = col.reserve(0, n * this.maxField);
    const view = col.view;
    const offsets = col.offsets;
    let pos = 0;
    offsets[0] = 0;
    for (let i = 0; i < n; i++) {
      const fi = field[i]!;
      if (fi >= 0) pos = copyWords(names, from[fi]!, from[fi + 1]!, view, pos);
      else pos = putJName(ra[i]!, dec[i]!, out, pos);
      offsets[i + 1] = pos;
    }
    col.n = n;
    col.nulls = 0;
  }
}

/** putFixed(x, decimals), through putScaled when |x| x scale rounds to less than 2^31. */
function putCoordinate(x: number, decimals: number, scale: number, out: Uint8Array, pos: number): number {
  const a = x < 0 ? -x : x;
  const n = Math.round(a * scale);
  if (!(n < 2147483648)) return putFixed(x, decimals, out, pos);
  if (x < 0) out[pos++] = 45;
  return putScaled(n | 0, decimals, out, pos);
}

/** "Jhhmmss+ddmmss", the same as generator.ts's jName(). */
export function putJName(ra: number, dec: number, out: Uint8Array, pos: number): number {
  const hs = Math.floor((ra / 15) * 3600);
  const ds = Math.floor(Math.abs(dec) * 3600);
  out[pos++] = 74; // J
  pos = put2(Math.floor(hs / 3600), out, pos);
  pos = put2(Math.floor(hs / 60) % 60, out, pos);
  pos = put2(hs % 60, out, pos);
  out[pos++] = dec < 0 ? 45 : 43;
  pos = put2(Math.floor(ds / 3600), out, pos);
  pos = put2(Math.floor(ds / 60) % 60, out, pos);
  return put2(ds % 60, out, pos);
}

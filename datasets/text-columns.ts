/**
 * The per-row text columns of a batch, written as bytes from the row's numbers by the
 * WebAssembly module text-columns.wat: identifiers from (telescope, serial, type) — obs_id
 * "<scope>-<low|mid>-<serial>", name = obs_id + type suffix, did "<scope>:<name>", path
 * "files/<scope>/<name>", access_url and obs_publisher_did — s_region "CIRCLE ICRS <ra> <dec>
 * <s_fov / 2>" (6, 6 and 7 decimals) and target_name (the field's name, or "Jhhmmss+ddmmss" off
 * the revisited fields). The constant strings (tables) are put in the arena once; a builder on
 * another thread uses the same tables.
 */
import { utf8 } from "../records/text-column.js";
import { PRODUCT_TYPES, TYPE_INFO, type Batch, type CatalogueGenerator, type TextName } from "./generator.js";
import { instantiate, type Arena, type TextExports } from "./wasm.js";

/** Columns a {@link TextBuilder} builds (the others, payload checksums, are appended row by row). */
export const BUILT = ["name", "obs_id", "did", "path", "access_url", "obs_publisher_did", "s_region", "target_name"] as const satisfies readonly TextName[];
export type BuiltName = (typeof BUILT)[number];

type Prefixed = "did" | "path" | "access_url" | "obs_publisher_did";
const PREFIXED: readonly Prefixed[] = ["did", "path", "access_url", "obs_publisher_did"];

/** The columns to build for `wanted`: with name, which obs_id and the prefixed ones copy. */
export function withDependencies(wanted: Iterable<TextName>): Set<BuiltName> {
  const built = new Set<TextName>(BUILT);
  const cols = new Set([...wanted].filter((c): c is BuiltName => built.has(c)));
  if (cols.has("obs_id") || PREFIXED.some((c) => cols.has(c))) cols.add("name");
  return cols;
}

const REGION_HEAD = "CIRCLE ICRS ";
/** Longest decimal integer the module writes (an unsigned 64-bit one). */
const MAX_DIGITS = 20;

/** Where the constant strings are in the arena: string tables are (pointer, length) pairs. */
export interface TextTables {
  /** "<scope>-<code>-" per telescope. */
  ids: number;
  /** File suffix per product type. */
  suffixes: number;
  /** Every revisited field's name. */
  fieldNames: number;
  prefixes: Record<Prefixed, { at: number; length: number }>;
  regionHead: { at: number; length: number };
  /** Most bytes a row takes in each column (the size of its buffers). */
  maxBytes: Record<BuiltName, number>;
}

export class TextBuilder {
  private readonly x: TextExports;

  /** `module`: {@link textModule}(); `memory`: the arena's, where the tables and batches are. */
  constructor(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    readonly tables: TextTables,
  ) {
    this.x = instantiate(module, memory);
  }

  /** Puts the generator's constant strings in the arena. */
  static tables(gen: CatalogueGenerator, arena: Arena): TextTables {
    const scope = gen.scope;
    const string = (s: string) => {
      const bytes = utf8(s);
      return { at: arena.put(bytes), length: bytes.length };
    };
    const table = (strings: string[]) => {
      const entries = strings.map(string);
      const at = arena.alloc(8 * entries.length);
      const words = new Int32Array(arena.buffer, at, 2 * entries.length);
      entries.forEach((e, k) => words.set([e.at, e.length], 2 * k));
      return { at, longest: Math.max(0, ...entries.map((e) => e.length)) };
    };
    const ids = table(gen.telescopes.map((t) => `${scope}-${t.profile.code}-`));
    const suffixes = table(PRODUCT_TYPES.map((k) => TYPE_INFO[k].suffix));
    const fields = table(gen.fieldNames);
    const prefixes = {
      did: string(`${scope}:`),
      path: string(`files/${scope}/`),
      access_url: string(`https://srcnet.skao.int/data/${scope}/`),
      obs_publisher_did: string(`ivo://skao.int/srcnet~?${scope}:`),
    };
    const maxId = ids.longest + MAX_DIGITS;
    const maxName = maxId + suffixes.longest;
    return {
      ids: ids.at,
      suffixes: suffixes.at,
      fieldNames: fields.at,
      prefixes,
      regionHead: string(REGION_HEAD),
      maxBytes: {
        name: maxName,
        obs_id: maxId,
        did: prefixes.did.length + maxName,
        path: prefixes.path.length + maxName,
        access_url: prefixes.access_url.length + maxName,
        obs_publisher_did: prefixes.obs_publisher_did.length + maxName,
        // three numbers: sign, digits, point, up to 9 decimals; two spaces
        s_region: REGION_HEAD.length + 3 * (2 + MAX_DIGITS + 9) + 2,
        target_name: Math.max("J000000+000000".length, fields.longest),
      },
    };
  }

  /**
   * Builds the given columns for the batch's rows; name first, as the identifiers copy it. The
   * batch must be laid out in this builder's memory, with these columns in its layout.
   */
  build(b: Batch, columns: ReadonlySet<BuiltName>): void {
    const n = b.n;
    const x = this.x;
    const t = b.t;
    const k = b.k;
    const tb = this.tables;
    const out = (c: BuiltName) => {
      const col = t[c];
      if (col.dataPtr < 0) throw new Error(`text column ${c} is not in the text module's memory`);
      col.n = n;
      col.nulls = 0;
      return col;
    };
    const tel = k.obs_collection;
    const type = k.product_type;
    if (columns.has("name")) {
      const c = out("name");
      x.names(n, tel.byteOffset, tel.BYTES_PER_ELEMENT, type.byteOffset, type.BYTES_PER_ELEMENT, b.f.serial!.byteOffset, tb.ids, tb.suffixes, c.dataPtr, c.offsetsPtr);
    }
    const name = t.name;
    if (columns.has("obs_id")) {
      const c = out("obs_id");
      x.obsIds(n, name.dataPtr, name.offsetsPtr, type.byteOffset, type.BYTES_PER_ELEMENT, tb.suffixes, c.dataPtr, c.offsetsPtr);
    }
    for (const p of PREFIXED) {
      if (!columns.has(p)) continue;
      const c = out(p);
      x.prefixed(n, name.dataPtr, name.offsetsPtr, tb.prefixes[p].at, tb.prefixes[p].length, c.dataPtr, c.offsetsPtr);
    }
    const f = b.f;
    if (columns.has("s_region")) {
      const c = out("s_region");
      x.regions(n, f.s_ra!.byteOffset, f.s_dec!.byteOffset, f.s_fov!.byteOffset, tb.regionHead.at, tb.regionHead.length, c.dataPtr, c.offsetsPtr);
    }
    if (columns.has("target_name")) {
      const c = out("target_name");
      x.targets(n, b.field.byteOffset, f.s_ra!.byteOffset, f.s_dec!.byteOffset, tb.fieldNames, c.dataPtr, c.offsetsPtr);
    }
  }
}

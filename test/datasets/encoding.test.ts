import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC, type Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { putNumber } from "../../datasets/bytes.js";
import { OBSCORE_COLUMNS, type ColumnDef } from "../../datasets/columns.js";
import { generateDataset, type DatasetOptions } from "../../datasets/generate.js";
import { Batch, CatalogueGenerator, jName, PRODUCT_TYPES, TYPE_INFO } from "../../datasets/generator.js";
import { makeNames } from "../../datasets/names.js";
import { TextBuilder, type BuiltName } from "../../datasets/text-columns.js";
import { Uniforms } from "../../datasets/uniforms.js";
import { Arena, textModule } from "../../datasets/wasm.js";
import { RandomStreams } from "../../sim/kernel/random.js";
import { ArrowSink } from "../../datasets/writers.js";
import { loadScenario } from "../../scenarios/load.js";

/**
 * The byte-level fast path of the generator: text columns written as bytes, numbers formatted by
 * hand, dictionary indices, batches filled on another thread. Checked from outside the writer:
 * bytes compared between runs, the Arrow file read back by apache-arrow against the VOTable read
 * by astropy and the CSV read by Python's csv module, number formatting against String().
 */
const tmp = mkdtempSync(join(tmpdir(), "datasets-encoding-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A few thousand rows of both telescopes and all product types, in batches of 1024 (the last
// one partial), without payloads.
const sc = loadScenario("sv-2027");
const ROWS = 3000;
const base: Omit<DatasetOptions, "out"> = { scenario: sc, rows: ROWS, batchSize: 1024, payloads: false, votable: false, csv: false };
let n = 0;
const generate = (opts: Partial<DatasetOptions> = {}): string => {
  const out = join(tmp, `d${n++}`);
  generateDataset({ ...base, ...opts, out });
  return out;
};
const bytes = (dir: string, f: string) => readFileSync(join(dir, f));
const dataFiles = (dir: string) => readdirSync(dir).filter((f) => f !== "run.json").sort();

describe("determinism of the fast path", () => {
  it("same seed: identical bytes, with or without threads; another seed: different bytes", () => {
    const a = generate({ threads: false });
    const b = generate({ threads: false });
    const threaded = generate({ threads: true });
    const other = generate({ threads: false, seed: 7 });
    expect(tableFromIPC(bytes(a, "catalogue.arrow")).numRows).toBe(ROWS);
    expect(dataFiles(b)).toEqual(dataFiles(a));
    expect(dataFiles(threaded)).toEqual(dataFiles(a));
    for (const f of dataFiles(a)) {
      expect(bytes(b, f).equals(bytes(a, f)), `${f}, run twice`).toBe(true);
      expect(bytes(threaded, f).equals(bytes(a, f)), `${f}, with threads`).toBe(true);
    }
    for (const f of ["catalogue.arrow", "manifest.arrow"]) expect(bytes(other, f).equals(bytes(a, f)), f).toBe(false);
  });
});

describe("threads", () => {
  it("a run that fails part-way leaves no output, and the next run is whole", () => {
    const out = join(tmp, "failed");
    expect(() =>
      generateDataset({
        ...base,
        out,
        threads: true,
        onProgress: () => {
          throw new Error("stop here");
        },
      }),
    ).toThrow("stop here");
    expect(readdirSync(tmp).filter((f) => f.startsWith("failed"))).toEqual([`failed.partial-${process.pid}`]);
    expect(JSON.parse(readFileSync(join(tmp, `failed.partial-${process.pid}`, "run.json"), "utf8")).status).toBe("failed");
    const again = generate({ threads: true });
    expect(tableFromIPC(bytes(again, "catalogue.arrow")).numRows).toBe(ROWS);
  });
});

describe("the Arrow catalogue holds the same values as the VOTable and the CSV", () => {
  let cat: Table;
  let text: { vot: Record<string, unknown[]>; csv: Record<string, string[]> };
  beforeAll(() => {
    const dir = generate({ votable: true, csv: true });
    cat = tableFromIPC(bytes(dir, "catalogue.arrow"));
    const out = execFileSync("/usr/bin/python3", [join(import.meta.dirname, "read_text.py"), join(dir, "catalogue.vot"), join(dir, "catalogue.csv"), String(ROWS)], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    text = JSON.parse(out);
  });

  it("has the same columns in the same order", () => {
    const names = OBSCORE_COLUMNS.map((c) => c.name);
    expect(cat.schema.fields.map((f) => f.name)).toEqual(names);
    expect(Object.keys(text.vot)).toEqual(names);
    expect(Object.keys(text.csv)).toEqual(names);
    expect(cat.numRows).toBe(ROWS);
  });

  it("every cell agrees, nulls included", () => {
    let nulls = 0;
    let jNames = 0;
    for (const c of OBSCORE_COLUMNS) {
      const arrow = cat.getChild(c.name)!;
      const vot = text.vot[c.name]!;
      const csv = text.csv[c.name]!;
      expect(vot.length, c.name).toBe(ROWS);
      expect(csv.length, c.name).toBe(ROWS);
      for (let i = 0; i < ROWS; i++) {
        const a: unknown = arrow.get(i);
        const where = `${c.name}[${i}]`;
        if (a === null) {
          nulls++;
          expect(vot[i] === null || vot[i] === "", where).toBe(true);
          expect(csv[i], where).toBe("");
        } else if (typeof a === "bigint") {
          expect(BigInt(vot[i] as number), where).toBe(a);
          expect(BigInt(csv[i]!), where).toBe(a);
        } else if (typeof a === "number") {
          expect(vot[i], where).toBe(a);
          expect(Number(csv[i]), where).toBe(a);
        } else {
          expect(vot[i], where).toBe(a);
          expect(csv[i], where).toBe(a);
          if (c.name === "target_name" && /^J\d{6}[+-]\d{6}$/.test(String(a))) jNames++;
        }
      }
    }
    // the sample has null cells (s_xel of visibilities, pol_* of catalogues) and off-field targets
    expect(nulls).toBeGreaterThan(0);
    expect(jNames).toBeGreaterThan(0);
  });

  it("identifiers, regions and position names follow from the row's numbers", () => {
    const get = (name: string, i: number) => cat.getChild(name)!.get(i) as string | number;
    for (let i = 0; i < ROWS; i++) {
      const target = String(get("target_name", i));
      if (/^J\d{6}[+-]\d{6}$/.test(target)) expect(target, `target_name[${i}]`).toBe(jName(Number(get("s_ra", i)), Number(get("s_dec", i))));
    }
    for (let i = 0; i < ROWS; i += 7) {
      const id = String(get("obs_id", i));
      expect(id).toMatch(/^sv2027-(low|mid)-\d+$/);
      expect(String(get("access_url", i))).toMatch(new RegExp(`^https://srcnet\\.skao\\.int/data/sv2027/${id}\\.`));
      expect(String(get("obs_publisher_did", i))).toMatch(new RegExp(`^ivo://skao\\.int/srcnet~\\?sv2027:${id}\\.`));
      const [ra, dec, r] = String(get("s_region", i)).replace("CIRCLE ICRS ", "").split(" ").map(Number);
      expect(ra).toBeCloseTo(Number(get("s_ra", i)), 6);
      expect(dec).toBeCloseTo(Number(get("s_dec", i)), 6);
      expect(r).toBeCloseTo(Number(get("s_fov", i)) / 2, 7);
    }
  });
});

describe("numbers formatted by hand", () => {
  const out = new Uint8Array(64);
  const text = (end: number) => new TextDecoder().decode(out.subarray(0, end));

  it("putNumber prints what String() prints", () => {
    const xs = [0, -0, 1, -1, 0.5, 1e-6, -1e-6, 1e-7, 0.1, 0.2, 0.3, 1 - 0.3, 0.849, 0.14, 359.999999, 2 ** 31, 2 ** 53 - 1, 2 ** 53 + 2, 1e21, 1e-300, 61234.56789012345];
    let seed = 12345;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 100_000; i++) {
      const decimals = Math.floor(random() * 8);
      const x = (Math.round(random() * 10 ** (Math.floor(random() * 10) + decimals)) / 10 ** decimals) * (random() < 0.3 ? -1 : 1);
      xs.push(x, x / 3, random() * 1e5);
    }
    for (const x of xs) expect(text(putNumber(x, out, 0)), String(x)).toBe(String(x));
  });

});

describe("text columns built by the WebAssembly module", () => {
  // A batch in an arena with the given numbers, every row of the first telescope and type.
  const build = (rows: { ra?: number; dec?: number; fov?: number; serial?: number; field?: number }[], columns: BuiltName[]) => {
    const gen = new CatalogueGenerator(sc, makeNames(sc), { maxRows: 1 });
    const arena = new Arena();
    const tables = TextBuilder.tables(gen, arena);
    const layout = Batch.allocate(arena, rows.length, gen.pools, Object.fromEntries(columns.map((c) => [c, tables.maxBytes[c]])));
    const b = new Batch(rows.length, gen.pools, { memory: { buffer: arena.buffer, layout } });
    rows.forEach((r, i) => {
      b.f.s_ra![i] = r.ra ?? 0;
      b.f.s_dec![i] = r.dec ?? 0;
      b.f.s_fov![i] = r.fov ?? 0;
      b.f.serial![i] = r.serial ?? 0;
      b.field[i] = r.field ?? -1;
      b.k.obs_collection[i] = 0;
      b.k.product_type[i] = 0;
    });
    b.n = rows.length;
    new TextBuilder(textModule(), arena.memory, tables).build(b, new Set(columns));
    return { b, gen, text: (c: BuiltName) => rows.map((_, i) => b.t[c].text(i)!) };
  };
  // The rounding the catalogue promises, written independently: Math.round of |x| x 10^d, in
  // decimal with d places (BigInt, so no digit is lost).
  const fixed = (x: number, d: number) => {
    const n = BigInt(Math.round(Math.abs(x) * 10 ** d));
    const s = n.toString().padStart(d + 1, "0");
    return `${x < 0 ? "-" : ""}${s.slice(0, -d)}.${s.slice(-d)}`;
  };

  it("s_region: coordinates with 6 decimals and the radius with 7, as toFixed where it is exact", () => {
    const { text } = build(
      [
        { ra: 12.5, dec: -0.25, fov: 0.5 },
        { ra: 359.9999996, dec: 0, fov: 2e-7 },
        { ra: 0, dec: -0, fov: 0 },
        { ra: 4295.000001, dec: -89.999999, fov: 1e4 },
        { ra: 3e9 + 0.5, dec: 1e-7, fov: 6e8 },
      ],
      ["s_region"],
    );
    expect(text("s_region")).toEqual([
      "CIRCLE ICRS 12.500000 -0.250000 0.2500000",
      "CIRCLE ICRS 360.000000 0.000000 0.0000001",
      "CIRCLE ICRS 0.000000 0.000000 0.0000000",
      "CIRCLE ICRS 4295.000001 -89.999999 5000.0000000",
      "CIRCLE ICRS 3000000000.500000 0.000000 300000000.0000000",
    ]);
  });

  it("s_region: 30,000 random positions and fields of view round as Math.round does", () => {
    let seed = 99;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const rows = Array.from({ length: 30_000 }, (_, i) => {
      // mostly sky-like values; some exactly on a half of the last place, some past 2^32 / 10^6
      const ra = i % 10 === 0 ? Math.round(random() * 360e7) / 1e7 : i % 10 === 1 ? random() * 1e5 : random() * 360;
      return { ra, dec: (random() - 0.5) * 180, fov: random() * (i % 3 === 0 ? 1000 : 5) };
    });
    const { text } = build(rows, ["s_region"]);
    text("s_region").forEach((got, i) => {
      const r = rows[i]!;
      expect(got, `row ${i}`).toBe(`CIRCLE ICRS ${fixed(r.ra, 6)} ${fixed(r.dec, 6)} ${fixed(r.fov / 2, 7)}`);
    });
  });

  it("names print the serial as String() does, and target names off the fields are jName()", () => {
    const serials = [0, 1, 9, 10, 99, 100, 12_345_678, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 3, 1e15 + 7, 2 ** 53 - 1];
    const positions: [number, number][] = [
      [0, 0],
      [0, -0],
      [359.99999, -89.99999],
      [123.456789, 45.5],
      [15.0000001, -0.0001],
    ];
    const { text, gen } = build(
      serials.map((serial, i) => ({ serial, ra: positions[i % positions.length]![0], dec: positions[i % positions.length]![1], field: i === 3 ? 7 : -1 })),
      ["name", "obs_id", "target_name"],
    );
    const id = `${gen.scope}-${gen.telescopes[0]!.profile.code}-`;
    expect(text("name")).toEqual(serials.map((x) => `${id}${x}${TYPE_INFO[PRODUCT_TYPES[0]!].suffix}`));
    expect(text("obs_id")).toEqual(serials.map((x) => `${id}${x}`));
    expect(text("target_name")).toEqual(serials.map((_, i) => (i === 3 ? gen.fieldNames[7] : jName(...positions[i % positions.length]!))));
  });
});

describe("uniforms drawn in blocks by the WebAssembly module", () => {
  it("are the stream's own: uniform(), normal() and lognormal() as RandomStream draws them, across blocks", () => {
    for (const [seed, name] of [[1, "products"], [2 ** 40 + 7, "dataset/sky/SKA-Low"], [0, ""]] as const) {
      const one = new RandomStreams(seed).stream(name);
      const stream = new RandomStreams(seed).stream(name);
      const bulk = new Uniforms(stream);
      // 3000 draws span three blocks of 1024; then normals and log-normals, mixed
      const expected = Array.from({ length: 3000 }, () => one.uniform());
      expect(Array.from({ length: 3000 }, () => bulk.uniform())).toEqual(expected);
      for (let i = 0; i < 700; i++) {
        expect(bulk.normal(1, 2)).toBe(one.normal(1, 2));
        expect(bulk.lognormal(3, 0.5)).toBe(one.lognormal(3, 0.5));
        expect(bulk.between(-1, 1)).toBe(one.between(-1, 1));
      }
    }
  });
});

describe("Int64 columns", () => {
  it("hold every integer a double can: small and large, negative, null", () => {
    const xs = [0, 1, 7, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 3, 2 ** 53 - 1, -1, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 40) - 5, NaN];
    const pools = Object.fromEntries(["dataproduct_type", "obs_collection", "access_format", "o_ucd", "pol_states", "facility_name", "instrument_name", "proposal_id", "pi_name", "product_type", "first_site", "scope", "telescope_name"].map((k) => [k, ["x"]]));
    const b = new Batch(xs.length, pools as never, { text: false });
    b.f.bytes!.set(xs);
    b.n = xs.length;
    const col: ColumnDef = { name: "bytes", kind: "long", nullable: true, description: "test" };
    const path = join(tmp, "int64.arrow");
    const sink = new ArrowSink(path, [col], (_c, batch) => batch.f.bytes!, b);
    sink.write(b);
    sink.close(b);
    const got = tableFromIPC(readFileSync(path)).getChild("bytes")!.toArray() as BigInt64Array;
    const valid = [...Array(xs.length).keys()].map((i) => tableFromIPC(readFileSync(path)).getChild("bytes")!.isValid(i));
    xs.forEach((x, i) => {
      if (Number.isNaN(x)) expect(valid[i]).toBe(false);
      else expect([valid[i], got[i]]).toEqual([true, BigInt(x)]);
    });
  });
});

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC, type Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { putFixed, putNumber } from "../../datasets/bytes.js";
import { OBSCORE_COLUMNS, type ColumnDef } from "../../datasets/columns.js";
import { generateDataset, type DatasetOptions } from "../../datasets/generate.js";
import { Batch, jName } from "../../datasets/generator.js";
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

  it("putFixed rounds as toFixed does where toFixed is exact", () => {
    for (const [x, d, s] of [
      [12.5, 6, "12.500000"],
      [-0.25, 7, "-0.2500000"],
      [359.9999996, 6, "360.000000"],
      [0, 6, "0.000000"],
      [1e-7, 7, "0.0000001"],
    ] as const) {
      expect(text(putFixed(x, d, out, 0))).toBe(s);
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

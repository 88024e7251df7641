import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { tableFromIPC, type Table } from "apache-arrow";
import { cumulativeStdNormalProbability, probit, quantileSorted } from "simple-statistics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDataset } from "../../datasets/generate.js";
import { loadScenario } from "../../scenarios/load.js";

const tmp = mkdtempSync(join(tmpdir(), "datasets-test-"));
const SPEED_OF_LIGHT = 299_792_458;
const WEEK = 604_800;

// A week of srcnet-0.1 (two telescopes, ~1500 products), payloads at 1e-8 of their real size.
const small = { scenario: "srcnet-0.1", set: ["duration=1 w"], scale: 1e-8 };

const read = (path: string): Table => tableFromIPC(readFileSync(path));
const rows = (t: Table) => t.toArray().map((r) => r.toJSON() as Record<string, unknown>);

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out;
}

let a: string;
beforeAll(() => {
  a = join(tmp, "a");
  generateDataset({ ...small, out: a });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("dataset files", () => {
  it("writes the catalogue, manifest, text formats and a complete run record, and no partial directory", () => {
    for (const f of ["catalogue.arrow", "manifest.arrow", "catalogue.vot", "catalogue.csv", "run.json", "summary.json"]) {
      expect(existsSync(join(a, f)), f).toBe(true);
    }
    const run = JSON.parse(readFileSync(join(a, "run.json"), "utf8"));
    expect(run.kind).toBe("dataset");
    expect(run.status).toBe("complete");
    expect(run.tables).toEqual(["catalogue", "manifest"]);
    expect(readdirSync(tmp).filter((f) => f.includes(".partial-"))).toEqual([]);
  });

  it("has the ObsCore 1.1 columns with their units, and the same rows in Arrow, CSV and VOTable", () => {
    const cat = read(join(a, "catalogue.arrow"));
    const names = cat.schema.fields.map((f) => f.name);
    for (const c of ["dataproduct_type", "calib_level", "obs_collection", "obs_id", "obs_publisher_did", "access_url", "access_format", "access_estsize", "target_name", "s_ra", "s_dec", "s_fov", "s_region", "s_resolution", "s_xel1", "s_xel2", "t_min", "t_max", "t_exptime", "t_resolution", "t_xel", "em_min", "em_max", "em_res_power", "em_xel", "o_ucd", "pol_states", "pol_xel", "facility_name", "instrument_name"]) {
      expect(names, c).toContain(c);
    }
    const unit = (n: string) => cat.schema.fields.find((f) => f.name === n)!.metadata.get("unit");
    expect([unit("s_ra"), unit("s_fov"), unit("s_resolution"), unit("t_min"), unit("em_min"), unit("access_estsize")]).toEqual(["deg", "deg", "arcsec", "d", "m", "kbyte"]);
    const csvLines = readFileSync(join(a, "catalogue.csv"), "utf8").trimEnd().split("\n");
    expect(csvLines.length - 1).toBe(cat.numRows);
    const vot = readFileSync(join(a, "catalogue.vot"), "utf8");
    expect(vot.match(/<TR>/g)!.length).toBe(cat.numRows);
    const types = new Set(rows(cat).map((r) => r.dataproduct_type));
    expect([...types].sort()).toEqual(["cube", "image", "measurements", "visibility"]);
    const man = rows(read(join(a, "manifest.arrow")));
    const catRows = rows(cat);
    // access_estsize is the real size in kB, the manifest's bytes the same product.
    man.slice(0, 100).forEach((m, i) => expect(Number(catRows[i]!.access_estsize)).toBe(Math.ceil(Number(m.bytes) / 1000)));
    expect(new Set(man.map((m) => m.did)).size).toBe(man.length);
    expect(man.every((m) => /^sv\d{4}:[\w.-]+\.(fits|ms\.tar|bin)$/.test(String(m.did)))).toBe(true);
  });

  it("VOTable passes votlint (STILTS) with UCD and unit checks, without any error or warning", () => {
    const out = execFileSync("stilts", ["votlint", `votable=${join(a, "catalogue.vot")}`, "ucd=true", "unit=true"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(out.split("\n").filter((l) => /^(ERROR|WARNING|Error)/.test(l))).toEqual([]);
    // votlint does report problems in this format: a broken copy must be flagged.
    const bad = readFileSync(join(a, "catalogue.vot"), "utf8").replace("<TD>4</TD>", "<TD>four</TD>");
    const badPath = join(tmp, "bad.vot");
    execFileSync("sh", ["-c", `cat > ${badPath}`], { input: bad });
    const badOut = execFileSync("stilts", ["votlint", `votable=${badPath}`], { encoding: "utf8" });
    expect(badOut).toMatch(/^ERROR/m);
  });

  it("payloads: checksums recomputed by Python match; FITS files open in astropy with a WCS matching their row", () => {
    const man = rows(read(join(a, "manifest.arrow")));
    const cat = rows(read(join(a, "catalogue.arrow")));
    // Checksums of every file; WCS of the first 150 FITS files (astropy takes ~20 ms a file).
    let fitsLeft = 150;
    const items = man.map((m, i) => {
      const c = cat[i]!;
      const isFits = c.access_format === "application/fits" && fitsLeft-- > 0;
      return {
        path: join(a, String(m.path)),
        adler32: m.adler32,
        md5: m.md5,
        payload_bytes: Number(m.payload_bytes),
        ...(isFits ? { fits: true, cube: c.dataproduct_type === "cube", s_ra: c.s_ra, s_dec: c.s_dec, s_fov: c.s_fov, em_min: c.em_min, em_max: c.em_max } : {}),
      };
    });
    const out = execFileSync("/usr/bin/python3", [join(import.meta.dirname, "check_fits.py")], { input: JSON.stringify(items), encoding: "utf8", maxBuffer: 1 << 26 });
    const res = JSON.parse(out) as { checked: { checksums: number; fits: number }; failures: string[] };
    expect(res.failures).toEqual([]);
    expect(res.checked.checksums).toBe(man.length);
    expect(res.checked.fits).toBe(150);
    // payloads are scaled: about 1e-8 of the real size, at least the minimum
    const vis = man.filter((m) => m.product_type === "visibilities");
    for (const m of vis.slice(0, 20)) expect(Number(m.payload_bytes)).toBe(Math.max(1024, Math.round(1e-8 * Number(m.bytes))));
  });

  it("is deterministic: same seed, identical bytes in every file but run.json; another seed differs", () => {
    const b = join(tmp, "b");
    const c = join(tmp, "c");
    generateDataset({ ...small, out: b });
    generateDataset({ ...small, out: c, seed: 12345 });
    const files = listFiles(a).filter((f) => f !== "run.json");
    expect(listFiles(b).filter((f) => f !== "run.json")).toEqual(files);
    for (const f of files) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
    for (const f of ["catalogue.arrow", "manifest.arrow", "catalogue.vot", "catalogue.csv"]) {
      expect(readFileSync(join(c, f)).equals(readFileSync(join(a, f))), f).toBe(false);
    }
    rmSync(b, { recursive: true });
    rmSync(c, { recursive: true });
  });
});

describe("distributions follow the scenario", () => {
  // All four weeks of srcnet-0.1, catalogue only.
  const sc = loadScenario("srcnet-0.1");
  let cat: Record<string, unknown>[];
  let man: Record<string, unknown>[];
  beforeAll(() => {
    const out = join(tmp, "full");
    generateDataset({ scenario: "srcnet-0.1", out, payloads: false, votable: false, csv: false });
    cat = rows(read(join(out, "catalogue.arrow")));
    man = rows(read(join(out, "manifest.arrow")));
  });

  it("volume per week per telescope is within 2% of the schedule", () => {
    for (const t of sc.telescopes) {
      for (const p of t.schedule) {
        for (let w = p.startSeconds; w + WEEK <= Math.min(p.endSeconds, sc.durationSeconds); w += WEEK) {
          const bytes = man.filter((m) => m.telescope === t.name && Number(m.created_seconds) >= w && Number(m.created_seconds) < w + WEEK).reduce((s, m) => s + Number(m.bytes), 0);
          expect(Math.abs(bytes / p.bytesPerWeek - 1), `${t.name} week ${w / WEEK}`).toBeLessThan(0.02);
        }
      }
    }
  });

  it("size quantiles of each product type match the truncated log-normal of the scenario", () => {
    for (const t of sc.telescopes) {
      for (const m of t.productMix) {
        const sizes = man.filter((r) => r.telescope === t.name && r.product_type === m.type).map((r) => Number(r.bytes)).sort((x, y) => x - y);
        expect(sizes.length, m.type).toBeGreaterThan(100);
        expect(sizes[0]!).toBeGreaterThanOrEqual(m.size.minBytes);
        expect(sizes.at(-1)!).toBeLessThanOrEqual(m.size.maxBytes);
        const mu = Math.log(m.size.medianBytes);
        const s = m.size.sigma;
        const lo = cumulativeStdNormalProbability((Math.log(m.size.minBytes) - mu) / s);
        const hi = cumulativeStdNormalProbability((Math.log(m.size.maxBytes) - mu) / s);
        for (const q of [0.1, 0.25, 0.5, 0.75, 0.9]) {
          const expected = Math.exp(mu + s * probit(lo + q * (hi - lo)));
          const got = quantileSorted(sizes, q);
          // tolerance ~ 4 standard errors of a quantile of n samples, in log space
          const se = (s * Math.sqrt((q * (1 - q)) / sizes.length)) / (Math.exp(-0.5 * probit(q) ** 2) / Math.sqrt(2 * Math.PI));
          expect(Math.abs(Math.log(got / expected)), `${t.name} ${m.type} q${q}`).toBeLessThan(4 * se + 0.01);
        }
      }
    }
  });

  it("frequencies lie in the telescope's bands; declinations are observable; most products are on revisited fields", () => {
    const mid: [number, number][] = [[0.35e9, 1.05e9], [0.95e9, 1.76e9], [1.65e9, 3.05e9], [2.8e9, 5.18e9], [4.6e9, 8.5e9], [8.3e9, 15.4e9]];
    const eps = 1 + 1e-9;
    for (const t of sc.telescopes) {
      const mine = cat.filter((r) => r.facility_name === t.name);
      expect(mine.length).toBeGreaterThan(1000);
      for (const r of mine) {
        const fLo = SPEED_OF_LIGHT / Number(r.em_max);
        const fHi = SPEED_OF_LIGHT / Number(r.em_min);
        const bands: [number, number][] = t.name === "SKA-Low" ? [[50e6, 350e6]] : mid;
        expect(bands.some(([lo, hi]) => fLo * eps >= lo && fHi <= hi * eps), `${t.name} ${fLo}-${fHi} Hz`).toBe(true);
        const dec = Number(r.s_dec);
        // highest elevation at transit: 90 - |dec - latitude|, at least 20 degrees
        expect(90 - Math.abs(dec - t.latitudeDegrees)).toBeGreaterThanOrEqual(20);
        expect(dec).toBeGreaterThanOrEqual(-90);
        expect(Number(r.s_ra)).toBeGreaterThanOrEqual(0);
        expect(Number(r.s_ra)).toBeLessThan(360);
        expect(Number(r.t_max) - Number(r.t_min)).toBeCloseTo(Number(r.t_exptime) / 86_400, 9);
        expect(String(r.s_region)).toMatch(/^CIRCLE ICRS /);
      }
      const counts = new Map<string, number>();
      for (const r of mine) counts.set(`${r.s_ra},${r.s_dec}`, (counts.get(`${r.s_ra},${r.s_dec}`) ?? 0) + 1);
      const top = [...counts.values()].sort((x, y) => y - x).slice(0, 300).reduce((s2, x) => s2 + x, 0);
      expect(top / mine.length).toBeGreaterThan(0.8);
    }
  });
});

describe("the same products as the simulator", () => {
  it("a week of srcnet-0.1: same product count and volume as sim/srcnet's produce()", async () => {
    const { runSrcnet } = await import("../../sim/srcnet/run.js");
    const sc = loadScenario("srcnet-0.1", { set: ["duration=1 w"] });
    const sim = runSrcnet(sc).summary;
    const man = rows(read(join(a, "manifest.arrow")));
    expect(man.length).toBe(sim.products.created);
    expect(man.reduce((s, m) => s + Number(m.bytes), 0)).toBe(sim.volume.producedBytes);
  });
});

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDataset } from "../../datasets/generate.js";
import { ASYNC_TOP, EDGE_DEG, SYNC_TOP, sodaWorkload, tapMixCounts, tapWorkload } from "../../harness/campaigns/workload.js";
import { tapSync } from "../../harness/clients/tap.js";
import { SODA_PATH } from "../../harness/clients/soda.js";
import { ensureBase, ensureImage } from "../../harness/docker/images.js";
import { LABEL_ROLE, LABEL_STACK, removeStack } from "../../harness/docker/labels.js";
import type { Cutout, LoadPlan, TapQuery } from "../../harness/campaigns/load-plan.js";
import { exactly, runLoad } from "./load-fixture.js";

/**
 * The campaign's TAP and SODA workload: deterministic from the seed, expected row counts that
 * an independent brute force over the CSV agrees with, and the same counts from a real DaCHS
 * serving the dataset, through the Node client and through the load workers (pyvo under Locust).
 */
process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";

const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(e);
const work = mkdtempSync(join(tmpdir(), "testbed-workload-"));
const dataset = join(work, "dataset");
const ROWS = 200;

beforeAll(() => {
  generateDataset({ scenario: "srcnet-0.1", out: dataset, rows: ROWS, payloads: true });
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

// --------------------------------------------------------------- brute force over the CSV

/** The catalogue as Python's csv module reads it (independent of the workload's parser). */
function csvRows(): Record<string, string>[] {
  const py = `import csv, json, sys\nprint(json.dumps(list(csv.DictReader(open(sys.argv[1], newline="")))))`;
  return JSON.parse(execFileSync("/usr/bin/python3", ["-c", py, join(dataset, "catalogue.csv")], { encoding: "utf8", maxBuffer: 1 << 28 })) as Record<string, string>[];
}

const payloadFiles = () => new Set(readdirSync(join(dataset, "files")).flatMap((scope) => readdirSync(join(dataset, "files", scope)).map((n) => `${scope}:${n}`)));

/** Haversine (the workload uses Vincenty's formula), degrees. */
function haversineDeg(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const r = Math.PI / 180;
  const h = Math.sin(((dec2 - dec1) * r) / 2) ** 2 + Math.cos(dec1 * r) * Math.cos(dec2 * r) * Math.sin(((ra2 - ra1) * r) / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(h)))) / r;
}

/** Columns ivoa.obscore serves as `real`: comparisons must not depend on float32 rounding. */
const REAL = new Set(["s_fov", "s_resolution", "em_min", "em_max", "em_res_power"]);

type Row = Record<string, string>;
/** A WHERE predicate over one table alias ("" for a single table). */
interface Pred {
  alias: string;
  test: (row: Row, f32: boolean) => boolean;
}

/**
 * Counts the rows a generated query returns by evaluating its ADQL over the CSV: the subset of
 * ADQL the workload writes (AND of comparisons, IN, CONTAINS of a point in a circle; joins of
 * ivoa.obscore with srcnet.files by DID or with itself by a circle; GROUP BY; TOP). Also checks
 * that no position lies within EDGE_DEG of a circle and that float32 rounding of `real` columns
 * would not change the answer.
 */
function bruteForce(adql: string, rows: Row[], files: Set<string>): number {
  const m = /^SELECT (?:TOP (\d+) )?.*? FROM (.*?)(?: WHERE (.*?))?(?: GROUP BY (.*?))?(?: ORDER BY .*)?$/.exec(adql);
  if (m === null) throw new Error(`unparsed: ${adql}`);
  const top = m[1] === undefined ? Infinity : Number(m[1]);
  const from = m[2]!;
  let edge = Infinity;
  const within = (ra: number, dec: number, cra: number, cdec: number, r: number) => {
    const d = haversineDeg(ra, dec, cra, cdec);
    edge = Math.min(edge, Math.abs(d - r));
    return d <= r;
  };
  const col = (row: Row, c: string) => {
    if (row[c] === undefined) throw new Error(`no column ${c} in ${adql}`);
    return row[c]!;
  };
  const num = (s: string, c: string, f32: boolean) => (s === "" ? null : f32 && REAL.has(c) ? Math.fround(Number(s)) : Number(s));
  const preds: Pred[] = (m[3] === undefined ? [] : m[3].split(" AND ")).map((p): Pred => {
    let x = /^1=CONTAINS\(POINT\('ICRS', s_ra, s_dec\), CIRCLE\('ICRS', ([-\d.e]+), ([-\d.e]+), ([\d.e]+)\)\)$/.exec(p);
    if (x !== null) {
      const [cra, cdec, r] = x.slice(1).map(Number) as [number, number, number];
      return { alias: "", test: (row) => within(Number(col(row, "s_ra")), Number(col(row, "s_dec")), cra, cdec, r) };
    }
    x = /^(?:(\w)\.)?(\w+) (=|<|<=|>|>=) ([-\d.e]+)$/.exec(p);
    if (x !== null) {
      const [, alias = "", c, op, lit] = x;
      const t = Number(lit);
      return {
        alias,
        test: (row, f32) => {
          const v = num(col(row, c!), c!, f32);
          if (v === null) return false;
          return op === "=" ? v === t : op === "<" ? v < t : op === "<=" ? v <= t : op === ">" ? v > t : v >= t;
        },
      };
    }
    x = /^(?:(\w)\.)?(\w+) = '((?:[^']|'')*)'$/.exec(p);
    if (x !== null) {
      const [, alias = "", c, lit] = x;
      return { alias, test: (row) => col(row, c!) === lit!.replace(/''/g, "'") };
    }
    x = /^(?:(\w)\.)?(\w+) IN \((.*)\)$/.exec(p);
    if (x !== null) {
      const [, alias = "", c, list] = x;
      const values = list!.split(", ").map((v) => v.replace(/^'|'$/g, ""));
      return { alias, test: (row) => values.includes(col(row, c!)) };
    }
    throw new Error(`unparsed predicate: ${p}`);
  });
  const filtered = (alias: string, f32: boolean) => rows.filter((r) => preds.every((p) => p.alias !== alias || p.test(r, f32)));

  // The result tuples (alias -> row; a srcnet.files row is just its "scope:name").
  const tuples = (f32: boolean): Record<string, Row>[] => {
    let x: RegExpExecArray | null;
    if (from === "ivoa.obscore") return filtered("", f32).map((r) => ({ "": r }));
    if ((x = /^ivoa\.obscore AS o JOIN srcnet\.files AS f ON o\.obs_publisher_did = '([^']*)' \|\| f\.scope \|\| ':' \|\| f\.name$/.exec(from)) !== null) {
      const prefix = x[1]!;
      return filtered("o", f32).flatMap((o) => [...files].filter((f) => o.obs_publisher_did === prefix + f).map((f) => ({ o, f: { file: f } })));
    }
    if ((x = /^ivoa\.obscore AS a JOIN ivoa\.obscore AS b ON 1=CONTAINS\(POINT\('ICRS', b\.s_ra, b\.s_dec\), CIRCLE\('ICRS', a\.s_ra, a\.s_dec, ([\d.e]+)\)\)$/.exec(from)) !== null) {
      const r = Number(x[1]);
      const right = filtered("b", f32);
      return filtered("a", f32).flatMap((a) => right.filter((b) => within(Number(b.s_ra), Number(b.s_dec), Number(a.s_ra), Number(a.s_dec), r)).map((b) => ({ a, b })));
    }
    throw new Error(`unparsed FROM: ${from}`);
  };
  const kept = tuples(false);
  expect(tuples(true).length, `float32 rounding changes the answer of ${adql}`).toBe(kept.length);
  expect(edge, `a position within ${EDGE_DEG} deg of a circle's edge in ${adql}`).toBeGreaterThan(EDGE_DEG);
  if (m[4] === undefined) return Math.min(kept.length, top);
  const keys = m[4].split(", ").map((c) => (c.includes(".") ? c.split(".") : ["", c]) as [string, string]);
  return Math.min(new Set(kept.map((t) => keys.map(([a, c]) => col(t[a]!, c)).join("\0"))).size, top);
}

describe("TAP and SODA workload from the dataset", () => {
  it("is deterministic from the seed and mixed as TAP_MIX", () => {
    const a = tapWorkload(dataset, 7, 40);
    expect(tapWorkload(dataset, 7, 40)).toEqual(a);
    const b = tapWorkload(dataset, 8, 40);
    expect(b.map((q) => q.adql)).not.toEqual(a.map((q) => q.adql));
    const kinds = (qs: TapQuery[]) => Object.fromEntries(["cone", "range", "join", "async"].map((k) => [k, qs.filter((q) => q.kind === k).length]));
    expect(kinds(a)).toEqual(tapMixCounts(40));
    expect(tapMixCounts(40)).toEqual({ cone: 16, range: 12, join: 8, async: 4 });
    expect(Object.values(tapMixCounts(4))).toEqual([1, 1, 1, 1]);
    expect(sodaWorkload(dataset, 7, 10)).toEqual(sodaWorkload(dataset, 7, 10));
    expect(sodaWorkload(dataset, 8, 10)).not.toEqual(sodaWorkload(dataset, 7, 10));
  });

  it("expects the row counts a brute force over the CSV finds, within the TOP and MAXREC limits", () => {
    const rows = csvRows();
    expect(rows.length).toBe(ROWS);
    const files = payloadFiles();
    const qs = [1, 2, 3].flatMap((seed) => tapWorkload(dataset, seed, 60));
    const cones: number[] = [];
    for (const q of qs) {
      expect(q.expectRows, q.adql).not.toBeNull();
      expect(q.expectRows!).toBe(bruteForce(q.adql, rows, files));
      expect(q.expectRows!).toBeLessThanOrEqual(q.kind === "async" ? ASYNC_TOP : SYNC_TOP);
      if (q.kind === "cone") cones.push(q.expectRows!);
    }
    // Cones catch between none and a few dozen rows; some catch none, some several.
    expect(Math.max(...cones)).toBeLessThanOrEqual(40);
    expect(cones).toContain(0);
    expect(cones.some((n) => n >= 2)).toBe(true);
  });

  it("cuts out FITS products with a payload, inside their field", () => {
    const rows = new Map(csvRows().map((r) => [r.obs_publisher_did!, r]));
    const files = payloadFiles();
    for (const c of sodaWorkload(dataset, 3, 50)) {
      const r = rows.get(c.id)!;
      expect(files.has(c.id.slice(c.id.indexOf("?") + 1)), c.id).toBe(true);
      expect(c.id.endsWith(".fits")).toBe(true);
      expect([c.ra, c.dec]).toEqual([Number(r.s_ra), Number(r.s_dec)]);
      expect(c.radiusDeg).toBeGreaterThan(0);
      expect(c.radiusDeg).toBeLessThan(Number(r.s_fov) / 2);
    }
  });
});

// --------------------------------------------------------------------- against real DaCHS

const STACK = `wl-${randomBytes(4).toString("hex")}`;
let dachs: { tap: string; soda: string; port: number } | null = null;

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });

describe("against a real DaCHS", () => {
  beforeAll(async () => {
    const log = (l: string) => process.stderr.write(`workload: ${l}\n`);
    // Only the image this test needs: the base, then DaCHS (about 10 min cold, cached after).
    const image = await run(Effect.flatMap(ensureBase(log), (base) => ensureImage("dachs", base.tag, log)));
    const { GenericContainer, Wait } = await import("testcontainers");
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    await new GenericContainer(image.tag)
      .withName(`srcnet-${STACK}-dachs`)
      .withLabels({ [LABEL_STACK]: STACK, [LABEL_ROLE]: "dachs" })
      .withEnvironment({ DACHS_SERVER_URL: base })
      .withBindMounts([{ source: dataset, target: "/data", mode: "ro" }])
      .withExposedPorts({ container: 8080, host: port })
      .withWaitStrategy(Wait.forLogMessage("srcnet-dachs: ready"))
      .withStartupTimeout(180_000)
      .start();
    dachs = { tap: `${base}/tap`, soda: `${base}${SODA_PATH}`, port };
  }, 30 * 60_000);

  // By label: also removes a container whose start failed half-way.
  afterAll(async () => {
    await run(removeStack(STACK));
  }, 120_000);

  it("returns exactly the expected rows for every generated query (Node TAP client)", async () => {
    const qs = [1, 2].flatMap((seed) => tapWorkload(dataset, seed, 60));
    const wrong: string[] = [];
    for (const q of qs) {
      const r = await run(tapSync(dachs!.tap, q.adql, { timeoutMs: 60_000 }));
      if (r.rows.length !== q.expectRows) wrong.push(`${q.kind}: ${r.rows.length} rows, expected ${q.expectRows}: ${q.adql}`);
    }
    expect(wrong).toEqual([]);
  }, 10 * 60_000);

  const plan = (tap: TapQuery[], soda: Cutout[], allowHosts: string[]): LoadPlan => ({
    allowHosts,
    timeoutSeconds: 60,
    prefix: STACK,
    endpoints: { tap: dachs!.tap, soda: dachs!.soda, rucio: null, ingest: null, sites: [] },
    rucio: { account: "root", auth: "userpass", scope: "tests" },
    poolSeed: 1,
    pool: [],
    reads: [],
    tap,
    catalogueGrows: false,
    soda,
    copies: 1,
    ingest: null,
    // Each query of each kind once, each cutout once.
    scenarios: [
      ...(["cone", "range", "join", "async"] as const).flatMap((k) => {
        const n = tap.filter((q) => q.kind === k).length;
        return n > 0 ? [exactly("tap", k, n)] : [];
      }),
      ...(soda.length > 0 ? [exactly("soda", "cutout", soda.length)] : []),
    ],
  });

  it("pyvo under Locust: every query and cutout is ok, one row per request", async () => {
    const tap = tapWorkload(dataset, 3, 24);
    const soda = sodaWorkload(dataset, 3, 8);
    const asyncJobs = tap.filter((q) => q.kind === "async").length;
    expect(asyncJobs).toBeGreaterThan(0);
    const { requests, operations, exitCode, log, result } = await runLoad(plan(tap, soda, ["127.0.0.1"]), { workdir: work });
    expect(exitCode, log).toBe(0);
    expect(result.dropped).toEqual([]);
    const notOk = requests.filter((r) => r.ok !== true);
    expect(notOk).toEqual([]);
    const ops = (op: string) => requests.filter((r) => r.operation === op).length;
    expect(ops("sync-query")).toBe(tap.length - asyncJobs);
    expect(ops("cutout")).toBe(soda.length);
    for (const op of ["async-create", "async-run", "async-result", "async-delete"]) expect(ops(op), op).toBe(asyncJobs);
    expect(ops("async-poll")).toBeGreaterThanOrEqual(asyncJobs);
    expect(requests.length).toBe(tap.length - asyncJobs + soda.length + 4 * asyncJobs + ops("async-poll"));
    expect(requests.every((r) => r.phase === "test")).toBe(true);
    // Cutouts move bytes (FITS, whole 2880-byte blocks).
    for (const r of requests.filter((x) => x.service === "soda")) expect((r.bytes as number) % 2880).toBe(0);
    expect(operations.map((r) => [r.operation, r.ok])).toEqual(Array(asyncJobs).fill(["async-query", true]));
  }, 10 * 60_000);

  it("a host off the allowlist is refused without sending anything", async () => {
    const tap = tapWorkload(dataset, 4, 4).filter((q) => q.kind === "cone" || q.kind === "async");
    const soda = sodaWorkload(dataset, 4, 1);
    const { requests, exitCode, log } = await runLoad(plan(tap, soda, ["example.invalid"]), { workdir: work });
    expect(exitCode, log).toBe(0);
    // One refused request per query or cutout (an async job is refused at its creation), none sent.
    expect(requests.length).toBe(tap.length + soda.length);
    expect(requests.every((r) => r.ok === false && r.status === 0)).toBe(true);
  }, 5 * 60_000);
});

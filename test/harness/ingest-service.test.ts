import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect } from "effect";
import type { StartedTestContainer } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDataset } from "../../datasets/generate.js";
import { tapSync } from "../../harness/clients/tap.js";
import { ensureBase, ensureImage } from "../../harness/docker/images.js";
import { LABEL_ROLE, LABEL_STACK, dockerApi, removeStack } from "../../harness/docker/labels.js";
import { loadScenario } from "../../scenarios/load.js";

/**
 * The dachs image's ingestion service (harness/stack/images/dachs/ingest.py), for real: the
 * image built by the project's image code, a generated dataset mounted, and TAP asked whether a
 * product posted to the service is in ivoa.obscore, and gone again once deleted.
 */

// As stack.ts: read by testcontainers when it loads (Ryuk cannot be pulled here; loopback host).
process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";

const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(e);
const log = (l: string) => process.stderr.write(`ingest: ${l}\n`);
const ROWS = 100;
const STACK = `it-ingest-${randomBytes(4).toString("hex")}`;
const dir = mkdtempSync(join(tmpdir(), "testbed-ingest-"));

let container: StartedTestContainer | undefined;
let tap = "";
let ingest = "";

/** Two free loopback ports, chosen here so that a `docker restart` keeps the endpoints. */
const freePorts = async (n: number) => {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<Server>((resolve) => { const s = createServer(); s.listen(0, "127.0.0.1", () => resolve(s)); })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
};

beforeAll(async () => {
  // Only the dachs image (and the base it is built FROM), not the whole stack's.
  const base = await run(ensureBase(log));
  const image = await run(ensureImage("dachs", base.tag, log));
  const dataset = join(dir, "dataset");
  generateDataset({ scenario: loadScenario("srcnet-0.1"), out: dataset, rows: ROWS, scale: 1e-6, payloads: true });
  const [tapPort, ingestPort] = await freePorts(2);
  const { GenericContainer, Wait } = await import("testcontainers");
  const t0 = performance.now();
  container = await new GenericContainer(image.tag)
    .withName(`srcnet-${STACK}-dachs`)
    .withLabels({ [LABEL_STACK]: STACK, [LABEL_ROLE]: "dachs" })
    .withEnvironment({ DACHS_SERVER_URL: `http://127.0.0.1:${tapPort}`, DACHS_AUTHORITY: "srcnet.testbed" })
    .withBindMounts([{ source: dataset, target: "/data", mode: "ro" }])
    .withExposedPorts({ container: 8080, host: tapPort! }, { container: 8081, host: ingestPort! })
    .withWaitStrategy(Wait.forLogMessage("srcnet-dachs: ready"))
    .withStartupTimeout(180_000)
    .start();
  log(`dachs up in ${((performance.now() - t0) / 1000).toFixed(1)} s (image ${image.buildSeconds > 0 ? `built in ${image.buildSeconds.toFixed(0)} s` : "cached"})`);
  tap = `http://127.0.0.1:${tapPort}/tap`;
  ingest = `http://127.0.0.1:${ingestPort}`;
}, 30 * 60_000);

afterAll(async () => {
  // Also after a failure: nothing labelled with this file's stack may outlive it.
  await run(removeStack(STACK));
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

const unique = randomBytes(4).toString("hex");
const DID = `ivo://srcnet.testbed/ingest-test?it-${unique}.image.fits`;
const product = {
  dataproduct_type: "image",
  calib_level: 3,
  obs_collection: "SKA-Mid SV",
  obs_id: `it-${unique}`,
  obs_publisher_did: DID,
  access_url: `http://xrootd-uksrc:8000/rucio/tests/it-${unique}.image.fits`,
  access_format: "application/fits",
  access_estsize: 20810,
  target_name: "Ingest Test Field",
  s_ra: 123.456789,
  s_dec: -45.678901,
  s_fov: 0.25,
  s_region: "CIRCLE ICRS 123.456789 -45.678901 0.125",
  s_resolution: 0.5,
  s_xel1: 1000,
  s_xel2: 1000,
  t_min: 60734.5,
  t_max: 60735.25,
  t_exptime: 3600,
  t_resolution: 3600,
  t_xel: 1,
  em_min: 0.2,
  em_max: 0.25,
  em_res_power: 5,
  em_xel: 1,
  o_ucd: "phot.flux.density",
  pol_states: "/I/",
  pol_xel: 1,
  facility_name: "SKA-Mid",
  instrument_name: "SKA-Mid Band 2",
  proposal_id: "SV2025-MID-001",
  pi_name: "Test PI",
  product_type: "image",
  first_site: "UKSRC",
};

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${ingest}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};
const post = (body: unknown) => call("POST", "/products", body);
const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
const byDid = (did: string) =>
  run(tapSync(tap, `SELECT obs_publisher_did, s_ra, s_dec, access_url, source_table FROM ivoa.obscore WHERE obs_publisher_did = ${q(did)}`));
const total = async () => Number((await run(tapSync(tap, "SELECT COUNT(*) AS n FROM ivoa.obscore"))).rows[0]![0]);
const cell = (r: { fields: string[]; rows: string[][] }, row: number, col: string) => r.rows[row]![r.fields.indexOf(col)]!;
const datasetDid = () => readFileSync(join(dir, "dataset", "catalogue.csv"), "utf8").split("\n")[1]!.split(",")[4]!;

describe("ingestion service in the dachs image", () => {
  it("answers /health before any product is ingested; TAP has the dataset only", async () => {
    expect(await call("GET", "/health")).toEqual({ status: 200, json: { status: "ok", products: 0 } });
    expect((await byDid(DID)).rows).toHaveLength(0);
    expect(await total()).toBe(ROWS);
  });

  it("POST /products publishes the product: TAP returns it at once, with the posted values", async () => {
    const before = await total();
    const t0 = performance.now();
    expect(await post(product)).toEqual({ status: 201, json: { obs_publisher_did: DID } });
    const r = await byDid(DID);
    log(`posted and found in TAP in ${((performance.now() - t0) / 1000).toFixed(3)} s`);
    expect(r.rows).toHaveLength(1);
    expect(Number(cell(r, 0, "s_ra"))).toBe(product.s_ra);
    expect(Number(cell(r, 0, "s_dec"))).toBe(product.s_dec);
    expect(cell(r, 0, "access_url")).toBe(product.access_url);
    expect(cell(r, 0, "source_table")).toBe("srcnet.catalogue_other");
    expect(await total()).toBe(before + 1);
    // Its footprint is a real pgSphere region: a spatial query finds it.
    const hit = await run(
      tapSync(tap, `SELECT obs_publisher_did FROM ivoa.obscore WHERE 1=INTERSECTS(s_region, CIRCLE('ICRS', ${product.s_ra + 0.05}, ${product.s_dec}, 0.01))`),
    );
    expect(hit.rows.map((x) => x[0])).toContain(DID);
    expect(await call("GET", "/health")).toEqual({ status: 200, json: { status: "ok", products: 1 } });
  });

  it("is idempotent: the same content again is 200 (also written as catalogue.csv strings), different content 409", async () => {
    expect(await post(product)).toEqual({ status: 200, json: { obs_publisher_did: DID } });
    const asCsv = Object.fromEntries(Object.entries(product).map(([k, v]) => [k, String(v)]));
    expect((await post(asCsv)).status).toBe(200);
    const conflict = await post({ ...product, s_ra: product.s_ra + 1 });
    expect(conflict.status).toBe(409);
    expect(String(conflict.json.error)).toMatch(/^obs_publisher_did: /);
    // A DID the dataset already has is a conflict too, and changes nothing.
    expect((await post({ ...product, obs_publisher_did: datasetDid() })).status).toBe(409);
    expect((await byDid(DID)).rows).toHaveLength(1);
    expect(await total()).toBe(ROWS + 1);
  });

  it("concurrent posts of one DID publish it once: one 201, the rest 200", async () => {
    const did = `${DID}-concurrent`;
    const statuses = (await Promise.all(Array.from({ length: 16 }, () => post({ ...product, obs_publisher_did: did })))).map((r) => r.status);
    expect(statuses.filter((x) => x === 201)).toHaveLength(1);
    expect(statuses.filter((x) => x === 200)).toHaveLength(15);
    expect((await byDid(did)).rows).toHaveLength(1);
    expect((await call("DELETE", `/products?obs_publisher_did=${encodeURIComponent(did)}`)).status).toBe(200);
    expect(await total()).toBe(ROWS + 1);
  });

  it("rejects a bad body with 400 naming the field, and unknown paths with 404", async () => {
    const other = { ...product, obs_publisher_did: `${DID}-bad` };
    const illTyped = await post({ ...other, s_dec: "south" });
    expect(illTyped.status).toBe(400);
    expect(illTyped.json.error).toBe('s_dec: expected a number in [-90, 90], found "south"');
    const { obs_id: _, ...missing } = other;
    const noId = await post(missing);
    expect(noId.status).toBe(400);
    expect(noId.json.error).toBe("obs_id: expected a value (required), found nothing");
    const badJson = await post("{not json");
    expect(badJson.status).toBe(400);
    expect(String(badJson.json.error)).toMatch(/^body: expected a JSON object, found invalid JSON/);
    expect((await post({ ...other, s_region: "CIRCLE ICRS a b c" })).json.error).toMatch(/^s_region: expected /);
    expect((await post({ ...other, colour: "red" })).json.error).toBe("colour: expected one of the catalogue.csv columns, found an unknown field");
    expect((await byDid(`${DID}-bad`)).rows).toHaveLength(0);
    expect((await call("GET", "/nothing-here")).status).toBe(404);
    expect((await call("PUT", "/products", product)).status).toBe(405);
  });

  it("GET /products returns the product as stored", async () => {
    const got = await call("GET", `/products?obs_publisher_did=${encodeURIComponent(DID)}`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual(product);
  });

  it("keeps ingested products over a container restart", async () => {
    const t0 = performance.now();
    await dockerApi().getContainer(container!.getId()).restart({ t: 5 });
    let n = -1;
    while (performance.now() - t0 < 150_000) {
      n = await total().catch(() => -1);
      const health = await call("GET", "/health").catch(() => null);
      if (n === ROWS + 1 && health?.status === 200) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    log(`restarted and serving again in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(n).toBe(ROWS + 1);
    expect((await byDid(DID)).rows).toHaveLength(1);
  }, 180_000);

  it("DELETE removes the product from TAP; a product it did not add is 404", async () => {
    expect(await call("DELETE", `/products?obs_publisher_did=${encodeURIComponent(DID)}`)).toEqual({ status: 200, json: { obs_publisher_did: DID, deleted: true } });
    expect((await byDid(DID)).rows).toHaveLength(0);
    expect(await total()).toBe(ROWS);
    expect((await call("DELETE", `/products?obs_publisher_did=${encodeURIComponent(DID)}`)).status).toBe(404);
    const theirs = datasetDid();
    expect((await call("DELETE", `/products?obs_publisher_did=${encodeURIComponent(theirs)}`)).status).toBe(404);
    expect((await byDid(theirs)).rows).toHaveLength(1);
  });

  it("docker stop (SIGTERM) stops the service with DaCHS and PostgreSQL: exit 0", async () => {
    const c = dockerApi().getContainer(container!.getId());
    const t0 = performance.now();
    await c.stop({ t: 20 });
    const seconds = (performance.now() - t0) / 1000;
    const info = await c.inspect();
    log(`stopped in ${seconds.toFixed(1)} s`);
    expect(info.State.ExitCode).toBe(0);
    expect(seconds).toBeLessThan(15);
    await expect(fetch(`${ingest}/health`)).rejects.toThrow();
  }, 60_000);
});

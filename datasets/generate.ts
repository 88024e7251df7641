/**
 * `testbed datasets generate`: a synthetic SKA dataset from a scenario — ObsCore catalogue
 * (Arrow IPC, VOTable 1.4, CSV), a Rucio-style file manifest (Arrow IPC) and scaled payload
 * files (FITS images and cubes with a WCS matching their row; seeded blobs for visibilities and
 * catalogues). Everything streams, one batch of rows at a time, into `<out>.partial-<pid>`,
 * renamed to `<out>` only once complete. Same scenario and seed: byte-identical data files.
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { loadScenario } from "../scenarios/load.js";
import type { Scenario } from "../scenarios/types.js";
import { RandomStreams } from "../sim/kernel/random.js";
import { RunRecord } from "../records/run-record.js";
import { Checksums } from "../records/checksum.js";
import { MANIFEST_COLUMNS, OBSCORE_COLUMNS, type ColumnDef } from "./columns.js";
import { writeBlob, writeFits } from "./fits.js";
import { FillThread, LocalBatches, type BatchSource } from "./batches.js";
import { Batch, CatalogueGenerator, NULLABLE_NUMBERS, POOLED_COLUMNS, PRODUCT_TYPES, TEXT_COLUMNS, type PooledName, type TextName } from "./generator.js";
import { makeNames } from "./names.js";
import { TextBuilder, withDependencies } from "./text-columns.js";
import { Arena, textModule } from "./wasm.js";
import { ArrowSink, CsvSink, NumberText, VoTableSink, type Source, type Values } from "./writers.js";

/** Default payload scale: a 2 TB visibility set becomes a 2 MB file, a 10 GB image ~2.5 kpixel. */
export const DEFAULT_SCALE = 1e-6;
/** Smallest payloads: FITS images at least 16 x 16 pixels, blobs at least 1 KiB. */
export const MIN_FITS_SIDE = 16;
export const MIN_BLOB_BYTES = 1024;
/** Rows per batch (and per Arrow record batch): large enough that per-batch costs vanish, small enough to stay in cache. */
export const DEFAULT_BATCH_ROWS = 16_384;
/** Expected rows from which threads are used by default (below, starting them costs more than they save). */
export const THREADS_FROM_ROWS = 200_000;

export interface DatasetOptions {
  /** Preset name or scenario file, or an already loaded scenario. */
  scenario: string | Scenario;
  set?: string[];
  seed?: number | null;
  out: string;
  scale?: number;
  rows?: number;
  payloads?: boolean;
  /** Text formats of the catalogue (both by default). */
  votable?: boolean;
  csv?: boolean;
  /** The file manifest (default true). */
  manifest?: boolean;
  /**
   * Generate rows in a worker thread and write each file from its own worker thread, beside
   * this thread's text building (default: when more than THREADS_FROM_ROWS rows are expected).
   * The output is byte-identical either way.
   */
  threads?: boolean;
  batchSize?: number;
  command?: string[];
  onProgress?: (rows: number, estimatedRows: number) => void;
}

export interface DatasetSummary {
  scenario: string;
  seed: number;
  scale: number;
  payloads: boolean;
  rows: number;
  bytes: number;
  payloadBytes: number;
  scope: string;
  telescopes: Record<string, { rows: number; bytes: number; types: Record<string, { rows: number; bytes: number }> }>;
  files: string[];
}

/** Manifest columns that are catalogue columns under another name. */
const MANIFEST_SOURCE: Record<string, string> = { telescope: "telescope_name", created_seconds: "created" };

export function generateDataset(opts: DatasetOptions): DatasetSummary {
  let sc = typeof opts.scenario === "string" ? loadScenario(opts.scenario, { set: opts.set ?? [] }) : opts.scenario;
  if (opts.seed !== undefined && opts.seed !== null) sc = { ...sc, seed: opts.seed };
  const scale = opts.scale ?? DEFAULT_SCALE;
  if (!(scale > 0 && scale <= 1)) throw new Error(`scale must be in (0, 1], got ${scale}`);
  const payloads = opts.payloads ?? true;
  if (existsSync(opts.out)) throw new Error(`${opts.out} already exists`);
  const partial = `${opts.out}.partial-${process.pid}`;
  const record = RunRecord.create(partial, {
    kind: "dataset",
    scenarioName: sc.name,
    scenario: sc,
    seed: sc.seed,
    ...(opts.command ? { command: opts.command } : {}),
  });
  const open: { abort(): void }[] = [];
  try {
    const names = makeNames(sc);
    const gen = new CatalogueGenerator(sc, names, opts.rows !== undefined ? { maxRows: opts.rows } : {});
    const capacity = opts.batchSize ?? DEFAULT_BATCH_ROWS;
    const threads = opts.threads ?? gen.estimatedRows() >= THREADS_FROM_ROWS;
    // Text columns some output needs (file names and obs_id for the payloads), built here by
    // the text module in the arena where the batches live. The fill thread starts first:
    // loading its modules overlaps the rest of the set-up.
    const wanted = new Set<TextName>(["name"]);
    const textNames = new Set<string>(TEXT_COLUMNS);
    for (const c of [...OBSCORE_COLUMNS, ...(opts.manifest === false ? [] : MANIFEST_COLUMNS)]) if (textNames.has(c.name)) wanted.add(c.name as TextName);
    if (payloads) wanted.add("obs_id").add("target_name");
    const needed = withDependencies(wanted);
    const arena = new Arena();
    const textTables = TextBuilder.tables(gen, arena);
    const texts = new TextBuilder(textModule(), arena.memory, textTables);
    const room = Object.fromEntries([...needed].map((c) => [c, textTables.maxBytes[c]]));
    const batches: BatchSource = threads ? new FillThread(sc, names, gen, opts.rows ?? null, capacity, arena, room) : new LocalBatches(gen, capacity, arena, room);
    open.push({ abort: () => batches.close() });
    const sample = new Batch(capacity, gen.pools);
    const pooledNames = new Set<string>(POOLED_COLUMNS);
    const values = (name: string, b: Batch): Values =>
      (b.t as Record<string, Values | undefined>)[name] ?? (pooledNames.has(name) ? { pool: gen.pools[name as PooledName], index: b.k[name as PooledName] } : b.f[name]!);
    const src: Source = (c, b) => values(c.name, b);
    const msrc: Source = (c, b) => values(MANIFEST_SOURCE[c.name] ?? c.name, b);
    const tables = ["catalogue", ...(opts.manifest === false ? [] : ["manifest"])];
    const files = tables.map((t) => `${t}.arrow`);
    // A writer thread per file takes the kernel's copy into the page cache off this thread. On
    // two cores, with only the catalogue to write, this thread already waits for the fill
    // thread: a writer would only add a copy and a third thread competing for the cores.
    const output = { thread: threads && (availableParallelism() > 2 || files.length > 1 || opts.votable !== false || opts.csv !== false) };
    const mayBeNull = (c: ColumnDef) => NULLABLE_NUMBERS.has(MANIFEST_SOURCE[c.name] ?? c.name);
    const opened = <T extends { abort(): void }>(sink: T): T => {
      open.push(sink);
      return sink;
    };
    const catalogue = opened(new ArrowSink(join(partial, "catalogue.arrow"), OBSCORE_COLUMNS, src, sample, { output, mayBeNull }));
    const manifest = opts.manifest === false ? null : opened(new ArrowSink(join(partial, "manifest.arrow"), MANIFEST_COLUMNS, msrc, sample, { output, mayBeNull }));
    const numberText = new NumberText();
    const votable =
      opts.votable === false
        ? null
        : opened(
            new VoTableSink(
              join(partial, "catalogue.vot"),
              OBSCORE_COLUMNS,
              src,
              {
                tableName: "ivoa.obscore",
                description: `Synthetic ObsCore 1.1 catalogue of scenario ${sc.name} (seed ${sc.seed}), generated by the SRCNet testbed`,
                params: [
                  ["scenario", sc.name],
                  ["seed", String(sc.seed)],
                ],
              },
              sample,
              numberText,
              output,
            ),
          );
    if (votable) files.push("catalogue.vot");
    const csv = opts.csv === false ? null : opened(new CsvSink(join(partial, "catalogue.csv"), OBSCORE_COLUMNS, src, sample, numberText, output));
    if (csv) files.push("catalogue.csv");

    const rPayload = new RandomStreams(sc.seed).stream("dataset/payloads");
    const summary: DatasetSummary = {
      scenario: sc.name,
      seed: sc.seed,
      scale,
      payloads,
      rows: 0,
      bytes: 0,
      payloadBytes: 0,
      scope: gen.scope,
      telescopes: Object.fromEntries(sc.telescopes.map((t) => [t.name, { rows: 0, bytes: 0, types: {} }])),
      files,
    };
    // Rows and bytes per (telescope, product type), summed in arrays and folded in at the end.
    const nt = PRODUCT_TYPES.length;
    const tally = { rows: new Float64Array(sc.telescopes.length * nt), bytes: new Float64Array(sc.telescopes.length * nt) };
    const filesDir = join(partial, "files", gen.scope);
    if (payloads) mkdirSync(filesDir, { recursive: true });
    const estimate = gen.estimatedRows();

    for (let batch = batches.next(); batch !== null; batch = batches.next()) {
      const n = batch.n;
      const { adler32, md5 } = batch.t;
      texts.build(batch, needed);
      const tel = batch.k.telescope_name;
      const type = batch.k.product_type;
      const bytes = batch.f.bytes!;
      for (let i = 0; i < n; i++) {
        const j = tel[i]! * nt + type[i]!;
        tally.rows[j]! += 1;
        tally.bytes[j]! += bytes[i]!;
      }
      if (payloads) {
        adler32.reset();
        md5.reset();
        for (let i = 0; i < n; i++) {
          const seed = rPayload.integer(2 ** 32);
          const sums = new Checksums();
          const fd = openSync(join(filesDir, batch.t.name.text(i)!), "wx");
          try {
            writePayload(fd, batch, i, (k) => gen.pools[k][batch.k[k][i]!]!, scale, seed, sums);
          } finally {
            closeSync(fd);
          }
          const d = sums.digest();
          batch.f.payload_bytes![i] = sums.bytes;
          adler32.appendString(d.adler32);
          md5.appendString(d.md5);
          summary.payloadBytes += sums.bytes;
        }
      } else {
        adler32.allNull(n);
        md5.allNull(n);
      }
      catalogue.write(batch);
      manifest?.write(batch);
      votable?.write(batch);
      csv?.write(batch);
      numberText.clear();
      batches.release(batch);
      summary.rows += n;
      opts.onProgress?.(summary.rows, estimate);
    }
    batches.close();
    open.length = 0;
    catalogue.close(sample);
    manifest?.close(sample);
    votable?.close();
    csv?.close();
    sc.telescopes.forEach((t, ti) => {
      const s = summary.telescopes[t.name]!;
      PRODUCT_TYPES.forEach((ty, k) => {
        const rows = tally.rows[ti * nt + k]!;
        if (rows === 0) return;
        const b = tally.bytes[ti * nt + k]!;
        s.types[ty] = { rows, bytes: b };
        s.rows += rows;
        s.bytes += b;
        summary.bytes += b;
      });
    });
    record.writeSummary(summary);
    for (const t of tables) record.addTable(t);
    record.finish("complete");
    renameSync(partial, opts.out);
    return summary;
  } catch (e) {
    for (const sink of open) sink.abort();
    record.finish("failed", e instanceof Error ? e.message : String(e));
    throw e;
  }
}

/**
 * Lists the streamed tables in run.json. RunRecord.writeTable takes a whole in-memory Table;
 * these are written a batch at a time, so their names are added once RunRecord has written its
 * final run.json (the directory is still the partial one: nobody sees the intermediate file).
 */
/** FITS dimensions of a scaled image or cube: pixel count ~ scale x real bytes / 4, at least 16 x 16. */
export function payloadShape(type: string, bytes: number, emXel: number, scale: number): { side: number; nchan: number } {
  const pixels = (scale * bytes) / 4;
  if (type === "image-cube") {
    const nchan = Math.max(2, Math.min(emXel, Math.round(Math.cbrt(pixels))));
    return { side: Math.max(MIN_FITS_SIDE, Math.round(Math.sqrt(pixels / nchan))), nchan };
  }
  return { side: Math.max(MIN_FITS_SIDE, Math.round(Math.sqrt(pixels))), nchan: 0 };
}

function writePayload(fd: number, b: Batch, i: number, text: (column: PooledName) => string, scale: number, seed: number, sums: Checksums): void {
  const type = text("product_type");
  const bytes = b.f.bytes![i]!;
  if (type === "image" || type === "image-cube") {
    const { side, nchan } = payloadShape(type, bytes, b.f.em_xel![i]!, scale);
    writeFits(
      fd,
      {
        nx: side,
        ny: side,
        nchan,
        ra: b.f.s_ra![i]!,
        dec: b.f.s_dec![i]!,
        fovDegrees: b.f.s_fov![i]!,
        freqLoHz: b.f.freq_lo![i]!,
        freqHiHz: b.f.freq_hi![i]!,
        beamDegrees: b.f.s_resolution![i]! / 3600,
        object: b.t.target_name.text(i)!,
        telescope: text("facility_name"),
        instrument: text("instrument_name"),
        obsId: b.t.obs_id.text(i)!,
        mjdObs: b.f.t_min![i]!,
        seed,
      },
      sums,
    );
  } else {
    writeBlob(fd, Math.max(MIN_BLOB_BYTES, Math.round(scale * bytes)), seed, sums);
  }
}

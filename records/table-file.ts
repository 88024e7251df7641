/**
 * A run-record table streamed to disk: an Arrow IPC file written a record batch at a time under
 * `<path>.tmp-<pid>` and renamed into place when finished, so the final name only ever holds a
 * complete, readable file, and memory holds one batch whatever the table's length.
 *
 * ```ts
 * const t = f64(rows), site = new DictColumn(rows, 0, SITES), ok = new BoolColumn(rows);
 * const file = new TableFile(join(dir, "transfers.arrow"), [["t_seconds", t], ["site", site], ["ok", ok]], rows);
 * for (const x of transfers) {
 *   const i = file.row;
 *   t.values[i] = x.t;
 *   site.set(i, x.site);
 *   ok.set(i, x.ok);
 *   file.next();
 * }
 * file.finish(); // or file.abort() on failure: nothing is left behind
 * ```
 */
import { renameSync, rmSync } from "node:fs";
import { Field, makeData, RecordBatch, Schema, Struct } from "apache-arrow";
import type { Column } from "./columns.js";
import { OutputFileWriter } from "./ipc-writer.js";
import { openOutput, type Output, type OutputOptions } from "./output.js";
import { temporaryPath } from "./run-record.js";

export class TableFile {
  private readonly tmp: string;
  private readonly out: Output;
  private readonly writer: OutputFileWriter;
  private readonly schema: Schema;
  private readonly type: Struct;
  private wrote = false;
  /** The row being filled in the current batch: set each column's value at this index, then call next(). */
  row = 0;

  /**
   * `columns`: names and columns, in file order, each holding at least `batchRows` rows.
   * `output`: how the bytes are written (default: by this thread).
   */
  constructor(
    readonly path: string,
    private readonly columns: readonly (readonly [string, Column])[],
    private readonly batchRows: number,
    output: OutputOptions = {},
  ) {
    if (!(Number.isInteger(batchRows) && batchRows >= 1)) throw new Error(`${path}: rows per batch must be a positive integer, got ${batchRows}`);
    for (const [name, c] of columns) if (c.capacity < batchRows) throw new Error(`${path}: column ${name} holds ${c.capacity} rows, a batch has ${batchRows}`);
    this.schema = new Schema(columns.map(([name, c]) => new Field(name, c.type, false)));
    this.type = new Struct(this.schema.fields);
    this.tmp = temporaryPath(path);
    rmSync(this.tmp, { force: true });
    this.out = openOutput(this.tmp, output);
    this.writer = new OutputFileWriter(this.out);
  }

  /** Ends the current row; a full batch goes to the file. */
  next(): void {
    if (++this.row === this.batchRows) this.flush();
  }

  private flush(): void {
    const n = this.row;
    const children = this.columns.map(([, c]) => c.data(n));
    this.writer.write(new RecordBatch(this.schema, makeData({ type: this.type, length: n, nullCount: 0, children })));
    this.wrote = true;
    this.row = 0;
  }

  /** Writes the last batch and the footer, and renames the file into place. */
  finish(): void {
    // A file without a record batch reads back without its schema: write an empty one.
    if (this.row > 0 || !this.wrote) this.flush();
    this.writer.finish();
    this.out.close();
    renameSync(this.tmp, this.path);
  }

  /** Closes and removes the temporary file (after a failure). */
  abort(): void {
    try {
      this.out.abort();
    } catch {
      // already closed
    }
    rmSync(this.tmp, { force: true });
  }
}

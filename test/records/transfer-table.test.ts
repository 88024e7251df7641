import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../errors/index.js";
import { TRANSFER_COLUMNS, type TransferRow } from "../../records/transfer-record.js";
import { readTransfers, writeTransfers } from "../../records/transfer-table.js";

const row = (i: number, over: Partial<TransferRow> = {}): TransferRow => ({
  id: `t${i}`,
  job: i % 2 === 0 ? `job-${i >> 1}` : "",
  request: "",
  file: `ska:file-${i}`,
  source: "AUSSRC",
  destination: i % 3 === 0 ? "UKSRC" : "CHSRC",
  link: i % 3 === 0 ? "AUSSRC->UKSRC" : "AUSSRC->CHSRC",
  bytes: 1.5e8 + i,
  submitSeconds: i * 0.5,
  startSeconds: i * 0.5 + 1,
  endSeconds: i * 0.5 + 4.25,
  state: "FINISHED",
  error: "",
  actives: 2 + (i % 5),
  ...over,
});

describe("transfers.arrow", () => {
  it("reads back what was written, over several record batches, nulls included", () => {
    const dir = mkdtempSync(join(tmpdir(), "transfers-"));
    const rows = Array.from({ length: 70_000 }, (_, i) => row(i));
    rows[5] = row(5, { state: "SUBMITTED", startSeconds: NaN, endSeconds: NaN, actives: 0 });
    rows[6] = row(6, { state: "FAILED", error: "checksum mismatch", destination: "NEWSRC", link: "AUSSRC->NEWSRC" });
    const path = join(dir, "transfers.arrow");
    expect(writeTransfers(path, rows, ["AUSSRC", "UKSRC", "CHSRC"])).toBe(70_000);
    const back = readTransfers(path);
    expect(back.length).toBe(rows.length);
    expect(back[0]).toEqual(rows[0]);
    expect(back[5]).toEqual(rows[5]);
    expect(back[6]).toEqual(rows[6]);
    expect(back[69_999]).toEqual(rows[69_999]);
  });

  it("an empty table still has its columns", () => {
    const path = join(mkdtempSync(join(tmpdir(), "transfers-")), "transfers.arrow");
    writeTransfers(path, []);
    expect(readTransfers(path)).toEqual([]);
  });

  it("a file without a contract column is a usage error naming the file, the column, its type and what was found", () => {
    const path = join(mkdtempSync(join(tmpdir(), "transfers-")), "transfers.arrow");
    const cols: Record<string, unknown> = {};
    for (const [k, name] of Object.entries(TRANSFER_COLUMNS)) {
      if (k === "bytes") continue;
      cols[name] = k === "actives" ? Int32Array.of(1) : ["submit", "start", "end"].includes(k) ? Float64Array.of(1) : ["FINISHED"];
    }
    cols[TRANSFER_COLUMNS.end] = ["late"];
    writeFileSync(path, tableToIPC(tableFromArrays(cols as Record<string, Float64Array>), "file"));
    let err: unknown;
    try {
      readTransfers(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    const msg = (err as Error).message;
    expect(msg).toContain(`${path}: expected column bytes of type float64, found no such column`);
    expect(msg).toContain(`${path}: expected column t_end_seconds of type float64, found Dictionary<Int32, Utf8>`);
  });
});

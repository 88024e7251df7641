/**
 * Arrow's IPC file writer with its bytes going straight to an {@link Output}, so a table is
 * written a record batch at a time and memory holds one batch.
 */
import { RecordBatchFileWriter } from "apache-arrow";
import type { Output } from "./output.js";

/**
 * RecordBatchFileWriter whose bytes go to an {@link Output} (no in-memory queue). Each write()
 * flushes the output: a record batch's buffers are views of the caller's arrays, which it
 * reuses once write() returns.
 */
export class OutputFileWriter extends RecordBatchFileWriter {
  constructor(private readonly out: Output) {
    super();
  }
  override write(payload?: Parameters<RecordBatchFileWriter["write"]>[0]): void {
    super.write(payload);
    this.out.flush();
  }
  protected override _write(chunk: Parameters<RecordBatchFileWriter["_write"]>[0]): this {
    if (this._started && ArrayBuffer.isView(chunk) && chunk.byteLength > 0) {
      this.out.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this._position += chunk.byteLength;
    }
    return this;
  }
}

import { describe, expect, it } from "vitest";
import { runSrcnet } from "../../../sim/srcnet/run.js";
import { transferRows } from "../../../sim/srcnet/transfer-rows.js";
import { mini } from "./fixtures.js";

const GB = 1e9;

describe("injections: files at a steady rate from one site to others", () => {
  // 12 files of 1 GB over 1200 s from A, batches of 3 to B then C in turn: a batch every 300 s.
  // Links are 8 Gbit/s (1 GB/s) with no per-file costs: a lone file takes latency + 1 s.
  const sc = mini();
  sc.telescopes[0]!.schedule = [];
  sc.injections = [{ from: "A", to: ["B", "C"], startSeconds: 100, durationSeconds: 1200, files: 12, fileBytes: GB, batchFiles: 3 }];
  sc.output.transferEvents = true;
  const run = runSrcnet(sc);
  // The generator refills one row object: copy each as it comes.
  const rows = Array.from(transferRows(run.transferLog!, ["A", "B", "C", "T"]), (r) => ({ ...r }));

  it("submits every file, batch by batch, to the destinations in turn", () => {
    const inj = run.summary.injections![0]!;
    expect(inj).toMatchObject({ submitted: 12, done: 12, doneBytes: 12 * GB, aborted: 0 });
    expect(rows.length).toBe(12);
    const submits = [...new Set(rows.map((r) => r.submitSeconds))].sort((a, b) => a - b);
    expect(submits).toEqual([100, 400, 700, 1000]);
    const to = (t: number) => [...new Set(rows.filter((r) => r.submitSeconds === t).map((r) => r.destination))];
    expect([to(100), to(400), to(700), to(1000)]).toEqual([["B"], ["C"], ["B"], ["C"]]);
  });

  it("a batch of 3 files shares its link: each ends after latency + 3 GB / 1 GB/s", () => {
    for (const r of rows) {
      expect(r.state).toBe("FINISHED");
      expect(r.startSeconds).toBe(r.submitSeconds);
      const latency = r.destination === "B" ? 0.02 : 0.05;
      expect(r.endSeconds - r.startSeconds).toBeCloseTo(latency + 3, 6);
      expect(r.link).toBe(`A->${r.destination}`);
    }
  });

  it("reports each link's bytes and its highest rate over a sample interval", () => {
    const links = run.summary.injections![0]!.links;
    expect(links["A->B"]!.bytesMoved).toBe(6 * GB);
    // One batch (3 GB) within a 600 s sample: 3e9 x 8 / 600 bit/s.
    expect(links["A->B"]!.maxBitsPerSecond).toBeCloseTo((3 * GB * 8) / 600, 3);
  });
});

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TransferRow } from "../../../records/transfer-record.js";
import { readTransfers, writeTransfers } from "../../../records/transfer-table.js";
import { campaignScenario, firstAttempts } from "../../../sim/calibrate/from-campaign.js";

const root = join(import.meta.dirname, "..", "..", "..");
const testbed = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin", "testbed.mjs"), ...args], { encoding: "utf8", timeout: 120_000 });

const row = (o: Partial<TransferRow> & Pick<TransferRow, "file" | "source" | "destination" | "submitSeconds" | "state">): TransferRow => ({
  id: `${o.file}-${o.submitSeconds}`,
  job: "j",
  request: "",
  link: `${o.source}->${o.destination}`,
  bytes: 8e6,
  startSeconds: o.submitSeconds,
  endSeconds: o.submitSeconds + 1,
  error: "",
  actives: 2,
  ...o,
});

/**
 * A campaign record as a replication campaign writes it: two files copied UK -> CH at 10 s (one
 * of them retried after a failure), a third UK -> AUS at 10 s, and after a loss of CH at 40 s the
 * first two copied there again.
 */
function campaignRecord(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "from-campaign-")), "camp-1");
  mkdirSync(dir);
  writeFileSync(
    join(dir, "run.json"),
    JSON.stringify({ schemaVersion: 1, kind: "campaign", scenario: { name: "srcnet-0.1" }, campaign: { name: "site-loss", sha256: "x" }, startedAt: "2026-12-07T10:00:00.000Z", status: "complete", tables: ["transfers"] }),
  );
  writeFileSync(
    join(dir, "links.json"),
    JSON.stringify({
      links: [
        { name: "UKSRC->CHSRC", latencySeconds: 0.01, bandwidthBitsPerSecond: 80e6 },
        { name: "CHSRC->UKSRC", latencySeconds: 0.01, bandwidthBitsPerSecond: 80e6 },
        { name: "UKSRC->AUSSRC", latencySeconds: 0.15, bandwidthBitsPerSecond: 16e6 },
        { name: "AUSSRC->UKSRC", latencySeconds: 0.15, bandwidthBitsPerSecond: 16e6 },
      ],
    }),
  );
  writeTransfers(join(dir, "transfers.arrow"), [
    row({ file: "tests:f0", source: "UKSRC", destination: "CHSRC", submitSeconds: 10, state: "FINISHED" }),
    row({ file: "tests:f1", source: "UKSRC", destination: "CHSRC", submitSeconds: 10, state: "FAILED", error: "connection refused" }),
    row({ file: "tests:f1", source: "UKSRC", destination: "CHSRC", submitSeconds: 16, state: "FINISHED" }),
    row({ file: "tests:f2", source: "UKSRC", destination: "AUSSRC", submitSeconds: 10, state: "FINISHED" }),
    row({ file: "tests:f0", source: "UKSRC", destination: "CHSRC", submitSeconds: 50, state: "FINISHED" }),
    row({ file: "tests:f1", source: "UKSRC", destination: "CHSRC", submitSeconds: 50, state: "FINISHED" }),
  ]);
  return dir;
}

describe("sim run --from-campaign: the stack a campaign ran on, simulated", () => {
  it("a retry is the same copy; a copy after the file was there again is a new one", () => {
    const rows = readTransfers(join(campaignRecord(), "transfers.arrow"));
    expect(firstAttempts(rows).map((r) => `${r.file}@${r.submitSeconds}`)).toEqual(["tests:f0@10", "tests:f1@10", "tests:f2@10", "tests:f0@50", "tests:f1@50"]);
  });

  it("builds the scenario of the stack: its sites, its paths as links, the copies as injections at Rucio's submit times", () => {
    const { document, derivedFrom, copies } = campaignScenario(campaignRecord());
    expect(copies).toBe(5);
    expect(derivedFrom).toEqual({ kind: "campaign", run: "camp-1", startedAt: "2026-12-07T10:00:00.000Z" });
    expect((document.sites as { name: string }[]).map((s) => s.name).sort()).toEqual(["AUSSRC", "CHSRC", "UKSRC"]);
    expect(document.links).toEqual([
      { from: "UKSRC", to: "CHSRC", bandwidth: "80000000 bit/s", latency: "0.01 s" },
      { from: "UKSRC", to: "AUSSRC", bandwidth: "16000000 bit/s", latency: "0.15 s" },
    ]);
    expect(document.injections).toEqual([
      { from: "UKSRC", to: ["CHSRC"], start: "10 s", duration: "0.001 s", files: 2, fileSize: "8000000 B", batch: 2 },
      { from: "UKSRC", to: ["AUSSRC"], start: "10 s", duration: "0.001 s", files: 1, fileSize: "8000000 B", batch: 1 },
      { from: "UKSRC", to: ["CHSRC"], start: "50 s", duration: "0.001 s", files: 2, fileSize: "8000000 B", batch: 2 },
    ]);
  });

  it("takes how the stack's copies move from links.json, and warm links (every copy under a limit above the minimum) without the optimizer", () => {
    const dir = campaignRecord();
    const links = JSON.parse(readFileSync(join(dir, "links.json"), "utf8"));
    links.transfers = { streamsPerTransfer: 1, windowBytes: 1073741824, checksumSourceBytesPerSecond: null, checksumDestinationBytesPerSecond: 1e9, sharing: "max-min", optimizerIntervalSeconds: 10 };
    writeFileSync(join(dir, "links.json"), JSON.stringify(links));
    const cold = campaignScenario(dir).document as { network: { sharing: string }; policies: { transfers: Record<string, unknown> } };
    expect(cold.network.sharing).toBe("max-min");
    expect(cold.policies.transfers).toMatchObject({
      streamsPerTransfer: 1,
      window: "1073741824 B",
      checksumRate: { source: null, destination: "8000000000 bit/s" },
      optimizer: { steadyInterval: "10 s" },
    });
    expect((cold.policies.transfers.optimizer as { enabled?: boolean }).enabled).not.toBe(false);
    const rows = readTransfers(join(dir, "transfers.arrow")).map((r) => ({ ...r, actives: 66 }));
    writeTransfers(join(dir, "transfers.arrow"), rows);
    const warm = campaignScenario(dir).document as { policies: { transfers: Record<string, unknown> } };
    expect(warm.policies.transfers).toMatchObject({ maxActivePerPair: 66, optimizer: { enabled: false, steadyInterval: "10 s" } });
  });

  it("runs: a simulation record naming its campaign, with the same copies on the same links", () => {
    const camp = campaignRecord();
    const out = join(mkdtempSync(join(tmpdir(), "from-campaign-out-")), "sim");
    // No per-file costs, one stream, a window that is no limit: each copy is its link's latency
    // plus its share of the link's rate (two 8 MB files at once on 80 Mbit/s: 1.6 s each).
    const r = testbed(
      "sim", "run", "--from-campaign", camp, "--out", out, "--no-progress",
      "--set", "policies.transfers.setupTime=0 s", "--set", "policies.transfers.checksumRate.destination=null",
      "--set", "policies.transfers.streamsPerTransfer=1", "--set", "policies.transfers.window=1 GiB",
      "--set", "policies.transfers.optimizer.enabled=false",
    );
    expect(r.status, r.stderr).toBe(0);
    const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(run).toMatchObject({ kind: "simulation", status: "complete", derivedFrom: { kind: "campaign", run: "camp-1" } });
    const sim = readTransfers(join(out, "transfers.arrow"));
    expect(sim).toHaveLength(5);
    const at = (t: number, link: string) => sim.filter((x) => x.submitSeconds === t && x.link === link);
    for (const x of [...at(10, "UKSRC->CHSRC"), ...at(50, "UKSRC->CHSRC")]) expect(x.endSeconds - x.startSeconds).toBeCloseTo(0.01 + (2 * 8e6 * 8) / 80e6, 6);
    expect(at(10, "UKSRC->AUSSRC")[0]!.endSeconds - 10).toBeCloseTo(0.15 + (8e6 * 8) / 16e6, 6);
  });

  it("bad input: a run that is not a campaign's, or has no links, exits 2 naming the file", () => {
    const camp = campaignRecord();
    writeFileSync(join(camp, "links.json"), JSON.stringify({ links: [] }));
    const r = testbed("sim", "run", "--from-campaign", camp, "--out", join(tmpdir(), `never-${Date.now()}`));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/links\.json: links: expected a list of links, found \[\]/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});

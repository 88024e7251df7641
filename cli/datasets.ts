import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../errors/index.js";
import { progress, type Progress } from "./progress.js";

const collect = (value: string, previous: string[]) => [...previous, value];

function parseScale(text: string): number {
  const x = Number(text);
  if (text.trim() === "" || !Number.isFinite(x) || x <= 0 || x > 1) throw new UsageError(`--scale: expected a number in (0, 1], found "${text}"`);
  return x;
}

function parseRows(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--rows: expected a positive integer, found "${text}"`);
  return n;
}

function parseSeed(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 0) throw new UsageError(`--seed: expected an integer >= 0, found "${text}"`);
  return n;
}

/** The output directory must not exist; its parent must be an existing, writable directory. */
function checkOut(out: string): string {
  if (existsSync(out)) throw new UsageError(`--out: ${out} already exists; choose a new directory`);
  const parent = dirname(resolve(out));
  let ok = false;
  try {
    ok = statSync(parent).isDirectory();
    accessSync(parent, constants.W_OK);
  } catch {
    ok = false;
  }
  if (!ok) throw new UsageError(`--out: cannot create ${out}: ${parent} is not a writable directory`);
  return out;
}

export function registerDatasets(program: Command): void {
  const datasets = program.command("datasets").description("generate synthetic SKA datasets");
  datasets
    .command("generate")
    .description("generate an ObsCore catalogue, a file manifest and scaled payload files from a scenario")
    .argument("<scenario>", "preset name or scenario file")
    .requiredOption("--out <dir>", "dataset directory to create")
    .option("--set <path=value>", "override a scenario value (repeatable)", collect, [])
    .option("--scale <f>", "payload bytes on disk per real byte, in (0, 1]", "1e-6")
    .option("--rows <n>", "stop after n catalogue rows (default: when the scenario ends)")
    .option("--seed <n>", "random seed (overrides the scenario's)")
    .option("--no-payloads", "write the catalogue and manifest only")
    .option("--no-progress", "do not show progress on stderr")
    .action(
      async (
        scenario: string,
        opts: { out: string; set: string[]; scale: string; rows?: string; seed?: string; payloads: boolean; progress: boolean },
      ) => {
        const scale = parseScale(opts.scale);
        const rows = parseRows(opts.rows);
        const seed = parseSeed(opts.seed);
        const out = checkOut(opts.out);
        // Heavy modules load only when the command runs.
        const { generateDataset } = await import("../datasets/generate.js");
        const { loadScenario } = await import("../scenarios/load.js");
        const sc = loadScenario(scenario, { set: opts.set });
        const ui: { bar: Progress | null } = { bar: null };
        const started = performance.now();
        try {
          const s = generateDataset({
            scenario: sc,
            seed,
            out,
            scale,
            ...(rows !== undefined ? { rows } : {}),
            payloads: opts.payloads,
            onProgress: (n, total) => {
              ui.bar ??= progress(total, "rows", 1, opts.progress);
              ui.bar.update(n);
            },
          });
          ui.bar?.stop();
          ui.bar = null;
          const secs = (performance.now() - started) / 1000;
          process.stdout.write(
            `${s.scenario}: ${s.rows} products, ${(s.bytes / 1e15).toFixed(3)} PB catalogued, ` +
              `${(s.payloadBytes / 2 ** 20).toFixed(1)} MiB of payloads in ${secs.toFixed(1)} s\ndataset: ${out}\n`,
          );
        } finally {
          ui.bar?.stop();
        }
      },
    );
}

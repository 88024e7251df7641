import type { Command } from "commander";
import type { Scenario } from "../scenarios/types.js";
import { UsageError } from "../errors/index.js";

const collect = (value: string, previous: string[]) => [...previous, value];

// The scenario modules (effect, yaml) are loaded when a scenario command runs, not on every
// `testbed` start.
const scenarios = () => import("../scenarios/index.js");

/** One line: what the scenario amounts to (sites, links, telescopes, storage, compute, SV volume). */
export async function summaryLine(s: Scenario): Promise<string> {
  const { scenarioTotals, units } = await scenarios();
  const t = scenarioTotals(s);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return (
    `${s.name}: valid; ${plural(t.sites, "site")}, ${plural(t.linkPairs, "link")}, ${plural(t.telescopes, "telescope")}; ` +
    `storage ${units.formatBytes(t.diskBytes)} disk + ${units.formatBytes(t.tapeBytes)} tape; ${units.formatFlops(t.flopsPerSecond)}; ` +
    `SV ${units.formatBytes(t.peakBytesPerWeek)}/week at peak, ${units.formatBytes(t.svBytes)} in ${units.formatDuration(s.durationSeconds)}`
  );
}

/** Runs `f`, turning scenario problems into usage errors: one line each, exit code 2, no stack trace. */
async function userErrors<T>(f: () => T | Promise<T>): Promise<T> {
  const { ScenarioError } = await scenarios();
  try {
    return await f();
  } catch (e) {
    throw e instanceof ScenarioError ? new UsageError(e.message) : e;
  }
}

export function registerScenario(program: Command): void {
  const scenario = program.command("scenario").description("check, list and describe scenarios");

  scenario
    .command("validate")
    .description("check a scenario file or preset and print a one-line summary")
    .argument("<scenario>", "preset name (see `testbed scenario list`) or path of a YAML file")
    .option(
      "--set <path=value>",
      "override a value before checking, e.g. policies.replicas=3 or 'sites[0].disk.capacity=2 PB' (repeatable)",
      collect,
      [],
    )
    .action(async (name: string, opts: { set: string[] }) => {
      const { loadScenario } = await scenarios();
      const s = await userErrors(() => loadScenario(name, { set: opts.set }));
      process.stdout.write(`${await summaryLine(s)}\n`);
    });

  scenario
    .command("list")
    .description("list the preset scenarios")
    .action(async () => {
      const { listPresets } = await scenarios();
      const presets = await userErrors(() => listPresets());
      const width = Math.max(...presets.map((p) => p.name.length));
      for (const p of presets) process.stdout.write(`${p.name.padEnd(width)}  ${p.description.replace(/\s+/g, " ")}\n`);
    });

  scenario
    .command("schema")
    .description("print the JSON Schema of scenario files (as in scenarios/scenario.schema.json)")
    .action(async () => {
      const { scenarioJsonSchemaText } = await scenarios();
      process.stdout.write(scenarioJsonSchemaText());
    });
}

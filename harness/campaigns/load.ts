/** Campaigns by preset name (presets/<name>.yaml) or path, validated with clear errors. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseYaml } from "../../scenarios/load.js";
import { ScenarioError } from "../../scenarios/errors.js";
import { decodeCampaign, type Campaign } from "./schema.js";

export const CAMPAIGN_PRESETS_DIR = fileURLToPath(new URL("./presets/", import.meta.url));

export const campaignPresetNames = (): string[] =>
  readdirSync(CAMPAIGN_PRESETS_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();

export function loadCampaign(nameOrPath: string): { campaign: Campaign; file: string; document: unknown } {
  const preset = join(CAMPAIGN_PRESETS_DIR, `${nameOrPath}.yaml`);
  const path = /^[a-z0-9-]+$/.test(nameOrPath) && existsSync(preset) ? preset : nameOrPath;
  const file = path === preset ? nameOrPath : nameOrPath;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScenarioError({
      file,
      path: "",
      expected: `a campaign preset (${campaignPresetNames().join(", ")}) or a readable YAML file`,
      found: code === "ENOENT" ? "no such preset or file" : code === "EISDIR" ? "a directory" : `an error reading it: ${(e as Error).message}`,
    });
  }
  const document = parseYaml(text, file);
  return { campaign: decodeCampaign(document, file), file, document };
}

/** Campaigns by preset name (presets/<name>.yaml) or path, validated with clear errors. */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readYamlFile } from "../../scenarios/yaml.js";
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
  if (!existsSync(path)) {
    throw new ScenarioError({
      file,
      path: "",
      expected: `a campaign preset (${campaignPresetNames().join(", ")}) or a readable YAML file`,
      found: "no such preset or file",
    });
  }
  const document = readYamlFile(path, file, "a readable YAML campaign file");
  return { campaign: decodeCampaign(document, file), file, document };
}

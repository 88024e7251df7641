import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The project's version, from package.json (kept apart from run records so the CLI starts light). */
export function toolVersion(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
}

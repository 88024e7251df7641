/**
 * Reading the YAML files users give (scenarios, campaigns, targets, thresholds): one reader, so
 * that every kind of bad file gets the same one-line answer naming the file: unreadable, not
 * text (a binary file: a short escaped prefix, never the bytes themselves), YAML syntax errors
 * with line and column, and aliases that expand past a bound (a "billion laughs" document).
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { ScenarioError } from "./errors.js";

/**
 * Alias expansions allowed in one document. Presets use a handful; a document past this is
 * almost certainly built to blow up (each level of aliases multiplies the size).
 */
export const MAX_ALIAS_COUNT = 1000;

/** The first bytes of a file as printable ASCII: other bytes as \xNN, at most `max` bytes. */
export function escapedPrefix(bytes: Uint8Array, max = 24): string {
  let out = "";
  for (const b of bytes.subarray(0, max)) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x09) out += "\\t";
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `"${out}"${bytes.length > max ? "..." : ""}`;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Text of a file the user gave, or a ScenarioError naming it. `what` completes "expected ...". */
export function readTextFile(path: string, file: string, what: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScenarioError({
      file,
      path: "",
      expected: what,
      found: code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory" : `an error reading it: ${(e as Error).message}`,
    });
  }
  let text: string | null;
  try {
    text = utf8.decode(bytes);
  } catch {
    text = null;
  }
  // NUL is valid UTF-8 but never in a YAML file: binary data that happens to decode.
  if (text === null || text.includes("\0")) {
    throw new ScenarioError({ file, path: "", expected: `${what} (UTF-8 text)`, found: `binary data starting ${escapedPrefix(bytes)}` });
  }
  return text;
}

/** Parses YAML text; syntax errors and alias bombs become ScenarioErrors naming `file`. */
export function parseYaml(text: string, file: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return {
          file,
          path: `line ${line}, column ${col}`,
          expected: "valid YAML",
          found: `a YAML error: ${e.message} (${e.code})`,
          line,
          column: col,
        };
      }),
    );
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // The yaml package throws a ReferenceError when aliases expand past maxAliasCount.
    if (e instanceof ReferenceError && /alias/i.test(e.message)) {
      throw new ScenarioError({
        file,
        path: "",
        expected: `YAML whose aliases expand to at most ${MAX_ALIAS_COUNT} nodes`,
        found: "aliases that expand past that (each level of aliases multiplies the document)",
      });
    }
    throw e;
  }
}

/** Reads and parses a YAML file the user gave (see {@link readTextFile}, {@link parseYaml}). */
export function readYamlFile(path: string, file: string, what: string): unknown {
  return parseYaml(readTextFile(path, file, what), file);
}

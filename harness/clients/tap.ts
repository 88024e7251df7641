import { Effect } from "effect";
import { XMLParser } from "fast-xml-parser";
import { HttpError, request } from "./http.js";

/** A TAP result: column names (VOTable FIELD names) and rows of TABLEDATA cell texts. */
export interface TapResult {
  fields: string[];
  rows: string[][];
  seconds: number;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  removeNSPrefix: true,
  // Cells stay text: numbers are converted by the caller who knows the column.
  parseTagValue: false,
  isArray: (name) => ["FIELD", "TR", "TD", "INFO", "RESOURCE", "TABLE"].includes(name),
});

interface VoTable {
  VOTABLE?: {
    RESOURCE?: { type?: string; INFO?: { name: string; value: string; "#text"?: string }[]; TABLE?: { FIELD?: { name: string }[]; DATA?: { TABLEDATA?: { TR?: { TD?: (string | object)[] }[] } } }[] }[];
  };
}

/** Parses a TABLEDATA VOTable; an error document (QUERY_STATUS=ERROR) becomes a message. */
export function parseVoTable(xml: string): { fields: string[]; rows: string[][] } | { error: string } {
  const doc = parser.parse(xml) as VoTable;
  const resources = doc.VOTABLE?.RESOURCE ?? [];
  for (const r of resources) {
    const status = r.INFO?.find((i) => i.name === "QUERY_STATUS");
    if (status?.value === "ERROR") return { error: String(status["#text"] ?? "query failed").trim() };
  }
  const table = resources.find((r) => r.type === "results" && r.TABLE)?.TABLE?.[0] ?? resources.find((r) => r.TABLE)?.TABLE?.[0];
  if (table === undefined) return { error: "the VOTable has no TABLE" };
  const fields = (table.FIELD ?? []).map((f) => f.name);
  const rows = (table.DATA?.TABLEDATA?.TR ?? []).map((tr) => (tr.TD ?? []).map((td) => (typeof td === "string" ? td : "")));
  return { fields, rows };
}

/** A synchronous ADQL query (TAP 1.1 `/sync`), TABLEDATA serialisation. */
export function tapSync(tapUrl: string, adql: string, opts: { maxrec?: number; timeoutMs?: number } = {}): Effect.Effect<TapResult, HttpError> {
  const body = new URLSearchParams({
    REQUEST: "doQuery",
    LANG: "ADQL",
    QUERY: adql,
    RESPONSEFORMAT: "application/x-votable+xml;serialization=TABLEDATA",
    ...(opts.maxrec !== undefined ? { MAXREC: String(opts.maxrec) } : {}),
  }).toString();
  return request("POST", `${tapUrl}/sync`, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    expect: [200, 400],
  }).pipe(
    Effect.flatMap((r) => {
      const parsed = parseVoTable(new TextDecoder().decode(r.value));
      return "error" in parsed
        ? Effect.fail(new HttpError({ message: `TAP ${tapUrl}: ${parsed.error} (query: ${adql})`, status: r.status, seconds: r.seconds }))
        : Effect.succeed({ ...parsed, seconds: r.seconds });
    }),
  );
}

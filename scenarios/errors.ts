/**
 * Errors a user can act on: every problem in a scenario names the file, the path inside it
 * (`links[2].to`), what was expected and what was found, in one line:
 *
 *     <file>: <path>: expected <expected>, found <found>
 *
 * A {@link ScenarioError} carries every problem found in one pass; its message is one such line
 * per problem, the first problem first.
 */
import { ParseResult } from "effect";
import * as AST from "effect/SchemaAST";
import { UsageError } from "../errors/index.js";
import { formatFound } from "./units.js";

/** One problem in a scenario. */
export interface ScenarioIssue {
  /** The file (or preset name, or `--set`) the problem was found in. */
  readonly file: string;
  /** Where in the document: `links[2].to`, `policies.replicas`, `line 3, column 7`; "" for the whole file. */
  readonly path: string;
  readonly expected: string;
  readonly found: string;
  /** 1-based position in the file, when known (YAML syntax errors). */
  readonly line?: number;
  readonly column?: number;
}

/** `<file>: <path>: expected <expected>, found <found>` (without `<path>: ` when the path is empty). */
export function formatIssue(i: ScenarioIssue): string {
  return `${i.file}: ${i.path === "" ? "" : `${i.path}: `}expected ${i.expected}, found ${i.found}`;
}

/** A scenario that cannot be read: bad YAML, a bad value, an inconsistent reference, a bad `--set`. */
export class ScenarioError extends UsageError {
  override readonly name: string = "ScenarioError";
  /** Every problem found, in document order as far as the validator reports it; never empty. */
  readonly issues: readonly ScenarioIssue[];
  readonly file: string;
  readonly path: string;
  readonly expected: string;
  readonly found: string;

  constructor(issues: readonly ScenarioIssue[] | ScenarioIssue) {
    const list = Array.isArray(issues) ? (issues as readonly ScenarioIssue[]) : [issues as ScenarioIssue];
    const first = list[0];
    if (first === undefined) throw new TypeError("ScenarioError needs at least one issue");
    super(list.map(formatIssue).join("\n"));
    this.issues = list;
    this.file = first.file;
    this.path = first.path;
    this.expected = first.expected;
    this.found = first.found;
  }
}

// ---- from effect's parse issues to ScenarioIssues ----

/**
 * Annotation on a schema giving the text used after "expected" when a value does not match it,
 * e.g. `a data size such as "8 PB"`. Not part of the JSON Schema.
 */
export const ExpectedId: unique symbol = Symbol.for("srcnet-testbed/scenario/expected");

/** Issues created by the scenario schema with their own expected/found texts. */
const custom = new WeakMap<object, { expected: string; found: string }>();

/**
 * A parse issue with its own expected and found texts (for unit errors and cross-field checks);
 * `found` defaults to the value itself, quoted as in YAML.
 */
export function customIssue(ast: AST.AST, actual: unknown, expected: string, found?: string): ParseResult.Type {
  const f = found ?? formatFound(actual);
  const issue = new ParseResult.Type(ast, actual, `expected ${expected}, found ${f}`);
  custom.set(issue, { expected, found: f });
  return issue;
}

type Path = (string | number)[];

/** `["links", 2, "to"]` -> `links[2].to`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const k of path) {
    if (typeof k === "number") out += `[${k}]`;
    else out += out === "" ? String(k) : `.${String(k)}`;
  }
  return out;
}

function expectedAnnotation(ast: AST.AST): string | undefined {
  const a = ast.annotations[ExpectedId];
  return typeof a === "string" ? a : undefined;
}

/** Flattens nested unions, dropping `undefined` (which effect adds for optional fields). */
function unionMembers(ast: AST.AST): AST.AST[] {
  if (AST.isUnion(ast) && expectedAnnotation(ast) === undefined) return ast.types.flatMap(unionMembers);
  if (ast._tag === "UndefinedKeyword") return [];
  return [ast];
}

const isGroup = (ast: AST.AST): boolean =>
  AST.isTupleType(ast) || AST.isTypeLiteral(ast) || ((AST.isRefinement(ast) || AST.isTransformation(ast)) && isGroup(ast.from));

/** A human description of what a schema accepts. */
export function describe(ast: AST.AST): string {
  const e = expectedAnnotation(ast);
  if (e !== undefined) return e;
  switch (ast._tag) {
    case "Literal":
      return JSON.stringify(ast.literal);
    case "Union": {
      let members = unionMembers(ast);
      // An optional list written empty (`faults:` with every entry commented out) is null: allowed, not worth saying.
      const optional = ast.types.some((t) => t._tag === "UndefinedKeyword");
      const others = members.filter((m) => !(AST.isLiteral(m) && m.literal === null));
      if (optional && others.length < members.length && others.every(isGroup)) members = others;
      if (members.length === 1) return describe(members[0]!);
      if (members.every(AST.isLiteral)) return `one of ${members.map(describe).join(", ")}`;
      return members.map(describe).join(" or ");
    }
    case "StringKeyword":
      return "a string";
    case "NumberKeyword":
      return "a number";
    case "BooleanKeyword":
      return "true or false";
    case "TypeLiteral":
      return "a mapping";
    case "TupleType":
      return "a list";
    case "Refinement":
    case "Transformation":
      return describe(ast.from);
    case "Suspend":
      return describe(ast.f());
    default: {
      const title = AST.getTitleAnnotation(ast);
      return title._tag === "Some" ? title.value : String(ast);
    }
  }
}

/** Keys a mapping accepts, for "unknown key" messages. */
function knownKeys(ast: AST.AST | undefined): string[] | undefined {
  if (ast === undefined) return undefined;
  switch (ast._tag) {
    case "TypeLiteral":
      return ast.propertySignatures.map((p) => String(p.name));
    case "Transformation":
      return knownKeys(ast.from);
    case "Refinement":
      return knownKeys(ast.from);
    default:
      return undefined;
  }
}

const toList = (i: ParseResult.ParseIssue | readonly ParseResult.ParseIssue[]): readonly ParseResult.ParseIssue[] =>
  Array.isArray(i) ? (i as readonly ParseResult.ParseIssue[]) : [i as ParseResult.ParseIssue];

/** Whether a union member's failure is deeper than "this value is not of that kind". */
function isDeep(issue: ParseResult.ParseIssue): boolean {
  switch (issue._tag) {
    case "Pointer":
      return true;
    case "Composite":
      return !AST.isUnion(issue.ast) || toList(issue.issues).some(isDeep);
    case "Transformation":
      return issue.kind !== "Encoded" || isDeep(issue.issue);
    case "Refinement":
      return issue.kind === "Predicate" || isDeep(issue.issue);
    default:
      return custom.has(issue);
  }
}

/**
 * Walks an effect parse issue tree into ScenarioIssues with file paths such as `links[2].to`.
 * `file` is the name used in messages.
 */
export function issuesFromParse(file: string, root: ParseResult.ParseIssue): ScenarioIssue[] {
  const out: ScenarioIssue[] = [];
  const emit = (path: Path, expected: string, found: string) =>
    out.push({ file, path: formatPath(path), expected, found });

  const walk = (issue: ParseResult.ParseIssue, path: Path, parent: AST.AST | undefined): void => {
    const c = custom.get(issue);
    if (c !== undefined) return void emit(path, c.expected, c.found);
    switch (issue._tag) {
      case "Pointer": {
        const keys = Array.isArray(issue.path) ? (issue.path as PropertyKey[]) : [issue.path as PropertyKey];
        const next = [...path, ...keys.map((k) => (typeof k === "number" ? k : String(k)))];
        if (issue.issue._tag === "Unexpected") {
          const known = knownKeys(parent);
          return void emit(
            next,
            known === undefined ? "no such key" : `one of the keys ${known.join(", ")}`,
            `unknown key ${JSON.stringify(String(keys[keys.length - 1]))}`,
          );
        }
        return walk(issue.issue, next, undefined);
      }
      case "Unexpected":
        return void emit(path, "no such key", formatFound(issue.actual));
      case "Missing":
        return void emit(path, `${describe(issue.ast.type)} (required)`, "nothing");
      case "Forbidden":
        return void emit(path, issue.message ?? "a value that can be checked synchronously", formatFound(issue.actual));
      case "Type":
        return void emit(path, describe(issue.ast), formatFound(issue.actual));
      case "Refinement":
        if (issue.kind === "From") return walk(issue.issue, path, issue.ast.from);
        return void emit(path, describe(issue.ast), formatFound(issue.actual));
      case "Transformation": {
        const e = expectedAnnotation(issue.ast);
        if (issue.kind === "Encoded") {
          // The raw value is not even of the right kind (a mapping where a string was expected...).
          if (e !== undefined && !isDeep(issue.issue)) return void emit(path, e, formatFound(issue.actual));
          return walk(issue.issue, path, issue.ast.from);
        }
        return walk(issue.issue, path, issue.ast.to);
      }
      case "Composite": {
        const subs = toList(issue.issues);
        if (AST.isUnion(issue.ast)) {
          const deep = subs.filter(isDeep);
          if (deep.length === 0) return void emit(path, describe(issue.ast), formatFound(issue.actual));
          for (const s of deep) walk(s, path, undefined);
          return;
        }
        for (const s of subs) walk(s, path, issue.ast);
        return;
      }
    }
  };
  walk(root, [], undefined);
  if (out.length === 0) out.push({ file, path: "", expected: "a valid scenario", found: "an unexplained error" });
  return out;
}

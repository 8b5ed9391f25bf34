// --output-schema: a JSON Schema (draft 2020-12) file, compiled up front so a broken schema is refused before
// any row is added; and which of its properties become their own output columns.
import { readFileSync } from "node:fs";
import { schemaProblems } from "../agents/openai/schema-check.js";
import { CodexError, ExitCode, errnoCode } from "../errors.js";
import { parseJsonText } from "../util/json-text.js";

export type JsonSchema = Record<string, unknown>;

function schemaError(file: string, message: string, details: string[] = []): CodexError {
  return new CodexError("E_OUTPUT_SCHEMA", `--output-schema ${file}: ${message}`, {
    details,
    hint: "Give a JSON Schema (draft 2020-12) describing one row's result, e.g. {\"type\":\"object\",\"properties\":{\"score\":{\"type\":\"integer\"}}}.",
    exitCode: ExitCode.usage,
  });
}

/** Reads and compiles the schema; throws (exit 2) with ajv's own words when the file is not a usable schema. */
export function loadOutputSchema(file: string, shownAs: string = file): JsonSchema {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error: unknown) {
    throw schemaError(shownAs, errnoCode(error) === "ENOENT" ? "no such file" : `cannot be read (${errnoCode(error) ?? String(error)})`);
  }
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw schemaError(shownAs, `not valid JSON: line ${parsed.problem.line}, column ${parsed.problem.column}: ${parsed.problem.message}`);
  const schema = parsed.value;
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) throw schemaError(shownAs, "a schema must be a JSON object");
  checkSchema(schema as JsonSchema, shownAs);
  return schema as JsonSchema;
}

/** Compiles the schema with the checker the worker uses on results; ajv's complaints become the error's lines. */
export function checkSchema(schema: JsonSchema, shownAs: string): void {
  try {
    schemaProblems(schema, null);
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    // "schema is invalid: data/type must be …, data/type must be array": one problem per line, as JSON pointers.
    const problems = message
      .replace(/^schema is invalid: /, "")
      .split(/, (?=data[/.[])/)
      .map((problem) => problem.replace(/^data(?=[/.[]|\s)/, "").replace(/^\s/, "(top level) "));
    throw schemaError(shownAs, `not a valid JSON Schema: ${problems[0] ?? message}`, problems.slice(1));
  }
}

const SCALAR_TYPES = new Set(["string", "number", "integer", "boolean", "null"]);

function isScalarSchema(value: unknown): boolean {
  if (value === true) return true;
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const node = value as JsonSchema;
  const type = node["type"];
  if (typeof type === "string") return SCALAR_TYPES.has(type);
  if (Array.isArray(type)) return type.length > 0 && type.every((t) => typeof t === "string" && SCALAR_TYPES.has(t));
  if (Array.isArray(node["enum"])) return (node["enum"] as unknown[]).every((v) => v === null || typeof v !== "object");
  return "const" in node && (node["const"] === null || typeof node["const"] !== "object");
}

/**
 * The properties that get a column of their own: those of a flat object schema (type object, every property a
 * scalar). Undefined for any other schema: then result_json alone carries the result.
 */
export function flatProperties(schema: JsonSchema | undefined): string[] | undefined {
  if (!schema || schema["type"] !== "object") return undefined;
  const properties = schema["properties"];
  if (properties === null || typeof properties !== "object" || Array.isArray(properties)) return undefined;
  const entries = Object.entries(properties as JsonSchema);
  if (entries.length === 0 || !entries.every(([, sub]) => isScalarSchema(sub))) return undefined;
  return entries.map(([name]) => name);
}

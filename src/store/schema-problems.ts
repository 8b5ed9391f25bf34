// Turns zod issues into one line each: "field.path: what was expected (got …)", with did-you-mean for unknown keys.
import type { z } from "zod";
import { didYouMean } from "../util/did-you-mean.js";

export function formatFieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out || "(top level)";
}

/** Every object key any schema in the tree knows about, for did-you-mean hints. */
export function knownKeys(schema: z.ZodType): Set<string> {
  const keys = new Set<string>();
  const seen = new Set<unknown>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object" || seen.has(node)) return;
    seen.add(node);
    const def = (node as { def?: Record<string, unknown> }).def ?? (node as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    if (!def) return;
    const shape = def["shape"];
    if (shape && typeof shape === "object") {
      for (const [key, child] of Object.entries(shape as Record<string, unknown>)) {
        keys.add(key);
        visit(child);
      }
    }
    for (const field of ["innerType", "element", "valueType", "in", "out", "left", "right"]) visit(def[field]);
    const options = def["options"];
    if (Array.isArray(options)) options.forEach(visit);
  };
  visit(schema);
  return keys;
}

function describeReceived(input: unknown): string {
  if (input === undefined) return "";
  const text = JSON.stringify(input);
  if (text === undefined) return "";
  return ` (got ${text.length > 60 ? `${text.slice(0, 57)}...` : text})`;
}

export function formatSchemaIssues(issues: ReadonlyArray<z.core.$ZodIssue>, schema: z.ZodType): string[] {
  const lines: string[] = [];
  let known: Set<string> | undefined;
  for (const issue of issues) {
    const where = formatFieldPath(issue.path);
    if (issue.code === "unrecognized_keys") {
      known ??= knownKeys(schema);
      for (const key of issue.keys) {
        const suggestion = didYouMean(key, known);
        const place = formatFieldPath([...issue.path, key]);
        lines.push(`${place}: unknown field "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`);
      }
      continue;
    }
    const input = (issue as { input?: unknown }).input;
    lines.push(`${where}: ${issue.message}${describeReceived(input)}`);
  }
  return lines;
}

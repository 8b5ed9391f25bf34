// JSON text in and out: parse errors with line and column, canonical output (stable key order, 2-space indent, trailing newline).
import { jsonErrorPosition } from "./json-error-position.js";

export interface JsonSyntaxProblem {
  line: number;
  column: number;
  message: string;
}

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; problem: JsonSyntaxProblem };

export function lineColumnAt(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: position - lineStart + 1 };
}

/**
 * JSON.parse takes any depth, but the checks after it recurse: a file nested thousands of levels deep runs them
 * out of stack. Callers turn that into this problem, naming their file.
 */
export const TOO_DEEP = "the JSON is nested too deeply to be checked (thousands of levels); no file of ours needs more than a few dozen";

export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

export function parseJsonText(text: string): JsonParseResult {
  // Some editors on Windows start a UTF-8 file with a byte order mark, which JSON does not allow.
  if (text.charCodeAt(0) === 0xfeff) {
    return { ok: false, problem: { line: 1, column: 1, message: "the file starts with a UTF-8 byte order mark (BOM), which JSON does not allow; save it as UTF-8 without BOM" } };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    const positionMatch = /at position (\d+)/.exec(raw);
    const lineColMatch = /line (\d+) column (\d+)/.exec(raw);
    let line: number;
    let column: number;
    if (lineColMatch) {
      line = Number(lineColMatch[1]);
      column = Number(lineColMatch[2]);
    } else {
      const position = positionMatch ? Number(positionMatch[1]) : (jsonErrorPosition(text) ?? text.length);
      ({ line, column } = lineColumnAt(text, position));
    }
    const message = raw
      .replace(/^(Unexpected token '.*?'), (?:\.\.\.)?".*" is not valid JSON$/s, "$1")
      .replace(/ (?:in JSON )?at position \d+.*$/s, "")
      .replace(/\s*\(line \d+ column \d+\)/, "")
      .replace(/^JSON\.parse: /, "");
    return { ok: false, problem: { line, column, message: message || "invalid JSON" } };
  }
}

// Keys people look for first; everything else follows alphabetically, so the same data always prints the same.
const KEY_PRIORITY = [
  "$schema",
  "id",
  "feature",
  "name",
  "kind",
  "status",
  "reason",
  "description",
  "deps",
  "acceptance",
  "files",
  "agent",
  "command",
  "subtasks",
  "tasks",
  "workers",
];
const PRIORITY_INDEX = new Map(KEY_PRIORITY.map((key, index) => [key, index]));

function compareKeys(a: string, b: string): number {
  const pa = PRIORITY_INDEX.get(a) ?? Number.MAX_SAFE_INTEGER;
  const pb = PRIORITY_INDEX.get(b) ?? Number.MAX_SAFE_INTEGER;
  if (pa !== pb) return pa - pb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function inOrder(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (compareKeys(keys[i - 1] ?? "", keys[i] ?? "") > 0) return false;
  return true;
}

/**
 * The value with every object's keys in canonical order. A file we wrote comes back from JSON.parse already in
 * that order, and most of it is unchanged by a write: such parts are returned as they are, not copied (a write of
 * progress.json of a job with thousands of rows spent more time copying than printing). JSON.stringify prints
 * the own keys Object.keys lists, and skips undefined values, just as a copy would.
 */
function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const canonical = canonicalize(item);
      if (canonical !== item) (copy ??= value.slice())[i] = canonical;
    }
    return copy ?? value;
  }
  if (value !== null && typeof value === "object") {
    const source = value as Record<string, unknown>;
    const keys = Object.keys(source);
    const sorted = inOrder(keys);
    // Without a prototype: a key such as "__proto__" (a task id) is then an ordinary key, not the object's prototype.
    let out: Record<string, unknown> | undefined;
    if (!sorted) {
      out = Object.create(null) as Record<string, unknown>;
      keys.sort(compareKeys);
    }
    for (const key of keys) {
      const item = source[key];
      const canonical = canonicalize(item);
      if (canonical !== item && out === undefined) {
        out = Object.create(null) as Record<string, unknown>;
        for (const earlier of keys) out[earlier] = source[earlier];
      }
      if (out !== undefined && item !== undefined) out[key] = canonical;
    }
    return out ?? value;
  }
  return value;
}

/** Pretty-printed JSON with a stable key order and a trailing newline. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(canonicalize(value), null, 2)}\n`;
}

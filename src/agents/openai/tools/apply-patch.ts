// The apply_patch tool: the `*** Begin Patch` format (Add/Update/Delete File, @@ hunks, *** Move to), applied whole
// or not at all — every hunk is checked and every new file content computed in memory before anything is written.
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { resolveInside, ToolError, type Resolved } from "./paths.js";

interface Hunk {
  /** The text after `@@` (a line to find first, narrowing where the hunk applies), if any. */
  anchor: string;
  old: string[];
  new: string[];
  /** Per line of `old` and of `new`: true for a context line (the file's own text is kept, whitespace included). */
  oldContext: boolean[];
  context: boolean[];
  /** `*** End of File`: the hunk's lines end the file. */
  atEnd: boolean;
}

type Operation =
  | { kind: "add"; file: string; lines: string[] }
  | { kind: "delete"; file: string }
  | { kind: "update"; file: string; moveTo: string | undefined; hunks: Hunk[] };

const FORMAT_HINT =
  'The format: "*** Begin Patch", then per file "*** Add File: <path>" (lines starting with +), "*** Delete File: <path>", or "*** Update File: <path>" (optionally "*** Move to: <path>") with hunks starting "@@" whose lines start with " " (context), "-" (removed) or "+" (added), and "*** End Patch" last.';

export function parsePatch(patch: string): Operation[] {
  const lines = patch.replace(/\r\n/g, "\n").split("\n");
  while (lines.length > 0 && lines.at(-1)?.trim() === "") lines.pop();
  while (lines.length > 0 && lines[0]?.trim() === "") lines.shift();
  if (lines[0]?.trim() !== "*** Begin Patch") throw new ToolError(`the patch must start with "*** Begin Patch". ${FORMAT_HINT}`);
  if (lines.at(-1)?.trim() !== "*** End Patch") throw new ToolError(`the patch must end with "*** End Patch". ${FORMAT_HINT}`);
  const ops: Operation[] = [];
  let n = 1;
  const end = lines.length - 1;
  while (n < end) {
    const line = lines[n] ?? "";
    const header = /^\*\*\* (Add|Delete|Update) File: (.+)$/.exec(line.trim());
    if (!header) throw new ToolError(`patch line ${n + 1}: expected "*** Add File:", "*** Update File:" or "*** Delete File:", got "${line}"`);
    const [, kind, file = ""] = header;
    n++;
    if (kind === "Delete") {
      ops.push({ kind: "delete", file: file.trim() });
    } else if (kind === "Add") {
      const added: string[] = [];
      while (n < end && !(lines[n] ?? "").startsWith("*** ")) {
        const body = lines[n] ?? "";
        // A blank line where "+" was forgotten is taken as an empty line of the file.
        if (!body.startsWith("+") && body !== "") throw new ToolError(`patch line ${n + 1}: every line of an added file starts with "+"`);
        added.push(body.slice(1));
        n++;
      }
      ops.push({ kind: "add", file: file.trim(), lines: added });
    } else {
      let moveTo: string | undefined;
      const move = /^\*\*\* Move to: (.+)$/.exec((lines[n] ?? "").trim());
      if (move) {
        moveTo = move[1]?.trim();
        n++;
      }
      const hunks: Hunk[] = [];
      let hunk: Hunk | undefined;
      while (n < end && !/^\*\*\* (Add|Delete|Update) File: /.test((lines[n] ?? "").trim())) {
        const body = lines[n] ?? "";
        if (body.startsWith("@@")) {
          hunk = { anchor: body.slice(2).trim(), old: [], new: [], oldContext: [], context: [], atEnd: false };
          hunks.push(hunk);
        } else if (body.trim() === "*** End of File") {
          if (hunk) hunk.atEnd = true;
        } else {
          if (!hunk) {
            hunk = { anchor: "", old: [], new: [], oldContext: [], context: [], atEnd: false };
            hunks.push(hunk);
          }
          const mark = body[0];
          const text = body.slice(1);
          if (mark === " " || body === "") {
            hunk.old.push(text);
            hunk.oldContext.push(true);
            hunk.new.push(text);
            hunk.context.push(true);
          } else if (mark === "-") {
            hunk.old.push(text);
            hunk.oldContext.push(false);
          } else if (mark === "+") {
            hunk.new.push(text);
            hunk.context.push(false);
          } else throw new ToolError(`patch line ${n + 1}: a hunk line starts with " ", "-" or "+", got "${body}"`);
        }
        n++;
      }
      if (hunks.length === 0 && moveTo === undefined) throw new ToolError(`"*** Update File: ${file}" has no hunks`);
      ops.push({ kind: "update", file: file.trim(), moveTo, hunks });
    }
  }
  if (ops.length === 0) throw new ToolError("the patch changes no file");
  return ops;
}

/** Where `needle` occurs in `haystack` from `start`: exact first, then ignoring trailing, then all surrounding spaces. */
function findLines(haystack: string[], needle: string[], start: number, atEnd: boolean): number {
  const matchers = [(s: string) => s, (s: string) => s.trimEnd(), (s: string) => s.trim()];
  for (const norm of matchers) {
    const from = atEnd ? Math.max(start, haystack.length - needle.length) : start;
    for (let i = from; i + needle.length <= haystack.length; i++) {
      if (needle.every((line, k) => norm(haystack[i + k] ?? "") === norm(line))) return i;
    }
  }
  return -1;
}

function applyHunks(rel: string, text: string, hunks: Hunk[]): string {
  const lines = text.split("\n");
  const trailingNewline = lines.at(-1) === "";
  if (trailingNewline) lines.pop();
  let cursor = 0;
  hunks.forEach((hunk, index) => {
    const where = `hunk ${index + 1} of "${rel}"`;
    if (hunk.anchor !== "") {
      const found = findLines(lines, [hunk.anchor], cursor, false);
      if (found === -1) throw new ToolError(`${where}: the @@ line "${hunk.anchor}" is not in the file (after line ${cursor}); read_file it again`);
      cursor = found + 1;
    }
    if (hunk.old.length === 0) {
      const at = hunk.atEnd || hunk.anchor === "" ? lines.length : cursor;
      lines.splice(at, 0, ...hunk.new);
      cursor = at + hunk.new.length;
      return;
    }
    const found = findLines(lines, hunk.old, cursor, hunk.atEnd);
    if (found === -1) {
      const preview = hunk.old.slice(0, 3).join("\\n");
      throw new ToolError(`${where}: its context and removed lines are not in the file (starting "${preview}"); read_file it again and patch what is there`);
    }
    // Context lines keep the file's own text (the match may have ignored its surrounding spaces).
    const contextFromFile = hunk.old.flatMap((line, k) => (hunk.oldContext[k] ? [lines[found + k] ?? line] : []));
    let nextContext = 0;
    const replacement = hunk.new.map((line, k) => (hunk.context[k] ? (contextFromFile[nextContext++] ?? line) : line));
    lines.splice(found, hunk.old.length, ...replacement);
    cursor = found + replacement.length;
  });
  if (lines.length === 0) return "";
  return lines.join("\n") + (trailingNewline || text === "" ? "\n" : "");
}

interface Change {
  target: Resolved;
  /** New content, or undefined to delete. */
  content: string | undefined;
}

/** Checks the whole patch and computes every file's result; throws ToolError (nothing written) on any problem. */
export function planPatch(root: string, patch: unknown): Change[] {
  if (typeof patch !== "string") throw new ToolError(`patch must be a string. ${FORMAT_HINT}`);
  const ops = parsePatch(patch);
  const changes: Change[] = [];
  const touched = new Set<string>();
  const claim = (target: Resolved): void => {
    if (touched.has(target.rel)) throw new ToolError(`the patch changes "${target.rel}" twice: merge those parts into one`);
    touched.add(target.rel);
  };
  for (const op of ops) {
    const target = resolveInside(root, op.file, "patch path");
    claim(target);
    const exists = existsSync(target.abs);
    if (exists && statSync(target.abs).isDirectory()) throw new ToolError(`"${target.rel}" is a folder`);
    if (op.kind === "add") {
      if (exists) throw new ToolError(`"*** Add File: ${target.rel}": the file exists; use "*** Update File:" to change it`);
      changes.push({ target, content: op.lines.length === 0 ? "" : `${op.lines.join("\n")}\n` });
      continue;
    }
    if (!exists) throw new ToolError(`"*** ${op.kind === "delete" ? "Delete" : "Update"} File: ${target.rel}": no such file`);
    if (op.kind === "delete") {
      changes.push({ target, content: undefined });
      continue;
    }
    const updated = applyHunks(target.rel, readFileSync(target.abs, "utf8"), op.hunks);
    if (op.moveTo !== undefined) {
      const destination = resolveInside(root, op.moveTo, "move destination");
      claim(destination);
      if (existsSync(destination.abs)) throw new ToolError(`"*** Move to: ${destination.rel}": that file exists already`);
      changes.push({ target, content: undefined }, { target: destination, content: updated });
    } else {
      changes.push({ target, content: updated });
    }
  }
  return changes;
}

/** Applies a patch all or nothing: validated in memory first, then written. Returns a summary for the model. */
export async function applyPatch(root: string, args: Record<string, unknown>): Promise<string> {
  const changes = planPatch(root, args.patch);
  for (const change of changes) {
    if (change.content === undefined) await rm(change.target.abs, { force: true });
    else {
      await mkdir(path.dirname(change.target.abs), { recursive: true });
      await writeFile(change.target.abs, change.content);
    }
  }
  return `patch applied: ${changes.map((c) => `${c.content === undefined ? "deleted" : "wrote"} ${c.target.rel}`).join(", ")}`;
}

// The file tools of the openai agent: list_files, read_file, search, write_file — all inside the worktree.
import { lstat, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { resolveInside, ToolError } from "./paths.js";

const LIST_LIMIT = 400;
const READ_LINES_DEFAULT = 2000;
const READ_BYTES_MAX = 100 * 1024;
const SEARCH_MATCHES_MAX = 200;
const SEARCH_FILE_BYTES_MAX = 1024 * 1024;
const SEARCH_LINE_CHARS = 300;
/** Folders no listing or search descends into: git's own, and dependency trees nobody edits. */
const SKIPPED_DIRS = new Set(["node_modules"]);

type Args = Record<string, unknown>;

function optionalInt(args: Args, name: string, min: number): number | undefined {
  const value = args[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new ToolError(`${name} must be a whole number ≥ ${min}`);
  }
  return value;
}

/** Every file under `dir` (relative paths, sorted), skipping SKIPPED_DIRS and .git files (a linked worktree's); symlinks listed (name@), never followed. */
async function walk(root: string, dir: string, out: string[], limit: number): Promise<void> {
  const names = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of names) {
    if (out.length >= limit) return;
    const abs = path.join(dir, entry.name);
    const rel = path.relative(root, abs).split(path.sep).join("/");
    if (entry.name === ".git") continue;
    if (entry.isDirectory()) {
      if (SKIPPED_DIRS.has(entry.name)) continue;
      await walk(root, abs, out, limit);
    } else {
      out.push(entry.isSymbolicLink() ? `${rel}@` : rel);
    }
  }
}

export async function listFiles(root: string, args: Args): Promise<string> {
  const { abs, rel } = resolveInside(root, args.path ?? ".");
  const info = await stat(abs).catch(() => undefined);
  if (info === undefined) throw new ToolError(`"${rel}" does not exist; list_files {} shows the whole worktree`);
  if (!info.isDirectory()) return rel;
  const files: string[] = [];
  await walk(root, abs, files, LIST_LIMIT + 1);
  if (files.length === 0) return `(no files under ${rel})`;
  const more = files.length > LIST_LIMIT ? `\n… more files not shown: list a subfolder (list_files {"path": "…"})` : "";
  return files.slice(0, LIST_LIMIT).join("\n") + more;
}

export async function readFileTool(root: string, args: Args): Promise<string> {
  const { abs, rel } = resolveInside(root, args.path);
  const offset = optionalInt(args, "offset", 1) ?? 1;
  const limit = optionalInt(args, "limit", 1) ?? READ_LINES_DEFAULT;
  const info = await stat(abs).catch(() => undefined);
  if (info === undefined) throw new ToolError(`"${rel}" does not exist; use list_files to see what is there`);
  if (info.isDirectory()) throw new ToolError(`"${rel}" is a folder; use list_files {"path": "${rel}"}`);
  const text = await readFile(abs, "utf8");
  if (text.includes("\0")) throw new ToolError(`"${rel}" is a binary file (${info.size} bytes)`);
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const first = offset - 1;
  let shown = lines.slice(first, first + limit);
  let body = shown.join("\n");
  if (body.length > READ_BYTES_MAX) {
    body = body.slice(0, READ_BYTES_MAX);
    shown = body.split("\n");
  }
  const last = first + shown.length;
  if (first === 0 && last >= lines.length) return body;
  return `[lines ${offset}-${last} of ${lines.length}; read more with offset ${last + 1}]\n${body}`;
}

export async function search(root: string, args: Args): Promise<string> {
  if (typeof args.pattern !== "string" || args.pattern === "") throw new ToolError("pattern must be a non-empty regular expression");
  let regex: RegExp;
  try {
    regex = new RegExp(args.pattern);
  } catch (error: unknown) {
    throw new ToolError(`pattern is not a valid JavaScript regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { abs } = resolveInside(root, args.path ?? ".");
  const info = await stat(abs).catch(() => undefined);
  if (info === undefined) throw new ToolError(`"${String(args.path)}" does not exist`);
  const files: string[] = [];
  if (info.isDirectory()) await walk(root, abs, files, 50_000);
  else files.push(path.relative(root, abs).split(path.sep).join("/"));
  const matches: string[] = [];
  for (const rel of files) {
    if (rel.endsWith("@")) continue;
    const file = path.join(root, rel);
    const size = (await lstat(file)).size;
    if (size > SEARCH_FILE_BYTES_MAX) continue;
    const text = await readFile(file, "utf8");
    if (text.includes("\0")) continue;
    const lines = text.split("\n");
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n] ?? "";
      if (!regex.test(line)) continue;
      const cut = line.length > SEARCH_LINE_CHARS ? `${line.slice(0, SEARCH_LINE_CHARS)}…` : line;
      matches.push(`${rel}:${n + 1}: ${cut}`);
      if (matches.length > SEARCH_MATCHES_MAX) {
        return `${matches.slice(0, SEARCH_MATCHES_MAX).join("\n")}\n… more matches not shown: narrow the pattern or the path`;
      }
    }
  }
  return matches.length === 0 ? "(no matches)" : matches.join("\n");
}

export async function writeFileTool(root: string, args: Args): Promise<string> {
  const { abs, rel } = resolveInside(root, args.path);
  if (typeof args.content !== "string") throw new ToolError("content must be a string (the whole new file)");
  if (rel === ".") throw new ToolError("path must name a file, not the worktree");
  const info = await stat(abs).catch(() => undefined);
  if (info?.isDirectory()) throw new ToolError(`"${rel}" is a folder`);
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(abs, args.content);
  return `wrote ${Buffer.byteLength(args.content)} bytes to ${rel}`;
}

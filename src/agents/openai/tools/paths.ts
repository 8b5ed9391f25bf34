// Confines every path a tool is given to the attempt's worktree: absolute paths, `..`, `.git` and symlinks that lead
// out are refused with a message the model can act on (a ToolError is the tool's answer, never a crash).
import { lstatSync, readlinkSync, realpathSync } from "node:fs";
import path from "node:path";

/** A tool's failure, sent back to the model as the tool's answer. */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ToolError";
  }
}

export interface Resolved {
  /** The absolute path to use. */
  abs: string;
  /** The path relative to the worktree, with forward slashes ("." for the worktree itself). */
  rel: string;
}

function isInside(parent: string, child: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
}

/** The real path of the worktree (computed once per agent; a worktree under a symlinked /tmp still works). */
export function realWorktree(worktree: string): string {
  return realpathSync(worktree);
}

/**
 * Resolves `given` inside `root` (the worktree's real path). Throws ToolError for an absolute path, a path
 * climbing out with `..`, anything in `.git`, and a path whose nearest existing part is, or goes through, a
 * symlink leading outside the worktree (or a dangling symlink, whose target could be anywhere).
 */
export function resolveInside(root: string, given: unknown, what = "path"): Resolved {
  if (typeof given !== "string") throw new ToolError(`${what} must be a string, relative to the worktree (e.g. "src/index.ts")`);
  const text = given.trim() === "" ? "." : given;
  if (text.includes("\0")) throw new ToolError(`${what} contains a NUL character`);
  if (path.isAbsolute(text) || /^[A-Za-z]:[\\/]/.test(text)) {
    throw new ToolError(`${what} "${given}" is absolute: give a path relative to the worktree (e.g. "src/index.ts")`);
  }
  const rel = path.normalize(text).split(path.sep).join("/").replace(/\/+$/, "");
  if (rel === ".." || rel.startsWith("../")) {
    throw new ToolError(`${what} "${given}" leads outside the worktree: stay inside it (paths are relative to the worktree root)`);
  }
  if (rel.split("/").includes(".git")) {
    throw new ToolError(`${what} "${given}" is inside .git, which tools may not touch: the worker commits your changes; use run_command with git for reading history`);
  }
  const abs = rel === "." || rel === "" ? root : path.join(root, rel);
  checkSymlinks(root, abs, given, what);
  return { abs, rel: rel === "" ? "." : rel };
}

/** Walks up from `abs` to the nearest part that exists and checks where it really is. */
function checkSymlinks(root: string, abs: string, given: string, what: string): void {
  let current = abs;
  for (;;) {
    let isLink = false;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return;
      current = parent;
      continue;
    }
    let real: string;
    try {
      real = realpathSync(current);
    } catch {
      const target = isLink ? safeReadlink(current) : "?";
      throw new ToolError(`${what} "${given}" goes through a symlink to "${target}" that does not exist: remove the link or use another path`);
    }
    if (!isInside(root, real)) {
      throw new ToolError(`${what} "${given}" goes through a symlink leading outside the worktree (to ${real}): tools only work inside the worktree`);
    }
    if (path.relative(root, real).split(path.sep).includes(".git")) {
      throw new ToolError(`${what} "${given}" goes through a symlink into .git, which tools may not touch`);
    }
    return;
  }
}

function safeReadlink(file: string): string {
  try {
    return readlinkSync(file);
  } catch {
    return "?";
  }
}

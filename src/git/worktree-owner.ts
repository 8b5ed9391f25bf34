// Which worktrees are codex-crew's: clean-up, recovery and gc touch a worktree only when git lists it for this
// repository, its real path is inside .codex/worktrees/ (reached without a symbolic link) and it carries our marker,
// a file in its git dir (never in the tree, so no commit or clean touches it). A person's worktree is never ours.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { symlinkOnPath } from "../store/safe-path.js";
import { worktreeGitDir } from "./loose-ref.js";
import type { WorktreeInfo } from "./worktree.js";

/** The marker, in `<common git dir>/worktrees/<name>/`: it goes away with the worktree's git dir. */
export const OWNER_MARKER = "codex-crew-owner";

/**
 * Written before `git worktree add` (and removed once the marker is in place): a worktree whose add was killed
 * mid-checkout, before our marker could be written, is still known as ours.
 */
function intentFile(commonDir: string, worktree: string): string {
  const key = createHash("sha256").update(path.resolve(worktree)).digest("hex").slice(0, 24);
  return path.join(commonDir, "codex-crew", "adding", key);
}

function holds(file: string, worktree: string): boolean {
  try {
    return readFileSync(file, "utf8").trim() === path.resolve(worktree);
  } catch {
    return false;
  }
}

export function noteAddingWorktree(commonDir: string, worktree: string): void {
  const file = intentFile(commonDir, worktree);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${path.resolve(worktree)}\n`);
}

/** After `git worktree add`: our marker in the new worktree's git dir, then the intent note goes. */
export function markWorktreeOurs(commonDir: string, worktree: string): void {
  writeFileSync(path.join(worktreeGitDir(worktree), OWNER_MARKER), `${path.resolve(worktree)}\n`);
  forgetAddingWorktree(commonDir, worktree);
}

export function forgetAddingWorktree(commonDir: string, worktree: string): void {
  rmSync(intentFile(commonDir, worktree), { force: true });
}

function carriesMarker(commonDir: string, worktree: string): boolean {
  if (holds(intentFile(commonDir, worktree), worktree)) return true;
  let gitDir: string;
  try {
    gitDir = worktreeGitDir(worktree);
  } catch {
    return false;
  }
  // The .git file is itself a claim: only a git dir of this repository's own worktrees counts.
  const inside = path.relative(path.join(commonDir, "worktrees"), gitDir);
  if (inside === "" || inside.startsWith("..") || path.isAbsolute(inside)) return false;
  return holds(path.join(gitDir, OWNER_MARKER), worktree);
}

function real(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

export interface OwnershipContext {
  /** The repository's .codex folder: no link may lie between it and a worktree. */
  codexDir: string;
  worktreesDir: string;
  commonDir: string;
  /** `git worktree list` of this repository. */
  listed: WorktreeInfo[];
}

/** Why `worktree` is not ours to touch, or undefined when it is. */
export function whyNotOurs(context: OwnershipContext, worktree: string): string | undefined {
  const inside = path.relative(context.worktreesDir, path.resolve(worktree));
  if (inside === "" || inside.startsWith("..") || path.isAbsolute(inside)) return "it is not inside .codex/worktrees";
  const link = symlinkOnPath(context.codexDir, path.resolve(worktree));
  if (link !== undefined) return `${link} is a symbolic link`;
  const realTree = real(worktree);
  const realDir = real(context.worktreesDir);
  if (realTree === undefined || realDir === undefined) return "it does not exist";
  if (!realTree.startsWith(`${realDir}${path.sep}`)) return "it is not inside .codex/worktrees";
  if (!context.listed.some((w) => real(w.path) === realTree)) return "git does not list it as a worktree of this repository";
  if (!carriesMarker(context.commonDir, worktree)) return "it was not created by codex-crew (no marker in its git dir)";
  return undefined;
}

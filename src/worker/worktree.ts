// A worker's own worktree: created once per worker, then switched to a fresh branch at the base for each attempt.
import { existsSync } from "node:fs";
import { worktreeAdd } from "../git/index.js";
import { runGit } from "../git/run-git.js";

/** The branch of one attempt: codex/work/<task>/a<attempt>. */
export function workBranch(token: { task: string; attempt: number }): string {
  return `codex/work/${token.task}/a${token.attempt}`;
}

/** Worktrees whose last attempt ended in a commit of everything (add -A): no untracked leftovers to clean. */
const leftClean = new Set<string>();

export function markWorktreeClean(worktree: string): void {
  leftClean.add(worktree);
}

export async function prepareWorktree(root: string, worktree: string, branch: string, base: string): Promise<void> {
  const clean = leftClean.delete(worktree);
  if (!existsSync(worktree)) {
    await worktreeAdd(root, worktree, branch, base);
    return;
  }
  // Everything of the previous attempt was committed on its own branch before we get here, so nothing is lost.
  await runGit(worktree, ["switch", "--quiet", "--discard-changes", "-C", branch, base]);
  if (!clean) await runGit(worktree, ["clean", "-fdq"]);
}

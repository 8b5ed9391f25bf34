// A worker's own worktree: created once per worker, then switched to a fresh branch at the base for each attempt.
import { existsSync } from "node:fs";
import { worktreeAdd } from "../git/index.js";
import { runGit } from "../git/run-git.js";

export async function prepareWorktree(root: string, worktree: string, branch: string, base: string): Promise<void> {
  if (!existsSync(worktree)) {
    await worktreeAdd(root, worktree, branch, base);
    return;
  }
  // Everything of the previous attempt was committed on its own branch before we get here, so nothing is lost.
  await runGit(worktree, ["switch", "--quiet", "--discard-changes", "-C", branch, base]);
  await runGit(worktree, ["clean", "-fdq"]);
}

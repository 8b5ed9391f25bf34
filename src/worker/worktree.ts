// A worker's own worktree: created once per worker (with codex-crew's marker), then switched to a fresh branch at
// the base for each attempt. An existing folder is reused only when it is one of ours: never a person's worktree.
import { existsSync } from "node:fs";
import { gitCommonDir, whyNotOurs, worktreeAdd, worktreeList } from "../git/index.js";
import { runGit } from "../git/run-git.js";
import { assertNoSymlink } from "../store/safe-path.js";
import type { CodexPaths } from "../store/paths.js";

/** Worktrees whose last attempt ended in a commit of everything (add -A): no untracked leftovers to clean. */
const leftClean = new Set<string>();

/** Worktrees this process created or checked: known to be ours (the check costs a `git worktree list`). */
const checked = new Set<string>();

export function markWorktreeClean(worktree: string): void {
  leftClean.add(worktree);
}

export async function prepareWorktree(paths: CodexPaths, worktree: string, branch: string, base: string): Promise<void> {
  const clean = leftClean.delete(worktree);
  assertNoSymlink(paths.dir, worktree, "use the worktree");
  if (!existsSync(worktree)) {
    await worktreeAdd(paths.root, worktree, branch, base, { markOurs: true });
    checked.add(worktree);
    return;
  }
  if (!checked.has(worktree)) {
    const why = whyNotOurs({ codexDir: paths.dir, worktreesDir: paths.worktrees, commonDir: await gitCommonDir(paths.root), listed: await worktreeList(paths.root) }, worktree);
    if (why !== undefined) throw new Error(`${worktree} is not a worktree codex-crew made (${why}); it is left as it is — move it away or run \`codex-lead gc\``);
    checked.add(worktree);
  }
  // Everything of the previous attempt was committed on its own branch before we get here, so nothing is lost.
  await runGit(worktree, ["switch", "--quiet", "--discard-changes", "-C", branch, base]);
  if (!clean) await runGit(worktree, ["clean", "-fdq"]);
}

// Merging a finished subtask's commit onto the integration head in memory (merge-tree), without a checkout.
import { assertGitArg } from "./git-error.js";
import { runGit, splitNul } from "./run-git.js";

export type MergeOutcome = { ok: true; tree: string } | { ok: false; conflicts: string[] };

/**
 * Three-way merges `commit` onto `onto` with `git merge-tree --write-tree` and returns the merged tree
 * (make the commit with commitTree, move the branch with updateRefCas) or the conflicted paths.
 *
 * git 2.39 has no `--merge-base`: the base is merge-base(onto, commit). When a worker's branch holds
 * one commit on top of an integration head that `onto` descends from, that base is the commit's
 * parent, so exactly the subtask's own change is applied (cherry-pick semantics). Every commit of the
 * branch since it forked from `onto`'s history is applied otherwise.
 */
export async function mergeOnto(cwd: string, options: { onto: string; commit: string }): Promise<MergeOutcome> {
  assertGitArg(options.onto, "onto");
  assertGitArg(options.commit, "commit");
  const args = ["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", options.onto, options.commit];
  const result = await runGit(cwd, args, { okExitCodes: [0, 1] });
  const [tree = "", ...conflicted] = splitNul(result.stdout);
  if (result.exitCode === 0) return { ok: true, tree };
  return { ok: false, conflicts: [...new Set(conflicted)] };
}

// Reverting commits in memory: the revert tree of a checkpoint on top of any later head, without a worktree or an index.
import { commitTree, mergeOnto } from "../git/index.js";
import { runGit } from "../git/run-git.js";

export type RevertOutcome = { ok: true; tree: string } | { ok: false; conflicts: string[] };

/**
 * The tree of `onto` with `commit`'s change taken out: a three-way merge with base = `commit`,
 * ours = `onto`, theirs = `commit`'s parent (what `git revert` does).
 *
 * git 2.39's merge-tree has no `--merge-base`, so the base is arranged instead: a throwaway commit
 * holding the parent's tree, whose only parent is `commit`. As `commit` is an ancestor of `onto`,
 * the merge base of `onto` and that commit is exactly `commit`. The throwaway commit is never
 * referenced by a ref; git's own gc drops it. Full ort merge (renames, binary files) without a checkout.
 */
export async function revertTree(root: string, options: { onto: string; commit: string }): Promise<RevertOutcome> {
  const parents = (await runGit(root, ["rev-list", "--parents", "-n", "1", options.commit, "--"])).stdout.split(" ").slice(1);
  const parentTree =
    parents[0] === undefined
      ? (await runGit(root, ["hash-object", "-t", "tree", "--stdin"], { input: "" })).stdout // a root commit: back to nothing
      : await treeOf(root, parents[0]);
  const helper = await commitTree(root, { tree: parentTree, parents: [options.commit], message: `codex-crew: revert helper for ${options.commit}` });
  return mergeOnto(root, { onto: options.onto, commit: helper });
}

/** The tree a commit points to. */
async function treeOf(root: string, commit: string): Promise<string> {
  return (await runGit(root, ["rev-parse", "--verify", `${commit}^{tree}`])).stdout;
}

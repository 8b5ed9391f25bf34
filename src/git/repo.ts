// Questions about a repository: where it is, what a name points to, what a commit changed, what is uncommitted.
import path from "node:path";
import { assertGitArg } from "./git-error.js";
import { runGit, splitNul } from "./run-git.js";

/** The top of the working tree that contains `cwd` (a linked worktree's own root inside a worktree). */
export async function gitRoot(cwd: string): Promise<string> {
  return (await runGit(cwd, ["rev-parse", "--path-format=absolute", "--show-toplevel"])).stdout;
}

/** The repository's shared git directory (the main `.git`, also when `cwd` is in a linked worktree). */
export async function gitCommonDir(cwd: string): Promise<string> {
  const dir = (await runGit(cwd, ["rev-parse", "--path-format=absolute", "--git-common-dir"])).stdout;
  return path.resolve(cwd, dir);
}

/** The object name `rev` resolves to (not peeled: an annotated tag gives the tag object), or null when missing. */
export async function revParse(cwd: string, rev: string): Promise<string | null> {
  assertGitArg(rev, "revision");
  const result = await runGit(cwd, ["rev-parse", "--verify", "--quiet", "--end-of-options", rev], { okExitCodes: [0, 1] });
  return result.exitCode === 0 && result.stdout !== "" ? result.stdout : null;
}

/** The commit `ref` points to (tags peeled); throws GitError when it does not resolve to a commit. */
export async function headOf(cwd: string, ref: string): Promise<string> {
  assertGitArg(ref, "ref");
  return (await runGit(cwd, ["rev-parse", "--verify", "--end-of-options", `${ref}^{commit}`])).stdout;
}

/** The short name of the checked-out branch, or null on a detached HEAD. */
export async function currentBranch(cwd: string): Promise<string | null> {
  const result = await runGit(cwd, ["symbolic-ref", "--quiet", "--short", "HEAD"], { okExitCodes: [0, 1] });
  return result.exitCode === 0 && result.stdout !== "" ? result.stdout : null;
}

/** True when commit `a` is `b` or one of its ancestors. */
export async function isAncestor(cwd: string, a: string, b: string): Promise<boolean> {
  assertGitArg(a, "revision");
  assertGitArg(b, "revision");
  const result = await runGit(cwd, ["merge-base", "--is-ancestor", a, b], { okExitCodes: [0, 1] });
  return result.exitCode === 0;
}

/** How many commits of `branch` are not in `into` (0: everything on the branch is merged). */
export async function unmergedCommits(cwd: string, branch: string, into: string): Promise<number> {
  assertGitArg(branch, "branch");
  assertGitArg(into, "revision");
  const result = await runGit(cwd, ["rev-list", "--count", `${into}..${branch}`, "--"]);
  return Number.parseInt(result.stdout, 10);
}

/** The paths a commit changed against its first parent (against the empty tree for a root commit). */
export async function changedFiles(cwd: string, commit: string): Promise<string[]> {
  assertGitArg(commit, "commit");
  const [, firstParent] = (await runGit(cwd, ["rev-list", "--parents", "-n", "1", commit, "--"])).stdout.split(" ");
  const args =
    firstParent === undefined
      ? ["diff-tree", "-r", "-z", "--name-only", "--no-renames", "--no-commit-id", "--root", commit]
      : ["diff-tree", "-r", "-z", "--name-only", "--no-renames", firstParent, commit];
  return splitNul((await runGit(cwd, args)).stdout);
}

/**
 * The paths that differ between `base` and `commit` (renames as a deletion and an addition, so both names count).
 * Without `commit`: between `base` and the worktree as it is, untracked files included (ignored ones not).
 */
export async function filesChangedSince(cwd: string, base: string, commit?: string): Promise<string[]> {
  assertGitArg(base, "base");
  if (commit !== undefined) assertGitArg(commit, "commit");
  const diff = splitNul((await runGit(cwd, ["diff", "--name-only", "-z", "--no-renames", base, ...(commit === undefined ? [] : [commit]), "--"])).stdout);
  if (commit !== undefined) return diff;
  const untracked = splitNul((await runGit(cwd, ["ls-files", "--others", "--exclude-standard", "-z"])).stdout);
  return [...new Set([...diff, ...untracked])].sort();
}

/** How many paths in the worktree differ from HEAD (staged, unstaged or untracked; ignored files excluded). */
export async function statusCount(worktree: string): Promise<{ uncommitted: number }> {
  const fields = splitNul((await runGit(worktree, ["status", "--porcelain=v1", "-z", "--untracked-files=all"])).stdout);
  let uncommitted = 0;
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i] ?? "";
    uncommitted++;
    // A rename or copy is followed by its source path in its own field.
    if (entry[0] === "R" || entry[0] === "C") i++;
  }
  return { uncommitted };
}

// What must hold in the repository before a run touches it: a first commit, an integration branch that is a valid
// name and that no working tree has checked out (the run moves it without a checkout: a person's working tree
// would silently fall out of step), and no other plan of the same repository running on that same branch.
import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { CodexError, ExitCode } from "../errors.js";
import { revParse, runGit, worktreeList } from "../git/index.js";

/** Why the run cannot use `branch` in the repository at `root`, one line each; empty when it can. */
export async function repositoryProblems(root: string, branch: string): Promise<string[]> {
  const problems: string[] = [];
  const valid = await runGit(root, ["check-ref-format", "--branch", branch], { okExitCodes: [0, 1, 128] });
  if (valid.exitCode !== 0 || branch.startsWith("-")) {
    problems.push(`integration_branch "${branch}" is not a valid branch name (git check-ref-format --branch refuses it); use a name like codex/integration`);
    return problems;
  }
  const exists = (await revParse(root, `refs/heads/${branch}`)) !== null;
  if (!exists && (await revParse(root, "HEAD")) === null) {
    problems.push(`the repository has no commits yet: the integration branch ${branch} would start from HEAD; make a first commit (git commit --allow-empty -m "initial")`);
  }
  const worktrees = await worktreeList(root);
  for (const worktree of worktrees) {
    if (worktree.branch === branch) {
      problems.push(`integration_branch "${branch}" is checked out in ${worktree.path}: the run moves it without a checkout, which would leave that working tree out of step; set integration_branch in .codex/config.json to a branch nobody has checked out (default codex/integration)`);
    }
  }
  const here = canonical(root);
  for (const worktree of worktrees) {
    const where = canonical(worktree.path);
    // Our own workers' worktrees (any plan's) carry a copy of .codex/ from git, not a plan of their own.
    if (where === here || where.split(path.sep).join("/").includes("/.codex/worktrees/")) continue;
    if (ranOn(where) === branch) {
      problems.push(`the plan in ${worktree.path} runs on integration branch ${branch} too: two plans on one branch would take each other's subtasks as done; set a different integration_branch in one of the .codex/config.json files`);
    }
  }
  return problems;
}

/** Throws (exit 2) when the run cannot use the repository as it is; every problem named. */
export async function assertRepositoryUsable(root: string, branch: string): Promise<void> {
  const problems = await repositoryProblems(root, branch);
  if (problems.length === 0) return;
  throw new CodexError("E_REPOSITORY", problems.length === 1 ? (problems[0] ?? "") : `${problems.length} problems with the repository`, {
    details: problems.length === 1 ? [] : problems,
    hint: "Fix it, then run `codex-lead validate` and `codex-lead run` again.",
    exitCode: ExitCode.usage,
  });
}

function canonical(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

/** The integration branch a run of the plan in `worktree` used, from its progress.json (a claim; unreadable: none). */
function ranOn(worktree: string): string | undefined {
  try {
    const progress = JSON.parse(readFileSync(path.join(worktree, ".codex", "progress.json"), "utf8")) as { run?: { integration_branch?: unknown } };
    const branch = progress.run?.integration_branch;
    return typeof branch === "string" ? branch : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Task tags are shared by every worktree of a repository. Of the tags of this plan's subtasks, those whose commit is
 * not on this plan's integration branch were made by another plan (another worktree) or point to history that was
 * reset away: a run must not take them as its own completions.
 */
export async function foreignTags(root: string, branch: string, tags: Map<string, string>, prefix: string, isOurs: (id: string) => boolean): Promise<string[]> {
  const candidates = [...tags.keys()].filter((tag) => isOurs(tag.slice(prefix.length)));
  if (candidates.length === 0) return [];
  const merged = new Set(
    (await runGit(root, ["for-each-ref", "--format=%(refname:strip=2)", `--merged=refs/heads/${branch}`, `refs/tags/${prefix}`])).stdout.split("\n").filter(Boolean),
  );
  return candidates.filter((tag) => !merged.has(tag));
}

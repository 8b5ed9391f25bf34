// Worktrees for workers: add, remove, prune and list, with add/remove/prune serialized across processes.
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { withFileLock } from "../store/file-lock.js";
import { assertGitArg, GitError } from "./git-error.js";
import { gitCommonDir, revParse } from "./repo.js";
import { runGit } from "./run-git.js";
import { forgetAddingWorktree, markWorktreeOurs, noteAddingWorktree } from "./worktree-owner.js";

export interface WorktreeInfo {
  path: string;
  head: string;
  /** Short branch name, or null when detached (or bare). */
  branch: string | null;
  locked: boolean;
  /** Why it is locked ("initializing" while `git worktree add` is still checking it out), when locked. */
  lockReason?: string;
  prunable: boolean;
}

/** A worktree checkout can take a while on a big repository: wait long for the lock rather than fail. */
const WORKTREE_LOCK_WAIT_MS = 180_000;

/**
 * git itself races on `.git/config` and `.git/worktrees/*` when worktrees are added or removed in
 * parallel: one lock per repository (`<git common dir>/codex-worktree.lock`) serializes us.
 */
async function withWorktreeLock<T>(cwd: string, fn: (commonDir: string) => Promise<T>): Promise<T> {
  const commonDir = await gitCommonDir(cwd);
  return withFileLock(path.join(commonDir, "codex-worktree"), () => fn(commonDir), { waitMs: WORKTREE_LOCK_WAIT_MS });
}

function samePath(a: string, b: string): boolean {
  const canonical = (p: string): string => {
    const resolved = path.resolve(p);
    try {
      return realpathSync(resolved);
    } catch {
      return resolved;
    }
  };
  return canonical(a) === canonical(b);
}

export async function worktreeList(cwd: string): Promise<WorktreeInfo[]> {
  const fields = (await runGit(cwd, ["worktree", "list", "--porcelain", "-z"])).stdout.split("\0");
  const list: WorktreeInfo[] = [];
  let current: WorktreeInfo | undefined;
  for (const field of fields) {
    if (field === "") {
      current = undefined; // a blank field ends a worktree's block
      continue;
    }
    const space = field.indexOf(" ");
    const key = space === -1 ? field : field.slice(0, space);
    const value = space === -1 ? "" : field.slice(space + 1);
    if (key === "worktree") {
      current = { path: value, head: "", branch: null, locked: false, prunable: false };
      list.push(current);
    } else if (current === undefined) {
      continue;
    } else if (key === "HEAD") {
      current.head = value;
    } else if (key === "branch") {
      current.branch = value.replace(/^refs\/heads\//, "");
    } else if (key === "locked") {
      current.locked = true;
      if (value) current.lockReason = value;
    } else if (key === "prunable") {
      current.prunable = true;
    }
  }
  return list;
}

export interface WorktreeAddResult {
  /** True when the branch did not exist and was created at `base`. */
  createdBranch: boolean;
  /** True when `path` already was a worktree on `branch` (e.g. after a crash): left as it was. */
  reused: boolean;
}

/**
 * A worktree at `worktreePath` on `branch`: the branch is created at `base` when missing
 * (`worktree add --no-track -b`), an existing branch is checked out as it is (never moved).
 * A worktree already at that path on that branch is reused, so a restarted worker can pick it up.
 * With `markOurs`, a new worktree carries codex-crew's marker (worktree-owner.ts), even if the add is killed midway.
 */
export async function worktreeAdd(cwd: string, worktreePath: string, branch: string, base: string, options: { markOurs?: boolean } = {}): Promise<WorktreeAddResult> {
  assertGitArg(branch, "branch");
  assertGitArg(base, "base");
  const target = path.resolve(cwd, worktreePath);
  return withWorktreeLock(cwd, async (commonDir) => {
    const existing = (await worktreeList(cwd)).find((w) => samePath(w.path, target));
    if (existing !== undefined) {
      if (existing.branch === branch && existsSync(target)) return { createdBranch: false, reused: true };
      if (existing.prunable || !existsSync(target)) await runGit(cwd, ["worktree", "prune"]);
    }
    const branchExists = (await revParse(cwd, `refs/heads/${branch}`)) !== null;
    const args = branchExists
      ? ["worktree", "add", "--quiet", target, branch]
      : ["worktree", "add", "--quiet", "--no-track", "-b", branch, target, base];
    if (options.markOurs) noteAddingWorktree(commonDir, target);
    await runGit(cwd, args);
    if (options.markOurs) markWorktreeOurs(commonDir, target);
    return { createdBranch: !branchExists, reused: false };
  });
}

/**
 * Removes the worktree at `worktreePath` (its branch stays). Returns false when it was not a worktree.
 * Without `force`, git refuses a worktree with uncommitted changes (GitError).
 */
/**
 * Removes a worktree. `force` also drops uncommitted changes; `evenIfLocked` (with force) also removes a
 * locked one (`git worktree remove -f -f`), e.g. one `git worktree add` left "initializing" when it was killed.
 */
export async function worktreeRemove(cwd: string, worktreePath: string, options: { force?: boolean; evenIfLocked?: boolean } = {}): Promise<boolean> {
  const target = path.resolve(cwd, worktreePath);
  return withWorktreeLock(cwd, async (commonDir) => {
    const existing = (await worktreeList(cwd)).find((w) => samePath(w.path, target));
    if (existing === undefined) return false;
    if (existsSync(target)) {
      try {
        const force = options.force ? (options.evenIfLocked ? ["--force", "--force"] : ["--force"]) : [];
        await runGit(cwd, ["worktree", "remove", ...force, target]);
      } catch (error: unknown) {
        // Removed by someone else meanwhile (a person, or a prune): the outcome we wanted.
        if (!(error instanceof GitError && !existsSync(target))) throw error;
      }
    } else {
      await runGit(cwd, ["worktree", "prune"]);
    }
    forgetAddingWorktree(commonDir, target);
    return true;
  });
}

/** Forgets worktrees whose folders are gone (e.g. deleted by hand or by a crash mid-removal). */
export async function worktreePrune(cwd: string): Promise<void> {
  await withWorktreeLock(cwd, async () => {
    await runGit(cwd, ["worktree", "prune"]);
  });
}

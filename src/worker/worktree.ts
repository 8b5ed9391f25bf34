// A worker's own worktree: created once per worker, then switched to a fresh branch at the base for each attempt.
// Work left in it is never discarded: it is committed on its branch first, or the worktree is not reused.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { CodexError } from "../errors.js";
import { commitAll, statusCount, worktreeAdd, type Trailers } from "../git/index.js";
import { runGit, splitNul } from "../git/run-git.js";

/** The branch of one attempt: codex/work/<task>/a<attempt>. */
export function workBranch(token: { task: string; attempt: number }): string {
  return `codex/work/${token.task}/a${token.attempt}`;
}

/** Worktrees whose last attempt ended in a commit of everything (add -A): no untracked leftovers to clean. */
const leftClean = new Set<string>();

export function markWorktreeClean(worktree: string): void {
  leftClean.add(worktree);
}

function gitMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The attempt a work branch belongs to (codex/work/<task>/a<n>), for the trailers of a salvage commit. */
export function attemptOfBranch(branch: string): { task: string; attempt: string } | undefined {
  const match = /^codex\/work\/(.+)\/a(\d+)$/.exec(branch);
  return match ? { task: match[1] ?? "", attempt: match[2] ?? "0" } : undefined;
}

export async function prepareWorktree(root: string, worktree: string, branch: string, base: string, worker: string): Promise<void> {
  const clean = leftClean.delete(worktree);
  if (!existsSync(worktree)) {
    await worktreeAdd(root, worktree, branch, base);
    return;
  }
  if (!clean) await saveBeforeReuse(worktree, worker);
  await runGit(worktree, ["switch", "--quiet", "--discard-changes", "-C", branch, base]);
  if (!clean) await runGit(worktree, ["clean", "-fdq"]);
}

/**
 * An earlier attempt left work uncommitted (its commit failed, or it was stopped mid-way and could not commit):
 * commit it on the branch it was made on before the switch discards it; when git cannot, refuse to reuse the worktree.
 */
async function saveBeforeReuse(worktree: string, worker: string): Promise<void> {
  let saved: string | undefined;
  try {
    const current = (await runGit(worktree, ["rev-parse", "--abbrev-ref", "HEAD"])).stdout.trim();
    const of = attemptOfBranch(current);
    saved = await saveLeftovers(worktree, `wip: work left in ${worker}'s worktree`, {
      Task: of?.task ?? "unknown",
      Attempt: of?.attempt ?? "0",
      Worker: worker,
    });
    if (saved === undefined) return;
    if ((await statusCount(worktree)).uncommitted === 0) return;
  } catch (error: unknown) {
    throw unsavedWork(worktree, gitMessage(error));
  }
  throw unsavedWork(worktree, "changes were still left after committing them");
}

function unsavedWork(worktree: string, why: string): CodexError {
  return new CodexError("E_UNSAVED_WORK", `worktree ${worktree} holds uncommitted work that could not be committed (${why}); it is kept as it is and not reused`, {
    hint: `Look at it (git -C ${worktree} status), commit or copy what you want to keep, then remove it (git worktree remove --force ${worktree}).`,
  });
}

/**
 * Commits everything left uncommitted in the worktree on its branch (submodules first), without hooks or signing,
 * so that neither can lose it. Returns the commit, or undefined when nothing was left. Throws (naming git's error)
 * when git cannot: a failing clean filter, a full disk.
 */
export async function saveLeftovers(worktree: string, message: string, trailers: Trailers): Promise<string | undefined> {
  const wip = { ...trailers, "Codex-WIP": "true" };
  await commitSubmodules(worktree, message, wip);
  if ((await statusCount(worktree)).uncommitted === 0) return undefined;
  return commitAll(worktree, { message, trailers: wip, allowEmpty: false, plain: true });
}

/**
 * `git add -A` records a submodule's new commit but not the changes inside it, and skips files written into a
 * submodule that is not checked out: both would be dropped without a word. Changes inside a checked-out
 * submodule are committed there (so the outer commit records its new commit); files in one that is not
 * checked out are refused with the reason. Only when the worktree has a .gitmodules (a file check).
 */
export async function commitSubmodules(worktree: string, message: string, trailers: Trailers): Promise<void> {
  if (!existsSync(path.join(worktree, ".gitmodules"))) return;
  const gitlinks = splitNul((await runGit(worktree, ["ls-files", "-s", "-z"])).stdout)
    .filter((entry) => entry.startsWith("160000 "))
    .map((entry) => entry.slice(entry.indexOf("\t") + 1));
  for (const sub of gitlinks) {
    const dir = path.join(worktree, sub);
    if (!existsSync(path.join(dir, ".git"))) {
      const written = existsSync(dir) ? readdirSync(dir) : [];
      if (written.length > 0) {
        throw new CodexError("E_SUBMODULE", `files were written into ${sub}, a submodule that is not checked out in ${worktree}: git cannot commit them (${written.slice(0, 3).join(", ")}${written.length > 3 ? ", …" : ""})`, {
          hint: `Check the submodule out first in the subtask's command (git submodule update --init ${sub}), then change it.`,
        });
      }
      continue;
    }
    if ((await statusCount(dir)).uncommitted === 0) continue;
    try {
      await commitAll(dir, { message, trailers, allowEmpty: false, plain: true });
    } catch (error: unknown) {
      throw new CodexError("E_SUBMODULE", `the changes inside submodule ${sub} could not be committed there: ${gitMessage(error)}`, {
        hint: `They are left in ${dir}; commit them there by hand.`,
        cause: error,
      });
    }
  }
}

// A worker's own worktree: created once per worker (with codex-crew's marker), then switched to a fresh branch at
// the base for each attempt. An existing folder is reused only when it is one of ours: never a person's worktree.
// Work left in it is never discarded: it is committed on its branch first, or the worktree is not reused.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { CodexError } from "../errors.js";
import { commitAll, gitCommonDir, statusCount, whyNotOurs, worktreeAdd, worktreeList, type Trailers } from "../git/index.js";
import { runGit, splitNul } from "../git/run-git.js";
import { assertNoSymlink } from "../store/safe-path.js";
import type { CodexPaths } from "../store/paths.js";

/** The branch of one attempt: codex/work/<task>/a<attempt>. */
export function workBranch(token: { task: string; attempt: number }): string {
  return `codex/work/${token.task}/a${token.attempt}`;
}

/** Worktrees whose last attempt ended in a commit of everything (add -A): no untracked leftovers to clean. */
const leftClean = new Set<string>();

/** Worktrees this process created or checked: known to be ours (the check costs a `git worktree list`). */
const checked = new Set<string>();

export function markWorktreeClean(worktree: string): void {
  leftClean.add(worktree);
}

/** Worktrees left holding work git could not commit: never switched or cleaned again by this process. */
const unusable = new Set<string>();

export function markWorktreeUnusable(worktree: string): void {
  unusable.add(worktree);
}

/** True when the worktree holds work that could not be saved: its worker should leave it (and exit). */
export function worktreeUnusable(worktree: string): boolean {
  return unusable.has(worktree);
}

function gitMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The attempt a work branch belongs to (codex/work/<task>/a<n>), for the trailers of a salvage commit. */
export function attemptOfBranch(branch: string): { task: string; attempt: string } | undefined {
  const match = /^codex\/work\/(.+)\/a(\d+)$/.exec(branch);
  return match ? { task: match[1] ?? "", attempt: match[2] ?? "0" } : undefined;
}

export async function prepareWorktree(paths: CodexPaths, worktree: string, branch: string, base: string, worker: string): Promise<void> {
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
  unusable.add(worktree);
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
    .map((entry) => ({ sub: entry.slice(entry.indexOf("\t") + 1), recorded: entry.split(" ")[1] ?? "" }));
  for (const { sub, recorded } of gitlinks) {
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
    try {
      if ((await statusCount(dir)).uncommitted > 0) await commitAll(dir, { message, trailers, allowEmpty: false, plain: true });
      await keepSubmoduleCommit(worktree, dir, recorded);
    } catch (error: unknown) {
      throw new CodexError("E_SUBMODULE", `the changes inside submodule ${sub} could not be committed there: ${gitMessage(error)}`, {
        hint: `They are left in ${dir}; commit them there by hand.`,
        cause: error,
      });
    }
  }
}

/**
 * A submodule checked out in a linked worktree keeps its repository inside that worktree's git dir, which goes
 * when the worktree is removed: its new commit is pushed into the superproject's repository (refs/codex/submodules/)
 * so that the commit the integration branch records can always be found.
 */
async function keepSubmoduleCommit(worktree: string, dir: string, recorded: string): Promise<void> {
  const head = (await runGit(dir, ["rev-parse", "HEAD"])).stdout.trim();
  if (head === recorded) return;
  const commonDir = path.resolve(worktree, (await runGit(worktree, ["rev-parse", "--git-common-dir"])).stdout.trim());
  await runGit(dir, ["push", "--quiet", "--no-verify", commonDir, `HEAD:refs/codex/submodules/${head}`]);
}

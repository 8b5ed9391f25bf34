// Reading a ref without starting git: the loose ref file when there is one (git replaces it atomically),
// else git itself (packed refs). On a busy run the lead and workers read refs for every subtask: the files are
// read synchronously (a few hundred bytes; an async read is four thread-pool round trips).
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { headOf } from "./repo.js";

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** The commit `ref` (a full name, `refs/heads/…`) points to. `commonDir` is the repository's git common dir. */
export async function resolveRef(cwd: string, commonDir: string, ref: string): Promise<string> {
  try {
    const text = readFileSync(path.join(commonDir, ref), "utf8").trim();
    if (SHA.test(text)) return text;
  } catch {
    // not a loose ref: packed, or missing (git says which)
  }
  return headOf(cwd, ref);
}

/** The git dir of the worktree at `worktree` (a linked worktree's `.git` is a file naming it). Throws when unreadable. */
export function worktreeGitDir(worktree: string): string {
  const dotGit = path.join(worktree, ".git");
  if (statSync(dotGit).isDirectory()) return dotGit;
  const line = readFileSync(dotGit, "utf8").trim();
  if (!line.startsWith("gitdir: ")) throw new Error(`${dotGit} names no gitdir`);
  return path.resolve(worktree, line.slice("gitdir: ".length));
}

/** The repository's common git dir, from a worktree's git dir (the main worktree's git dir is the common dir). */
export function commonDirOf(gitDir: string): string {
  try {
    return path.resolve(gitDir, readFileSync(path.join(gitDir, "commondir"), "utf8").trim());
  } catch {
    return gitDir;
  }
}

/**
 * The commit checked out in `worktree`, read from its HEAD and loose ref files when it can be (a worker
 * asks this after every commit: a git process saved per subtask), else from git itself.
 */
export async function worktreeHead(worktree: string): Promise<string> {
  try {
    const gitDir = worktreeGitDir(worktree);
    const head = readFileSync(path.join(gitDir, "HEAD"), "utf8").trim();
    if (SHA.test(head)) return head;
    if (head.startsWith("ref: refs/")) return await resolveRef(worktree, commonDirOf(gitDir), head.slice("ref: ".length));
  } catch {
    // not a layout we can read (packed ref, unusual .git): git says
  }
  return headOf(worktree, "HEAD");
}

// Branches, tags and the compare-and-swap on a ref: the only ways a run moves or marks history.
import { assertGitArg, GitError } from "./git-error.js";
import { revParse } from "./repo.js";
import { runGit } from "./run-git.js";

/** Creates `branch` at `startPoint` when it does not exist; an existing branch is never moved. */
export async function ensureBranch(cwd: string, branch: string, startPoint: string): Promise<"created" | "exists"> {
  assertGitArg(branch, "branch");
  assertGitArg(startPoint, "start point");
  if ((await revParse(cwd, `refs/heads/${branch}`)) !== null) return "exists";
  try {
    await runGit(cwd, ["branch", "--no-track", branch, startPoint]);
    return "created";
  } catch (error: unknown) {
    // Another process created it between our look and our write: it exists, and we did not move it.
    if (error instanceof GitError && (await revParse(cwd, `refs/heads/${branch}`)) !== null) return "exists";
    throw error;
  }
}

const LOCK_RETRIES = 20;

/**
 * Compare-and-swap: points `ref` (a full name, `refs/...`) at `newSha` only if it still points at
 * `expectedOld` (null: only if the ref does not exist yet). Returns false when the ref has moved on.
 */
export async function updateRefCas(
  cwd: string,
  ref: string,
  newSha: string,
  expectedOld: string | null,
  reflogMessage = "codex-crew: update",
): Promise<boolean> {
  if (!ref.startsWith("refs/")) throw new RangeError(`updateRefCas needs a full ref name (refs/...), got ${JSON.stringify(ref)}`);
  assertGitArg(ref, "ref");
  assertGitArg(newSha, "new value");
  if (expectedOld !== null) assertGitArg(expectedOld, "expected old value");
  for (let attempt = 0; ; attempt++) {
    try {
      await runGit(cwd, ["update-ref", "-m", reflogMessage, "--no-deref", ref, newSha, expectedOld ?? ""]);
      return true;
    } catch (error: unknown) {
      if (!(error instanceof GitError)) throw error;
      const current = await revParse(cwd, ref);
      if (current !== expectedOld) return false;
      // Still at the expected value: the ref was only locked by someone whose update did not land (yet).
      if (!/\.lock'?: File exists/i.test(error.stderrTail) || attempt >= LOCK_RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
  }
}

/**
 * Creates tag `name` on `sha` (annotated when `message` is given), never overwriting:
 * of several callers exactly one gets 'created', the others 'exists'.
 */
export async function createTag(
  cwd: string,
  name: string,
  sha: string,
  options: { message?: string } = {},
): Promise<"created" | "exists"> {
  assertGitArg(name, "tag");
  assertGitArg(sha, "commit");
  const args = options.message === undefined ? ["tag", name, sha] : ["tag", "-a", "-m", options.message, name, sha];
  try {
    await runGit(cwd, args);
    return "created";
  } catch (error: unknown) {
    if (error instanceof GitError && (await revParse(cwd, `refs/tags/${name}`)) !== null) return "exists";
    throw error;
  }
}

/** Tags whose name matches `pattern` (`*` also crosses `/`), each mapped to the commit it points to (peeled). */
export async function listTags(cwd: string, pattern: string): Promise<Map<string, string>> {
  assertGitArg(pattern, "tag pattern");
  const format = "%(refname:strip=2)%00%(objectname)%00%(*objectname)%00";
  const fields = (await runGit(cwd, ["tag", "--list", `--format=${format}`, "--", pattern])).stdout.split("\0");
  const tags = new Map<string, string>();
  // Each line is name, object, peeled object (empty for a lightweight tag); lines end in "\0\n".
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const name = (fields[i] ?? "").replace(/^\n/, "");
    const object = fields[i + 1] ?? "";
    const peeled = fields[i + 2] ?? "";
    if (name !== "") tags.set(name, peeled !== "" ? peeled : object);
  }
  return tags;
}

/** Local branches whose name matches `pattern` (`*` also crosses `/`), each mapped to its commit. */
export async function listBranches(cwd: string, pattern: string): Promise<Map<string, string>> {
  assertGitArg(pattern, "branch pattern");
  const format = "%(refname:strip=2)%00%(objectname)%00";
  const fields = (await runGit(cwd, ["branch", "--list", `--format=${format}`, "--", pattern])).stdout.split("\0");
  const branches = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = (fields[i] ?? "").replace(/^\n/, "");
    if (name !== "") branches.set(name, fields[i + 1] ?? "");
  }
  return branches;
}

export type DeleteBranchResult = "deleted" | "missing" | "unmerged";

/**
 * Deletes a local branch. Unless `force`, a branch with commits missing from `mergedInto`
 * (default: git's own check against HEAD) is kept and 'unmerged' returned: unmerged work is never deleted.
 * A branch checked out in a worktree is refused by git (GitError).
 */
export async function deleteBranch(
  cwd: string,
  branch: string,
  options: { force?: boolean; mergedInto?: string } = {},
): Promise<DeleteBranchResult> {
  assertGitArg(branch, "branch");
  if ((await revParse(cwd, `refs/heads/${branch}`)) === null) return "missing";
  if (!options.force && options.mergedInto !== undefined) {
    assertGitArg(options.mergedInto, "revision");
    const unmerged = await runGit(cwd, ["rev-list", "--count", `${options.mergedInto}..refs/heads/${branch}`, "--"]);
    if (unmerged.stdout !== "0") return "unmerged";
  }
  const flag = options.force || options.mergedInto !== undefined ? "-D" : "-d";
  try {
    await runGit(cwd, ["branch", flag, branch]);
    return "deleted";
  } catch (error: unknown) {
    if (!(error instanceof GitError)) throw error;
    if ((await revParse(cwd, `refs/heads/${branch}`)) === null) return "missing";
    if (/not fully merged/.test(error.stderrTail)) return "unmerged";
    throw error;
  }
}

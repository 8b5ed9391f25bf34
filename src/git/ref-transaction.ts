// Several ref changes as one atomic transaction (`git update-ref --stdin`): all of them land, or none.
import { GitError } from "./git-error.js";
import { runGit } from "./run-git.js";

export type RefChange =
  | { op: "update"; ref: string; newSha: string; expectedOld: string }
  | { op: "create"; ref: string; newSha: string };

/** True when every change landed; false when an expected value no longer matched or a created ref existed. */
export async function applyRefTransaction(cwd: string, changes: RefChange[]): Promise<boolean> {
  const lines = ["start"];
  for (const change of changes) {
    lines.push(change.op === "update" ? `update ${change.ref} ${change.newSha} ${change.expectedOld}` : `create ${change.ref} ${change.newSha}`);
  }
  lines.push("prepare", "commit", "");
  try {
    await runGit(cwd, ["update-ref", "--stdin"], { input: lines.join("\n") });
    return true;
  } catch (error: unknown) {
    if (error instanceof GitError) return false;
    throw error;
  }
}

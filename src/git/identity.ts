// Commits need an author and a committer. In a repository (or on a machine) with no user.name/user.email,
// workers and the lead commit as "codex-crew" instead of failing every subtask.
import { runGit, setGitEnvironment } from "./run-git.js";

const FALLBACK = { name: "codex-crew", email: "codex-crew@localhost" };

async function configured(cwd: string, key: string): Promise<boolean> {
  const result = await runGit(cwd, ["config", "--get", key], { okExitCodes: [0, 1] });
  return result.exitCode === 0 && result.stdout.trim() !== "";
}

/**
 * Sets the GIT_AUTHOR_ and GIT_COMMITTER_ name and email for our git calls and our children (setGitEnvironment)
 * when git has no identity here; variables already set are kept.
 */
export async function ensureGitIdentity(cwd: string): Promise<boolean> {
  const [name, email] = await Promise.all([configured(cwd, "user.name"), configured(cwd, "user.email")]);
  if (name && email) return false;
  const fallback: Record<string, string> = {};
  const unlessSet = (key: string, value: string) => {
    if (process.env[key] === undefined) fallback[key] = value;
  };
  if (!name) {
    unlessSet("GIT_AUTHOR_NAME", FALLBACK.name);
    unlessSet("GIT_COMMITTER_NAME", FALLBACK.name);
  }
  if (!email) {
    unlessSet("GIT_AUTHOR_EMAIL", FALLBACK.email);
    unlessSet("GIT_COMMITTER_EMAIL", FALLBACK.email);
  }
  setGitEnvironment(fallback);
  return true;
}

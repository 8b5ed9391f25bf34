// Commits need an author and a committer. In a repository (or on a machine) with no user.name/user.email,
// workers and the lead commit as "codex-crew" instead of failing every subtask.
import { runGit } from "./run-git.js";

const FALLBACK = { name: "codex-crew", email: "codex-crew@localhost" };

async function configured(cwd: string, key: string): Promise<boolean> {
  const result = await runGit(cwd, ["config", "--get", key], { okExitCodes: [0, 1] });
  return result.exitCode === 0 && result.stdout.trim() !== "";
}

/** Sets the GIT_AUTHOR_ and GIT_COMMITTER_ name and email in this process (and so its children) when git has no identity here. */
export async function ensureGitIdentity(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const [name, email] = await Promise.all([configured(cwd, "user.name"), configured(cwd, "user.email")]);
  if (name && email) return false;
  if (!name) {
    env["GIT_AUTHOR_NAME"] ??= FALLBACK.name;
    env["GIT_COMMITTER_NAME"] ??= FALLBACK.name;
  }
  if (!email) {
    env["GIT_AUTHOR_EMAIL"] ??= FALLBACK.email;
    env["GIT_COMMITTER_EMAIL"] ??= FALLBACK.email;
  }
  return true;
}

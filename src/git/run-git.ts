// Runs git with an argv array (never a shell), a clean environment and one failure convention (GitError).
import { execa } from "execa";
import { GitError } from "./git-error.js";

export interface RunGitOptions {
  /** Exit codes that are answers rather than failures (e.g. 1 for `merge-base --is-ancestor`). Default: [0]. */
  okExitCodes?: number[];
  /** Extra environment for this call (e.g. GIT_AUTHOR_*). */
  env?: Record<string, string>;
  /** Text fed to git's stdin; stdin is closed otherwise. */
  input?: string;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Settings for every call: no automatic gc while many processes share the repository
 * (a gc racing a worker's commit is the classic source of "unable to read" errors), and
 * unquoted non-ASCII paths.
 */
const GLOBAL_ARGS = ["-c", "gc.auto=0", "-c", "core.quotePath=false"];

/** Variables that would point git at another repository, index or worktree than `cwd`'s. */
const LOCATION_VARIABLES = new Set([
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_COMMON_DIR",
  "GIT_NAMESPACE",
  "GIT_PREFIX",
  "GIT_CEILING_DIRECTORIES",
]);

const STDERR_TAIL_CHARS = 2048;

function gitEnv(extra: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !LOCATION_VARIABLES.has(key)) env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = "0";
  env.GIT_OPTIONAL_LOCKS = "0";
  env.LC_ALL = "C";
  return { ...env, ...extra };
}

export async function runGit(cwd: string, args: string[], options: RunGitOptions = {}): Promise<GitResult> {
  const argv = [...GLOBAL_ARGS, ...args];
  const okExitCodes = options.okExitCodes ?? [0];
  const result = await execa("git", argv, {
    cwd,
    env: gitEnv(options.env),
    extendEnv: false,
    reject: false,
    stripFinalNewline: true,
    ...(options.input === undefined ? { stdin: "ignore" as const } : { input: options.input }),
  });
  const exitCode = result.exitCode;
  const stdout = result.stdout ?? "";
  const stderr = result.stderr ?? "";
  if (exitCode === undefined || !okExitCodes.includes(exitCode)) {
    throw new GitError({
      argv,
      cwd,
      exitCode,
      stderrTail: stderr.slice(-STDERR_TAIL_CHARS) || (result.failed ? (result.shortMessage ?? "") : ""),
      cause: result.failed ? result : undefined,
    });
  }
  return { stdout, stderr, exitCode };
}

/** Splits NUL-terminated output (`-z`) into its non-empty fields. */
export function splitNul(text: string): string[] {
  return text.split("\0").filter((field) => field !== "");
}

// Runs git with an argv array (each word quoted, never interpreted by a shell), a clean environment and one
// failure convention (GitError). Started by a few long-lived sh processes (git-shell.ts) rather than by execa or
// node's spawn: a run starts ~6 git processes per subtask, and each fork of our Node process cost 1-4 ms.
import { GitShellPool } from "./git-shell.js";
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
 * Settings for every call: no automatic gc or maintenance while many processes share the repository
 * (a gc racing a worker's commit is the classic source of "unable to read" errors; `git commit` would
 * also start a `git maintenance run --auto` process after every commit), and unquoted non-ASCII paths.
 */
const GLOBAL_ARGS = ["-c", "gc.auto=0", "-c", "maintenance.auto=false", "-c", "core.quotePath=false"];

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

/** The environment of every git call: ours without the location variables, plus fixed settings. */
function gitEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !LOCATION_VARIABLES.has(key)) env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = "0";
  env.GIT_OPTIONAL_LOCKS = "0";
  env.LC_ALL = "C";
  return env;
}

let pool: GitShellPool | undefined;

/**
 * Sets variables in this process's environment, for every later git call and every child started after it
 * (e.g. a fallback identity). A shell's environment is fixed when it starts: the shells started so far finish
 * what they were given and exit, and the next call starts new ones.
 */
export function setGitEnvironment(variables: Record<string, string>): void {
  Object.assign(process.env, variables);
  pool?.retire();
  pool = undefined;
}

export async function runGit(cwd: string, args: string[], options: RunGitOptions = {}): Promise<GitResult> {
  const argv = [...GLOBAL_ARGS, ...args];
  const okExitCodes = options.okExitCodes ?? [0];
  const result = await runThroughShell(cwd, argv, options.env, options.input);
  const { exitCode, stdout, stderr } = result;
  if (exitCode === undefined || !okExitCodes.includes(exitCode)) {
    throw new GitError({
      argv,
      cwd,
      exitCode,
      stderrTail: stderr.slice(-STDERR_TAIL_CHARS) || (result.error?.message ?? ""),
      cause: result.error,
    });
  }
  return { stdout, stderr, exitCode };
}

/** One git command, through the shell pool: stdout and stderr collected whole, final newline stripped. */
async function runThroughShell(cwd: string, argv: string[], extraEnv: Record<string, string> | undefined, input: string | undefined) {
  pool ??= new GitShellPool(gitEnv());
  const result = await pool.run({ cwd, argv: ["git", ...argv], ...(extraEnv ? { env: extraEnv } : {}), ...(input !== undefined ? { input } : {}) });
  return {
    stdout: stripFinalNewline(result.stdout.toString("utf8")),
    stderr: stripFinalNewline(result.stderr.toString("utf8")),
    exitCode: result.exitCode,
    ...(result.error ? { error: result.error } : {}),
  };
}

function stripFinalNewline(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

/** Splits NUL-terminated output (`-z`) into its non-empty fields. */
export function splitNul(text: string): string[] {
  return text.split("\0").filter((field) => field !== "");
}

// Runs git with an argv array (never a shell), a clean environment and one failure convention (GitError).
// node's own spawn rather than execa: a run starts ~6 git processes per subtask, and execa's
// per-call overhead (~1.3 ms of CPU in the parent) was a tenth of the lead's whole budget.
import { spawn } from "node:child_process";
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

let baseEnv: Record<string, string> | undefined;

/** The environment of every git call: ours without the location variables, plus fixed settings. Built once. */
function gitEnv(extra: Record<string, string> | undefined): Record<string, string> {
  if (!baseEnv) {
    baseEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !LOCATION_VARIABLES.has(key)) baseEnv[key] = value;
    }
    baseEnv.GIT_TERMINAL_PROMPT = "0";
    baseEnv.GIT_OPTIONAL_LOCKS = "0";
    baseEnv.LC_ALL = "C";
  }
  return extra ? { ...baseEnv, ...extra } : baseEnv;
}

export async function runGit(cwd: string, args: string[], options: RunGitOptions = {}): Promise<GitResult> {
  const argv = [...GLOBAL_ARGS, ...args];
  const okExitCodes = options.okExitCodes ?? [0];
  const result = await spawnGit(cwd, argv, gitEnv(options.env), options.input);
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

interface RawResult {
  stdout: string;
  stderr: string;
  /** Undefined when git could not be started or was killed by a signal. */
  exitCode: number | undefined;
  error?: Error;
}

/** One git process: stdin fed `input` (or closed), stdout and stderr collected whole, final newline stripped. */
function spawnGit(cwd: string, argv: string[], env: Record<string, string>, input: string | undefined): Promise<RawResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const settle = (exitCode: number | undefined, error?: Error) => {
      if (settled) return;
      settled = true;
      resolve({
        stdout: stripFinalNewline(Buffer.concat(out).toString("utf8")),
        stderr: stripFinalNewline(Buffer.concat(err).toString("utf8")),
        exitCode,
        ...(error ? { error } : {}),
      });
    };
    const child = spawn("git", argv, { cwd, env, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
    // Could not start (ENOENT, a missing cwd): there may be no "close" after this.
    child.on("error", (error) => settle(undefined, error));
    child.on("close", (code) => settle(code ?? undefined));
    if (input !== undefined) {
      // git may exit before reading all of it (e.g. on a bad argument): its exit code tells, not EPIPE.
      child.stdin?.on("error", () => undefined);
      child.stdin?.end(input);
    }
  });
}

function stripFinalNewline(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

/** Splits NUL-terminated output (`-z`) into its non-empty fields. */
export function splitNul(text: string): string[] {
  return text.split("\0").filter((field) => field !== "");
}

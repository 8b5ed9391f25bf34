// What every command gets: the output streams, the repository root and its store, and a way to ask for an exit code.
import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.js";
import { CodexStore } from "../store/codex-store.js";
import type { Output } from "./output.js";

export interface GlobalOptions {
  cwd?: string;
}

export interface CliContext {
  readonly output: Output;
  /** The repository root: -C/--cwd, else the git top-level of the working directory, else the working directory. */
  root(): Promise<string>;
  store(): Promise<CodexStore>;
  /** The code to exit with when the command returns normally (a command never exits by itself). */
  exitCode: number;
}

/**
 * The nearest directory at or above cwd holding a `.git` entry (a folder, or the file of a linked worktree or
 * submodule): what `git rev-parse --show-toplevel` answers, found without starting git (10 ms of every command).
 * When GIT_* variables could change git's answer, git itself is asked.
 */
async function gitTopLevel(cwd: string): Promise<string | undefined> {
  if (Object.keys(process.env).some((name) => GIT_DISCOVERY_VARIABLES.has(name))) return askGitTopLevel(cwd);
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (await stat(path.join(dir, ".git")).catch(() => undefined)) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

const GIT_DISCOVERY_VARIABLES = new Set(["GIT_DIR", "GIT_WORK_TREE", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM"]);

function askGitTopLevel(cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("git", ["rev-parse", "--show-toplevel"], { cwd, encoding: "utf8" }, (error, stdout) => {
      resolve(error ? undefined : stdout.trim() || undefined);
    });
  });
}

export async function resolveRoot(option: string | undefined, cwd: string = process.cwd()): Promise<string> {
  if (option !== undefined) {
    const dir = path.resolve(cwd, option);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) throw new UsageError(`-C ${option}: no such directory`, "Pass the repository's folder to -C/--cwd.");
    return dir;
  }
  return (await gitTopLevel(cwd)) ?? cwd;
}

export function createContext(output: Output, globals: () => GlobalOptions): CliContext {
  let root: Promise<string> | undefined;
  let store: Promise<CodexStore> | undefined;
  const ctx: CliContext = {
    output,
    exitCode: 0,
    root: () => (root ??= resolveRoot(globals().cwd)),
    store: () =>
      (store ??= ctx.root().then(
        (dir) => new CodexStore(dir, { onConcurrentEdit: (file) => output.say(`note: ${path.relative(dir, file)} was saved by someone meanwhile; the change was re-applied on top`) }),
      )),
  };
  return ctx;
}

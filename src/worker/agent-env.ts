// The environment a subtask's agent runs with: who it is working for, and how to report back.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CodexPaths } from "../store/paths.js";
import { inboxPath } from "../store/paths.js";
import { assertNoSymlink } from "../store/safe-path.js";
import type { AttemptToken } from "../ops/fence.js";
import { shellQuote } from "../util/shell-quote.js";
import { attemptFiles } from "./agent-input.js";

const workerBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "codex-worker.js");

/** Shims this process wrote: written once, then only checked for (a person may delete the folder). */
const written = new Set<string>();

/** A `codex-worker` command on PATH for agents, pointing at this installation. */
export async function ensureWorkerShim(paths: CodexPaths): Promise<string> {
  const dir = path.join(paths.dir, "bin");
  const shim = path.join(dir, "codex-worker");
  if (written.has(shim) && existsSync(shim)) return dir;
  // Written through a link it would replace whatever the link points at with a script agents run: refused.
  assertNoSymlink(paths.dir, shim);
  await mkdir(dir, { recursive: true });
  await writeFile(shim, workerShimScript(process.execPath, workerBin), { mode: 0o755 });
  written.add(shim);
  return dir;
}

/** The shim's text: the install path is quoted for sh, never evaluated (a folder named `$(…)` stays a name). */
export function workerShimScript(nodePath: string, binPath: string): string {
  return `#!/bin/sh\nexec ${shellQuote(nodePath)} ${shellQuote(binPath)} "$@"\n`;
}

/**
 * Before the agent starts: every file the attempt writes under .codex/ is checked (a link on the way is refused,
 * naming it — the agents then open them without looking again), the notes folder made and the shim written.
 * Returns the shim's folder.
 */
export async function prepareAttemptFiles(paths: CodexPaths, token: AttemptToken): Promise<string> {
  const { logFile, recordDir, promptFile } = attemptFiles(paths, token);
  const notes = notesFile(paths, token);
  for (const file of [notes, logFile, promptFile, path.join(recordDir, `a${token.attempt}.jsonl`)]) assertNoSymlink(paths.dir, file);
  await mkdir(path.dirname(notes), { recursive: true });
  return ensureWorkerShim(paths);
}

export function notesFile(paths: CodexPaths, token: AttemptToken): string {
  return path.join(paths.dir, "notes", `${token.task}.a${token.attempt}.txt`);
}

export function agentEnv(paths: CodexPaths, token: AttemptToken, worktree: string, shimDir: string): Record<string, string> {
  return {
    CODEX_ROOT: paths.root,
    CODEX_TASK: token.task,
    CODEX_ATTEMPT: String(token.attempt),
    CODEX_WORKER: token.worker,
    CODEX_WORKTREE: worktree,
    CODEX_INBOX: inboxPath(paths, token.task),
    CODEX_NOTES_FILE: notesFile(paths, token),
    PATH: `${shimDir}${path.delimiter}${process.env["PATH"] ?? ""}`,
  };
}

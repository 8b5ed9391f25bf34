// Worktrees and workers as codex-crew makes them, for tests of what clean-up, recovery and gc may touch.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll } from "vitest";
import { worktreeAdd } from "../../src/git/index.js";
import { startTimeOf } from "../../src/util/process-identity.js";

/** A worktree on a new branch at `base`, made the way a worker makes its own (with codex-crew's marker). */
export async function ourWorktree(root: string, worktree: string, branch: string, base = "HEAD"): Promise<void> {
  await worktreeAdd(root, worktree, branch, base, { markOurs: true });
}

const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started.splice(0)) child.kill("SIGKILL");
});

/**
 * A live process that passes a worker's identity check: its command line names codex-worker, and its pid and start
 * time are what a worker records in progress.json. Killed after the test file.
 */
export function liveWorkerProcess(): { pid: number; pid_start: number; process: ChildProcess } {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)", "codex-worker"], { stdio: "ignore" });
  started.push(child);
  const pid = child.pid;
  const start = pid === undefined ? undefined : startTimeOf(pid);
  if (pid === undefined || start === undefined) throw new Error("could not start a stand-in worker process");
  return { pid, pid_start: start, process: child };
}

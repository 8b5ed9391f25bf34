// Startup/finish recovery of worktrees left by dead workers: leftovers committed on their branch, never lost.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cleanOrphanWorktrees } from "../src/lead/recover.js";
import { CodexStore } from "../src/store/codex-store.js";
import { git, tempRepo } from "./helpers/temp.js";
import { liveWorkerProcess, ourWorktree } from "./helpers/worktrees.js";

describe("cleanOrphanWorktrees", () => {
  it("commits a dead worker's leftovers on its branch despite the git locks it left, removes the tree, keeps a live worker's", async () => {
    const repo = tempRepo();
    const store = new CodexStore(repo);
    const dead = path.join(store.paths.worktrees, "w-dead");
    const live = path.join(store.paths.worktrees, "w-live");
    await ourWorktree(repo, dead, "codex/work/t1/a1");
    await ourWorktree(repo, live, "codex/work/t2/a1");
    writeFileSync(path.join(dead, "half-done.txt"), "work in progress\n");
    // What a git SIGKILLed (with its worker) in the middle of `add`, `switch` or `commit` leaves behind.
    const gitDir = readFileSync(path.join(dead, ".git"), "utf8").replace(/^gitdir:\s*/, "").trim();
    writeFileSync(path.join(gitDir, "index.lock"), "");
    writeFileSync(path.join(gitDir, "HEAD.lock"), "");
    writeFileSync(path.join(repo, ".git", "refs", "heads", "codex", "work", "t1", "a1.lock"), "");
    // A live worker's own locks are none of our business.
    const liveGitDir = readFileSync(path.join(live, ".git"), "utf8").replace(/^gitdir:\s*/, "").trim();
    writeFileSync(path.join(liveGitDir, "index.lock"), "");
    const worker = liveWorkerProcess();
    try {
      const now = new Date().toISOString();
      await store.progress.update((progress) => {
        progress.workers = {
          "w-dead": { status: "exited", pid: 999_999, host: hostname(), started_at: now, updated_at: now },
          "w-live": { status: "busy", pid: worker.pid, pid_start: worker.pid_start, host: hostname(), started_at: now, updated_at: now },
        };
      });
      const lines: string[] = [];
      expect(await cleanOrphanWorktrees(store, (line) => lines.push(line))).toEqual(["w-dead"]);
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(live)).toBe(true);
      expect(git(repo, ["show", "codex/work/t1/a1:half-done.txt"])).toBe("work in progress");
      expect(git(repo, ["log", "-1", "--format=%(trailers:key=Codex-WIP,valueonly)", "codex/work/t1/a1"])).toBe("true");
      expect(lines).toEqual(["kept 1 uncommitted file(s) of w-dead as a commit on codex/work/t1/a1"]);
      expect(existsSync(path.join(repo, ".git", "refs", "heads", "codex", "work", "t1", "a1.lock"))).toBe(false);
      expect(existsSync(path.join(liveGitDir, "index.lock"))).toBe(true);
    } finally {
      worker.process.kill("SIGKILL");
    }
  });
});


describe("cleanOrphanWorktrees after a worker died inside `git worktree add`", () => {
  it("removes a tree left locked 'initializing' without a salvage commit, and keeps one a person locked", async () => {
    const repo = tempRepo();
    const store = new CodexStore(repo);
    const aborted = path.join(store.paths.worktrees, "w-aborted");
    const personal = path.join(store.paths.worktrees, "w-personal");
    await ourWorktree(repo, aborted, "codex/work/t3/a1");
    git(repo, ["worktree", "lock", "--reason", "initializing", aborted]);
    await ourWorktree(repo, personal, "codex/work/t4/a1");
    git(repo, ["worktree", "lock", "--reason", "keep: I am looking at this", personal]);
    const lines: string[] = [];
    expect(await cleanOrphanWorktrees(store, (line) => lines.push(line))).toEqual(["w-aborted"]);
    expect(existsSync(aborted)).toBe(false);
    expect(existsSync(personal)).toBe(true);
    expect(git(repo, ["rev-parse", "codex/work/t3/a1"])).toBe(git(repo, ["rev-parse", "HEAD"]));
    expect(lines).toEqual([`kept worktree ${personal}: locked (keep: I am looking at this)`]);
  });
});

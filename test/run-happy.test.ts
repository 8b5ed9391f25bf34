// codex-lead run end to end on real processes and real git: deps, parallel workers, one tagged commit per subtask.
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { agent, RunRepo } from "./helpers/run-harness.js";

describe("codex-lead run: the happy path", () => {
  it("runs a -> (b, c) -> d with b and c at the same time; one commit and one tag each; main untouched", async () => {
    const repo = await RunRepo.create([
      { id: "a", command: agent("agent-write-file.mjs", "a.txt", "from a") },
      // Each waits for the other's mark: they pass only if both run at once.
      { id: "b", deps: ["a"], command: agent("run-rendezvous.mjs", "b", "c", "b.txt", "from b") },
      { id: "c", deps: ["a"], command: agent("run-rendezvous.mjs", "c", "b", "c.txt", "from c") },
      { id: "d", deps: ["b", "c"], command: "test -f a.txt && test -f b.txt && test -f c.txt && echo from d > d.txt" },
    ]);
    const mainBefore = repo.git(["rev-parse", "refs/heads/main"]);
    const statusBefore = repo.git(["status", "--porcelain", "--untracked-files=all", "--", ".", ":(exclude).codex"]);

    const run = repo.start();
    const exit = await run.waitForExit();

    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    expect(run.finished()).toMatchObject({ exitCode: 0, snapshot: { counts: { completed: 4, failed: 0, blocked: 0 } }, waiting: [] });
    // Deps first: b and c start after a completed, d after both.
    const at = (type: string, task: string) => run.events.findIndex((e) => e.type === type && "task" in e && e.task === task);
    expect(at("task.assigned", "b")).toBeGreaterThan(at("task.completed", "a"));
    expect(at("task.assigned", "c")).toBeGreaterThan(at("task.completed", "a"));
    expect(at("task.assigned", "d")).toBeGreaterThan(Math.max(at("task.completed", "b"), at("task.completed", "c")));
    expect(run.of("task.assigned").map((e) => `${e.task}#${e.attempt}`).sort()).toEqual(["a#1", "b#1", "c#1", "d#1"]);

    // Exactly one commit with a Task: trailer per subtask on the integration branch, and exactly one tag on it.
    const commits = repo.taskCommits();
    expect([...commits.keys()].sort()).toEqual(["a", "b", "c", "d"]);
    for (const [task, shas] of commits) expect(shas, task).toHaveLength(1);
    const tags = repo.tags();
    expect([...tags.keys()].sort()).toEqual(["codex/task/a", "codex/task/b", "codex/task/c", "codex/task/d"]);
    for (const [task, shas] of commits) expect(tags.get(`codex/task/${task}`), task).toBe(shas[0]);
    for (const id of ["a", "b", "c", "d"]) {
      expect(repo.task(id)).toMatchObject({ status: "completed", attempt: 1, tag: `codex/task/${id}`, commit: commits.get(id)?.[0] });
    }
    // d saw its deps' files in its own worktree; the integration branch holds everyone's work.
    expect(repo.show("codex/integration", "a.txt")).toBe("from a\n");
    expect(repo.show("codex/integration", "b.txt")).toBe("from b\n");
    expect(repo.show("codex/integration", "c.txt")).toBe("from c\n");
    expect(repo.show("codex/task/d", "d.txt")).toBe("from d\n");

    // The person's checkout: still on main, same commit, same index and files.
    expect(repo.git(["symbolic-ref", "HEAD"])).toBe("refs/heads/main");
    expect(repo.git(["rev-parse", "refs/heads/main"])).toBe(mainBefore);
    expect(repo.git(["status", "--porcelain", "--untracked-files=all", "--", ".", ":(exclude).codex"])).toBe(statusBefore);
    for (const file of ["a.txt", "b.txt", "c.txt", "d.txt"]) expect(existsSync(path.join(repo.root, file)), file).toBe(false);
  });
});

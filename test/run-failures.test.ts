// codex-lead run when subtasks fail: the attempt cap, and two subtasks that edit the same lines.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { agent, RunRepo } from "./helpers/run-harness.js";

describe("codex-lead run: failures", () => {
  it("fails a task that always fails after max_attempts, with every attempt's reason; exit 3", async () => {
    const repo = await RunRepo.create([{ id: "bad", command: agent("run-fail.mjs") }], { max_attempts: 2 });
    const run = repo.start();
    const exit = await run.waitForExit();

    expect(exit, run.describe()).toEqual({ code: 3, signal: null });
    const task = repo.task("bad");
    expect(task).toMatchObject({ status: "failed", attempt: 2 });
    expect(task.attempts?.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, "failed"],
      [2, "failed"],
    ]);
    expect(task.attempts?.[0]?.reason).toContain("bad fails on purpose (attempt 1)");
    expect(task.attempts?.[1]?.reason).toContain("bad fails on purpose (attempt 2)");
    expect(task.error).toContain("attempt 1: failed:");
    expect(task.error).toContain("attempt 2: failed:");
    expect(run.of("task.retry").map((e) => e.attempt)).toEqual([1]);
    expect(run.of("task.failed").map((e) => e.attempt)).toEqual([2]);
    expect(run.finished()).toMatchObject({ exitCode: 3, snapshot: { counts: { failed: 1 } } });
    expect(run.finished().waiting).toEqual([`bad: failed (${task.reason})`]);
    expect(repo.tags().size).toBe(0);
  });

  /** x and y each change line 2 of shared.txt, from the same base and at the same time (each waits for the other). */
  async function sameLines(config: Record<string, unknown>): Promise<RunRepo> {
    const repo = await RunRepo.create(
      [
        { id: "x", command: agent("run-rendezvous.mjs", "x", "y", "shared.txt", "line 1\nline 2 by x\nline 3") },
        { id: "y", command: agent("run-rendezvous.mjs", "y", "x", "shared.txt", "line 1\nline 2 by y\nline 3") },
      ],
      config,
    );
    writeFileSync(path.join(repo.root, "shared.txt"), "line 1\nline 2\nline 3\n");
    repo.git(["add", "shared.txt"]);
    repo.git(["commit", "-q", "-m", "shared.txt"]);
    return repo;
  }

  it("retries the subtask merged second on the new base, with the conflict as feedback", async () => {
    const repo = await sameLines({ max_attempts: 2 });
    const run = repo.start();
    const exit = await run.waitForExit();

    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    const [first, second] = run.of("task.completed").map((e) => e.task);
    expect([first, second].sort()).toEqual(["x", "y"]);
    const tags = repo.tags();
    expect(repo.task(first ?? "")).toMatchObject({ status: "completed", attempt: 1 });
    expect(repo.task(first ?? "").attempts).toBeUndefined();
    const retried = repo.task(second ?? "");
    expect(retried).toMatchObject({ status: "completed", attempt: 2 });
    // The retry was assigned on the first one's checkpoint (the assignment names its base; a completed entry keeps none).
    const assignment = repo.inbox(second ?? "").messages.find((m) => m.kind === "assignment" && m.attempt === 2);
    expect(assignment?.base).toBe(tags.get(`codex/task/${first}`));
    expect(retried.attempts?.map((a) => [a.attempt, a.outcome])).toEqual([[1, "conflict"]]);
    expect(retried.attempts?.[0]?.reason).toContain("shared.txt");
    const feedback = repo.inbox(second ?? "").messages.filter((m) => m.kind === "feedback");
    expect(feedback).toHaveLength(1);
    expect(feedback[0]?.text).toContain("shared.txt");
    // The retry was made on top of the first one's work; both are on the integration branch, tagged once.
    expect(repo.show("codex/integration", "shared.txt")).toBe(`line 1\nline 2 by ${second}\nline 3\n`);
    expect([...tags.keys()].sort()).toEqual(["codex/task/x", "codex/task/y"]);
    const commits = repo.taskCommits();
    for (const id of ["x", "y"]) expect(commits.get(id), id).toEqual([tags.get(`codex/task/${id}`)]);
    expect(repo.git(["rev-list", "--count", `${tags.get(`codex/task/${first}`)}..${tags.get(`codex/task/${second}`)}`])).toBe("1");
  });

  it("blocks the subtask merged second, naming the conflicting file, when no attempt is left; exit 4", async () => {
    const repo = await sameLines({ max_attempts: 1 });
    const run = repo.start();
    const exit = await run.waitForExit();

    expect(exit, run.describe()).toEqual({ code: 4, signal: null });
    const [first] = run.of("task.completed").map((e) => e.task);
    const second = first === "x" ? "y" : "x";
    expect(run.of("task.completed")).toHaveLength(1);
    const blocked = repo.task(second);
    expect(blocked).toMatchObject({ status: "blocked", attempt: 1, reason: "conflict after 1 attempt: merge conflict with the integration branch in shared.txt" });
    expect(run.of("task.blocked").map((e) => [e.task, e.reason])).toEqual([[second, "conflict: merge conflict with the integration branch in shared.txt"]]);
    expect(run.finished()).toMatchObject({ exitCode: 4, waiting: [`${second}: blocked (${blocked.reason})`] });
    expect([...repo.tags().keys()]).toEqual([`codex/task/${first}`]);
    expect(repo.show("codex/integration", "shared.txt")).toBe(`line 1\nline 2 by ${first}\nline 3\n`);
    // The blocked attempt's work is kept on its branch.
    expect(repo.show(`codex/work/${second}/a1`, "shared.txt")).toBe(`line 1\nline 2 by ${second}\nline 3\n`);
  });
});

// The lead's own decisions without a run: backoff, what ends an attempt, and integration onto the branch.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { backoffMs, endAttemptBadly } from "../src/lead/attempts.js";
import { integrate, integrateBatch } from "../src/lead/integrate.js";
import { commitAll } from "../src/git/index.js";
import type { TaskState } from "../src/schema/progress.js";
import { git, tempRepo } from "./helpers/temp.js";

const config = { backoff: { initialMs: 1000, maxMs: 8000, factor: 2 }, maxAttempts: 3 };
const now = new Date("2026-11-21T10:00:00.000Z");

describe("backoff and attempt endings", () => {
  it("grows exponentially, is capped, and jitters between 50 % and 100 %", () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(config, a, () => 1))).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(backoffMs(config, 3, () => 0)).toBe(2000);
  });

  it("retries with not_before until max attempts, then fails with every reason", () => {
    const task: TaskState = { status: "in_progress", attempt: 1, assignee: "w1" };
    expect(endAttemptBadly(task, { attempt: 1, worker: "w1", outcome: "exited", reason: "killed by SIGKILL", now }, config, { random: () => 1 })).toBe("retry");
    expect(task).toMatchObject({ status: "not_started", assignee: null, not_before: "2026-11-21T10:00:01.000Z" });
    task.status = "in_progress";
    task.attempt = 3;
    expect(endAttemptBadly(task, { attempt: 3, worker: "w2", outcome: "stalled", reason: "no heartbeat", now }, config)).toBe("failed");
    expect(task.status).toBe("failed");
    expect(task.error).toBe("attempt 1: exited: killed by SIGKILL; attempt 3: stalled: no heartbeat");
    expect(task.attempts?.map((a) => [a.attempt, a.worker, a.outcome])).toEqual([[1, "w1", "exited"], [3, "w2", "stalled"]]);
  });

  it("a conflict past the cap blocks instead of failing", () => {
    const task: TaskState = { status: "in_progress", attempt: 3 };
    endAttemptBadly(task, { attempt: 3, outcome: "conflict", reason: "merge conflict in a.txt", now }, config, { finalStatus: "blocked" });
    expect([task.status, task.reason]).toEqual(["blocked", "conflict after 3 attempts: merge conflict in a.txt"]);
  });
});

/** A temp repository whose integration branch is at its first commit (`base`). */
function integrationRepo(): { repo: string; base: string } {
  const repo = tempRepo();
  const base = git(repo, ["rev-parse", "HEAD"]);
  git(repo, ["branch", "codex/integration", base]);
  return { repo, base };
}

/** A repo with an integration branch and a worker-style commit for `task`/`attempt` on its own branch. */
async function attemptCommit(repo: string, branch: string, base: string, file: string, content: string, task: string, attempt: number): Promise<string> {
  const worktree = path.join(repo, ".codex", `wt-${branch.replaceAll("/", "-")}`);
  git(repo, ["worktree", "add", "-q", "-b", branch, worktree, base]);
  writeFileSync(path.join(worktree, file), content);
  return commitAll(worktree, { message: `${task}: change ${file}`, trailers: { Task: task, Attempt: String(attempt), Worker: "w1" } });
}

describe("integrate", () => {
  it("fast-forwards, merges onto a moved head, tags each task once, and refuses a stale attempt's commit", async () => {
    const { repo, base } = integrationRepo();
    const a = await attemptCommit(repo, "codex/work/a/a1", base, "a.txt", "a\n", "a", 1);
    const b = await attemptCommit(repo, "codex/work/b/a1", base, "b.txt", "b\n", "b", 1);
    const request = { root: repo, integrationBranch: "codex/integration" };

    const first = await integrate({ ...request, task: "a", attempt: 1, commit: a });
    expect(first).toMatchObject({ ok: true, commit: a, tag: "codex/task/a", alreadyTagged: false });
    const second = await integrate({ ...request, task: "b", attempt: 1, commit: b, head: base /* stale on purpose */ });
    expect(second.ok).toBe(true);
    const head = git(repo, ["rev-parse", "codex/integration"]);
    expect(second.ok && second.commit).toBe(head);
    expect(git(repo, ["rev-parse", `${head}^`])).toBe(a);
    expect(git(repo, ["ls-tree", "--name-only", head]).split("\n").sort()).toEqual(["README.md", "a.txt", "b.txt"]);
    expect(git(repo, ["log", "-1", "--format=%(trailers:key=Task,valueonly)", head])).toBe("b");

    const again = await integrate({ ...request, task: "b", attempt: 1, commit: b });
    expect(again).toMatchObject({ ok: true, alreadyTagged: true, commit: head });
    expect(git(repo, ["rev-parse", "codex/integration"])).toBe(head);
    expect(git(repo, ["tag", "-l", "codex/task/*"]).split("\n")).toEqual(["codex/task/a", "codex/task/b"]);

    const stale = await attemptCommit(repo, "codex/work/c/a1", head, "c.txt", "c\n", "c", 1);
    expect(await integrate({ ...request, task: "c", attempt: 2, commit: stale })).toEqual({
      ok: false,
      kind: "refused",
      reason: `commit ${stale.slice(0, 12)} carries Task: c, Attempt: 1, not c attempt 2`,
    });
    expect(git(repo, ["rev-parse", "codex/integration"])).toBe(head);
  });

  it("reports the conflicting files and moves nothing when the same lines changed", async () => {
    const { repo, base } = integrationRepo();
    const x = await attemptCommit(repo, "codex/work/x/a1", base, "README.md", "x wins\n", "x", 1);
    const y = await attemptCommit(repo, "codex/work/y/a1", base, "README.md", "y wins\n", "y", 1);
    const request = { root: repo, integrationBranch: "codex/integration" };
    expect((await integrate({ ...request, task: "x", attempt: 1, commit: x })).ok).toBe(true);
    expect(await integrate({ ...request, task: "y", attempt: 1, commit: y })).toEqual({ ok: false, kind: "conflict", conflicts: ["README.md"] });
    expect(git(repo, ["rev-parse", "codex/integration"])).toBe(x);
    expect(git(repo, ["tag", "-l", "codex/task/*"])).toBe("codex/task/x");
  });
});

describe("integrateBatch", () => {
  it("merges several hand-offs in one ref transaction, leaving out a conflict and a stale commit", async () => {
    const { repo, base } = integrationRepo();
    const a = await attemptCommit(repo, "codex/work/a/a1", base, "a.txt", "a\n", "a", 1);
    const b = await attemptCommit(repo, "codex/work/b/a1", base, "b.txt", "b\n", "b", 1);
    const c = await attemptCommit(repo, "codex/work/c/a1", base, "a.txt", "c wins\n", "c", 1);
    const d = await attemptCommit(repo, "codex/work/d/a1", base, "d.txt", "d\n", "d", 1);
    const handoffs = [
      { task: "a", attempt: 1, commit: a },
      { task: "b", attempt: 1, commit: b },
      { task: "c", attempt: 1, commit: c },
      { task: "d", attempt: 2, commit: d },
    ];
    const results = await integrateBatch({ root: repo, integrationBranch: "codex/integration", handoffs, head: base });
    const head = git(repo, ["rev-parse", "codex/integration"]);
    expect(results.get("a")).toEqual({ ok: true, commit: a, tag: "codex/task/a", alreadyTagged: false, head });
    expect(results.get("b")).toEqual({ ok: true, commit: head, tag: "codex/task/b", alreadyTagged: false, head });
    expect(results.get("c")).toEqual({ ok: false, kind: "conflict", conflicts: ["a.txt"] });
    expect(results.get("d")).toMatchObject({ ok: false, kind: "refused" });
    expect(git(repo, ["rev-parse", `${head}^`])).toBe(a);
    expect(git(repo, ["log", "-1", "--format=%an|%(trailers:key=Task,valueonly)", head])).toBe(`${git(repo, ["log", "-1", "--format=%an", b])}|b`);
    expect(git(repo, ["tag", "-l", "codex/task/*"]).split("\n")).toEqual(["codex/task/a", "codex/task/b"]);
    expect(git(repo, ["ls-tree", "--name-only", head]).split("\n").sort()).toEqual(["README.md", "a.txt", "b.txt"]);
    // Exactly one move of the branch for the whole batch.
    expect(git(repo, ["reflog", "show", "--format=%H", "refs/heads/codex/integration"]).split("\n")).toHaveLength(2);
  });

  it("falls back to one at a time when the head moved or a task is already tagged", async () => {
    const { repo, base } = integrationRepo();
    const a = await attemptCommit(repo, "codex/work/a/a1", base, "a.txt", "a\n", "a", 1);
    const b = await attemptCommit(repo, "codex/work/b/a1", base, "b.txt", "b\n", "b", 1);
    const request = { root: repo, integrationBranch: "codex/integration" };
    expect((await integrate({ ...request, task: "a", attempt: 1, commit: a })).ok).toBe(true); // landed before a crash
    const results = await integrateBatch({ ...request, handoffs: [{ task: "a", attempt: 1, commit: a }, { task: "b", attempt: 1, commit: b }], head: base });
    const head = git(repo, ["rev-parse", "codex/integration"]);
    expect(results.get("a")).toMatchObject({ ok: true, commit: a, alreadyTagged: true });
    expect(results.get("b")).toMatchObject({ ok: true, commit: head, alreadyTagged: false });
    expect(git(repo, ["rev-parse", `${head}^`])).toBe(a);
    expect(git(repo, ["tag", "-l", "codex/task/*"]).split("\n")).toEqual(["codex/task/a", "codex/task/b"]);
  });
});

// The lead's changes to progress.json on assignment and completion, as pure functions on a draft.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { markAssigned, markCompleted } from "../src/lead/progress-changes.js";
import { buildPlan } from "../src/plan/plan.js";
import type { ProgressFile } from "../src/schema/progress.js";

const plan = buildPlan({
  features: [
    {
      id: "auth",
      feature: "Auth",
      subtasks: [
        { id: "model", name: "Model", command: "true" },
        { id: "api", name: "API", deps: ["model"], command: "true" },
      ],
    },
  ],
});
const now = new Date("2026-11-21T10:00:00.000Z");
const idleWorker = (id: string) => ({ status: "idle" as const, task: null, attempt: null, pid: 10, host: "h", started_at: now.toISOString(), updated_at: now.toISOString(), worktree: undefined as string | undefined });
const context = { base: "abc123", worktreesDir: "/repo/.codex/worktrees", now };

function progress(): ProgressFile {
  return {
    tasks: { model: { status: "not_started", attempt: 1, reason: "retrying after attempt 1 exited: boom", not_before: "2026-11-21T09:59:00.000Z" }, api: { status: "not_started" } },
    workers: { w1: idleWorker("w1"), w2: idleWorker("w2") },
  };
}

describe("markAssigned", () => {
  it("puts the task in progress with its attempt, base, branch and worktree, and makes the worker busy on it", () => {
    const draft = progress();
    const assigned = markAssigned(draft, plan, [{ id: "model", workerId: "w1", attempt: 2 }], context);
    expect([...assigned]).toEqual(["model"]);
    expect(draft.tasks.model).toMatchObject({
      status: "in_progress",
      assignee: "w1",
      attempt: 2,
      base: "abc123",
      branch: "codex/work/model/a2",
      worktree: path.join("/repo/.codex/worktrees", "w1"),
      started_at: now.toISOString(),
      not_before: null,
      detail: "assigned",
    });
    expect(draft.tasks.model?.reason).toBeUndefined();
    expect(draft.workers?.w1).toMatchObject({ status: "busy", task: "model", attempt: 2 });
  });

  it("skips offers that went stale: the task moved on, the worker is taken, or a dep is not completed", () => {
    const draft = progress();
    draft.workers!.w2 = { ...idleWorker("w2"), status: "busy", task: "other", attempt: 1 };
    const before = structuredClone(draft);
    const assigned = markAssigned(
      draft,
      plan,
      [
        { id: "model", workerId: "w1", attempt: 1 }, // attempt 1 already happened
        { id: "model", workerId: "w2", attempt: 2 }, // w2 is busy
        { id: "api", workerId: "w1", attempt: 1 }, // model is not completed
      ],
      context,
    );
    expect(assigned.size).toBe(0);
    expect(draft).toEqual(before);
  });
});

describe("markCompleted", () => {
  it("completes the task with its commit and tag, frees its worker, and tells what was newly completed", () => {
    const draft = progress();
    draft.tasks.model = { status: "in_progress", attempt: 2, assignee: "w1", started_at: "2026-11-21T09:58:00.000Z", base: "b4se", branch: "codex/work/model/a2", worktree: "/w/w1", not_before: null, handoff: { attempt: 2, outcome: "succeeded", commit: "c0ffee", at: now.toISOString() }, detail: "done" };
    draft.tasks.api = { status: "completed", attempt: 1, commit: "old", tag: "codex/task/api" };
    draft.workers!.w1 = { ...idleWorker("w1"), status: "busy", task: "model", attempt: 2 };
    const marks = markCompleted(
      draft,
      [
        { id: "model", attempt: 2, worker: "w1", commit: "c0ffee", tag: "codex/task/model" },
        { id: "api", attempt: 1, worker: undefined, commit: "old", tag: "codex/task/api" },
        { id: "gone", attempt: 1, worker: undefined, commit: "x", tag: "codex/task/gone" },
      ],
      now,
    );
    expect([...marks.newlyCompleted]).toEqual(["model"]);
    expect(draft.tasks.model).toMatchObject({ status: "completed", commit: "c0ffee", tag: "codex/task/model", percent: 100, completed_at: now.toISOString() });
    // What only mattered while the attempt ran is gone: every later write of progress.json would carry it.
    for (const key of ["assignee", "handoff", "detail", "base", "branch", "worktree", "not_before"] as const) expect(draft.tasks.model?.[key], key).toBeUndefined();
    expect(draft.workers?.w1).toMatchObject({ status: "idle", task: null, attempt: null });
    expect(draft.tasks.gone).toBeUndefined();
  });

  it("records a landed attempt's usage in attempts[] only beside earlier attempts: a lone first attempt's is the task's usage", () => {
    const usage = { input_tokens: 700, cached_input_tokens: 0, output_tokens: 25, reasoning_tokens: 0, calls: 1, credits: 1 };
    const draft = progress();
    draft.tasks.model = { status: "in_progress", attempt: 1, assignee: "w1", usage };
    draft.tasks.api = { status: "in_progress", attempt: 2, assignee: "w2", usage: { ...usage, calls: 2 }, attempts: [{ attempt: 1, worker: "w1", outcome: "exited", reason: "SIGKILL", at: now.toISOString(), usage }] };
    markCompleted(
      draft,
      [
        { id: "model", attempt: 1, worker: "w1", commit: "c1", tag: "codex/task/model", usage },
        { id: "api", attempt: 2, worker: "w2", commit: "c2", tag: "codex/task/api", usage },
      ],
      now,
    );
    expect(draft.tasks.model?.attempts).toBeUndefined();
    expect(draft.tasks.model?.usage).toEqual(usage);
    expect(draft.tasks.api?.attempts?.map((a) => a.outcome)).toEqual(["exited", "completed"]);
    expect(draft.tasks.api?.attempts?.[1]).toMatchObject({ attempt: 2, worker: "w2", usage });
  });
});

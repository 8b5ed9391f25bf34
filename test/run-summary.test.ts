// The run's view of its files, without running anything: counts, running, the ETA estimate, what waits on what.
import { describe, expect, it } from "vitest";
import { describeWaiting, runSnapshot, withoutMirror } from "../src/lead/run-summary.js";
import { buildPlan } from "../src/plan/plan.js";

const plan = buildPlan({
  features: [
    {
      id: "f",
      feature: "F",
      subtasks: [
        { id: "a", name: "A" },
        { id: "b", name: "B", deps: ["a"] },
        { id: "c", name: "C", deps: ["b"] },
        { id: "d", name: "D" },
        { id: "e", name: "E", deps: ["d"] },
      ],
    },
  ],
});
const progress = {
  tasks: {
    a: { status: "completed" as const },
    b: { status: "in_progress" as const, assignee: "w1", attempt: 2, started_at: "2026-11-21T10:00:00.000Z" },
    d: { status: "failed" as const, reason: "exited after 3 attempts: boom" },
  },
};

describe("runSnapshot", () => {
  it("counts every plan task (missing ones as not_started), lists the running, and estimates only once something finished", () => {
    const now = Date.parse("2026-11-21T10:00:05.000Z");
    const first = runSnapshot(plan, progress, { elapsedMs: 5000, workers: 2, paused: undefined }, now);
    expect(first).toEqual({
      counts: { not_started: 2, in_progress: 1, blocked: 0, completed: 1, failed: 1 },
      total: 5,
      running: [{ task: "b", worker: "w1", attempt: 2, sinceMs: 5000 }],
      elapsedMs: 5000,
      etaMs: undefined,
      paused: undefined,
    });
    // a took 10 s: b (running 5 s) needs 5 s more, then c 10 s; e waits on the failed d and is left out.
    const measured = { ...progress, tasks: { ...progress.tasks, a: { status: "completed" as const, started_at: "2026-11-21T09:59:50.000Z", completed_at: "2026-11-21T10:00:00.000Z" } } };
    expect(runSnapshot(plan, measured, { elapsedMs: 5000, workers: 2, paused: "x" }, now)).toMatchObject({ etaMs: 15_000, paused: "x" });
  });
});

describe("describeWaiting", () => {
  it("names blocked/failed with their reason and what each waiting task waits on", () => {
    expect(describeWaiting(plan, progress)).toEqual([
      "b: in_progress",
      "c: not_started, waits on b",
      "d: failed (exited after 3 attempts: boom)",
      "e: not_started, waits on d",
    ]);
  });
});

describe("withoutMirror", () => {
  it("ignores the lead's mirror fields and nothing else", () => {
    const base = { features: [{ id: "f", feature: "F", subtasks: [{ id: "a", name: "A" }] }] };
    const mirrored = { ...base, overall_progress: "0%", features: [{ ...base.features[0], blockers: [], subtasks: [{ id: "a", name: "A", status: "completed" }] }] };
    expect(withoutMirror(mirrored)).toBe(withoutMirror(base));
    expect(withoutMirror({ features: [{ id: "f", feature: "F", subtasks: [{ id: "a", name: "A2" }] }] })).not.toBe(withoutMirror(base));
  });
});

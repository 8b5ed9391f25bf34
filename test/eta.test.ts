// The ETA from measured durations per agent profile over the remaining critical path, and the subtasks a completion made ready.
import { describe, expect, it } from "vitest";
import { estimateEta, madeReady } from "../src/metrics/eta.js";
import { pipelineSummary } from "../src/ops/summary.js";
import { buildPlan } from "../src/plan/plan.js";
import { renderStatus } from "../src/report/status-text.js";
import type { ProgressFile } from "../src/schema/progress.js";

// Two profiles: the default (shell) takes 1 minute, codex 10 minutes. x and y are the measured ones.
const plan = buildPlan({
  features: [
    {
      id: "f",
      feature: "F",
      subtasks: [
        { id: "x", name: "X" },
        { id: "y", name: "Y", agent: "codex" },
        { id: "s1", name: "S1", deps: ["x"] },
        { id: "s2", name: "S2", deps: ["s1"] },
        { id: "c1", name: "C1", deps: ["y"], agent: "codex" },
        { id: "late", name: "Late", deps: ["x", "y"] },
      ],
    },
  ],
});
const at = (minute: number): string => new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString();
const progress: ProgressFile = {
  tasks: {
    x: { status: "completed", started_at: at(0), completed_at: at(1) },
    y: { status: "completed", started_at: at(0), completed_at: at(10) },
  },
};
const now = Date.parse(at(10));

describe("estimateEta", () => {
  it("takes each profile's own measured duration: the codex subtask, not the two shell ones in a row, is the critical path", () => {
    // Flat average (5.5 min) x 4 remaining / 2 workers would say 11 min; by profile: c1 10 min, s1→s2 2 min, late 1 min.
    expect(estimateEta(plan, progress, 2, now)).toEqual({ ms: 600_000, criticalPath: ["c1"], criticalPathMs: 600_000, measured: 2 });
  });

  it("takes the work spread over the workers when that is longer than the critical path", () => {
    // 10 + 1 + 1 + 1 = 13 minutes of work on one worker.
    expect(estimateEta(plan, progress, 1, now)?.ms).toBe(780_000);
  });

  it("counts what a running subtask has done, and leaves out what waits on a failed one", () => {
    const running: ProgressFile = {
      tasks: { ...progress.tasks, c1: { status: "in_progress", started_at: at(4) }, s1: { status: "failed", error: "boom" } },
    };
    // c1 has run 6 of its 10 minutes; s2 waits on the failed s1; late needs 1 minute.
    expect(estimateEta(plan, running, 2, now)).toEqual({ ms: 240_000, criticalPath: ["c1"], criticalPathMs: 240_000, measured: 2 });
  });

  it("gives no estimate before anything completed", () => {
    expect(estimateEta(plan, { tasks: {} }, 2, now)).toBeNull();
  });
});

describe("madeReady and status", () => {
  it("names each ready subtask with the completion that freed it", () => {
    expect(madeReady(plan, progress)).toEqual([
      { id: "s1", after: "x" },
      { id: "c1", after: "y" },
      { id: "late", after: "y" },
    ]);
  });

  it("status shows the ready subtasks and the ETA as an estimate", () => {
    const text = renderStatus(pipelineSummary(plan, progress, new Date(now)), { color: false });
    expect(text).toContain("Ready to start\n  s1    ready since x completed\n  c1    ready since y completed\n  late  ready since y completed\n");
    // No worker is registered and no count given: the work is spread over one.
    expect(text).toContain("ETA: ~13m 00s (an estimate from 2 measured subtasks, per agent profile; critical path c1)\n");
  });

  it("without live workers, status spreads the work over as many workers as a run would start", () => {
    const text = renderStatus(pipelineSummary(plan, progress, new Date(now), { workers: 2 }), { color: false });
    expect(text).toContain("ETA: ~10m 00s (an estimate from 2 measured subtasks, per agent profile; critical path c1)\n");
  });
});

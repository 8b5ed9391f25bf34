// The renderers: report markdown, status text and JSON, and the mirror in features.json, compared as exact strings.
import { describe, expect, it } from "vitest";
import { pipelineSummary } from "../src/ops/summary.js";
import { buildPlan } from "../src/plan/plan.js";
import { refreshMirror } from "../src/report/mirror.js";
import { renderReport } from "../src/report/report-markdown.js";
import { renderStatus, statusJson } from "../src/report/status-text.js";
import { FeaturesFile } from "../src/schema/features.js";
import type { ProgressFile } from "../src/schema/progress.js";

const FEATURES: FeaturesFile = {
  features: [
    {
      id: "auth",
      feature: "User authentication",
      subtasks: [
        { id: "auth-model", name: "Create User model" },
        { id: "auth-login", name: "Add login endpoint", deps: ["auth-model"] },
        { id: "auth-jwt", name: "Add JWT middleware", deps: ["auth-model"], budget: 4 },
      ],
    },
    { id: "docs", feature: "Docs", subtasks: [{ id: "docs-api", name: "API docs", deps: ["auth-login"] }, { id: "docs-readme", name: "README" }] },
  ],
};

const PROGRESS: ProgressFile = {
  tasks: {
    "auth-model": { status: "completed", completed_at: "2026-01-01T10:00:00Z", updated_at: "2026-01-01T10:00:00Z" },
    "auth-login": {
      status: "failed",
      error: "tests fail",
      attempts: [
        { attempt: 1, outcome: "failed", at: "2026-01-01T10:10:00Z" },
        { attempt: 2, outcome: "failed", at: "2026-01-01T10:20:00Z" },
      ],
      updated_at: "2026-01-01T10:20:00Z",
    },
    "auth-jwt": {
      status: "in_progress",
      assignee: "w1",
      attempt: 1,
      started_at: "2026-01-01T10:25:00Z",
      updated_at: "2026-01-01T10:29:50Z",
      percent: 60,
      detail: "writing tests",
      usage: { input_tokens: 1200, output_tokens: 300, credits: 1.5 },
    },
    "docs-readme": { status: "blocked", reason: "waiting for a person" },
  },
  workers: {
    w1: { status: "busy", task: "auth-jwt", attempt: 1, pid: 4242, host: "box", started_at: "2026-01-01T10:00:00Z", updated_at: "2026-01-01T10:29:58Z" },
  },
};

const NOW = new Date("2026-01-01T10:30:00Z");
const plan = buildPlan(FEATURES);

describe("renderReport", () => {
  it("renders the seed-001 report grouped by feature", () => {
    expect(renderReport(plan, PROGRESS, NOW)).toBe(`## Progress Report

**Overall**: 1/5 tasks (20%)

### Completed

**User authentication**
- ✓ Create User model (\`auth-model\`)

### In Progress

**User authentication**
- → Add JWT middleware (\`auth-jwt\`) — 60%, writing tests

### Remaining

**User authentication**
- ○ Add login endpoint (\`auth-login\`) — failed

**Docs**
- ○ API docs (\`docs-api\`)
- ○ README (\`docs-readme\`) — blocked

### Blockers

- \`auth-login\` failed: tests fail
- \`docs-readme\` blocked: waiting for a person
- \`docs-api\` waits on \`auth-login\`

**Usage**: 1.5 credits (1200 input, 300 output tokens) over 1 subtask

**Last updated**: 2026-01-01 10:29 UTC
`);
  });

  it("says None for empty sections and uses now when nothing happened yet", () => {
    expect(renderReport(buildPlan({ features: [{ id: "f", feature: "F", subtasks: [{ id: "a", name: "A" }] }] }), { tasks: {} }, NOW)).toBe(`## Progress Report

**Overall**: 0/1 tasks (0%)

### Completed

None

### In Progress

None

### Remaining

**F**
- ○ A (\`a\`)

### Blockers

None

**Last updated**: 2026-01-01 10:30 UTC
`);
  });
});

describe("renderStatus", () => {
  const summary = pipelineSummary(plan, PROGRESS, NOW);

  it("renders counts, running, blocked, failed, waiting, workers and usage as plain text", () => {
    expect(renderStatus(summary, { color: false })).toBe(`5 tasks, 20% completed: 1 completed, 1 in progress, 1 not started, 1 blocked, 1 failed

Running
  auth-jwt  attempt 1 on w1  running 5m 00s  60%  last activity 10s ago  writing tests

Blocked
  docs-readme  waiting for a person

Failed
  auth-login  tests fail (after 2 attempts)

Waiting
  docs-api  waits on auth-login

Workers
  w1  busy  auth-jwt  pid 4242 on box  last update 2s ago

Usage by subtask
  auth-jwt  1.5 credits, 1200/300 tokens in/out

Usage: 1200 input tokens, 300 output tokens, 1.5 credits of a 4-credit budget
Last updated: 2026-01-01T10:29:58Z
`);
  });

  it("colours the counts only when asked", () => {
    const first = renderStatus(summary, { color: true }).split("\n")[0];
    expect(first).toBe(
      "5 tasks, 20% completed: \u001b[32m1 completed\u001b[0m, \u001b[36m1 in progress\u001b[0m, \u001b[2m1 not started\u001b[0m, \u001b[33m1 blocked\u001b[0m, \u001b[31m1 failed\u001b[0m",
    );
    expect(renderStatus(summary, { color: false })).not.toContain("\u001b[");
  });

  it("renders an empty state", () => {
    expect(renderStatus(pipelineSummary(null, { tasks: {} }, NOW), { color: false })).toBe(`0 tasks, 0% completed: 0 completed, 0 in progress, 0 not started, 0 blocked, 0 failed

Usage: 0 input tokens, 0 output tokens, 0 credits
Last updated: never
`);
  });

  it("gives the same summary as JSON", () => {
    const parsed = JSON.parse(statusJson(summary)) as { counts: unknown; percentCompleted: number; now: string };
    expect(parsed.counts).toEqual({ not_started: 1, in_progress: 1, blocked: 1, completed: 1, failed: 1 });
    expect(parsed.percentCompleted).toBe(20);
    expect(parsed.now).toBe("2026-01-01T10:30:00.000Z");
    expect(statusJson(summary).endsWith("}\n")).toBe(true);
  });
});

describe("refreshMirror", () => {
  it("fills status, overall_progress, blockers and last_updated without touching the plan (no error text: features.json is committed)", () => {
    const mirrored = refreshMirror(FEATURES, PROGRESS);
    expect(mirrored.features.map((feature) => feature.subtasks.map((subtask) => subtask.status))).toEqual([
      ["completed", "failed", "in_progress"],
      ["not_started", "blocked"],
    ]);
    expect(mirrored.features.map(({ overall_progress, blockers, last_updated }) => ({ overall_progress, blockers, last_updated }))).toEqual([
      { overall_progress: "33%", blockers: ["auth-login: failed after 2 attempts: failed (see `codex-lead status`)"], last_updated: "2026-01-01T10:29:50Z" },
      { overall_progress: "0%", blockers: ["docs-readme: blocked (waiting for a person)"], last_updated: undefined },
    ]);
    expect([mirrored.overall_progress, mirrored.blockers, mirrored.last_updated]).toEqual([
      "20%",
      ["auth-login: failed after 2 attempts: failed (see `codex-lead status`)", "docs-readme: blocked (waiting for a person)"],
      "2026-01-01T10:29:50Z",
    ]);
    expect(FEATURES.features[0]?.subtasks[0]?.status).toBeUndefined();
    expect(FeaturesFile.safeParse(mirrored).success).toBe(true);
  });

  it("gives identical output for an unchanged state, so the lead writes nothing", () => {
    const once = refreshMirror(FEATURES, PROGRESS);
    expect(refreshMirror(once, PROGRESS)).toEqual(once);
  });
});

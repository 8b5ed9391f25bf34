// Metrics on a recorded events.jsonl whose figures were worked out by hand (test/fixtures/metrics/).
import { copyFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { computeMetrics } from "../src/metrics/compute-metrics.js";
import { parseSince } from "../src/metrics/load-metrics.js";
import { percentile } from "../src/metrics/percentile.js";
import { buildPlan } from "../src/plan/plan.js";
import { EventLine } from "../src/schema/events.js";
import { FeaturesFile } from "../src/schema/features.js";
import { runLead } from "./helpers/lead-cli.js";
import { repoRoot, tempRepo } from "./helpers/temp.js";

const FIXTURE = path.join(repoRoot, "test", "fixtures", "metrics");
const plan = buildPlan(FeaturesFile.parse(JSON.parse(readFileSync(path.join(FIXTURE, "features.json"), "utf8"))));
const events = readFileSync(path.join(FIXTURE, "events.jsonl"), "utf8")
  .split("\n")
  .flatMap((line) => {
    try {
      return [EventLine.parse(JSON.parse(line))];
    } catch {
      return [];
    }
  });

describe("computeMetrics on the recorded log", () => {
  const m = computeMetrics(events, plan, { defaultAgent: "shell" });

  it("counts tasks by their last status and completions per hour of the window", () => {
    expect(m.window).toEqual({ from: "2026-01-01T10:00:00.000Z", to: "2026-01-01T10:06:00.000Z", hours: 0.1, events: 29 });
    expect(m.tasks).toEqual({ completed: 3, failed: 1, blocked: 1, seen: 5 });
    expect(m.throughput_per_hour).toBe(30);
  });

  it("counts attempts per task and retries by the outcome that ended them", () => {
    expect(m.attempts).toEqual({ tasks: 5, total: 7, mean: 1.4, max: 2, retries: { failed: 1, stalled: 1 } });
  });

  it("sums credits per task from the hand-offs, and the planner's (written or refused plans) apart", () => {
    expect(m.credits).toEqual({ tasks: 5, mean: 24, max: 40, total: 130, planner: 10 });
  });

  it("gives latency per agent profile and per feature from the completing attempts", () => {
    expect(m.latency.by_profile).toEqual({
      codex: { count: 2, p50_ms: 120_000, p95_ms: 174_000 },
      shell: { count: 1, p50_ms: 120_000, p95_ms: 120_000 },
    });
    expect(m.latency.by_feature).toEqual({
      api: { count: 2, p50_ms: 120_000, p95_ms: 174_000 },
      docs: { count: 1, p50_ms: 120_000, p95_ms: 120_000 },
    });
  });

  it("measures the time ready attempts waited for a worker", () => {
    expect(m.waiting).toEqual({ attempts: 7, total_ms: 20_000, p50_ms: 2000, p95_ms: 6000 });
  });

  it("gives the review pass rate", () => {
    expect(m.review).toEqual({ verdicts: 4, passed: 3, failed: 1, pass_rate: 0.75 });
  });

  it("leaves out events before --since", () => {
    const late = computeMetrics(events, plan, { defaultAgent: "shell", since: new Date("2026-01-01T10:05:00Z") });
    expect(late.tasks).toEqual({ completed: 1, failed: 0, blocked: 1, seen: 2 });
    expect(late.window.events).toBe(6);
    expect(late.credits.total).toBe(70);
  });
});

describe("percentile and --since", () => {
  it("uses the nearest rank", () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([], 50)).toBeNull();
  });

  it("reads an ISO time or a duration before now, and refuses anything else", () => {
    const now = new Date("2026-01-01T12:00:00Z");
    expect(parseSince("2h", now).toISOString()).toBe("2026-01-01T10:00:00.000Z");
    expect(parseSince("2026-01-01T11:30:00Z", now).toISOString()).toBe("2026-01-01T11:30:00.000Z");
    expect(() => parseSince("yesterday", now)).toThrow(/--since yesterday: not a time/);
  });
});

describe("codex-lead metrics", () => {
  const repo = tempRepo();
  copyFileSync(path.join(FIXTURE, "features.json"), path.join(repo, ".codex", "features.json"));
  copyFileSync(path.join(FIXTURE, "events.jsonl"), path.join(repo, ".codex", "events.jsonl"));

  it("prints the figures as JSON, with the torn last line counted as skipped", () => {
    const result = runLead(repo, ["metrics", "--json"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const json = JSON.parse(result.stdout) as { tasks: unknown; credits: { total: number }; skipped_lines: number };
    expect(json.tasks).toEqual({ completed: 3, failed: 1, blocked: 1, seen: 5 });
    expect(json.credits.total).toBe(130);
    expect(json.skipped_lines).toBe(1);
  });

  it("prints them as text for people", () => {
    const result = runLead(repo, ["metrics", "--since", "2026-01-01T10:00:00Z"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Tasks: 3 completed, 1 failed, 1 blocked (5 seen)\n");
    expect(result.stdout).toContain("Retries by reason: 1 failed, 1 stalled\n");
    expect(result.stdout).toContain("  codex  p50 2m 00s  p95 2m 54s  (2 completed)\n");
    expect(result.stdout).toContain("Review: 3 passed, 1 failed (pass rate 75%)\n");
  });

  it("report ends with a short metrics section", () => {
    const result = runLead(repo, ["report"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      "### Metrics\n\n- Throughput: 30 subtasks per hour\n- Attempts per subtask: mean 1.4, max 2; retries: 1 failed, 1 stalled\n- Credits: 130 in all, mean 24 per subtask\n",
    );
    expect(result.stdout).toContain("- Review pass rate: 75%\n");
  });

  it("refuses a --since that is not a time, with exit 2", () => {
    const result = runLead(repo, ["metrics", "--since", "soon"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--since soon: not a time");
  });
});

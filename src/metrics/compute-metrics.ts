// Run metrics computed from events.jsonl alone (plus the plan, to name each task's agent profile and feature):
// a pure function of the events, so a recorded log gives the same figures every time.
import type { Plan } from "../plan/plan.js";
import type { EventLine } from "../schema/events.js";
import { maxOf, mean, percentile, round2, sumOf } from "./percentile.js";

/** The event types whose `data.usage.credits` is charged to their task: the hand-off carries agent and reviewer usage. */
export const TASK_USAGE_EVENTS: ReadonlySet<string> = new Set(["attempt.handoff"]);
/** The events the planner appends after planning (`data.usage`), written or not: counted apart from the tasks. */
export const PLAN_EVENTS: ReadonlySet<string> = new Set(["plan.generated", "plan.refused"]);
/** The event the worker appends for each reviewer verdict (`data.verdict`: pass | fail). */
export const REVIEW_EVENT = "review.verdict";

export interface LatencyFigures {
  count: number;
  p50_ms: number | null;
  p95_ms: number | null;
}

export interface Metrics {
  window: { from: string | null; to: string | null; hours: number; events: number };
  tasks: { completed: number; failed: number; blocked: number; seen: number };
  throughput_per_hour: number | null;
  attempts: { tasks: number; total: number; mean: number | null; max: number | null; retries: Record<string, number> };
  credits: { tasks: number; mean: number | null; max: number | null; total: number; planner: number };
  latency: { by_profile: Record<string, LatencyFigures>; by_feature: Record<string, LatencyFigures> };
  waiting: { attempts: number; total_ms: number; p50_ms: number | null; p95_ms: number | null };
  review: { verdicts: number; passed: number; failed: number; pass_rate: number | null };
}

export interface MetricsOptions {
  /** Events before this instant are left out. */
  since?: Date | undefined;
  /** The profile of subtasks that name none (config `agent`). */
  defaultAgent: string;
}

const NOT_IN_PLAN = "(not in plan)";

interface Attempt {
  task: string;
  attempt: number;
  start: number;
  end?: number;
  outcome?: string;
}

function credits(event: EventLine): number {
  const usage = event.data?.["usage"];
  if (!usage || typeof usage !== "object") return 0;
  const value = (usage as Record<string, unknown>)["credits"];
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** The outcome word of an attempt's end reason ("stalled: silent for 61s" → "stalled"). */
function outcomeOf(reason: string | undefined): string {
  const word = reason?.split(":")[0]?.trim();
  return word ? word : "unknown";
}

function latency(values: number[]): LatencyFigures {
  return { count: values.length, p50_ms: percentile(values, 50), p95_ms: percentile(values, 95) };
}

function push<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function computeMetrics(all: readonly EventLine[], plan: Plan | null, options: MetricsOptions): Metrics {
  const since = options.since?.getTime();
  const events = all.filter((event) => since === undefined || Date.parse(event.ts) >= since);
  const times = events.map((event) => Date.parse(event.ts)).filter((ms) => !Number.isNaN(ms));
  const from = times.length > 0 ? Math.min(...times) : null;
  const to = times.length > 0 ? Math.max(...times) : null;
  const windowStart = since ?? from;
  const hours = windowStart !== null && to !== null ? Math.max(0, to - windowStart) / 3_600_000 : 0;

  const lastStatus = new Map<string, string>();
  const attempts = new Map<string, Attempt>();
  const attemptsOf = new Map<string, Attempt[]>();
  const completedAt = new Map<string, number>();
  const retries: Record<string, number> = {};
  const creditsOf = new Map<string, number>();
  const waits: number[] = [];
  let runStart: number | undefined;
  let planner = 0;
  let passed = 0;
  let failed = 0;

  for (const event of events) {
    const at = Date.parse(event.ts);
    if (event.type === "run.started") runStart = at;
    if (PLAN_EVENTS.has(event.type)) planner += credits(event);
    if (event.type === REVIEW_EVENT) {
      const verdict = event.data?.["verdict"];
      if (verdict === "pass") passed++;
      else if (verdict === "fail") failed++;
    }
    const task = event.task;
    if (!task) continue;
    if (TASK_USAGE_EVENTS.has(event.type)) creditsOf.set(task, (creditsOf.get(task) ?? 0) + credits(event));
    if (event.type !== "task.status" || !event.to) continue;
    lastStatus.set(task, event.to);
    if (event.to === "in_progress" && event.attempt !== undefined) {
      const started: Attempt = { task, attempt: event.attempt, start: at };
      const earlier = attemptsOf.get(task) ?? [];
      // Ready when the run started, every dep completed, and the task's previous attempt ended (backoff included).
      const readyAt = Math.max(
        runStart ?? Number.NEGATIVE_INFINITY,
        ...(plan?.byId.get(task)?.deps ?? []).map((dep) => completedAt.get(dep) ?? Number.NEGATIVE_INFINITY),
        ...earlier.map((a) => a.end ?? Number.NEGATIVE_INFINITY),
      );
      if (Number.isFinite(readyAt)) waits.push(Math.max(0, at - readyAt));
      attempts.set(`${task}#${event.attempt}`, started);
      attemptsOf.set(task, [...earlier, started]);
      continue;
    }
    if (event.to === "completed") completedAt.set(task, at);
    if (event.from !== "in_progress") continue;
    // A completion logged again by recovery names no attempt: it ends the task's latest open attempt.
    const open = event.attempt !== undefined ? attempts.get(`${task}#${event.attempt}`) : attemptsOf.get(task)?.findLast((a) => a.end === undefined);
    if (!open || open.end !== undefined) continue;
    open.end = at;
    open.outcome = event.to;
    if (event.to === "not_started") {
      const reason = outcomeOf(event.reason);
      retries[reason] = (retries[reason] ?? 0) + 1;
    }
  }

  const byProfile = new Map<string, number[]>();
  const byFeature = new Map<string, number[]>();
  for (const attempt of attempts.values()) {
    if (attempt.outcome !== "completed" || attempt.end === undefined) continue;
    const task = plan?.byId.get(attempt.task);
    push(byProfile, task ? (task.agent ?? options.defaultAgent) : NOT_IN_PLAN, attempt.end - attempt.start);
    push(byFeature, task ? task.featureId : NOT_IN_PLAN, attempt.end - attempt.start);
  }
  const counts = [...attemptsOf.values()].map((list) => list.length);
  const perTask = [...creditsOf.values()];
  const statuses = [...lastStatus.values()];
  const completed = statuses.filter((s) => s === "completed").length;
  const sorted = (map: Map<string, number[]>) => Object.fromEntries([...map.keys()].sort().map((key) => [key, latency(map.get(key) ?? [])]));
  return {
    window: { from: from === null ? null : new Date(windowStart ?? from).toISOString(), to: to === null ? null : new Date(to).toISOString(), hours: round2(hours) ?? 0, events: events.length },
    tasks: { completed, failed: statuses.filter((s) => s === "failed").length, blocked: statuses.filter((s) => s === "blocked").length, seen: lastStatus.size },
    throughput_per_hour: hours > 0 ? round2(completed / hours) : null,
    attempts: { tasks: counts.length, total: sumOf(counts), mean: round2(mean(counts)), max: maxOf(counts), retries },
    credits: { tasks: perTask.length, mean: round2(mean(perTask)), max: maxOf(perTask), total: sumOf(perTask) + planner, planner },
    latency: { by_profile: sorted(byProfile), by_feature: sorted(byFeature) },
    waiting: { attempts: waits.length, total_ms: sumOf(waits), p50_ms: percentile(waits, 50), p95_ms: percentile(waits, 95) },
    review: { verdicts: passed + failed, passed, failed, pass_rate: passed + failed > 0 ? round2(passed / (passed + failed)) : null },
  };
}

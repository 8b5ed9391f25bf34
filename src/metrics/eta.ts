// The ETA: measured durations per agent profile laid over the remaining critical path, and over the workers.
// An estimate, and every place that shows it says so.
import { topoOrder } from "../plan/graph.js";
import type { Plan } from "../plan/plan.js";
import type { ProgressFile } from "../schema/progress.js";
import { percentile } from "./percentile.js";

export interface Eta {
  /** Time until every subtask that can still complete is completed. */
  ms: number;
  /** The longest chain of remaining subtasks, by estimated duration, first to last. */
  criticalPath: string[];
  criticalPathMs: number;
  /** How many completed subtasks' durations the estimate rests on. */
  measured: number;
}

/** Profile key of a task: its own agent; "" stands for the config's default, the same for every task naming none. */
const profileKey = (plan: Plan, id: string): string => plan.byId.get(id)?.agent ?? "";

/**
 * Each remaining subtask is expected to take the median duration of the completed subtasks of its agent profile
 * (any profile's when its own has none yet), a running one that less what it ran already. The ETA is the larger of
 * the remaining critical path and the remaining work spread over the workers. Subtasks that are blocked or failed,
 * or wait on one, are left out: they need a person first. Null until some subtask completed.
 */
export function estimateEta(plan: Plan, progress: ProgressFile, workers: number, now: number = Date.now()): Eta | null {
  const byProfile = new Map<string, number[]>();
  const all: number[] = [];
  for (const task of plan.tasks) {
    const state = progress.tasks[task.id];
    if (state?.status !== "completed" || !state.started_at || !state.completed_at) continue;
    const ms = Date.parse(state.completed_at) - Date.parse(state.started_at);
    if (!Number.isFinite(ms) || ms < 0) continue;
    all.push(ms);
    const list = byProfile.get(profileKey(plan, task.id));
    if (list) list.push(ms);
    else byProfile.set(profileKey(plan, task.id), [ms]);
  }
  const overall = percentile(all, 50);
  if (overall === null) return null;
  const median = new Map([...byProfile].map(([key, list]) => [key, percentile(list, 50) ?? overall]));

  const finish = new Map<string, { ms: number; via: string | undefined }>();
  let work = 0;
  let last: string | undefined;
  for (const id of topoOrder(plan)) {
    const state = progress.tasks[id];
    const status = state?.status ?? "not_started";
    if (status !== "not_started" && status !== "in_progress") continue;
    const deps = plan.byId.get(id)?.deps ?? [];
    // A dep neither completed nor remaining is stuck: so is this task.
    if (deps.some((dep) => progress.tasks[dep]?.status !== "completed" && !finish.has(dep))) continue;
    let expected = median.get(profileKey(plan, id)) ?? overall;
    if (status === "in_progress" && state?.started_at) expected = Math.max(0, expected - (now - Date.parse(state.started_at)));
    let via: string | undefined;
    let before = 0;
    for (const dep of deps) {
      const at = finish.get(dep)?.ms;
      if (at !== undefined && at > before) [before, via] = [at, dep];
    }
    finish.set(id, { ms: before + expected, via });
    work += expected;
    if (last === undefined || before + expected > (finish.get(last)?.ms ?? 0)) last = id;
  }
  const path: string[] = [];
  for (let at = last; at !== undefined; at = finish.get(at)?.via) path.unshift(at);
  const criticalPathMs = last === undefined ? 0 : (finish.get(last)?.ms ?? 0);
  return { ms: Math.round(Math.max(criticalPathMs, work / Math.max(1, workers))), criticalPath: path, criticalPathMs: Math.round(criticalPathMs), measured: all.length };
}

/** Subtasks ready to start because a completion freed them: each with the dep that completed last. */
export function madeReady(plan: Plan, progress: ProgressFile): { id: string; after: string }[] {
  const ready: { id: string; after: string }[] = [];
  for (const task of plan.tasks) {
    if ((progress.tasks[task.id]?.status ?? "not_started") !== "not_started" || task.deps.length === 0) continue;
    let after: string | undefined;
    let at = Number.NEGATIVE_INFINITY;
    for (const dep of task.deps) {
      const state = progress.tasks[dep];
      if (state?.status !== "completed") {
        after = undefined;
        break;
      }
      const completed = state.completed_at ? Date.parse(state.completed_at) : Number.NEGATIVE_INFINITY;
      if (after === undefined || completed > at) [after, at] = [dep, completed];
    }
    if (after !== undefined) ready.push({ id: task.id, after });
  }
  return ready;
}

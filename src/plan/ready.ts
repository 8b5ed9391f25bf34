// Which tasks may start now: the scheduler's one question, answered deterministically.
import type { ProgressFile } from "../schema/progress.js";
import type { Plan } from "./plan.js";

/**
 * Tasks that can be assigned now, in plan order (the order of features in features.json, then
 * the order of subtasks within each feature) — so a person controls priority by ordering the
 * file. A task is ready when its status is `not_started` (a task missing from progress.json
 * counts as not_started), every dep is `completed`, and its retry backoff `not_before`, if any,
 * is not after `now`.
 */
export function readyTasks(plan: Plan, progress: ProgressFile, now: Date = new Date()): string[] {
  const statusOf = (id: string): string => progress.tasks[id]?.status ?? "not_started";
  return plan.tasks
    .filter((task) => {
      const state = progress.tasks[task.id];
      if (statusOf(task.id) !== "not_started") return false;
      if (!task.deps.every((dep) => statusOf(dep) === "completed")) return false;
      const notBefore = state?.not_before;
      return notBefore === null || notBefore === undefined || Date.parse(notBefore) <= now.getTime();
    })
    .map((task) => task.id);
}

// Dependency-graph views of a checked plan: waves, transitive dependents, a topological order.
import type { Plan } from "./plan.js";

/**
 * Topological layers: wave 0 has no deps, wave n depends only on earlier waves. Within a wave,
 * tasks keep plan order. The plan is acyclic after loadPlan; were it not, tasks on a cycle
 * would simply be left out.
 */
export function waves(plan: Plan): string[][] {
  const waveOf = waveNumbers(plan);
  // Walking the tasks in plan order puts each wave in plan order without a sort per wave.
  const result: string[][] = [];
  for (const task of plan.tasks) {
    const wave = waveOf.get(task.id);
    if (wave !== undefined) (result[wave] ??= []).push(task.id);
  }
  return result;
}

/**
 * Each task's wave: 0 without deps, else 1 + the highest wave of its deps (so no wave is empty).
 * Kahn's algorithm with one FIFO queue: linear in tasks and deps, so a 10,000-task chain stays fast.
 * The queue holds the tasks wave by wave, so the dep that resolves a task last has the highest wave.
 * Tasks on or behind a cycle never have every dep resolved and get no wave.
 */
function waveNumbers(plan: Plan): Map<string, number> {
  const dependents = directDependents(plan);
  const unresolved = new Map<string, number>();
  const waveOf = new Map<string, number>();
  const queue: string[] = [];
  for (const task of plan.tasks) {
    const count = distinct(task.deps).filter((dep) => plan.byId.has(dep)).length;
    unresolved.set(task.id, count);
    if (count === 0) {
      waveOf.set(task.id, 0);
      queue.push(task.id);
    }
  }
  // The queue grows while it is walked: a task joins it once its last dep is resolved.
  for (let at = 0; at < queue.length; at++) {
    const id = queue[at] as string;
    const next = (waveOf.get(id) ?? 0) + 1;
    for (const dependent of dependents.get(id) ?? []) {
      const left = (unresolved.get(dependent) ?? 0) - 1;
      unresolved.set(dependent, left);
      if (left === 0) {
        waveOf.set(dependent, next);
        queue.push(dependent);
      }
    }
  }
  return waveOf;
}

/** The deps without repeats. Most tasks have none or one: no Set for them (a Set per task was most of the time on 10,000 tasks). */
function distinct(deps: string[]): string[] {
  return deps.length < 2 ? deps : [...new Set(deps)];
}

/** For each task id, the ids of the tasks that list it as a dep (once each). */
function directDependents(plan: Plan): Map<string, string[]> {
  const direct = new Map<string, string[]>();
  for (const task of plan.tasks) {
    for (const dep of distinct(task.deps)) {
      const list = direct.get(dep);
      if (list) list.push(task.id);
      else direct.set(dep, [task.id]);
    }
  }
  return direct;
}

/** Every task in a valid order to run one after another: the waves, concatenated. */
export function topoOrder(plan: Plan): string[] {
  return waves(plan).flat();
}

/** The tasks that depend on `id`, directly or through others, in plan order (not `id` itself). */
export function dependentsOf(plan: Plan, id: string): string[] {
  const direct = directDependents(plan);
  const found = new Set<string>();
  const queue = [id];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const dependent of direct.get(next) ?? []) {
      if (dependent === id || found.has(dependent)) continue;
      found.add(dependent);
      queue.push(dependent);
    }
  }
  return plan.tasks.filter((task) => found.has(task.id)).map((task) => task.id);
}

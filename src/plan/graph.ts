// Dependency-graph views of a checked plan: waves, transitive dependents, a topological order.
import type { Plan, PlanTask } from "./plan.js";

/**
 * Topological layers: wave 0 has no deps, wave n depends only on earlier waves. Within a wave,
 * tasks keep plan order. The plan is acyclic after loadPlan; were it not, tasks on a cycle
 * would simply be left out.
 */
export function waves(plan: Plan): string[][] {
  // Kahn's algorithm, one layer at a time: linear in tasks and deps, so a 10,000-task chain stays fast.
  const dependents = directDependents(plan);
  const waiting = new Map(plan.tasks.map((task) => [task.id, new Set(task.deps.filter((dep) => plan.byId.has(dep))).size]));
  const result: string[][] = [];
  let layer = plan.tasks.filter((task) => waiting.get(task.id) === 0);
  while (layer.length > 0) {
    result.push(layer.map((task) => task.id));
    const next: PlanTask[] = [];
    for (const task of layer) {
      for (const id of dependents.get(task.id) ?? []) {
        const left = (waiting.get(id) ?? 0) - 1;
        waiting.set(id, left);
        const dependent = plan.byId.get(id);
        if (left === 0 && dependent) next.push(dependent);
      }
    }
    layer = next.sort((a, b) => a.order - b.order);
  }
  return result;
}

/** For each task id, the ids of the tasks that list it as a dep (once each). */
function directDependents(plan: Plan): Map<string, string[]> {
  const direct = new Map<string, string[]>();
  for (const task of plan.tasks) {
    for (const dep of new Set(task.deps)) {
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

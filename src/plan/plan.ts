// The validated plan in the shape the scheduler and the reports use: one flat list of tasks in plan order, and an index by id.
import type { FeaturesFile, Subtask } from "../schema/features.js";

export interface PlanTask extends Subtask {
  /** The feature's title. */
  feature: string;
  featureId: string;
  /** Position in plan order (feature order, then subtask order), from 0. */
  order: number;
  deps: string[];
}

export interface Plan {
  file: FeaturesFile;
  tasks: PlanTask[];
  byId: Map<string, PlanTask>;
}

/** Builds a Plan from a features file that already passed checkPlan (ids unique, deps known, no cycles). */
export function buildPlan(file: FeaturesFile): Plan {
  const tasks: PlanTask[] = [];
  for (const feature of file.features) {
    for (const subtask of feature.subtasks) {
      tasks.push({ ...subtask, feature: feature.feature, featureId: feature.id, order: tasks.length, deps: subtask.deps ?? [] });
    }
  }
  return { file, tasks, byId: new Map(tasks.map((task) => [task.id, task])) };
}

// The plan checks: every problem of a features.json value in one pass, each with its exact place.
import type { z } from "zod";
import { FeaturesFile } from "../schema/features.js";
import { formatFieldPath, formatSchemaIssues } from "../store/schema-problems.js";
import { didYouMean } from "../util/did-you-mean.js";
import { findCycles, nameCycle } from "./cycles.js";
import { SAFE_ID_ADVICE, unsafeIdReasons } from "./id-rules.js";
import { readShape, type PlanShape, type ShapeTask } from "./plan-shape.js";

export interface PlanProblem {
  /** Where: a field path such as `features[0].subtasks[1].deps[0]`, plus the id where it helps. */
  place: string;
  message: string;
}

/**
 * All problems of a plan, in this order: schema problems (unknown fields with did-you-mean),
 * unsafe and duplicate ids, deps (self, repeated, unknown), then cycles. An empty list means
 * the plan is valid. The id and dep checks run even when the schema check fails, so a person
 * fixes everything in one round.
 */
export function checkPlan(raw: unknown): PlanProblem[] {
  const shape = readShape(raw);
  return [...schemaProblems(raw), ...idProblems(shape), ...depProblems(shape), ...cycleProblems(shape)];
}

export function formatPlanProblems(problems: readonly PlanProblem[]): string[] {
  return problems.map((problem) => `${problem.place}: ${problem.message}`);
}

function named(place: string, id: string): string {
  return `${place} (id ${JSON.stringify(id)})`;
}

function schemaProblems(raw: unknown): PlanProblem[] {
  const checked = FeaturesFile.safeParse(raw, { reportInput: true });
  if (checked.success) return [];
  const problems: PlanProblem[] = [];
  for (const issue of checked.error.issues) {
    // An empty id is reported by the id rules, with advice; the schema's own line would repeat it.
    if (issue.code === "too_small" && issue.path[issue.path.length - 1] === "id") continue;
    const places = placesOf(issue);
    const missing = missingField(issue);
    if (missing !== undefined) {
      problems.push({ place: places[0] ?? "(top level)", message: missing });
      continue;
    }
    formatSchemaIssues([issue], FeaturesFile).forEach((line, index) => {
      const place = places[index] ?? places[0] ?? "(top level)";
      problems.push({ place, message: line.startsWith(`${place}: `) ? line.slice(place.length + 2) : line });
    });
  }
  return problems;
}

/** zod words a missing field as "expected string, received undefined"; people think of it as missing. */
function missingField(issue: z.core.$ZodIssue): string | undefined {
  const field = issue.path[issue.path.length - 1];
  if (issue.code !== "invalid_type" || (issue as { input?: unknown }).input !== undefined || typeof field !== "string") return undefined;
  return `missing required field ${JSON.stringify(field)} (expected ${issue.expected})`;
}

/** The places formatSchemaIssues prefixes its lines with: one per unknown key, else the issue's path. */
function placesOf(issue: z.core.$ZodIssue): string[] {
  if (issue.code === "unrecognized_keys") return issue.keys.map((key) => formatFieldPath([...issue.path, key]));
  return [formatFieldPath(issue.path)];
}

function idProblems(shape: PlanShape): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const unsafe = (place: string, kind: string, id: string): void => {
    for (const reason of unsafeIdReasons(id)) {
      const subject = id === "" ? `${kind} id` : `${kind} id ${JSON.stringify(id)}`;
      problems.push({ place: `${place}.id`, message: `${subject} ${reason}; ids name files and git refs, so ${SAFE_ID_ADVICE}` });
    }
  };
  const firstFeature = new Map<string, string>();
  for (const feature of shape.features) {
    if (feature.id === undefined) continue;
    unsafe(feature.place, "feature", feature.id);
    const first = firstFeature.get(feature.id);
    if (first === undefined) firstFeature.set(feature.id, feature.place);
    else problems.push({ place: named(feature.place, feature.id), message: `duplicate feature id ${JSON.stringify(feature.id)}: ${first} has it too` });
  }
  const firstTask = new Map<string, string>();
  for (const task of shape.tasks) {
    unsafe(task.place, "subtask", task.id);
    const first = firstTask.get(task.id);
    if (first === undefined) firstTask.set(task.id, task.place);
    else {
      problems.push({
        place: named(task.place, task.id),
        message: `duplicate subtask id ${JSON.stringify(task.id)}: ${first} has it too; subtask ids must be unique across all features`,
      });
    }
  }
  return problems;
}

function depProblems(shape: PlanShape): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const taskIds = new Set(shape.tasks.map((task) => task.id));
  const featureIds = new Set(shape.features.flatMap((feature) => (feature.id === undefined ? [] : [feature.id])));
  for (const task of shape.tasks) {
    const listed = new Set<string>();
    for (const dep of task.deps) {
      const quoted = JSON.stringify(dep.id);
      if (dep.id === "") continue; // the schema check already says an id cannot be empty
      if (dep.id === task.id) {
        problems.push({ place: dep.place, message: `subtask ${quoted} depends on itself; remove it from its deps` });
      } else if (listed.has(dep.id)) {
        problems.push({ place: dep.place, message: `dep ${quoted} is listed twice` });
      } else if (!taskIds.has(dep.id)) {
        problems.push({ place: dep.place, message: unknownDepMessage(dep.id, taskIds, featureIds) });
      }
      listed.add(dep.id);
    }
  }
  return problems;
}

function unknownDepMessage(dep: string, taskIds: ReadonlySet<string>, featureIds: ReadonlySet<string>): string {
  const quoted = JSON.stringify(dep);
  if (featureIds.has(dep)) return `${quoted} is a feature id, not a subtask id; list the subtasks it needs instead`;
  const suggestion = didYouMean(dep, taskIds);
  return `unknown dep ${quoted}${suggestion === undefined ? "; deps name subtask ids" : ` (did you mean ${JSON.stringify(suggestion)}?)`}`;
}

function cycleProblems(shape: PlanShape): PlanProblem[] {
  // The first subtask with an id wins: a duplicate is already reported, and its deps would only add noise.
  const byId = new Map<string, ShapeTask>();
  for (const task of shape.tasks) if (!byId.has(task.id)) byId.set(task.id, task);
  const depsOf = new Map<string, string[]>();
  for (const [id, task] of byId) depsOf.set(id, task.deps.map((dep) => dep.id).filter((dep) => dep !== id));
  return findCycles([...byId.keys()], depsOf).map((cycle) => {
    const start = byId.get(cycle[0] ?? "");
    return {
      place: start ? named(start.place, start.id) : "features",
      message: `dependency cycle: ${nameCycle(cycle)}; remove one of these deps`,
    };
  });
}

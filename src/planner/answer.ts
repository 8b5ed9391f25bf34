// The planner's answer: the JSON Schema the model must follow (strict-mode friendly: every field required, no
// extra fields), and its conversion into features.json features.
import type { Feature, Subtask } from "../schema/features.js";

export interface AnswerSubtask {
  id: string;
  name: string;
  description: string;
  deps: string[];
  acceptance: string[];
  files: string[];
  agent: string;
  effort: number;
}

export interface AnswerFeature {
  id: string;
  feature: string;
  description: string;
  subtasks: AnswerSubtask[];
}

export interface PlannerAnswer {
  features: AnswerFeature[];
}

const strings = { type: "array", items: { type: "string" } };

/** The schema of the answer; `agents` are the profile names a subtask may name. */
export function answerSchema(agents: readonly string[]): Record<string, unknown> {
  const subtask = {
    type: "object",
    properties: {
      id: { type: "string", description: "unique id: lowercase letters, digits and dashes, e.g. auth-model" },
      name: { type: "string", description: "short title" },
      description: { type: "string", description: "what to do, for the agent that does it" },
      deps: { ...strings, description: "ids of subtasks that must be completed first" },
      acceptance: { ...strings, description: "checkable acceptance criteria" },
      files: { ...strings, description: "files or globs the subtask is expected to change" },
      agent: { type: "string", enum: [...agents], description: "agent profile that does it" },
      effort: { type: "integer", minimum: 1, maximum: 5, description: "1 trivial … 5 large" },
    },
    required: ["id", "name", "description", "deps", "acceptance", "files", "agent", "effort"],
    additionalProperties: false,
  };
  const feature = {
    type: "object",
    properties: {
      id: { type: "string" },
      feature: { type: "string", description: "the feature's title" },
      description: { type: "string" },
      subtasks: { type: "array", items: subtask, minItems: 1 },
    },
    required: ["id", "feature", "description", "subtasks"],
    additionalProperties: false,
  };
  return { type: "object", properties: { features: { type: "array", items: feature, minItems: 1 } }, required: ["features"], additionalProperties: false };
}

/** features.json features of an answer: empty fields left out, budgets from `budgets` when given. */
export function featuresOfAnswer(answer: PlannerAnswer, budgets?: ReadonlyMap<string, number>): Feature[] {
  return answer.features.map((feature) => ({
    id: feature.id,
    feature: feature.feature,
    ...(feature.description.trim() ? { description: feature.description } : {}),
    subtasks: feature.subtasks.map((task): Subtask => {
      const budget = budgets?.get(task.id);
      return {
        id: task.id,
        name: task.name,
        ...(task.description.trim() ? { description: task.description } : {}),
        ...(task.deps.length > 0 ? { deps: task.deps } : {}),
        ...(task.acceptance.length > 0 ? { acceptance: task.acceptance } : {}),
        ...(task.files.length > 0 ? { files: task.files } : {}),
        agent: task.agent,
        effort: task.effort,
        ...(budget !== undefined ? { budget } : {}),
      };
    }),
  }));
}

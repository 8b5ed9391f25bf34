// What the planner model is told: how to cut a goal into features and subtasks, what it may use, and (on a
// repair) its previous answer with the problems the plan checks found in it.

export const PLANNER_SYSTEM = [
  "You are the planner of a team of coding agents working in one git repository.",
  "Turn the goal into features, each made of subtasks small enough for one agent in one sitting.",
  "Each subtask: a unique id (lowercase letters, digits and dashes; unique across the whole plan), a short name,",
  "a description the agent can act on, deps (ids of subtasks that must be completed first; no cycles),",
  "checkable acceptance criteria, the files or globs it is expected to change, the agent profile that does it,",
  "and an effort from 1 (trivial) to 5 (large). Subtasks without deps between them run side by side, so only add",
  "a dep where one subtask really needs another's result. Answer with the JSON value only.",
].join("\n");

export interface PlannerPromptInput {
  goal: string;
  constraints?: string | undefined;
  /** Profile names a subtask may use, the default first. */
  agents: readonly string[];
  /** Subtask ids already in features.json (with --append): new ids must differ, deps may name them. */
  existingIds: readonly string[];
  /** The previous answer and what the plan checks found wrong with it. */
  repair?: { answer: string; problems: readonly string[] } | undefined;
}

export function plannerUserPrompt(input: PlannerPromptInput): string {
  const parts = [`Goal:\n${input.goal}`];
  if (input.constraints) parts.push(`Constraints:\n${input.constraints}`);
  parts.push(`Agent profiles you may name (the first is the default): ${input.agents.join(", ")}`);
  if (input.existingIds.length > 0) {
    parts.push(`The plan already has these subtasks; do not reuse their ids (deps may name them): ${input.existingIds.join(", ")}`);
  }
  if (input.repair) {
    parts.push(
      `Your previous answer:\n${input.repair.answer}`,
      `It was refused by the plan checks:\n${input.repair.problems.map((p) => `- ${p}`).join("\n")}`,
      "Answer again with the whole corrected plan.",
    );
  }
  return parts.join("\n\n");
}

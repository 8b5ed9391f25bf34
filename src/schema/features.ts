// .codex/features.json: the plan (written by people and the planner) plus a readable mirror of progress (written by the lead).
import { z } from "zod";
import { Command, Duration, Id, TaskStatus, Timestamp } from "./common.js";

export const Subtask = z.strictObject({
  id: Id.describe("unique id of the subtask; safe as a file and git ref name"),
  name: z.string().min(1).describe("short title"),
  description: z.string().optional().describe("what to do, in words; given to the agent"),
  deps: z.array(Id).optional().describe("ids of subtasks that must be completed first"),
  acceptance: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe("acceptance criteria; given to the agent and the reviewer"),
  files: z.array(z.string()).optional().describe("files the subtask is expected to touch"),
  agent: z.string().optional().describe('agent profile for this subtask: "shell", "codex", "claude", "gemini", "openai" or one from config.json `agents`; default `config.agent`'),
  command: Command.optional().describe("for the shell agent: the command to run in the worktree"),
  timeout: Duration.optional().describe("wall-clock limit of one attempt"),
  budget: z.number().nonnegative().optional().describe("credits the subtask may spend over all its attempts (default `task_budget` in config)"),
  effort: z.number().int().min(1).max(5).optional().describe("the planner's effort estimate, 1 (trivial) to 5 (large)"),
  result_schema: z.record(z.string(), z.unknown()).optional().describe("JSON Schema (draft 2020-12) the reported result must match"),
  review: z.boolean().optional().describe("false turns the review gate off for this subtask"),
  files_only: z.boolean().optional().describe("true makes `files` an allowlist: changes elsewhere fail the attempt"),
  status: TaskStatus.optional().describe("mirror of progress.json, refreshed by the lead; editing it has no effect"),
});
export type Subtask = z.infer<typeof Subtask>;

export const Feature = z.strictObject({
  id: Id.describe("unique id of the feature"),
  feature: z.string().min(1).describe("the feature's title"),
  description: z.string().optional(),
  // Defaults for every subtask of the feature that sets none of its own: a CSV job's thousands of rows then
  // carry one schema, profile and limit here instead of a copy in each row.
  agent: z.string().optional().describe("agent profile for the subtasks that name none"),
  timeout: Duration.optional().describe("wall-clock limit of one attempt, for the subtasks that set none"),
  result_schema: z.record(z.string(), z.unknown()).optional().describe("JSON Schema (draft 2020-12) for the results of the subtasks that set none"),
  subtasks: z.array(Subtask),
  overall_progress: z.string().optional().describe("mirror: percent of subtasks completed"),
  blockers: z.array(z.string()).optional().describe("mirror: subtasks blocked or failed, with reasons"),
  last_updated: Timestamp.optional().describe("mirror: when the lead last refreshed this feature"),
});
export type Feature = z.infer<typeof Feature>;

export const FeaturesFile = z.strictObject({
  $schema: z.string().optional(),
  features: z.array(Feature),
  overall_progress: z.string().optional().describe("mirror: percent of all subtasks completed"),
  blockers: z.array(z.string()).optional().describe("mirror: blocked or failed subtasks, with reasons"),
  last_updated: Timestamp.optional().describe("mirror: when the lead last refreshed the mirror"),
});
export type FeaturesFile = z.infer<typeof FeaturesFile>;

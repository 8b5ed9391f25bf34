// .codex/progress.json: live state. Tasks and workers are maps keyed by id, so a person can find an entry by name.
// Checked by a precompiled JSON Schema check first (fast-check.ts): keep every rule expressible in JSON Schema.
import { z } from "zod";
import { Id, TaskStatus, Timestamp, Usage } from "./common.js";

export const AttemptRecord = z.strictObject({
  attempt: z.number().int().positive(),
  worker: z.string().optional(),
  outcome: z.string().describe("how the attempt ended: completed, failed, stalled, exited, cancelled, conflict, …"),
  reason: z.string().optional(),
  at: Timestamp,
  usage: Usage.optional().describe("what this attempt spent"),
});
export type AttemptRecord = z.infer<typeof AttemptRecord>;

export const Handoff = z
  .strictObject({
    attempt: z.number().int().positive(),
    outcome: z.enum(["succeeded", "failed"]),
    commit: z.string().optional().describe("the attempt's commit on its branch (succeeded)"),
    error: z.string().optional().describe("why the attempt failed (failed)"),
    blocked: z.boolean().optional().describe("the attempt asks for a person (budget exhausted): the task becomes blocked, not retried"),
    usage: Usage.optional().describe("what the attempt spent (agent and reviewer)"),
    final_message: z.string().optional().describe("the agent's final message, cut to a few KiB"),
    at: Timestamp,
  })
  .describe("written by the worker when an attempt ends; the lead merges (succeeded) or retries (failed)");
export type Handoff = z.infer<typeof Handoff>;

export const Review = z.strictObject({
  attempt: z.number().int().positive(),
  verdict: z.enum(["pass", "fail"]),
  reasons: z.array(z.string()).optional(),
  fixes: z.array(z.string()).optional(),
  at: Timestamp,
});
export type Review = z.infer<typeof Review>;

export const TaskState = z.strictObject({
  status: TaskStatus,
  reason: z
    .string()
    .optional()
    .describe("why the task is in its state: cancelled, stalled, waiting for a person, the error, …"),
  assignee: z.string().nullable().optional().describe("worker id working on it"),
  attempt: z.number().int().nonnegative().optional().describe("the current attempt number; the fencing token"),
  started_at: Timestamp.nullable().optional(),
  updated_at: Timestamp.nullable().optional(),
  completed_at: Timestamp.nullable().optional(),
  percent: z.number().min(0).max(100).optional(),
  detail: z.string().optional().describe("latest progress detail from the agent"),
  result: z.unknown().optional().describe("structured result reported by the agent"),
  error: z.string().optional(),
  attempts: z.array(AttemptRecord).optional().describe("history of finished attempts"),
  not_before: Timestamp.nullable().optional().describe("retry backoff: not started again before this time"),
  base: z.string().optional().describe("integration-branch commit the current attempt started from"),
  branch: z.string().optional().describe("git branch of the current or last attempt"),
  worktree: z.string().optional(),
  handoff: Handoff.optional(),
  commit: z.string().optional(),
  tag: z.string().optional(),
  usage: Usage.optional().describe("spent over all attempts"),
  final_message: z.string().optional().describe("the last attempt's final message from the agent"),
  review: Review.optional().describe("the reviewer's verdict on the last reviewed attempt"),
});
export type TaskState = z.infer<typeof TaskState>;

export const WORKER_STATUSES = ["starting", "idle", "busy", "stopping", "exited"] as const;
export const WorkerStatus = z.enum(WORKER_STATUSES);

/** A process's start time in clock ticks after boot (/proc/<pid>/stat field 22): pid and start time name one process. */
const StartTime = z.number().int().nonnegative();

export const WorkerState = z.strictObject({
  status: WorkerStatus,
  task: z.string().nullable().optional(),
  attempt: z.number().int().nonnegative().nullable().optional(),
  pid: z.number().int().positive(),
  pid_start: StartTime.optional().describe("the worker process's start time: with pid, who registered (an entry without it is not trusted)"),
  host: z.string(),
  started_at: Timestamp,
  updated_at: Timestamp,
  detail: z.string().optional(),
  agent_pid: z.number().int().positive().nullable().optional().describe("process group of the running agent"),
  agent_start: StartTime.nullable().optional().describe("the agent process's start time, recorded with agent_pid"),
  lead_pid: z.number().int().positive().nullable().optional().describe("the lead that started this worker, if any"),
  lead_start: StartTime.nullable().optional().describe("the lead process's start time, recorded with lead_pid"),
  worktree: z.string().optional(),
});
export type WorkerState = z.infer<typeof WorkerState>;

export const RunState = z.strictObject({
  lead_pid: z.number().int().positive().nullable().optional(),
  lead_start: StartTime.nullable().optional().describe("the lead process's start time, recorded with lead_pid"),
  host: z.string().optional(),
  started_at: Timestamp.nullable().optional(),
  updated_at: Timestamp.nullable().optional(),
  integration_branch: z.string().optional(),
});

export const PlannerState = z.strictObject({
  plans: z.number().int().nonnegative().describe("plans the planner made (dry runs included)"),
  usage: Usage.describe("what the planner spent over all of them, repairs included"),
  last_profile: z.string().optional(),
  last_at: Timestamp.optional(),
});

export const ProgressFile = z.strictObject({
  $schema: z.string().optional(),
  tasks: z.record(Id, TaskState),
  workers: z.record(z.string(), WorkerState).optional(),
  run: RunState.optional(),
  planner: PlannerState.optional().describe("usage of `codex-lead plan`, written by the planner"),
});
export type ProgressFile = z.infer<typeof ProgressFile>;

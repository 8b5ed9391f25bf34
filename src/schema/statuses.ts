// The task statuses as plain constants, apart from the zod schemas: what only needs the names
// (summaries, status views) then does not load zod.
export const TASK_STATUSES = ["not_started", "in_progress", "blocked", "completed", "failed"] as const;
export type TaskStatusName = (typeof TASK_STATUSES)[number];

export const FINAL_STATUSES: ReadonlySet<TaskStatusName> = new Set(["completed", "failed"]);

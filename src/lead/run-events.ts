// What a run reports as it goes; the CLI decides how to show it (progress line, plain lines, NDJSON).
import type { TaskStatus } from "../schema/common.js";

export interface RunSnapshot {
  counts: Record<TaskStatus, number>;
  total: number;
  running: { task: string; worker: string; attempt: number; sinceMs: number }[];
  elapsedMs: number;
  /** An estimate from the average duration of completed subtasks; undefined until one completed. */
  etaMs: number | undefined;
  paused: string | undefined;
  /** not_started subtasks held until a future `not_before` (a retry's backoff, or a person's), earliest first. */
  waitingUntil?: { task: string; until: string }[];
}

export type RunEvent =
  | { type: "run.started"; total: number; workers: number; integrationBranch: string; recovered: string[] }
  | { type: "task.assigned"; task: string; attempt: number; worker: string }
  | { type: "task.completed"; task: string; attempt: number; commit: string; tag: string }
  | { type: "task.retry"; task: string; attempt: number; reason: string; delayMs: number }
  | { type: "task.failed"; task: string; attempt: number; reason: string }
  | { type: "task.blocked"; task: string; reason: string }
  | { type: "worker.stalled"; worker: string; task: string; attempt: number; silentMs: number }
  | { type: "worker.exited"; worker: string; task?: string | undefined; reason: string }
  | { type: "run.paused"; message: string }
  /** Housekeeping worth a line: leftovers of a dead worker kept as a commit, a worktree kept, … */
  | { type: "run.note"; message: string }
  | { type: "run.resumed" }
  | { type: "run.progress"; snapshot: RunSnapshot }
  | { type: "run.finished"; exitCode: number; snapshot: RunSnapshot; waiting: string[] };

// What a run looks like from its files: the snapshot for the progress line, what waits on what, and the
// plan without the lead's mirror fields (to tell a person's plan edit from our own mirror refresh).
import { estimateEta } from "../metrics/eta.js";
import type { Plan } from "../plan/plan.js";
import type { ProgressFile } from "../schema/progress.js";
import type { RunSnapshot } from "./run-events.js";

export interface SnapshotClock {
  elapsedMs: number;
  workers: number;
  paused: string | undefined;
}

export function runSnapshot(plan: Plan, progress: ProgressFile, clock: SnapshotClock, now = Date.now()): RunSnapshot {
  const counts = { not_started: 0, in_progress: 0, blocked: 0, completed: 0, failed: 0 };
  const running: RunSnapshot["running"] = [];
  const waitingUntil: NonNullable<RunSnapshot["waitingUntil"]> = [];
  for (const task of plan.tasks) {
    const state = progress.tasks[task.id];
    const status = state?.status ?? "not_started";
    counts[status]++;
    if (status === "not_started" && state?.not_before && Date.parse(state.not_before) > now) waitingUntil.push({ task: task.id, until: state.not_before });
    if (status === "in_progress" && state) {
      running.push({ task: task.id, worker: state.assignee ?? "?", attempt: state.attempt ?? 0, sinceMs: state.started_at ? now - Date.parse(state.started_at) : 0 });
    }
  }
  // An estimate, and labelled so wherever it is shown: measured durations per agent profile over the remaining
  // critical path and the workers (estimateEta), not a flat average.
  const etaMs = estimateEta(plan, progress, clock.workers, now)?.ms;
  const snapshot: RunSnapshot = { counts, total: plan.tasks.length, running, elapsedMs: clock.elapsedMs, etaMs, paused: clock.paused };
  if (waitingUntil.length > 0) snapshot.waitingUntil = waitingUntil.sort((a, b) => Date.parse(a.until) - Date.parse(b.until));
  return snapshot;
}

/** One line per subtask that is not completed: blocked or failed with the reason, or what it waits on. */
export function describeWaiting(plan: Plan, progress: ProgressFile): string[] {
  const lines: string[] = [];
  for (const task of plan.tasks) {
    const state = progress.tasks[task.id];
    const status = state?.status ?? "not_started";
    if (status === "completed") continue;
    if (status === "blocked" || status === "failed") {
      lines.push(`${task.id}: ${status}${state?.reason ? ` (${state.reason})` : ""}`);
    } else {
      const open = task.deps.filter((dep) => progress.tasks[dep]?.status !== "completed");
      const until = status === "not_started" && state?.not_before && Date.parse(state.not_before) > Date.now() ? `, waits until ${state.not_before}` : "";
      lines.push(`${task.id}: ${status}${open.length > 0 ? `, waits on ${open.join(", ")}` : ""}${until}`);
    }
  }
  return lines;
}

const MIRROR_FIELDS = new Set(["status", "overall_progress", "blockers", "last_updated"]);

/** The plan as text without the mirror fields the lead writes. */
export function withoutMirror(features: unknown): string {
  return JSON.stringify(features, (key, value: unknown) => (MIRROR_FIELDS.has(key) ? undefined : value));
}

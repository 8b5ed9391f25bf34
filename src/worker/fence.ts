// Writes by a worker about a task carry its token (task, attempt, worker); a stale token is refused and logged,
// so a worker that was paused past its lease and wakes up late changes nothing.
import type { ProgressFile, TaskState } from "../schema/progress.js";
import type { CodexStore } from "../store/codex-store.js";

export interface AttemptToken {
  task: string;
  attempt: number;
  worker: string;
}

export type FenceResult = { applied: true } | { applied: false; reason: string };

/** Why the token no longer holds, or undefined when it does. */
export function staleReason(progress: ProgressFile, token: AttemptToken): string | undefined {
  const task = progress.tasks[token.task];
  if (!task) return `task ${token.task} is not in progress.json`;
  if (task.attempt !== token.attempt) return `attempt ${token.attempt} is stale (current attempt is ${task.attempt ?? 0})`;
  if (task.assignee !== token.worker) return `task is assigned to ${task.assignee ?? "nobody"}, not ${token.worker}`;
  if (task.status !== "in_progress") return `task is ${task.status}${task.reason ? ` (${task.reason})` : ""}`;
  return undefined;
}

export async function fencedTaskUpdate(
  store: CodexStore,
  token: AttemptToken,
  what: string,
  mutate: (task: TaskState, progress: ProgressFile) => void,
): Promise<FenceResult> {
  let refused: string | undefined;
  await store.progress.update((progress) => {
    refused = staleReason(progress, token);
    const task = progress.tasks[token.task];
    if (refused || !task) return;
    mutate(task, progress);
  });
  if (refused) {
    await store.event({
      type: "stale_token_refused",
      task: token.task,
      attempt: token.attempt,
      worker: token.worker,
      reason: `${what} refused: ${refused}`,
    });
    return { applied: false, reason: refused };
  }
  return { applied: true };
}

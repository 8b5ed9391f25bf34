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

/**
 * Why a write for `token` must be refused, or undefined when it may go ahead: the task must be in_progress,
 * and when the token names an attempt or a worker, they must be the current attempt and its assignee.
 * The one rule behind every fenced write (workers' heartbeats, reports, results, hand-offs; updateTaskProgress).
 */
export function staleReason(task: TaskState | undefined, token: { task: string; attempt?: number | undefined; worker?: string | undefined }): string | undefined {
  if (!task) return `task ${token.task} is not in progress.json`;
  if (task.status !== "in_progress") return `the task is ${task.status}, not in_progress`;
  if (token.attempt !== undefined && token.attempt !== task.attempt) {
    return `attempt ${token.attempt} is not the current attempt ${task.attempt ?? "(none)"}`;
  }
  if (token.worker !== undefined && token.worker !== task.assignee) {
    return `worker ${JSON.stringify(token.worker)} is not the assignee ${JSON.stringify(task.assignee ?? null)}`;
  }
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
    refused = staleReason(progress.tasks[token.task], token);
    const task = progress.tasks[token.task];
    if (refused || !task) return;
    mutate(task, progress);
  });
  return refused ? refuse(store, token, what, refused) : { applied: true };
}

/** The same rule by a read (no lock, no write), for a step that changes nothing in progress.json; gives the task as read. */
export async function fenceCheck(store: CodexStore, token: AttemptToken, what: string): Promise<FenceResult & { task?: TaskState }> {
  const task = (await store.progress.read()).tasks[token.task];
  const refused = staleReason(task, token);
  return refused ? refuse(store, token, what, refused) : { applied: true, task };
}

/** Logs a refused write or step in events.jsonl. */
async function refuse(store: CodexStore, token: AttemptToken, what: string, reason: string): Promise<FenceResult> {
  await store.event({ type: "stale_token_refused", task: token.task, attempt: token.attempt, worker: token.worker, reason: `${what} refused: ${reason}` });
  return { applied: false, reason };
}

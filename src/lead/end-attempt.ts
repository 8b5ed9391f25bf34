// Ending an attempt that did not succeed (its worker died, stalled or failed; the merge conflicted or was
// refused): progress.json records it and the task is retried after a backoff, or failed/blocked for good.
import { endAttemptBadly } from "./attempts.js";
import type { LeadContext } from "./lead-context.js";

export async function endAttempt(
  ctx: LeadContext,
  id: string,
  attempt: number,
  worker: string | undefined,
  outcome: string,
  reason: string,
  workerGone = false,
  finalStatus: "failed" | "blocked" = "failed",
): Promise<void> {
  let decision: "retry" | "failed" | undefined;
  let notBefore: string | null | undefined;
  await ctx.updateProgress((progress) => {
    const task = progress.tasks[id];
    if (!task || task.status !== "in_progress" || task.attempt !== attempt) return;
    decision = endAttemptBadly(task, { attempt, worker, outcome, reason, now: new Date() }, ctx.config, { finalStatus });
    notBefore = task.not_before;
    const w = worker ? progress.workers?.[worker] : undefined;
    if (w && w.task === id && w.attempt === attempt) {
      w.task = null;
      w.attempt = null;
      w.agent_pid = null;
      w.status = workerGone ? "exited" : w.status === "busy" ? "idle" : w.status;
    }
  });
  ctx.seen.delete(`${id}#${attempt}`);
  if (!decision) return;
  const to = decision === "retry" ? "not_started" : finalStatus;
  await ctx.store.event({ type: "task.status", task: id, attempt, worker, from: "in_progress", to, reason: `${outcome}: ${reason}`, by: "lead" });
  if (decision === "retry") {
    ctx.emit({ type: "task.retry", task: id, attempt, reason: `${outcome}: ${reason}`, delayMs: notBefore ? Date.parse(notBefore) - Date.now() : 0 });
  } else if (finalStatus === "blocked") {
    ctx.emit({ type: "task.blocked", task: id, reason: `${outcome}: ${reason}` });
  } else {
    ctx.emit({ type: "task.failed", task: id, attempt, reason: `${outcome}: ${reason}` });
  }
}

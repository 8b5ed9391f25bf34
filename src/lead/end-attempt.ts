// Ending an attempt that did not succeed (its worker died, stalled or failed; the merge conflicted or was
// refused): progress.json records it and the task is retried after a backoff, or failed/blocked for good.
import { existsSync } from "node:fs";
import { addUsage, creditsFor } from "../agents/contract.js";
import { recordFile, usageOfRecord } from "../agents/openai/record.js";
import type { Usage } from "../schema/common.js";
import { attemptFiles } from "../worker/agent-input.js";
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
  more: { noRetry?: boolean } = {},
): Promise<void> {
  let decision: "retry" | "failed" | undefined;
  let notBefore: string | null | undefined;
  let usage: Usage | undefined;
  const unreported = recordedUsage(ctx, id, attempt);
  await ctx.updateProgress((progress) => {
    const task = progress.tasks[id];
    if (!task || task.status !== "in_progress" || task.attempt !== attempt) return;
    // A hand-off's usage is already in the task's total (the worker adds it in the hand-off's write); an attempt that
    // ended without one is charged here what its call record says it spent.
    const handedOff = task.handoff?.attempt === attempt ? task.handoff : undefined;
    usage = handedOff ? handedOff.usage : unreported;
    if (!handedOff && unreported) task.usage = addUsage(task.usage, unreported);
    decision = endAttemptBadly(task, { attempt, worker, outcome, reason, now: new Date(), usage }, ctx.config, { finalStatus, noRetry: more.noRetry });
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
  const data = usage ? { usage } : undefined;
  await ctx.store.event({ type: "task.status", task: id, attempt, worker, from: "in_progress", to, reason: `${outcome}: ${reason}`, by: "lead", data });
  if (decision === "retry") {
    ctx.emit({ type: "task.retry", task: id, attempt, reason: `${outcome}: ${reason}`, delayMs: notBefore ? Date.parse(notBefore) - Date.now() : 0 });
  } else if (finalStatus === "blocked") {
    ctx.emit({ type: "task.blocked", task: id, reason: more.noRetry ? reason : `${outcome}: ${reason}` });
  } else {
    ctx.emit({ type: "task.failed", task: id, attempt, reason: `${outcome}: ${reason}` });
  }
}

/** What the openai agent's call record says the attempt spent; undefined when it kept no record or made no call. */
export function recordedUsage(ctx: LeadContext, id: string, attempt: number): Usage | undefined {
  const { recordDir } = attemptFiles(ctx.store.paths, { task: id, attempt });
  if (!existsSync(recordFile(recordDir, attempt))) return undefined;
  const rates = { creditsPer1kTokens: ctx.config.creditsPer1kTokens, creditsPer1kCachedTokens: ctx.config.creditsPer1kCachedTokens };
  const usage = usageOfRecord(recordDir, attempt, (u) => creditsFor(u, rates));
  return (usage.calls ?? 0) > 0 ? usage : undefined;
}

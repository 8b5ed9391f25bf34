// The hand-off: the one fenced write that ends an attempt — its outcome, what it spent, its final message and
// result — and frees the worker for its next assignment; then its event in events.jsonl.
import { addUsage } from "../agents/contract.js";
import type { Handoff } from "../schema/progress.js";
import type { CodexStore } from "../store/codex-store.js";
import { fencedTaskUpdate, type AttemptToken } from "../ops/fence.js";
import { redactSecrets } from "../util/redact.js";

export type HandoffFields = Omit<Handoff, "attempt" | "at">;

/**
 * True when the hand-off was written (it sets our worker entry idle in the same write). The attempt's usage is
 * added to the task's total in that same fenced write, so it is counted once; the result the agent gave too.
 */
export async function handOff(context: { store: CodexStore; token: AttemptToken }, result: HandoffFields, agentResult?: unknown): Promise<boolean> {
  const { store, token } = context;
  // Reasons quote stderr and git: the environment's secrets are not written into progress.json.
  if (result.error !== undefined) result = { ...result, error: redactSecrets(result.error) };
  const fence = await fencedTaskUpdate(store, token, `hand-off (${result.outcome})`, (task, progress) => {
    const now = new Date().toISOString();
    // Free for the next assignment in the same write: the lead need not wait for another round trip.
    const me = progress.workers?.[token.worker];
    if (me && me.task === token.task && me.attempt === token.attempt) {
      Object.assign(me, { status: "idle", task: null, attempt: null, agent_pid: null, updated_at: now });
    }
    task.handoff = { attempt: token.attempt, at: now, ...result };
    task.updated_at = now;
    task.detail = result.outcome === "succeeded" ? "done; waiting for the lead to merge" : `failed: ${result.error ?? "the agent failed"}`;
    if (result.outcome === "succeeded") task.percent = 100;
    if (result.usage) task.usage = addUsage(task.usage, result.usage);
    if (result.final_message !== undefined) task.final_message = result.final_message;
    if (agentResult !== undefined) task.result = agentResult;
  });
  if (fence.applied) {
    const spent = result.usage ? { usage: result.usage } : {};
    await store.event({
      type: "attempt.handoff",
      task: token.task,
      attempt: token.attempt,
      worker: token.worker,
      reason: result.outcome === "failed" ? result.error : undefined,
      data: result.outcome === "succeeded" ? { commit: result.commit, ...spent } : { outcome: "failed", ...(result.blocked ? { blocked: true } : {}), ...spent },
    });
  }
  return fence.applied;
}

// The lead's own check of handed-off commits against the file guard, before any merge: a worker that skipped or
// got around its check (or wrote the hand-off by hand) still cannot land a change outside the subtask's files.
import { guardFeedback, refusedChanges } from "../guard/check-changes.js";
import { sendMessage } from "../ops/inbox.js";
import { endAttempt } from "./end-attempt.js";
import type { LeadContext } from "./lead-context.js";

export interface SucceededHandoff {
  task: string;
  attempt: number;
  commit: string;
  worker: string | undefined;
  /** The integration commit the attempt started from (progress.json `base`). */
  base: string | undefined;
}

/** The hand-offs the file guard lets through; each refused one ends its attempt ("refused") with feedback. */
export async function guardHandoffs(ctx: LeadContext, handoffs: SucceededHandoff[]): Promise<SucceededHandoff[]> {
  const passed: SucceededHandoff[] = [];
  for (const handoff of handoffs) {
    const subtask = ctx.plan?.byId.get(handoff.task);
    const reason = subtask ? await refusedChanges(ctx.store.paths.root, handoff.base, subtask, ctx.config, handoff.commit) : undefined;
    if (!reason) {
      passed.push(handoff);
      continue;
    }
    await sendMessage(ctx.store, handoff.task, { kind: "feedback", from: "guard", text: guardFeedback(reason) }).catch(() => undefined);
    await endAttempt(ctx, handoff.task, handoff.attempt, handoff.worker, "refused", `file guard: ${reason}`);
  }
  return passed;
}

// Taking the hand-offs: failed attempts end, succeeded ones are merged and tagged in one batch beside the
// scheduling loop, and recorded completed in one write of progress.json.
import { sendMessage } from "../ops/inbox.js";
import type { Usage } from "../schema/common.js";
import type { TaskState } from "../schema/progress.js";
import { endAttempt } from "./end-attempt.js";
import { guardHandoffs, type SucceededHandoff } from "./guard-handoffs.js";
import { integrateBatch, type IntegrateResult } from "./integrate.js";
import { handedOffNow, type LeadContext } from "./lead-context.js";
import { markCompleted, type Completion, type CompletionMarks } from "./progress-changes.js";

/** Starts merging every ready hand-off, unless merges are under way (they look for more before they stop). */
export function startIntegration(ctx: LeadContext): void {
  if (ctx.integrating) return;
  ctx.integrating = integrateReady(ctx)
    .catch((error: unknown) => {
      ctx.integrationError = error;
    })
    .finally(() => {
      ctx.integrating = undefined;
      ctx.poke();
    });
}

/** Batches until no hand-off is left: those that arrive during one batch make the next. */
async function integrateReady(ctx: LeadContext): Promise<void> {
  for (;;) {
    const progress = await ctx.store.progress.read();
    const ready = Object.entries(progress.tasks).filter(([, task]) => handedOffNow(task));
    if (ready.length === 0) return;
    await takeHandoffs(ctx, ready);
  }
}

/** Failed attempts end one by one; succeeded ones are merged and tagged in one ref transaction and recorded in one write. */
async function takeHandoffs(ctx: LeadContext, ready: [string, TaskState][]): Promise<void> {
  const handedOff: SucceededHandoff[] = [];
  const usageOf = new Map<string, Usage | undefined>();
  for (const [id, task] of ready) {
    const handoff = task.handoff;
    usageOf.set(id, handoff?.usage);
    const attempt = task.attempt ?? 0;
    const worker = task.assignee ?? undefined;
    if (!handoff) continue;
    // A spent budget blocks the task at once (a person may raise it); other failures are retried.
    if (handoff.outcome === "failed" && handoff.blocked) await endAttempt(ctx, id, attempt, worker, "budget", handoff.error ?? "budget exhausted", false, "blocked", { noRetry: true });
    else if (handoff.outcome === "failed" || !handoff.commit) await endAttempt(ctx, id, attempt, worker, "failed", handoff.error ?? "the agent failed");
    else handedOff.push({ task: id, attempt, commit: handoff.commit, worker, base: task.base });
  }
  const succeeded = await guardHandoffs(ctx, handedOff);
  if (succeeded.length === 0) return;
  const head = await ctx.integrationHead();
  const results = await integrateBatch({ root: ctx.store.paths.root, integrationBranch: ctx.config.integrationBranch, handoffs: succeeded, head });
  const completed: Completion[] = [];
  for (const { task, attempt, worker } of succeeded) {
    const result = results.get(task);
    if (!result) continue;
    if (result.ok) completed.push({ id: task, attempt, worker, commit: result.commit, tag: result.tag, usage: usageOf.get(task) });
    else await integrationFailed(ctx, task, attempt, worker, result);
  }
  await complete(ctx, completed);
}

async function integrationFailed(ctx: LeadContext, id: string, attempt: number, worker: string | undefined, result: Exclude<IntegrateResult, { ok: true }>): Promise<void> {
  if (result.kind === "refused") {
    await endAttempt(ctx, id, attempt, worker, "refused", result.reason);
    return;
  }
  const files = result.conflicts.join(", ");
  await sendMessage(ctx.store, id, {
    kind: "feedback",
    from: "lead",
    text: `Attempt ${attempt} conflicts with work that landed meanwhile, in: ${files}. The next attempt starts from the new integration head.`,
  }).catch(() => undefined);
  await endAttempt(ctx, id, attempt, worker, "conflict", `merge conflict with the integration branch in ${files}`, false, "blocked");
}

/** Records merged and tagged tasks as completed, all in one write. */
async function complete(ctx: LeadContext, completed: Completion[]): Promise<void> {
  if (completed.length === 0) return;
  const now = new Date();
  // Logged before progress.json changes: the tag already makes it completed, and a lead killed between the two
  // steps then leaves a task recovery completes (and logs again), never a completion missing from the log.
  for (const { id, attempt, worker, commit, tag, usage } of completed) {
    await ctx.store.event({ type: "task.status", task: id, attempt, worker, from: "in_progress", to: "completed", by: "lead", data: { commit, tag, ...(usage ? { usage } : {}) } });
  }
  let marks: CompletionMarks = { newlyCompleted: new Set() };
  await ctx.updateProgress((progress) => {
    marks = markCompleted(progress, completed, now);
  });
  for (const { id, attempt, commit, tag } of completed) {
    ctx.seen.delete(`${id}#${attempt}`);
    if (marks.newlyCompleted.has(id)) ctx.emit({ type: "task.completed", task: id, attempt, commit, tag });
  }
}

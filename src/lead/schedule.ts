// Scheduling: ready subtasks go to idle workers (messages first, then one progress.json write), workers are
// started while there is work and room, and subtasks removed from the plan before they started are dropped.
import { performance } from "node:perf_hooks";
import { newMessageId } from "../ops/inbox.js";
import type { Plan } from "../plan/load-plan.js";
import { readyTasks } from "../plan/ready.js";
import type { ProgressFile, WorkerState } from "../schema/progress.js";
import { workerWorktree } from "../store/paths.js";
import { isClaimLive, workerClaim } from "../util/process-identity.js";
import { holdBackSpent, runCapReached } from "./budgets.js";
import type { LeadContext } from "./lead-context.js";
import { markAssigned } from "./progress-changes.js";
import { CodexError } from "../errors.js";

/** A subtask removed from features.json that never started is dropped from progress.json. */
export async function dropRemoved(ctx: LeadContext, plan: Plan, progress: ProgressFile): Promise<void> {
  const removed = Object.entries(progress.tasks).filter(([id, task]) => !plan.byId.has(id) && task.status === "not_started" && !task.attempt);
  if (removed.length === 0) return;
  await ctx.updateProgress((draft) => {
    for (const [id] of removed) {
      const task = draft.tasks[id];
      if (task && task.status === "not_started" && !plan.byId.has(id)) delete draft.tasks[id];
    }
  });
}

export async function schedule(ctx: LeadContext, plan: Plan, progress: ProgressFile): Promise<void> {
  // Once the run's cap is reached nothing starts (running attempts finish); a task whose budget is spent is blocked;
  // a task whose inbox is invalid is held back until it is fixed.
  const ready = (await runCapReached(ctx, progress)) ? [] : await holdBackSpent(ctx, plan, progress, await offerable(ctx, readyTasks(plan, progress, new Date())));
  const idle = Object.entries(progress.workers ?? {})
    .filter(([id, w]) => w.status === "idle" && !w.task && usable(ctx, id, w))
    .map(([id]) => id);
  const pairs = idle.slice(0, ready.length).map((workerId, index) => ({ id: ready[index] ?? "", workerId }));
  const next = pairs.length;
  if (pairs.length > 0) await assign(ctx, plan, progress, pairs);
  // One idle worker more than the work needs, while there is room: a crashed worker's task is then
  // picked up at once instead of after a process start.
  const unassigned = ready.length - next;
  const registered = new Set(Object.keys(progress.workers ?? {}));
  const starting = ctx.pool.live().filter((child) => !registered.has(child.id)).length;
  // Adopted workers (of a lead that died) count against the limit like our own children.
  const adopted = ctx.adoptedWorkers(progress).length;
  const room = ctx.config.workers - ctx.pool.live().length - adopted;
  const spare = idle.length - next + starting > 0 ? 0 : 1;
  const wanted = unassigned > 0 ? unassigned - starting + spare : 0;
  for (let i = 0; i < Math.min(wanted, room); i++) ctx.pool.spawn();
}

/** Ready tasks without those held back by an inbox that is still the invalid text it was (a file read each). */
async function offerable(ctx: LeadContext, ready: string[]): Promise<string[]> {
  if (ctx.heldBack.size === 0) return ready;
  const out: string[] = [];
  for (const id of ready) {
    if (ctx.heldBack.has(id)) {
      const text = await ctx.store.inbox(id).readText().catch(() => null);
      if (text === ctx.heldBack.get(id)) continue;
      ctx.heldBack.delete(id);
      ctx.log(`${id}: its inbox changed; offering the task again`);
    }
    out.push(id);
  }
  return out;
}

async function holdBack(ctx: LeadContext, id: string, error: CodexError): Promise<void> {
  const text = await ctx.store.inbox(id).readText().catch(() => null);
  ctx.heldBack.set(id, text);
  const details = error.details.length > 0 ? `; ${error.details.join("; ")}` : "";
  ctx.log(`${id} waits: ${error.message}${details} — it starts once the inbox is fixed${error.hint ? ` (${error.hint})` : ""}`);
  await ctx.store.event({ type: "task.held_back", task: id, by: "lead", reason: ` ${error.message}` }).catch(() => undefined);
}

function usable(ctx: LeadContext, id: string, worker: WorkerState): boolean {
  // A key unsafe as a folder name never gets work (it would name the worktree).
  if (workerWorktree(ctx.store.paths, id) === undefined) return false;
  const child = ctx.pool.children.get(id);
  if (child) return !child.exit;
  if (worker.host !== ctx.host) return true;
  // Workers of a lead that died finish their task and exit; hand-started ones (no lead) join this run.
  if (worker.lead_pid && worker.lead_pid !== process.pid) return false;
  // The entry's pid is a claim: only the process that registered gets work, never whatever reuses its pid.
  return isClaimLive(workerClaim(worker));
}

/**
 * Gives each pair's task to its worker: the messages first, then one progress.json write for all of them.
 * The write also names each attempt's branch and worktree (they follow from the worker and the attempt), so
 * the worker need not write before it starts: it checks its token with a read.
 */
async function assign(ctx: LeadContext, plan: Plan, progress: ProgressFile, pairs: { id: string; workerId: string }[]): Promise<void> {
  const { store } = ctx;
  // Read every time: a person's rollback moves the branch too, and a redo must start from the reverted head.
  const base = await ctx.integrationHead();
  // The attempt numbers come from the tick's copy; the write below skips any that is out of date.
  const tasks = progress.tasks;
  const offers = pairs.map(({ id, workerId }) => {
    const attempt = (tasks[id]?.attempt ?? 0) + 1;
    return {
      id,
      workerId,
      attempt,
      message: { id: newMessageId(), kind: "assignment" as const, from: "lead", attempt, worker: workerId, base, text: `attempt ${attempt} of ${id}`, created_at: new Date().toISOString() },
    };
  });
  // The messages first: a crash right after leaves an unused message, never an assignment without one.
  // Written directly rather than through sendMessage, which re-reads the plan to check the id (we know it).
  await store.ensureDirs();
  const sent = await Promise.all(
    offers.map(async (offer) => {
      const inbox = store.inbox(offer.id);
      try {
        await inbox.update((draft) => {
          draft.messages.push(offer.message);
        });
      } catch (error: unknown) {
        // A person's invalid save of this inbox holds back this task only; the others are assigned as usual.
        if (!(error instanceof CodexError)) throw error;
        await holdBack(ctx, offer.id, error);
        return undefined;
      }
      await store.event({ type: "inbox.sent", task: offer.id, by: "lead", data: { id: offer.message.id, kind: offer.message.kind } });
      return offer;
    }),
  );
  const delivered = sent.filter((offer) => offer !== undefined);
  if (delivered.length === 0) return;
  let assigned = new Set<string>();
  await ctx.updateProgress((draft) => {
    assigned = markAssigned(draft, plan, delivered, { base, worktreesDir: store.paths.worktrees, now: new Date() });
  });
  for (const { id, workerId, attempt } of delivered) {
    if (!assigned.has(id)) continue;
    ctx.seen.set(`${id}#${attempt}`, { signature: "", at: performance.now() });
    await store.event({ type: "task.status", task: id, attempt, worker: workerId, from: "not_started", to: "in_progress", by: "lead", data: { base } });
    ctx.emit({ type: "task.assigned", task: id, attempt, worker: workerId });
  }
}

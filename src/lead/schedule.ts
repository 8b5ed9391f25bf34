// Scheduling: ready subtasks go to idle workers (messages first, then one progress.json write), workers are
// started while there is work and room, and subtasks removed from the plan before they started are dropped.
import { performance } from "node:perf_hooks";
import { isProcessAlive } from "../agents/shell.js";
import { newMessageId } from "../ops/inbox.js";
import type { Plan } from "../plan/load-plan.js";
import { readyTasks } from "../plan/ready.js";
import type { ProgressFile } from "../schema/progress.js";
import { holdBackSpent, runCapReached } from "./budgets.js";
import type { LeadContext } from "./lead-context.js";
import { markAssigned } from "./progress-changes.js";

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
  // Once the run's cap is reached nothing starts (running attempts finish); a task whose budget is spent is blocked.
  const ready = (await runCapReached(ctx, progress)) ? [] : await holdBackSpent(ctx, plan, progress, readyTasks(plan, progress, new Date()));
  const idle = Object.entries(progress.workers ?? {})
    .filter(([id, w]) => w.status === "idle" && !w.task && usable(ctx, id, w.pid, w.host, w.lead_pid ?? undefined))
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

function usable(ctx: LeadContext, id: string, pid: number, host: string, leadPid: number | undefined): boolean {
  const child = ctx.pool.children.get(id);
  if (child) return !child.exit;
  if (host !== ctx.host) return true;
  // Workers of a lead that died finish their task and exit; hand-started ones (no lead) join this run.
  if (leadPid && leadPid !== process.pid) return false;
  return isProcessAlive(pid);
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
  await Promise.all(
    offers.map(async ({ id, message }) => {
      await store.inbox(id).update((inbox) => {
        inbox.messages.push(message);
      });
      await store.event({ type: "inbox.sent", task: id, by: "lead", data: { id: message.id, kind: message.kind } });
    }),
  );
  let assigned = new Set<string>();
  await ctx.updateProgress((draft) => {
    assigned = markAssigned(draft, plan, offers, { base, worktreesDir: store.paths.worktrees, now: new Date() });
  });
  for (const { id, workerId, attempt } of offers) {
    if (!assigned.has(id)) continue;
    ctx.seen.set(`${id}#${attempt}`, { signature: "", at: performance.now() });
    await store.event({ type: "task.status", task: id, attempt, worker: workerId, from: "not_started", to: "in_progress", by: "lead", data: { base } });
    ctx.emit({ type: "task.assigned", task: id, attempt, worker: workerId });
  }
}

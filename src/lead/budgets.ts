// Budgets the lead enforces before an attempt starts: a subtask whose credits are spent is blocked (a person may
// raise its `budget` and unblock it), and once the run's cap is reached no attempt starts at all.
import { profileNameOf, resolveProfile } from "../agents/profiles.js";
import type { Plan } from "../plan/load-plan.js";
import type { ProgressFile } from "../schema/progress.js";
import { budgetExhaustedReason } from "../agents/contract.js";
import type { LeadContext } from "./lead-context.js";

/** Credits recorded in progress.json over every task. */
export function creditsSpent(progress: ProgressFile): number {
  let sum = 0;
  for (const task of Object.values(progress.tasks)) sum += task.usage?.credits ?? 0;
  return sum;
}

/**
 * The ready tasks that may start; those whose budget is spent are marked blocked with the reason instead.
 * A shell command spends nothing, so only agents that spend credits are held back.
 */
export async function holdBackSpent(ctx: LeadContext, plan: Plan, progress: ProgressFile, ready: string[]): Promise<string[]> {
  const spent = new Map<string, string>();
  for (const id of ready) {
    const task = plan.byId.get(id);
    const limit = task?.budget ?? ctx.config.taskBudget;
    if (!task || limit === undefined) continue;
    const used = progress.tasks[id]?.usage?.credits ?? 0;
    if (used < limit) continue;
    const profile = resolveProfile(profileNameOf(task, ctx.config), ctx.config);
    if (profile.ok && profile.profile.type === "shell") continue;
    spent.set(id, budgetExhaustedReason(id, used, limit));
  }
  if (spent.size === 0) return ready;
  const blocked: string[] = [];
  await ctx.updateProgress((draft) => {
    const now = new Date().toISOString();
    for (const [id, reason] of spent) {
      const task = draft.tasks[id] ?? { status: "not_started" as const };
      if (task.status !== "not_started") continue;
      draft.tasks[id] = { ...task, status: "blocked", reason, updated_at: now, not_before: null };
      blocked.push(id);
    }
  });
  for (const id of blocked) {
    const reason = spent.get(id) ?? "";
    await ctx.store.event({ type: "task.status", task: id, from: "not_started", to: "blocked", reason, by: "lead" });
    ctx.emit({ type: "task.blocked", task: id, reason });
  }
  return ready.filter((id) => !spent.has(id));
}

/**
 * Whether the run's credit cap (`run_budget`, `--max-credits`) is reached: the credits recorded since this run
 * started. Said once, in the run's events and the audit log; from then on no attempt starts.
 */
export async function runCapReached(ctx: LeadContext, progress: ProgressFile): Promise<boolean> {
  const cap = ctx.runBudget;
  if (cap.limit === undefined) return false;
  if (cap.reached !== undefined) return true;
  const spent = creditsSpent(progress) - cap.atStart;
  if (spent < cap.limit) return false;
  cap.reached = `run budget reached: ${spent} of ${cap.limit} credits spent in this run — running attempts finish, no new one starts`;
  ctx.log(cap.reached);
  await ctx.store.event({ type: "run.budget_reached", by: "lead", reason: cap.reached, data: { spent, limit: cap.limit } });
  return true;
}

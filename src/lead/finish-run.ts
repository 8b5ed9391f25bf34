// How a run ends: finished when nothing more can happen without a person, or interrupted (SIGINT/SIGTERM);
// either way our workers are stopped and what dead ones left behind is cleared up.
import { killProcessGroup } from "../agents/shell.js";
import { addUsage } from "../agents/contract.js";
import { ExitCode } from "../errors.js";
import { recordedUsage } from "./end-attempt.js";
import type { Plan } from "../plan/load-plan.js";
import type { ProgressFile } from "../schema/progress.js";
import type { LeadContext, LeadResult } from "./lead-context.js";
import { cleanOrphanWorktrees, markDeadWorkers } from "./recover.js";
import type { RunSnapshot } from "./run-events.js";
import { describeWaiting } from "./run-summary.js";
import { writeMirror } from "./write-mirror.js";

/** Over when nothing runs and nothing can start without a person. */
export async function finishedResult(ctx: LeadContext, plan: Plan, progress: ProgressFile, snapshot: RunSnapshot): Promise<LeadResult | undefined> {
  if (ctx.integrating) return undefined; // its end wakes the loop
  const status = (id: string) => progress.tasks[id]?.status ?? "not_started";
  // With the run's credit cap reached nothing more starts: the run is over once the running attempts ended.
  const capped = ctx.runBudget.reached !== undefined;
  for (const task of plan.tasks) {
    const s = status(task.id);
    if (s === "in_progress") return undefined;
    if (!capped && s === "not_started" && task.deps.every((dep) => status(dep) === "completed")) return undefined;
  }
  const waiting = describeWaiting(plan, progress);
  if (capped && snapshot.counts.completed !== snapshot.total) waiting.unshift(ctx.runBudget.reached ?? "run budget reached");
  const exitCode =
    snapshot.counts.completed === snapshot.total ? ExitCode.ok : capped ? ExitCode.budget : snapshot.counts.failed > 0 ? ExitCode.failed : ExitCode.blocked;
  await writeMirror(ctx, progress, true);
  await stopWorkers(ctx, 5000);
  await clearUpDeadWorkers(ctx);
  await ctx.store.event({ type: "run.finished", by: "lead", data: { exitCode, counts: snapshot.counts } });
  const result = { exitCode, snapshot, waiting };
  ctx.emit({ type: "run.finished", ...result });
  return result;
}

/**
 * At the start, and once our workers are stopped at the end: workers that died without saying so (SIGKILL) are
 * marked exited, and what they left — an agent, a worktree (its work committed on its branch), a lock taken
 * mid-write — is cleared up.
 */
export async function clearUpDeadWorkers(ctx: LeadContext): Promise<void> {
  const { unsafe } = await markDeadWorkers(ctx.store);
  for (const id of unsafe) ctx.log(`ignored the worker entry ${JSON.stringify(id)} in .codex/progress.json: its key is not a safe worker id (remove the entry)`);
  await cleanOrphanWorktrees(ctx.store, (line) => ctx.log(line));
  for (const file of ctx.store.clearDeadLocks()) ctx.log(`removed the lock a dead process held on ${file}`);
}

/** Stops our children and the workers we adopted from a lead that died; returns their ids. */
export async function stopWorkers(ctx: LeadContext, graceMs: number): Promise<Set<string>> {
  // Live workers of a lead that died are adopted first (also one that joined after our start), so that they
  // are stopped with ours rather than left running. A progress.json a person left invalid must not keep us
  // from stopping our own children: then only those are stopped.
  await markDeadWorkers(ctx.store).catch(() => undefined);
  const progress = await ctx.store.progress.read().catch(() => undefined);
  const adopted = ctx.adoptedWorkers(progress);
  await Promise.all([ctx.pool.stopAll(graceMs), ...adopted.map(([, w]) => killProcessGroup(w.pid, { graceMs }))]);
  return new Set([...ctx.pool.children.keys(), ...adopted.map(([id]) => id)]);
}

/** SIGINT/SIGTERM: stop workers cleanly (their work stays on their branches) and put their tasks back. */
export async function interrupt(ctx: LeadContext): Promise<LeadResult> {
  await ctx.integrating; // a batch whose refs moved must reach progress.json
  const stopped = await stopWorkers(ctx, 5000);
  await clearUpDeadWorkers(ctx);
  // What the stopped attempts spent, where a call record tells (they hand nothing off).
  const before = await ctx.store.progress.read().catch(() => undefined);
  const spent = new Map(
    Object.entries(before?.tasks ?? {}).flatMap(([id, task]) => {
      const usage = task.status === "in_progress" && task.attempt ? recordedUsage(ctx, id, task.attempt) : undefined;
      return usage ? [[`${id}#${task.attempt}`, usage] as const] : [];
    }),
  );
  await ctx.updateProgress((progress) => {
    const now = new Date().toISOString();
    for (const [id, task] of Object.entries(progress.tasks)) {
      if (task.status !== "in_progress" || !task.assignee || !stopped.has(task.assignee) || task.handoff) continue;
      const usage = spent.get(`${id}#${task.attempt ?? 0}`);
      if (usage) task.usage = addUsage(task.usage, usage);
      task.status = "not_started";
      task.reason = "run interrupted; work so far is kept on its branch";
      task.assignee = null;
      task.updated_at = now;
    }
  });
  await ctx.store.event({ type: "run.interrupted", by: "lead" });
  const plan = ctx.plan;
  const progress = await ctx.store.progress.read();
  const snapshot = plan ? ctx.snapshot(plan, progress) : { counts: { not_started: 0, in_progress: 0, blocked: 0, completed: 0, failed: 0 }, total: 0, running: [], elapsedMs: 0, etaMs: undefined, paused: undefined };
  const result = { exitCode: ExitCode.interrupted, snapshot, waiting: plan ? describeWaiting(plan, progress) : [] };
  ctx.emit({ type: "run.finished", ...result });
  return result;
}

// Watching the running attempts: leases judged on the lead's own monotonic clock, workers that exited or
// vanished without reporting, and the agents they left behind.
import path from "node:path";
import { performance } from "node:perf_hooks";
import { isProcessAlive, killProcessGroup, killProcessesUnder } from "../agents/shell.js";
import type { ProgressFile, WorkerState } from "../schema/progress.js";
import { profileNameOf, resolveProfile } from "../agents/profiles.js";
import { endAttempt } from "./end-attempt.js";
import { salvageWorktree } from "./recover.js";
import { handedOffNow, type LeadContext } from "./lead-context.js";
import { WorkerPool } from "./worker-pool.js";

/** What became of each running attempt; ends the dead and stalled ones. True when one handed off. */
export async function watchAttempts(ctx: LeadContext, progress: ProgressFile): Promise<boolean> {
  const mono = performance.now();
  let handedOff = false;
  for (const [id, task] of Object.entries(progress.tasks)) {
    if (task.status !== "in_progress" || !task.attempt) continue;
    const attempt = task.attempt;
    const workerId = task.assignee ?? "";
    const worker = progress.workers?.[workerId];
    const key = `${id}#${attempt}`;
    const signature = `${task.updated_at ?? ""}|${worker?.updated_at ?? ""}`;
    const seen = ctx.seen.get(key);
    if (!seen || seen.signature !== signature) ctx.seen.set(key, { signature, at: mono });
    const silentMs = mono - (ctx.seen.get(key)?.at ?? mono);

    if (handedOffNow(task)) {
      handedOff = true;
      continue;
    }
    const child = ctx.pool.children.get(workerId);
    if (child?.exit) {
      const how = child.exit.signal ? `killed by ${child.exit.signal}` : `exited with code ${child.exit.code}`;
      const tail = WorkerPool.tail(child.logFile);
      await killAgentsOf(ctx, workerId, worker);
      await keepWorkForResume(ctx, id, workerId, worker);
      await endAttempt(ctx, id, attempt, workerId, "exited", `worker ${workerId} ${how} without reporting${tail ? `; log tail: ${tail.slice(-400)}` : ""}`);
      continue;
    }
    if (!child && worker && worker.host === ctx.host && !isProcessAlive(worker.pid)) {
      await killAgentsOf(ctx, workerId, worker);
      await keepWorkForResume(ctx, id, workerId, worker);
      await endAttempt(ctx, id, attempt, workerId, "exited", `worker ${workerId} (pid ${worker.pid}) is gone without reporting`);
      continue;
    }
    if (silentMs > ctx.config.stallTimeoutMs) {
      ctx.emit({ type: "worker.stalled", worker: workerId, task: id, attempt, silentMs });
      if (worker && worker.host === ctx.host) {
        // Kill the worker's group and the agent's: a stopped (SIGSTOP) process dies of SIGKILL too.
        await killProcessGroup(worker.pid, { graceMs: 0 });
        await killAgentsOf(ctx, workerId, worker);
        await keepWorkForResume(ctx, id, workerId, worker);
      }
      await endAttempt(ctx, id, attempt, workerId, "stalled", `no heartbeat from ${workerId} for ${Math.round(silentMs)} ms (stall timeout ${ctx.config.stallTimeoutMs} ms)`, true);
    }
  }
  return handedOff;
}

/**
 * The agent leads its own process group, so a worker that died (SIGKILL) left it running, orphaned:
 * kill its recorded group, and whatever else still runs in the worker's worktree (an agent whose pid
 * was never recorded because the worker died right after starting it).
 */
async function killAgentsOf(ctx: LeadContext, workerId: string, worker: WorkerState | undefined): Promise<void> {
  if (worker && worker.host !== ctx.host) return;
  if (worker?.agent_pid) await killProcessGroup(worker.agent_pid, { graceMs: 0 });
  await killProcessesUnder(path.join(ctx.store.paths.worktrees, workerId));
}

/**
 * The openai agent's next attempt continues from the work a dead one left, so that work is committed on the dead
 * attempt's branch now (a WIP commit) rather than when the run ends. Only once its worker and agent are killed.
 */
async function keepWorkForResume(ctx: LeadContext, id: string, workerId: string, worker: WorkerState | undefined): Promise<void> {
  if (!workerId || (worker && worker.host !== ctx.host)) return;
  const task = ctx.plan?.byId.get(id);
  const profile = task ? resolveProfile(profileNameOf(task, ctx.config), ctx.config) : undefined;
  if (!profile?.ok || profile.profile.type !== "openai") return;
  await salvageWorktree(ctx.store, workerId, (line) => ctx.log(line));
}

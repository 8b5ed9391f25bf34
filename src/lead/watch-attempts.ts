// Watching the running attempts: leases judged on the lead's own monotonic clock, workers that exited or
// vanished without reporting, and the agents they left behind.
import { performance } from "node:perf_hooks";
import { killProcessGroup, killProcessesUnder } from "../agents/shell.js";
import { whyNotOurs } from "../git/index.js";
import { workerWorktree } from "../store/paths.js";
import { agentClaim, checkClaim, isClaimLive, workerClaim } from "../util/process-identity.js";
import { ownershipOf } from "./recover.js";
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
    // The pid in the entry is a claim: a reused pid (another process now) counts as gone, and is never signalled.
    const claim = !child && worker && worker.host === ctx.host ? checkClaim(workerClaim(worker)) : "ours";
    if (worker && claim !== "ours") {
      await killAgentsOf(ctx, workerId, worker);
      await keepWorkForResume(ctx, id, workerId, worker);
      const what = claim === "gone" ? "is gone" : "is gone (its pid now names another process)";
      await endAttempt(ctx, id, attempt, workerId, "exited", `worker ${workerId} (pid ${worker.pid}) ${what} without reporting`);
      continue;
    }
    if (silentMs > ctx.config.stallTimeoutMs) {
      ctx.emit({ type: "worker.stalled", worker: workerId, task: id, attempt, silentMs });
      if (worker && worker.host === ctx.host) {
        // Kill the worker's group and the agent's: a stopped (SIGSTOP) process dies of SIGKILL too. Our own child
        // by its pid from spawn; any other only as the process that registered (checked just above).
        await killProcessGroup(child?.pid ?? worker.pid, { graceMs: 0 });
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
  const agent = worker ? agentClaim(worker) : undefined;
  if (agent && isClaimLive(agent)) await killProcessGroup(agent.pid, { graceMs: 0 });
  // Only in a worktree we made, under a worker id safe as a folder name (the id is a key read from progress.json).
  const worktree = workerWorktree(ctx.store.paths, workerId);
  if (worktree !== undefined && whyNotOurs(await ownershipOf(ctx.store), worktree) === undefined) await killProcessesUnder(worktree);
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

// codex-lead run: schedules ready subtasks onto workers, watches their leases, merges and tags finished
// work, and ends when nothing more can happen without a person. All state is in files and git.
// This file holds the loop; each of its steps lives in its own file (watch-attempts, take-handoffs,
// schedule, finish-run), sharing the LeadContext.
import { existsSync } from "node:fs";
import { startTimeOf } from "../util/process-identity.js";
import { performance } from "node:perf_hooks";
import { CodexError, InvalidFileError, UsageError } from "../errors.js";
import { ensureBranch, ensureGitIdentity, gitRoot } from "../git/index.js";
import { planOfText, type Plan } from "../plan/load-plan.js";
import { resolveConfig, timingProblems, type Config } from "../schema/config.js";
import type { ProgressFile } from "../schema/progress.js";
import { CodexStore } from "../store/codex-store.js";
import { Wake } from "../store/wake.js";
import { parseDuration } from "../util/duration.js";
import { creditsSpent } from "./budgets.js";
import { clearUpDeadWorkers, finishedResult, interrupt, stopWorkers } from "./finish-run.js";
import { LeadContext, type LeadOptions, type LeadResult } from "./lead-context.js";
import { acquireLeadLock } from "./lead-lock.js";
import { recoverCompletions } from "./recover.js";
import { assertRepositoryUsable } from "./repository-checks.js";
import type { RunSnapshot } from "./run-events.js";
import { dropRemoved, schedule } from "./schedule.js";
import { startupTrace } from "./startup-trace.js";
import { startIntegration } from "./take-handoffs.js";
import { watchAttempts } from "./watch-attempts.js";
import { writeMirror } from "./write-mirror.js";

export type { LeadOptions, LeadResult } from "./lead-context.js";

export async function runLead(options: LeadOptions): Promise<LeadResult> {
  startupTrace("runLead");
  const root = await gitRoot(options.root).catch((error: unknown) => {
    throw new CodexError("E_NOT_GIT", `${options.root} is not inside a git repository`, {
      hint: "codex-lead run needs git: run `git init` and make a first commit.",
      cause: error,
    });
  });
  const bootstrap = new CodexStore(root);
  if (!existsSync(bootstrap.paths.features)) {
    throw new CodexError("E_NO_PLAN", `${bootstrap.paths.features} does not exist`, {
      hint: "Run `codex-lead init` (or `codex-lead init --example`) first.",
    });
  }
  const config = applyOverrides(resolveConfig(await bootstrap.config.read()), options);
  const store = new CodexStore(root, { lockStaleMs: config.lockStaleMs, fsync: config.fsync });
  const planText = await store.features.readText();
  // A broken plan at the start is a usage error, not a pause.
  const plan = await planOfText(store, planText);
  startupTrace("plan checked");
  const releaseLock = await acquireLeadLock(store, (error) => options.onEvent?.({ type: "run.note", message: `lead lock: ${error.message}` }));
  const lead = new Lead(new LeadContext(store, config, options, plan, planText ?? undefined));
  try {
    return await lead.run();
  } finally {
    await releaseLock().catch(() => undefined);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
    if (signal?.aborted) done();
  });
}

function applyOverrides(config: Config, options: LeadOptions): Config {
  const result = {
    ...config,
    workers: options.workers ?? config.workers,
    stallTimeoutMs: options.stallTimeout !== undefined ? parseDuration(options.stallTimeout, "--stall-timeout") : config.stallTimeoutMs,
    heartbeatMs: options.heartbeat !== undefined ? parseDuration(options.heartbeat, "--heartbeat") : config.heartbeatMs,
    maxAttempts: options.maxAttempts ?? config.maxAttempts,
    runBudget: options.maxCredits ?? config.runBudget,
  };
  // config.json was checked when read; a flag can still make the pair unworkable.
  const problems = timingProblems(result);
  if (problems.length > 0) {
    throw new UsageError(problems.map((p) => `${p.field}: ${p.message}`).join("; "), "Give --heartbeat and --stall-timeout (or heartbeat and stall_timeout in .codex/config.json) values within these limits.");
  }
  return result;
}

class Lead {
  private lastProgressKey = "";
  private lastProgressAt = 0;

  constructor(private readonly ctx: LeadContext) {}

  async run(): Promise<LeadResult> {
    const { ctx } = this;
    const { store, config } = ctx;
    const root = store.paths.root;
    await store.ensureDirs();
    await ensureGitIdentity(root); // inherited by the workers we start
    // The user's checkout is never touched: a branch someone has checked out is not ours to move.
    await assertRepositoryUsable(root, config.integrationBranch);
    await ensureBranch(root, config.integrationBranch, "HEAD");
    const plan = (await this.readPlan()) ?? ctx.plan;
    if (!plan) throw new CodexError("E_NO_PLAN", "no valid plan to run");
    startupTrace("lead lock held, integration branch ready");
    const recovered = await recoverCompletions(store, plan, config.integrationBranch);
    startupTrace("completions recovered from git");
    await clearUpDeadWorkers(ctx);
    startupTrace("dead workers, their worktrees and locks handled");
    const now = new Date().toISOString();
    await store.progress.update((progress) => {
      ctx.runBudget.atStart = creditsSpent(progress);
      progress.run = { lead_pid: process.pid, lead_start: startTimeOf(process.pid) ?? null, host: ctx.host, started_at: now, updated_at: now, integration_branch: config.integrationBranch };
    });
    await store.event({ type: "run.started", by: "lead", data: { pid: process.pid, workers: config.workers, recovered } });
    ctx.emit({ type: "run.started", total: plan.tasks.length, workers: config.workers, integrationBranch: config.integrationBranch, recovered });

    // File events are hints that wake the loop early; the timer re-reads everything regardless.
    const wake = new Wake(store.paths.dir);
    ctx.wake = wake;
    const tickMs = ctx.options.tickMs ?? Math.max(50, Math.min(250, Math.floor(config.heartbeatMs / 2)));
    let interrupted = false;
    const onAbort = () => {
      interrupted = true;
      wake.poke();
    };
    ctx.options.signal?.addEventListener("abort", onAbort);
    if (ctx.options.signal?.aborted) interrupted = true;
    try {
      for (;;) {
        if (interrupted) return await interrupt(ctx);
        try {
          const finished = await this.tick();
          if (finished) return finished;
        } catch (error: unknown) {
          // A named failure (git refused, a lock stayed busy, …) is retried on the next tick; the state is in
          // the files, so nothing is lost. Anything else is a bug: stop our workers, then let it surface.
          if (!(error instanceof CodexError)) {
            await stopWorkers(ctx, 5000).catch(() => undefined);
            throw error;
          }
          ctx.log(`tick failed, retrying: ${error.message}`);
          // A plain pause that only Ctrl-C cuts short: file events must not turn a failure repeating on every
          // tick into a busy loop (our own writes and every heartbeat are file events).
          await sleep(Math.max(tickMs, 1000), ctx.options.signal);
          continue;
        }
        await wake.wait(tickMs);
      }
    } finally {
      ctx.options.signal?.removeEventListener("abort", onAbort);
      await wake.close();
    }
  }

  /** One pass: observe, handle hand-offs and failures, schedule, and tell whether the run is over. */
  private async tick(): Promise<LeadResult | undefined> {
    const { ctx } = this;
    const failure = ctx.integrationError;
    ctx.integrationError = undefined;
    if (failure !== undefined) throw failure;
    const fresh = await this.readPlan();
    let progress: ProgressFile;
    try {
      progress = await ctx.store.progress.read();
    } catch (error: unknown) {
      if (error instanceof InvalidFileError) {
        // Nothing can be written until the person fixes it: every transition waits.
        this.pause(`${error.message} — scheduling waits until it is fixed`);
        return undefined;
      }
      throw error;
    }
    // An invalid plan pauses scheduling only: running attempts are still watched and merged with the last good plan.
    const plan = fresh ?? ctx.plan;
    if (!plan) return undefined;
    if (fresh && ctx.paused) {
      ctx.paused = undefined;
      ctx.emit({ type: "run.resumed" });
    }
    // Re-read only after our own writes: a tick runs on every change of the file, and reading it is most of its cost.
    let writes = ctx.progressWrites;
    // The merges run beside the loop; what they make ready is scheduled on the tick their end wakes.
    if (await watchAttempts(ctx, progress)) startIntegration(ctx);
    if (!fresh) return undefined;
    if (ctx.progressWrites !== writes) progress = await ctx.store.progress.read();
    writes = ctx.progressWrites;
    await dropRemoved(ctx, plan, progress);
    await schedule(ctx, plan, progress);
    if (ctx.progressWrites !== writes) progress = await ctx.store.progress.read();
    await writeMirror(ctx, progress, false);
    const snapshot = ctx.snapshot(plan, progress);
    this.emitProgress(snapshot);
    return finishedResult(ctx, plan, progress, snapshot);
  }

  /** Progress when the counts or the running set changed, else at most once a second: ticks can be frequent. */
  private emitProgress(snapshot: RunSnapshot): void {
    const key = `${JSON.stringify(snapshot.counts)}|${snapshot.running.map((r) => `${r.task}#${r.attempt}`).join(",")}|${snapshot.paused ?? ""}`;
    const now = performance.now();
    if (key === this.lastProgressKey && now - this.lastProgressAt < 1000) return;
    this.lastProgressKey = key;
    this.lastProgressAt = now;
    this.ctx.emit({ type: "run.progress", snapshot });
  }

  private async readPlan(): Promise<Plan | undefined> {
    const { ctx } = this;
    try {
      const text = await ctx.store.features.readText();
      // Checking the plan every tick is wasted work while the text is the same.
      if (text !== null && text === ctx.planText && ctx.plan) return ctx.plan;
      ctx.plan = await planOfText(ctx.store, text);
      ctx.planText = text ?? undefined;
      return ctx.plan;
    } catch (error: unknown) {
      if (!(error instanceof CodexError)) throw error;
      const details = error.details.length > 0 ? `: ${error.details.join("; ")}` : "";
      this.pause(`${error.message}${details} — scheduling is paused until the plan is fixed`);
      return undefined;
    }
  }

  private pause(message: string): void {
    const { ctx } = this;
    if (ctx.paused === message) return;
    ctx.paused = message;
    ctx.emit({ type: "run.paused", message });
    void ctx.store.event({ type: "run.paused", by: "lead", reason: message }).catch(() => undefined);
  }
}

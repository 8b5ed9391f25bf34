// codex-lead run: schedules ready subtasks onto workers, watches their leases, merges and tags finished
// work, and ends when nothing more can happen without a person. All state is in files and git.
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { isProcessAlive, killProcessGroup, killProcessesUnder } from "../agents/shell.js";
import { CodexError, ExitCode, InvalidFileError } from "../errors.js";
import { ensureBranch, ensureGitIdentity, gitCommonDir, gitRoot, resolveRef } from "../git/index.js";
import { planOfText, type Plan } from "../plan/load-plan.js";
import { rememberCheckedPlan } from "../plan/plan-cache.js";
import { newMessageId, sendMessage } from "../ops/inbox.js";
import { readyTasks } from "../plan/ready.js";
import { refreshMirror } from "../report/mirror.js";
import { resolveConfig, type Config } from "../schema/config.js";
import type { ProgressFile, TaskState, WorkerState } from "../schema/progress.js";
import { CodexStore } from "../store/codex-store.js";
import { parseDuration } from "../util/duration.js";
import { canonicalJson } from "../util/json-text.js";
import { endAttemptBadly } from "./attempts.js";
import { markAssigned, markCompleted, type Completion, type CompletionMarks } from "./progress-changes.js";
import { integrateBatch, type IntegrateResult } from "./integrate.js";
import { acquireLeadLock } from "./lead-lock.js";
import { cleanOrphanWorktrees, markDeadWorkers, recoverCompletions } from "./recover.js";
import type { RunEvent, RunSnapshot } from "./run-events.js";
import { WorkerPool } from "./worker-pool.js";
import { describeWaiting, runSnapshot, withoutMirror } from "./run-summary.js";
import { startupTrace } from "./startup-trace.js";
import { Wake } from "../store/wake.js";

export interface LeadOptions {
  root: string;
  workers?: number;
  stallTimeout?: string | number;
  heartbeat?: string | number;
  maxAttempts?: number;
  onEvent?: (event: RunEvent) => void;
  /** Stops the run like SIGINT does (tests); the CLI wires SIGINT/SIGTERM to it. */
  signal?: AbortSignal;
  /** Safety-net re-read interval; file events wake the loop sooner. */
  tickMs?: number;
}

export interface LeadResult {
  exitCode: number;
  snapshot: RunSnapshot;
  waiting: string[];
}

interface Seen {
  signature: string;
  at: number;
}

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
  const lead = new Lead(store, config, options, plan, planText ?? undefined);
  try {
    return await lead.run();
  } finally {
    await releaseLock().catch(() => undefined);
  }
}

/** The running attempt has handed off (its worker wrote the outcome); the lead's turn to merge or retry. */
function handedOffNow(task: TaskState): boolean {
  return task.status === "in_progress" && task.handoff !== undefined && task.handoff.attempt === task.attempt;
}

function applyOverrides(config: Config, options: LeadOptions): Config {
  return {
    ...config,
    workers: options.workers ?? config.workers,
    stallTimeoutMs: options.stallTimeout !== undefined ? parseDuration(options.stallTimeout, "--stall-timeout") : config.stallTimeoutMs,
    heartbeatMs: options.heartbeat !== undefined ? parseDuration(options.heartbeat, "--heartbeat") : config.heartbeatMs,
    maxAttempts: options.maxAttempts ?? config.maxAttempts,
  };
}

class Lead {
  private readonly host = os.hostname();
  private readonly seen = new Map<string, Seen>();
  private readonly pool: WorkerPool;
  private readonly startedAt = performance.now();
  private readonly durations: number[] = [];
  private paused: string | undefined;
  private plan: Plan | undefined;
  private planText: string | undefined;
  private lastMirror = 0;
  private mirrorSignature: string | undefined;
  private lastProgressKey = "";
  private lastProgressAt = 0;
  private wake: Wake | undefined;
  private commonDir: string | undefined;
  /** The merges under way, apart from the loop: idle workers get work while the lead merges. */
  private integrating: Promise<void> | undefined;
  /** What stopped the merges, raised by the next tick (a named error is retried, anything else stops the run). */
  private integrationError: unknown;
  /** Counts our writes of progress.json, so a tick knows when its copy is out of date. */
  private progressWrites = 0;

  constructor(
    private readonly store: CodexStore,
    private readonly config: Config,
    private readonly options: LeadOptions,
    plan: Plan,
    planText: string | undefined,
  ) {
    this.plan = plan;
    this.planText = planText;
    this.pool = new WorkerPool(store.paths.root, path.join(store.paths.dir, "logs"), config.heartbeatMs, () => this.poke());
  }

  private async updateProgress(mutate: (progress: ProgressFile) => void): Promise<void> {
    this.progressWrites++;
    await this.store.progress.update(mutate);
  }

  private emit(event: RunEvent): void {
    this.options.onEvent?.(event);
  }

  private poke(): void {
    this.wake?.poke();
  }

  private log(line: string): void {
    this.emit({ type: "run.note", message: line });
  }

  async run(): Promise<LeadResult> {
    const { store, config } = this;
    const root = store.paths.root;
    await store.ensureDirs();
    await ensureGitIdentity(root); // inherited by the workers we start
    await ensureBranch(root, config.integrationBranch, "HEAD");
    const plan = (await this.readPlan()) ?? this.plan;
    if (!plan) throw new CodexError("E_NO_PLAN", "no valid plan to run");
    startupTrace("lead lock held, integration branch ready");
    const recovered = await recoverCompletions(store, plan, config.integrationBranch);
    startupTrace("completions recovered from git");
    await this.clearUpDeadWorkers();
    startupTrace("dead workers, their worktrees and locks handled");
    const now = new Date().toISOString();
    await store.progress.update((progress) => {
      progress.run = { lead_pid: process.pid, host: this.host, started_at: now, updated_at: now, integration_branch: config.integrationBranch };
    });
    await store.event({ type: "run.started", by: "lead", data: { pid: process.pid, workers: config.workers, recovered } });
    this.emit({ type: "run.started", total: plan.tasks.length, workers: config.workers, integrationBranch: config.integrationBranch, recovered });

    // File events are hints that wake the loop early; the timer re-reads everything regardless.
    const wake = new Wake(store.paths.dir);
    this.wake = wake;
    const tickMs = this.options.tickMs ?? Math.max(50, Math.min(250, Math.floor(config.heartbeatMs / 2)));
    let interrupted = false;
    const onAbort = () => {
      interrupted = true;
      wake.poke();
    };
    this.options.signal?.addEventListener("abort", onAbort);
    if (this.options.signal?.aborted) interrupted = true;
    try {
      for (;;) {
        if (interrupted) return await this.interrupt();
        try {
          const finished = await this.tick();
          if (finished) return finished;
        } catch (error: unknown) {
          // A named failure (git refused, a lock stayed busy, …) is retried on the next tick; the state is in
          // the files, so nothing is lost. Anything else is a bug: stop our workers, then let it surface.
          if (!(error instanceof CodexError)) {
            await this.stopWorkers(5000).catch(() => undefined);
            throw error;
          }
          this.log(`tick failed, retrying: ${error.message}`);
          await wake.wait(Math.max(tickMs, 1000));
          continue;
        }
        await wake.wait(tickMs);
      }
    } finally {
      this.options.signal?.removeEventListener("abort", onAbort);
      await wake.close();
    }
  }

  /** One pass: observe, handle hand-offs and failures, schedule, and tell whether the run is over. */
  private async tick(): Promise<LeadResult | undefined> {
    const failure = this.integrationError;
    this.integrationError = undefined;
    if (failure !== undefined) throw failure;
    const fresh = await this.readPlan();
    let progress: ProgressFile;
    try {
      progress = await this.store.progress.read();
    } catch (error: unknown) {
      if (error instanceof InvalidFileError) {
        // Nothing can be written until the person fixes it: every transition waits.
        this.pause(`${error.message} — scheduling waits until it is fixed`);
        return undefined;
      }
      throw error;
    }
    // An invalid plan pauses scheduling only: running attempts are still watched and merged with the last good plan.
    const plan = fresh ?? this.plan;
    if (!plan) return undefined;
    if (fresh && this.paused) {
      this.paused = undefined;
      this.emit({ type: "run.resumed" });
    }
    // Re-read only after our own writes: a tick runs on every change of the file, and reading it is most of its cost.
    let writes = this.progressWrites;
    // The merges run beside the loop; what they make ready is scheduled on the tick their end wakes.
    if (await this.watchAttempts(progress)) this.startIntegration();
    if (!fresh) return undefined;
    if (this.progressWrites !== writes) progress = await this.store.progress.read();
    writes = this.progressWrites;
    await this.dropRemoved(plan, progress);
    await this.schedule(plan, progress);
    if (this.progressWrites !== writes) progress = await this.store.progress.read();
    await this.refreshMirror(progress, false);
    const snapshot = this.snapshot(plan, progress);
    this.emitProgress(snapshot);
    return this.finishedResult(plan, progress, snapshot);
  }

  /** Progress when the counts or the running set changed, else at most once a second: ticks can be frequent. */
  private emitProgress(snapshot: RunSnapshot): void {
    const key = `${JSON.stringify(snapshot.counts)}|${snapshot.running.map((r) => `${r.task}#${r.attempt}`).join(",")}|${snapshot.paused ?? ""}`;
    const now = performance.now();
    if (key === this.lastProgressKey && now - this.lastProgressAt < 1000) return;
    this.lastProgressKey = key;
    this.lastProgressAt = now;
    this.emit({ type: "run.progress", snapshot });
  }

  private async readPlan(): Promise<Plan | undefined> {
    try {
      const text = await this.store.features.readText();
      // Checking the plan every tick is wasted work while the text is the same.
      if (text !== null && text === this.planText && this.plan) return this.plan;
      this.plan = await planOfText(this.store, text);
      this.planText = text ?? undefined;
      return this.plan;
    } catch (error: unknown) {
      if (!(error instanceof CodexError)) throw error;
      const details = error.details.length > 0 ? `: ${error.details.join("; ")}` : "";
      this.pause(`${error.message}${details} — scheduling is paused until the plan is fixed`);
      return undefined;
    }
  }

  private pause(message: string): void {
    if (this.paused === message) return;
    this.paused = message;
    this.emit({ type: "run.paused", message });
    void this.store.event({ type: "run.paused", by: "lead", reason: message }).catch(() => undefined);
  }

  /** Leases, judged on our own monotonic clock, and what became of each running attempt. True when one handed off. */
  private async watchAttempts(progress: ProgressFile): Promise<boolean> {
    const mono = performance.now();
    let handedOff = false;
    for (const [id, task] of Object.entries(progress.tasks)) {
      if (task.status !== "in_progress" || !task.attempt) continue;
      const attempt = task.attempt;
      const workerId = task.assignee ?? "";
      const worker = progress.workers?.[workerId];
      const key = `${id}#${attempt}`;
      const signature = `${task.updated_at ?? ""}|${worker?.updated_at ?? ""}`;
      const seen = this.seen.get(key);
      if (!seen || seen.signature !== signature) this.seen.set(key, { signature, at: mono });
      const silentMs = mono - (this.seen.get(key)?.at ?? mono);

      if (handedOffNow(task)) {
        handedOff = true;
        continue;
      }
      const child = this.pool.children.get(workerId);
      if (child?.exit) {
        const how = child.exit.signal ? `killed by ${child.exit.signal}` : `exited with code ${child.exit.code}`;
        const tail = WorkerPool.tail(child.logFile);
        await this.killAgentsOf(workerId, worker);
        await this.endAttempt(id, attempt, workerId, "exited", `worker ${workerId} ${how} without reporting${tail ? `; log tail: ${tail.slice(-400)}` : ""}`);
        continue;
      }
      if (!child && worker && worker.host === this.host && !isProcessAlive(worker.pid)) {
        await this.killAgentsOf(workerId, worker);
        await this.endAttempt(id, attempt, workerId, "exited", `worker ${workerId} (pid ${worker.pid}) is gone without reporting`);
        continue;
      }
      if (silentMs > this.config.stallTimeoutMs) {
        this.emit({ type: "worker.stalled", worker: workerId, task: id, attempt, silentMs });
        if (worker && worker.host === this.host) {
          // Kill the worker's group and the agent's: a stopped (SIGSTOP) process dies of SIGKILL too.
          await killProcessGroup(worker.pid, { graceMs: 0 });
          await this.killAgentsOf(workerId, worker);
        }
        await this.endAttempt(id, attempt, workerId, "stalled", `no heartbeat from ${workerId} for ${Math.round(silentMs)} ms (stall timeout ${this.config.stallTimeoutMs} ms)`, true);
      }
    }
    return handedOff;
  }

  /**
   * The agent leads its own process group, so a worker that died (SIGKILL) left it running, orphaned:
   * kill its recorded group, and whatever else still runs in the worker's worktree (an agent whose pid
   * was never recorded because the worker died right after starting it).
   */
  private async killAgentsOf(workerId: string, worker: WorkerState | undefined): Promise<void> {
    if (worker && worker.host !== this.host) return;
    if (worker?.agent_pid) await killProcessGroup(worker.agent_pid, { graceMs: 0 });
    await killProcessesUnder(path.join(this.store.paths.worktrees, workerId));
  }

  /** Starts merging every ready hand-off, unless merges are under way (they look for more before they stop). */
  private startIntegration(): void {
    if (this.integrating) return;
    this.integrating = this.integrateReady()
      .catch((error: unknown) => {
        this.integrationError = error;
      })
      .finally(() => {
        this.integrating = undefined;
        this.poke();
      });
  }

  /** Batches until no hand-off is left: those that arrive during one batch make the next. */
  private async integrateReady(): Promise<void> {
    for (;;) {
      const progress = await this.store.progress.read();
      const ready = Object.entries(progress.tasks).filter(([, task]) => handedOffNow(task));
      if (ready.length === 0) return;
      await this.takeHandoffs(ready);
    }
  }

  /** Failed attempts end one by one; succeeded ones are merged and tagged in one ref transaction and recorded in one write. */
  private async takeHandoffs(ready: [string, TaskState][]): Promise<void> {
    const succeeded: { task: string; attempt: number; commit: string; worker: string | undefined }[] = [];
    for (const [id, task] of ready) {
      const handoff = task.handoff;
      const attempt = task.attempt ?? 0;
      const worker = task.assignee ?? undefined;
      if (!handoff) continue;
      if (handoff.outcome === "failed" || !handoff.commit) await this.endAttempt(id, attempt, worker, "failed", handoff.error ?? "the agent failed");
      else succeeded.push({ task: id, attempt, commit: handoff.commit, worker });
    }
    if (succeeded.length === 0) return;
    const root = this.store.paths.root;
    this.commonDir ??= await gitCommonDir(root);
    // Read every time (a file read): a person's rollback moves the branch too.
    const head = await resolveRef(root, this.commonDir, `refs/heads/${this.config.integrationBranch}`);
    const results = await integrateBatch({ root, integrationBranch: this.config.integrationBranch, handoffs: succeeded, head });
    const completed: Completion[] = [];
    for (const { task, attempt, worker } of succeeded) {
      const result = results.get(task);
      if (!result) continue;
      if (result.ok) completed.push({ id: task, attempt, worker, commit: result.commit, tag: result.tag });
      else await this.integrationFailed(task, attempt, worker, result);
    }
    await this.complete(completed);
  }

  private async integrationFailed(id: string, attempt: number, worker: string | undefined, result: Exclude<IntegrateResult, { ok: true }>): Promise<void> {
    if (result.kind === "refused") {
      await this.endAttempt(id, attempt, worker, "refused", result.reason);
      return;
    }
    const files = result.conflicts.join(", ");
    await sendMessage(this.store, id, {
      kind: "feedback",
      from: "lead",
      text: `Attempt ${attempt} conflicts with work that landed meanwhile, in: ${files}. The next attempt starts from the new integration head.`,
    }).catch(() => undefined);
    await this.endAttempt(id, attempt, worker, "conflict", `merge conflict with the integration branch in ${files}`, false, "blocked");
  }

  /** Records merged and tagged tasks as completed, all in one write. */
  private async complete(completed: Completion[]): Promise<void> {
    if (completed.length === 0) return;
    const now = new Date();
    // Logged before progress.json changes: the tag already makes it completed, and a lead killed between the two
    // steps then leaves a task recovery completes (and logs again), never a completion missing from the log.
    for (const { id, attempt, worker, commit, tag } of completed) {
      await this.store.event({ type: "task.status", task: id, attempt, worker, from: "in_progress", to: "completed", by: "lead", data: { commit, tag } });
    }
    let marks: CompletionMarks = { newlyCompleted: new Set(), startedAt: new Map() };
    await this.updateProgress((progress) => {
      marks = markCompleted(progress, completed, now);
    });
    for (const { id, attempt, commit, tag } of completed) {
      this.seen.delete(`${id}#${attempt}`);
      const started = marks.startedAt.get(id);
      if (started) this.durations.push(now.getTime() - Date.parse(started));
      if (marks.newlyCompleted.has(id)) this.emit({ type: "task.completed", task: id, attempt, commit, tag });
    }
  }

  private async endAttempt(
    id: string,
    attempt: number,
    worker: string | undefined,
    outcome: string,
    reason: string,
    workerGone = false,
    finalStatus: "failed" | "blocked" = "failed",
  ): Promise<void> {
    let decision: "retry" | "failed" | undefined;
    let notBefore: string | null | undefined;
    await this.updateProgress((progress) => {
      const task = progress.tasks[id];
      if (!task || task.status !== "in_progress" || task.attempt !== attempt) return;
      decision = endAttemptBadly(task, { attempt, worker, outcome, reason, now: new Date() }, this.config, { finalStatus });
      notBefore = task.not_before;
      const w = worker ? progress.workers?.[worker] : undefined;
      if (w && w.task === id && w.attempt === attempt) {
        w.task = null;
        w.attempt = null;
        w.agent_pid = null;
        w.status = workerGone ? "exited" : w.status === "busy" ? "idle" : w.status;
      }
    });
    this.seen.delete(`${id}#${attempt}`);
    if (!decision) return;
    const to = decision === "retry" ? "not_started" : finalStatus;
    await this.store.event({ type: "task.status", task: id, attempt, worker, from: "in_progress", to, reason: `${outcome}: ${reason}`, by: "lead" });
    if (decision === "retry") {
      this.emit({ type: "task.retry", task: id, attempt, reason: `${outcome}: ${reason}`, delayMs: notBefore ? Date.parse(notBefore) - Date.now() : 0 });
    } else if (finalStatus === "blocked") {
      this.emit({ type: "task.blocked", task: id, reason: `${outcome}: ${reason}` });
    } else {
      this.emit({ type: "task.failed", task: id, attempt, reason: `${outcome}: ${reason}` });
    }
  }

  /** A subtask removed from features.json that never started is dropped from progress.json. */
  private async dropRemoved(plan: Plan, progress: ProgressFile): Promise<void> {
    const removed = Object.entries(progress.tasks).filter(([id, task]) => !plan.byId.has(id) && task.status === "not_started" && !task.attempt);
    if (removed.length === 0) return;
    await this.updateProgress((draft) => {
      for (const [id] of removed) {
        const task = draft.tasks[id];
        if (task && task.status === "not_started" && !plan.byId.has(id)) delete draft.tasks[id];
      }
    });
  }

  private async schedule(plan: Plan, progress: ProgressFile): Promise<void> {
    const ready = readyTasks(plan, progress, new Date());
    const idle = Object.entries(progress.workers ?? {})
      .filter(([id, w]) => w.status === "idle" && !w.task && this.usable(id, w.pid, w.host, w.lead_pid ?? undefined))
      .map(([id]) => id);
    const pairs = idle.slice(0, ready.length).map((workerId, index) => ({ id: ready[index] ?? "", workerId }));
    const next = pairs.length;
    if (pairs.length > 0) await this.assign(plan, progress, pairs);
    // One idle worker more than the work needs, while there is room: a crashed worker's task is then
    // picked up at once instead of after a process start.
    const unassigned = ready.length - next;
    const registered = new Set(Object.keys(progress.workers ?? {}));
    const starting = this.pool.live().filter((child) => !registered.has(child.id)).length;
    // Adopted workers (of a lead that died) count against the limit like our own children.
    const adopted = Object.entries(progress.workers ?? {}).filter(
      ([id, w]) => !this.pool.children.has(id) && w.status !== "exited" && w.lead_pid === process.pid && w.host === this.host && isProcessAlive(w.pid),
    ).length;
    const room = this.config.workers - this.pool.live().length - adopted;
    const spare = idle.length - next + starting > 0 ? 0 : 1;
    const wanted = unassigned > 0 ? unassigned - starting + spare : 0;
    for (let i = 0; i < Math.min(wanted, room); i++) this.pool.spawn();
  }

  private usable(id: string, pid: number, host: string, leadPid: number | undefined): boolean {
    const child = this.pool.children.get(id);
    if (child) return !child.exit;
    if (host !== this.host) return true;
    // Workers of a lead that died finish their task and exit; hand-started ones (no lead) join this run.
    if (leadPid && leadPid !== process.pid) return false;
    return isProcessAlive(pid);
  }

  /**
   * Gives each pair's task to its worker: the messages first, then one progress.json write for all of them.
   * The write also names each attempt's branch and worktree (they follow from the worker and the attempt), so
   * the worker need not write before it starts: it checks its token with a read.
   */
  private async assign(plan: Plan, progress: ProgressFile, pairs: { id: string; workerId: string }[]): Promise<void> {
    const root = this.store.paths.root;
    // Read every time: a person's rollback moves the branch too, and a redo must start from the reverted head.
    this.commonDir ??= await gitCommonDir(root);
    const base = await resolveRef(root, this.commonDir, `refs/heads/${this.config.integrationBranch}`);
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
    await this.store.ensureDirs();
    await Promise.all(
      offers.map(async ({ id, message }) => {
        await this.store.inbox(id).update((inbox) => {
          inbox.messages.push(message);
        });
        await this.store.event({ type: "inbox.sent", task: id, by: "lead", data: { id: message.id, kind: message.kind } });
      }),
    );
    let assigned = new Set<string>();
    await this.updateProgress((progress) => {
      assigned = markAssigned(progress, plan, offers, { base, worktreesDir: this.store.paths.worktrees, now: new Date() });
    });
    for (const { id, workerId, attempt } of offers) {
      if (!assigned.has(id)) continue;
      this.seen.set(`${id}#${attempt}`, { signature: "", at: performance.now() });
      await this.store.event({ type: "task.status", task: id, attempt, worker: workerId, from: "not_started", to: "in_progress", by: "lead", data: { base } });
      this.emit({ type: "task.assigned", task: id, attempt, worker: workerId });
    }
  }

  /**
   * The readable mirror in features.json, rewritten only when some status changed, and not more often than
   * every second (every 10 s for very large plans: rewriting megabytes each second would cost more than the work).
   */
  private async refreshMirror(progress: ProgressFile, force: boolean): Promise<void> {
    const plan = this.plan;
    if (!plan) return;
    const now = performance.now();
    const interval = plan.tasks.length > 2000 ? 10_000 : 1000;
    if (!force && now - this.lastMirror < interval) return;
    const signature = plan.tasks.map((task) => progress.tasks[task.id]?.status ?? "not_started").join(",");
    if (signature === this.mirrorSignature) return;
    this.lastMirror = now;
    const planShape = withoutMirror(plan.file);
    let planUnchanged = false;
    try {
      const { value } = await this.store.features.update((features) => {
        planUnchanged = withoutMirror(features) === planShape;
        return refreshMirror(features, progress);
      }, { trusted: true });
      this.mirrorSignature = signature;
      // Our rewrite changed only mirror fields: the plan need not be checked again. A person's edit that landed
      // meanwhile (re-applied under our write) leaves planUnchanged false, so it is checked on the next tick.
      if (planUnchanged) {
        this.planText = canonicalJson(value);
        rememberCheckedPlan(this.store, this.planText);
      }
    } catch (error: unknown) {
      if (!(error instanceof CodexError)) throw error;
    }
  }

  private snapshot(plan: Plan, progress: ProgressFile): RunSnapshot {
    return runSnapshot(plan, progress, {
      elapsedMs: performance.now() - this.startedAt,
      durations: this.durations,
      workers: this.config.workers,
      paused: this.paused,
    });
  }

  /** Over when nothing runs and nothing can start without a person. */
  private async finishedResult(plan: Plan, progress: ProgressFile, snapshot: RunSnapshot): Promise<LeadResult | undefined> {
    if (this.integrating) return undefined; // its end wakes the loop
    const status = (id: string) => progress.tasks[id]?.status ?? "not_started";
    for (const task of plan.tasks) {
      const s = status(task.id);
      if (s === "in_progress") return undefined;
      if (s === "not_started" && task.deps.every((dep) => status(dep) === "completed")) return undefined;
    }
    const waiting = describeWaiting(plan, progress);
    const exitCode = snapshot.counts.completed === snapshot.total ? ExitCode.ok : snapshot.counts.failed > 0 ? ExitCode.failed : ExitCode.blocked;
    await this.refreshMirror(progress, true);
    await this.stopWorkers(5000);
    await this.clearUpDeadWorkers();
    await this.store.event({ type: "run.finished", by: "lead", data: { exitCode, counts: snapshot.counts } });
    const result = { exitCode, snapshot, waiting };
    this.emit({ type: "run.finished", ...result });
    return result;
  }

  /**
   * At the start, and once our workers are stopped at the end: workers that died without saying so (SIGKILL) are
   * marked exited, and what they left — an agent, a worktree (its work committed on its branch), a lock taken
   * mid-write — is cleared up.
   */
  private async clearUpDeadWorkers(): Promise<void> {
    await markDeadWorkers(this.store);
    await cleanOrphanWorktrees(this.store, (line) => this.log(line));
    for (const file of this.store.clearDeadLocks()) this.log(`removed the lock a dead process held on ${file}`);
  }

  /** Stops our children and the workers we adopted from a lead that died; returns their ids. */
  private async stopWorkers(graceMs: number): Promise<Set<string>> {
    // Live workers of a lead that died are adopted first (also one that joined after our start), so that they
    // are stopped with ours rather than left running. A progress.json a person left invalid must not keep us
    // from stopping our own children: then only those are stopped.
    await markDeadWorkers(this.store).catch(() => undefined);
    const progress = await this.store.progress.read().catch(() => undefined);
    const adopted = Object.entries(progress?.workers ?? {}).filter(
      ([id, w]) => !this.pool.children.has(id) && w.status !== "exited" && w.lead_pid === process.pid && w.host === this.host && isProcessAlive(w.pid),
    );
    await Promise.all([this.pool.stopAll(graceMs), ...adopted.map(([, w]) => killProcessGroup(w.pid, { graceMs }))]);
    return new Set([...this.pool.children.keys(), ...adopted.map(([id]) => id)]);
  }

  /** SIGINT/SIGTERM: stop workers cleanly (their work stays on their branches) and put their tasks back. */
  private async interrupt(): Promise<LeadResult> {
    await this.integrating; // a batch whose refs moved must reach progress.json
    const stopped = await this.stopWorkers(5000);
    await this.clearUpDeadWorkers();
    await this.updateProgress((progress) => {
      const now = new Date().toISOString();
      for (const task of Object.values(progress.tasks)) {
        if (task.status !== "in_progress" || !task.assignee || !stopped.has(task.assignee) || task.handoff) continue;
        task.status = "not_started";
        task.reason = "run interrupted; work so far is kept on its branch";
        task.assignee = null;
        task.updated_at = now;
      }
    });
    await this.store.event({ type: "run.interrupted", by: "lead" });
    const plan = this.plan;
    const progress = await this.store.progress.read();
    const snapshot = plan ? this.snapshot(plan, progress) : { counts: { not_started: 0, in_progress: 0, blocked: 0, completed: 0, failed: 0 }, total: 0, running: [], elapsedMs: 0, etaMs: undefined, paused: undefined };
    const result = { exitCode: ExitCode.interrupted, snapshot, waiting: plan ? describeWaiting(plan, progress) : [] };
    this.emit({ type: "run.finished", ...result });
    return result;
  }
}

// What the parts of a run share: the store, the config, the worker pool, what the lead has seen of each
// attempt, and the few helpers every part uses to write progress.json and tell the caller what happened.
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { isClaimLive, workerClaim } from "../util/process-identity.js";
import { gitCommonDir, resolveRef } from "../git/index.js";
import type { Plan } from "../plan/load-plan.js";
import { idleHeartbeatMs, type Config } from "../schema/config.js";
import type { ProgressFile, TaskState, WorkerState } from "../schema/progress.js";
import type { CodexStore } from "../store/codex-store.js";
import type { Wake } from "../store/wake.js";
import type { RunEvent, RunSnapshot } from "./run-events.js";
import { runSnapshot } from "./run-summary.js";
import { WorkerPool } from "./worker-pool.js";

export interface LeadOptions {
  root: string;
  workers?: number;
  stallTimeout?: string | number;
  heartbeat?: string | number;
  maxAttempts?: number;
  /** The run's credit cap; overrides config `run_budget`. */
  maxCredits?: number;
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

/** When the lead last saw an attempt's task or worker change, on its own monotonic clock. */
export interface Seen {
  signature: string;
  at: number;
}

/** The running attempt has handed off (its worker wrote the outcome); the lead's turn to merge or retry. */
export function handedOffNow(task: TaskState): boolean {
  return task.status === "in_progress" && task.handoff !== undefined && task.handoff.attempt === task.attempt;
}

export class LeadContext {
  readonly host = os.hostname();
  readonly seen = new Map<string, Seen>();
  readonly pool: WorkerPool;
  readonly startedAt = performance.now();
  paused: string | undefined;
  plan: Plan | undefined;
  planText: string | undefined;
  lastMirror = 0;
  mirrorSignature: string | undefined;
  wake: Wake | undefined;
  private commonDir: string | undefined;
  /** The merges under way, apart from the loop: idle workers get work while the lead merges. */
  integrating: Promise<void> | undefined;
  /** What stopped the merges, raised by the next tick (a named error is retried, anything else stops the run). */
  integrationError: unknown;
  /** Counts our writes of progress.json, so a tick knows when its copy is out of date. */
  progressWrites = 0;
  /**
   * Tasks held back because their inbox is invalid (the assignment cannot be written), with the inbox text that
   * was refused: the task is offered again once the text changes, and the person is told once, not every tick.
   */
  readonly heldBack = new Map<string, string | null>();
  /** The run's credit cap: its limit, the credits recorded when the run started, and once reached, what was said. */
  readonly runBudget: { limit: number | undefined; atStart: number; reached?: string };

  constructor(
    readonly store: CodexStore,
    readonly config: Config,
    readonly options: LeadOptions,
    plan: Plan,
    planText: string | undefined,
  ) {
    this.plan = plan;
    this.planText = planText;
    this.runBudget = { limit: config.runBudget, atStart: 0 };
    this.pool = new WorkerPool(store.paths.root, path.join(store.paths.dir, "logs"), { heartbeatMs: config.heartbeatMs, idleHeartbeatMs: idleHeartbeatMs(config) }, () => this.poke());
  }

  async updateProgress(mutate: (progress: ProgressFile) => void): Promise<void> {
    this.progressWrites++;
    await this.store.progress.update(mutate);
  }

  emit(event: RunEvent): void {
    this.options.onEvent?.(event);
  }

  poke(): void {
    this.wake?.poke();
  }

  log(line: string): void {
    this.emit({ type: "run.note", message: line });
  }

  /** The integration branch's head, read every time (a file read): a person's rollback moves the branch too. */
  async integrationHead(): Promise<string> {
    const root = this.store.paths.root;
    this.commonDir ??= await gitCommonDir(root);
    return resolveRef(root, this.commonDir, `refs/heads/${this.config.integrationBranch}`);
  }

  /** Live workers of a lead that died, adopted by this one: they count and stop like our own children. */
  adoptedWorkers(progress: ProgressFile | undefined): [string, WorkerState][] {
    return Object.entries(progress?.workers ?? {}).filter(
      ([id, w]) => !this.pool.children.has(id) && w.status !== "exited" && w.lead_pid === process.pid && w.host === this.host && isClaimLive(workerClaim(w)),
    );
  }

  snapshot(plan: Plan, progress: ProgressFile): RunSnapshot {
    return runSnapshot(plan, progress, {
      elapsedMs: performance.now() - this.startedAt,
      workers: this.config.workers,
      paused: this.paused,
    });
  }
}
